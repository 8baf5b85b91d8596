/*
 * history.h - the record of every executed statement.
 *
 * Each statement run through the query service is written to
 * _pluto.query_history (on a connection of its own, so a user's failed
 * transaction cannot lose it) and appended as one JSON object to
 * artifacts/queries/YYYY-MM-DD.jsonl. Recording never fails the statement:
 * a record that cannot be written is logged and dropped. Thread-safe.
 */
#ifndef PD_HISTORY_H
#define PD_HISTORY_H

#include <stdint.h>

struct pd_err;
struct pd_history;
struct pd_sink;
struct pd_warehouse;

struct pd_history_entry {
    const char *id;             /* UUIDv7 */
    const char *sql;
    const char *statement_type; /* NULL when the text did not parse */
    int64_t started_ms;         /* epoch ms */
    double duration_ms;
    int64_t rows;               /* -1: unknown */
    const char *status;         /* "ok", "error", "timeout", "cancelled" */
    const char *error;          /* NULL on success */
    const char *origin;         /* "cli", "shell", "api", "agent" */
};

/* Start recording into wh (borrowed) and artifacts_dir (copied). */
struct pd_history *pd_history_open(struct pd_warehouse *wh, const char *artifacts_dir);
void pd_history_close(struct pd_history *h);

/* Record one statement. */
void pd_history_record(struct pd_history *h, const struct pd_history_entry *e);

/*
 * Send the newest `limit` records (only failed ones when failed_only; only those
 * whose SQL contains `contains`, any case, when given) through sink, newest
 * first. Columns: id, started_at, duration_ms, status, rows, statement_type,
 * sql, error.
 */
int pd_history_list(struct pd_warehouse *wh, long limit, int failed_only, const char *contains,
                    struct pd_sink *sink, struct pd_err *err);

#endif
