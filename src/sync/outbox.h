/*
 * outbox.h - what the local app owes Pluto Cloud, kept in the warehouse until
 * it is delivered: run states, log chunks, reports.
 *
 * A row is written in the same transaction as the local record it reports (a
 * run starting, a run ending), so the two never disagree: a crash or a cloud
 * that does not answer loses nothing. The sender delivers rows oldest first;
 * a request that fails for the network, a busy server or a lapsed sign-in is
 * tried again later with growing waits (1 s doubling to 5 min, with jitter),
 * and nothing after it goes first, so the server sees runs in their order.
 * Every request is idempotent by the ids the client made (the run's UUIDv7,
 * log chunk numbers, an artifact's run and name), so one delivered twice - the
 * answer lost on the way back - is stored once. A request the server refuses
 * for good (a 4xx that retrying cannot change) is set aside as failed, with
 * the server's message, and the rest goes on.
 *
 * An artifact row names a file: it is declared, uploaded to the address the
 * server signs (streamed, never held in memory) and completed; an upload cut
 * short starts again from the declaration.
 */
#ifndef PD_SYNC_OUTBOX_H
#define PD_SYNC_OUTBOX_H

#include <duckdb.h>
#include <jansson.h>
#include <stdint.h>

struct pd_err;
struct pd_warehouse;

/* The warehouse's tables for it and for the runs of schedules (a migration step). */
#define PD_OUTBOX_DDL                                                            \
    "CREATE SEQUENCE _pluto.cloud_outbox_seq;"                                   \
    "CREATE TABLE _pluto.cloud_outbox ("                                         \
    "  seq BIGINT NOT NULL DEFAULT nextval('_pluto.cloud_outbox_seq'),"          \
    "  run_id VARCHAR,"                                                          \
    "  method VARCHAR NOT NULL,"                                                 \
    "  path VARCHAR NOT NULL,"                                                   \
    "  body VARCHAR,"                                                            \
    "  file VARCHAR,"                                                            \
    "  state VARCHAR NOT NULL DEFAULT 'pending',"                                \
    "  attempts INTEGER NOT NULL DEFAULT 0,"                                     \
    "  next_at TIMESTAMPTZ,"                                                     \
    "  last_error VARCHAR,"                                                      \
    "  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),"                           \
    "  sent_at TIMESTAMPTZ"                                                      \
    ");"                                                                         \
    "CREATE TABLE _pluto.cloud_runs ("                                           \
    "  run_id VARCHAR NOT NULL,"                                                 \
    "  workspace_id VARCHAR NOT NULL,"                                           \
    "  pipeline_id VARCHAR NOT NULL,"                                            \
    "  version INTEGER NOT NULL,"                                                \
    "  schedule_id VARCHAR,"                                                     \
    "  occurrence_id VARCHAR,"                                                   \
    "  project VARCHAR NOT NULL,"                                                \
    "  state VARCHAR NOT NULL,"                                                  \
    "  catch_up BOOLEAN NOT NULL DEFAULT false,"                                 \
    "  error_class VARCHAR,"                                                     \
    "  error_message VARCHAR,"                                                   \
    "  report VARCHAR,"                                                          \
    "  started_at TIMESTAMPTZ NOT NULL,"                                         \
    "  finished_at TIMESTAMPTZ"                                                  \
    ");"

/*
 * Queue method path (under /api/v1) with body (borrowed; NULL: none) on conn,
 * inside the caller's transaction. run_id (may be NULL) groups the rows of a run.
 */
int pd_outbox_put(duckdb_connection conn, const char *run_id, const char *method,
                  const char *path, const json_t *body, struct pd_err *err);

/*
 * Queue an artifact: file, declared to path (…/runs/ID/artifacts) as decl
 * ({name, kind, content_type}; its size and sha256 are added here).
 */
int pd_outbox_put_file(duckdb_connection conn, const char *run_id, const char *path,
                       const json_t *decl, const char *file, struct pd_err *err);

struct pd_outbox_counts {
    int64_t pending, failed, sent;
    int64_t oldest_pending_ms; /* when the oldest undelivered row was made (0: none) */
    char last_error[256];      /* of the oldest pending row that was tried, or "" */
};
int pd_outbox_counts(duckdb_connection conn, struct pd_outbox_counts *c, struct pd_err *err);

/*
 * Deliver what is due, oldest first, as the data home's signed-in account.
 * Returns 0 when nothing is left to send now, with *wait_ms how long until the
 * next retry is due (-1: nothing pending); an error only when the warehouse
 * fails. *sent counts what was delivered (may be NULL). It stops between
 * requests once *stop is set (stop may be NULL).
 */
int pd_outbox_drain(struct pd_warehouse *wh, const char *home, const volatile int *stop,
                    int64_t *wait_ms, int *sent, struct pd_err *err);

/* ---- the sender: a thread that drains the outbox -------------------------------------- */

struct pd_outbox_sender;

/* Start draining wh's outbox in the background; kick wakes it for new rows. */
struct pd_outbox_sender *pd_outbox_sender_start(struct pd_warehouse *wh, const char *home);
void pd_outbox_sender_kick(struct pd_outbox_sender *s);
/* Stop it (a request under way is finished first). */
void pd_outbox_sender_stop(struct pd_outbox_sender *s);

#endif
