/*
 * jobs.h - long work in the background: a bounded queue, a few worker threads,
 * and for each job an event log that any number of clients can follow.
 *
 * A job has an id, a kind ("query", "ingest", "analysis", ...), a status
 * (queued, running, completed, failed, cancelled), a progress figure, a result
 * document and every event it emitted, numbered from 1. Late subscribers read
 * the whole log, then the stream ends once the job has. Finished jobs stay for
 * a while (srv_jobs_opts.keep_s, and at most max_kept of them) and are then
 * dropped. Cancelling sets a flag the job's work polls (and its cancel hook,
 * which interrupts DuckDB).
 *
 * Jobs are recorded in _pluto.job_log (append-only; the view _pluto.jobs shows
 * each job's state) so that a server killed mid-run leaves a
 * trace: at start, srv_jobs_new marks every job still "running" there as
 * failed ("interrupted").
 */
#ifndef PD_SERVER_JOBS_H
#define PD_SERVER_JOBS_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

struct pd_buf;
struct pd_err;
struct pd_warehouse;
struct srv_job;
struct srv_jobs;

struct srv_jobs_opts {
    int workers;     /* threads running jobs */
    int max_queued;  /* submissions beyond this are refused (busy) */
    double keep_s;   /* finished jobs are kept this long */
    int max_kept;    /* and at most this many of them (the newest) */
    int max_events;  /* events kept per job; older progress events are dropped first */
};

int srv_jobs_new(struct srv_jobs **out, struct pd_warehouse *wh, const struct srv_jobs_opts *o,
                 struct pd_err *err);
/*
 * Cancel every job and wait until none runs (their watchers are woken by the
 * final event). New submissions are refused from then on.
 */
void srv_jobs_stop(struct srv_jobs *J);
/* Stop, then free everything. No job reference may be held any more. */
void srv_jobs_free(struct srv_jobs *J);

/*
 * The work of a job: returns 0 and sets *result (a JSON document, stolen), or
 * returns an error with err filled; a result set anyway is kept (say, which
 * steps failed). It runs on a worker thread.
 */
typedef int (*srv_job_fn)(struct srv_job *job, void *arg, json_t **result, struct pd_err *err);

/*
 * Queue work. args (borrowed, may be NULL) is recorded with the job in
 * _pluto.jobs ({"project", "analyses": [...]} for analysis runs lets a restart
 * record them interrupted). arg is freed with arg_free when the job is dropped. Returns the
 * job (a reference the caller must srv_job_put) or NULL with err (PD_ETOOBIG when
 * the queue is full).
 */
struct srv_job *srv_job_submit(struct srv_jobs *J, const char *kind, json_t *args, srv_job_fn fn,
                               void *arg, void (*arg_free)(void *), struct pd_err *err);
/* Find a job by id (a new reference), or NULL. */
struct srv_job *srv_job_get(struct srv_jobs *J, const char *id);
void srv_job_put(struct srv_job *job);

const char *srv_job_id(const struct srv_job *job);
/* The arg given to srv_job_submit (lives as long as the job). */
void *srv_job_arg(struct srv_job *job);
const char *srv_job_kind(const struct srv_job *job);
/* 1 once the job completed, failed or was cancelled. */
int srv_job_finished(struct srv_job *job);
/* {id, kind, status, progress, created_at, started_at, finished_at, result?, error?} */
json_t *srv_job_json(struct srv_job *job);
/* The result document (a new reference) or NULL; the status text. */
json_t *srv_job_result(struct srv_job *job);
/* A download of the job's result failed: the job shows why (download_error) until the next. */
struct pd_err;
void srv_job_download_failed(struct srv_job *job, const struct pd_err *err);
const char *srv_job_status(struct srv_job *job);

/*
 * From the job's own thread: emit an event (data stolen; seq, type, job_id and
 * ts are added to it) and set progress (0..1, or -1). srv_job_emit_plain sends
 * data as it is (an envelope of its own).
 */
void srv_job_emit(struct srv_job *job, const char *type, json_t *data);
void srv_job_emit_plain(struct srv_job *job, const char *type, json_t *data);
void srv_job_progress(struct srv_job *job, double fraction, json_t *data);
/* The job running on the calling thread, or NULL (for callbacks that carry no argument). */
struct srv_job *srv_job_current(void);
/* A pd_progress_fn reporting rows to the current job as progress events. */
void srv_job_rows_progress(const char *label, int64_t rows, int64_t total, double elapsed_s);
/* The flag the job's work polls; turned on by srv_job_cancel. */
volatile sig_atomic_t *srv_job_cancel_flag(struct srv_job *job);
/* A hook cancel calls on the job's behalf (e.g. pd_query_cancel), set by the work. */
void srv_job_on_cancel(struct srv_job *job, void (*fn)(void *), void *arg);
/* Ask the job to stop. Returns 1 when it was still queued or running. */
int srv_job_cancel(struct srv_job *job);

/*
 * Follow a job's events. srv_job_read copies events with sequence > after into
 * out as SSE frames (up to cap bytes; at least one event if any) and returns the
 * sequence of the last one copied, or `after` when there is none yet. *done is
 * set when no more events can come.
 */
uint64_t srv_job_read(struct srv_job *job, uint64_t after, struct pd_buf *out, size_t cap,
                      int *done);
/*
 * Call wake(arg) once when the job emits its next event or finishes (at once
 * when it already has events after `after` or has finished). srv_job_unwatch
 * forgets a watch that has not fired.
 */
void srv_job_watch(struct srv_job *job, uint64_t after, void (*wake)(void *), void *arg);
/* Returns 1 when the watch was still pending (its wake will never be called). */
int srv_job_unwatch(struct srv_job *job, void *arg);

/* The jobs currently known, newest first (a JSON array). */
json_t *srv_jobs_list(struct srv_jobs *J, const char *kind);

#endif
