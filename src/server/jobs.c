/*
 * jobs.c - the background job queue and per-job event logs (see jobs.h).
 *
 * One mutex guards the registry, the queue and every job's state: jobs are few
 * and events small, so contention is not worth finer locks. Watchers (a
 * suspended HTTP connection waiting for the next event) are woken outside the
 * lock, once each.
 */
#include "server/jobs.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "warehouse/journal.h"
#include "warehouse/warehouse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum status { QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED };
static const char *const status_names[] = {"queued", "running", "completed", "failed",
                                           "cancelled"};

struct event {
    uint64_t seq;
    char *frame; /* the whole SSE frame */
    size_t len;
};

struct watcher {
    void (*wake)(void *);
    void *arg;
    struct watcher *next;
};

struct srv_job {
    struct srv_jobs *J;
    int refs;
    char id[PD_UUID_LEN + 1];
    char *kind;
    char *args; /* JSON text recorded with the job, or NULL */
    enum status status;
    double progress;
    int64_t created_ms, started_ms, finished_ms;
    json_t *result;
    int err_code;
    char *err_msg;
    json_t *download; /* the last download of its result that failed: {code, message, at} */
    srv_job_fn fn;
    void *arg;
    void (*arg_free)(void *);
    volatile sig_atomic_t cancel;
    void (*cancel_fn)(void *);
    void *cancel_arg;
    struct event *events;
    size_t n_events, cap_events;
    uint64_t next_seq;
    struct watcher *watchers;
    struct srv_job *next_all, *next_queued;
};

struct srv_jobs {
    struct srv_jobs_opts o;
    struct pd_warehouse *wh;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct srv_job *all;                 /* newest first */
    struct srv_job *queue_head, *queue_tail;
    int n_queued, stopping;
    int n_finished;          /* finished jobs in the registry */
    int64_t expired_ms;      /* when expire_locked last looked */
    pthread_t *threads;
    int n_threads;
};

/* ---- the record: _pluto.job_log, read through the view _pluto.jobs ----- */

/* Append a row to the job's log: seq 0 when it starts, 1 when it ends. */
static void record(struct srv_job *job, int seq, const char *status, const char *error,
                   const char *args)
{
    const struct pd_jcell row[] = {
        PD_JCELL_TEXT(job->id), PD_JCELL_TEXT(job->kind), PD_JCELL_INT(seq),
        PD_JCELL_TEXT(status),  PD_JCELL_INT(pd_now_ms()), PD_JCELL_TEXT(error),
        PD_JCELL_TEXT(args),
    };
    pd_journal_add_row(pd_warehouse_journal(job->J->wh), "job_log", row,
                       sizeof(row) / sizeof(row[0]));
}

static void record_start(struct srv_job *job)
{
    record(job, 0, "running", NULL, job->args);
    /* A restart after a crash needs the start of a job with args (an analysis run). */
    if (job->args)
        pd_journal_flush(pd_warehouse_journal(job->J->wh));
}

static void record_end(struct srv_job *job, const char *status, const char *error)
{
    record(job, 1, status, error, NULL);
}

/* A server that died mid-job left jobs that only started: they failed, and say why. */
static int mark_interrupted(struct pd_warehouse *wh, struct pd_err *err)
{
    duckdb_connection conn;
    int rc;
    if ((rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    rc = pd_exec(conn,
                 "BEGIN;"
                 "CREATE TEMP TABLE pd_interrupted AS SELECT * FROM _pluto.jobs"
                 "  WHERE status = 'running';"
                 "INSERT INTO _duckpipe.run_history (run_id, project, analysis, started_at, "
                 "  finished_at, status, error, reason)"
                 " SELECT j.id, coalesce(j.args->>'project', 'default'), a.analysis, j.started_at,"
                 "   now(), 'failed', 'interrupted: the server stopped during the run', 'interrupted'"
                 " FROM pd_interrupted j, unnest(CAST(j.args->'analyses' AS VARCHAR[])) AS a(analysis)"
                 " WHERE j.kind = 'analysis';"
                 "INSERT INTO _pluto.job_log (job_id, kind, seq, status, logged_at, error)"
                 " SELECT id, kind, 1, 'failed', now(), 'interrupted: the server stopped during the job'"
                 " FROM pd_interrupted;"
                 "DROP TABLE pd_interrupted;"
                 "COMMIT;",
                 err);
    if (rc)
        pd_exec(conn, "ROLLBACK", NULL);
    pd_warehouse_release(wh, conn, rc == 0);
    return rc;
}

/* ---- references and lifetime ------------------------------------------ */

static void job_free(struct srv_job *job)
{
    for (size_t i = 0; i < job->n_events; i++)
        free(job->events[i].frame);
    free(job->events);
    while (job->watchers) {
        struct watcher *w = job->watchers;
        job->watchers = w->next;
        free(w);
    }
    if (job->arg_free)
        job->arg_free(job->arg);
    json_decref(job->result);
    free(job->err_msg);
    json_decref(job->download);
    free(job->kind);
    free(job->args);
    free(job);
}

void srv_job_put(struct srv_job *job)
{
    struct srv_jobs *J;
    int last;
    if (job == NULL)
        return;
    J = job->J;
    pthread_mutex_lock(&J->mu);
    last = --job->refs == 0;
    pthread_mutex_unlock(&J->mu);
    if (last)
        job_free(job);
}

/*
 * Drop finished jobs older than keep_s, and beyond the newest max_kept finished
 * ones, from the registry (newest first, so the count runs in age order).
 * Called with mu held.
 */
static void expire_locked(struct srv_jobs *J)
{
    int64_t now = pd_now_ms(), cutoff = now - (int64_t)(J->o.keep_s * 1000.0);
    struct srv_job **pp = &J->all;
    int kept = 0, keep = J->o.max_kept;
    /* the walk is over every job: once a second is soon enough for the age limit, and
       past the count it makes room for an eighth more, not for one */
    if (J->n_finished <= J->o.max_kept && now - J->expired_ms < 1000)
        return;
    if (J->n_finished > J->o.max_kept)
        keep -= J->o.max_kept / 8;
    J->expired_ms = now;
    while (*pp) {
        struct srv_job *job = *pp;
        if (job->status >= COMPLETED && (job->finished_ms < cutoff || kept >= keep)) {
            *pp = job->next_all;
            J->n_finished--;
            if (--job->refs == 0)
                job_free(job);
        } else {
            kept += job->status >= COMPLETED;
            pp = &job->next_all;
        }
    }
}

/* ---- events ----------------------------------------------------------- */

/* Take the watchers to wake (mu held); wake them after unlocking. */
static struct watcher *take_watchers(struct srv_job *job)
{
    struct watcher *w = job->watchers;
    job->watchers = NULL;
    return w;
}

static void wake_all(struct watcher *w)
{
    while (w) {
        struct watcher *next = w->next;
        w->wake(w->arg);
        free(w);
        w = next;
    }
}

/* Append an event (mu held). data is stolen; fields job_id, seq, type, ts are added. */
static void append_locked(struct srv_job *job, const char *type, json_t *data, int decorate)
{
    struct pd_buf frame = PD_BUF_INIT;
    char ts[40];
    char *text;
    struct event *ev;

    if (data == NULL || !json_is_object(data)) {
        json_t *o = json_object();
        if (data)
            json_object_set_new(o, "value", data);
        data = o;
    }
    job->next_seq++;
    if (decorate) {
        json_object_set_new(data, "seq", json_integer((json_int_t)job->next_seq));
        json_object_set_new(data, "type", json_string(type));
        json_object_set_new(data, "job_id", json_string(job->id));
        json_object_set_new(data, "ts", json_string(pd_time_iso(pd_now_ms(), ts, sizeof(ts))));
    }
    text = pd_json_dumps_exact(data, JSON_COMPACT);
    json_decref(data);
    pd_buf_addf(&frame, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)job->next_seq,
                type, text);
    free(text);

    if (job->n_events == (size_t)job->J->o.max_events) {
        /* Full: forget the oldest event (late subscribers then start after a gap). */
        free(job->events[0].frame);
        memmove(job->events, job->events + 1, (job->n_events - 1) * sizeof(*job->events));
        job->n_events--;
    }
    if (job->n_events == job->cap_events) {
        job->cap_events = job->cap_events ? job->cap_events * 2 : 16;
        job->events = xrealloc(job->events, job->cap_events * sizeof(*job->events));
    }
    ev = &job->events[job->n_events++];
    ev->seq = job->next_seq;
    ev->frame = pd_buf_detach(&frame, &ev->len);
}

static void emit(struct srv_job *job, const char *type, json_t *data, int decorate)
{
    struct watcher *w;
    pthread_mutex_lock(&job->J->mu);
    append_locked(job, type, data, decorate);
    w = take_watchers(job);
    pthread_mutex_unlock(&job->J->mu);
    wake_all(w);
}

void srv_job_emit(struct srv_job *job, const char *type, json_t *data)
{
    emit(job, type, data, 1);
}

void srv_job_emit_plain(struct srv_job *job, const char *type, json_t *data)
{
    emit(job, type, data, 0);
}

void srv_job_progress(struct srv_job *job, double fraction, json_t *data)
{
    if (data == NULL)
        data = json_object();
    pthread_mutex_lock(&job->J->mu);
    job->progress = fraction;
    pthread_mutex_unlock(&job->J->mu);
    if (fraction >= 0)
        json_object_set_new(data, "progress", json_real(fraction));
    srv_job_emit(job, "progress", data);
}

uint64_t srv_job_read(struct srv_job *job, uint64_t after, struct pd_buf *out, size_t cap,
                      int *done)
{
    uint64_t last = after;
    pthread_mutex_lock(&job->J->mu);
    for (size_t i = 0; i < job->n_events; i++) {
        struct event *ev = &job->events[i];
        if (ev->seq <= after)
            continue;
        if (last != after && out->len + ev->len > cap)
            break;
        pd_buf_add(out, ev->frame, ev->len);
        last = ev->seq;
    }
    *done = job->status >= COMPLETED && last == job->next_seq;
    pthread_mutex_unlock(&job->J->mu);
    return last;
}

void srv_job_watch(struct srv_job *job, uint64_t after, void (*wake)(void *), void *arg)
{
    int now;
    pthread_mutex_lock(&job->J->mu);
    now = job->status >= COMPLETED || job->next_seq > after;
    if (!now) {
        struct watcher *w = xcalloc(1, sizeof(*w));
        w->wake = wake;
        w->arg = arg;
        w->next = job->watchers;
        job->watchers = w;
    }
    pthread_mutex_unlock(&job->J->mu);
    if (now)
        wake(arg);
}

int srv_job_unwatch(struct srv_job *job, void *arg)
{
    int removed = 0;
    pthread_mutex_lock(&job->J->mu);
    for (struct watcher **pp = &job->watchers; *pp;) {
        struct watcher *w = *pp;
        if (w->arg == arg) {
            *pp = w->next;
            free(w);
            removed++;
        } else {
            pp = &w->next;
        }
    }
    pthread_mutex_unlock(&job->J->mu);
    return removed;
}

/* ---- running ---------------------------------------------------------- */

static void finish(struct srv_job *job, int rc, json_t *result, const struct pd_err *err)
{
    struct srv_jobs *J = job->J;
    struct watcher *w;
    json_t *ev = json_object();
    enum status st = rc == 0 ? COMPLETED : rc == PD_ECANCELED || job->cancel ? CANCELLED : FAILED;

    record_end(job, status_names[st], rc ? (err->code ? err->msg : pd_err_name(rc)) : NULL);
    pthread_mutex_lock(&J->mu);
    job->status = st;
    job->finished_ms = pd_now_ms();
    J->n_finished++;
    job->result = result;
    if (rc) {
        job->err_code = rc;
        job->err_msg = xstrdup(err->code ? err->msg : pd_err_name(rc));
        json_object_set_new(ev, "error", json_pack("{s:s, s:s}", "code", pd_err_name(rc),
                                                   "message", job->err_msg));
    } else {
        job->progress = 1;
    }
    if (result)
        json_object_set(ev, "result", result);
    json_object_set_new(ev, "status", json_string(status_names[st]));
    json_object_set_new(ev, "duration_ms",
                        json_integer((json_int_t)(job->finished_ms - job->started_ms)));
    append_locked(job, status_names[st], ev, 1);
    w = take_watchers(job);
    pthread_mutex_unlock(&J->mu);
    wake_all(w);
    pd_log(rc ? PD_LOG_WARN : PD_LOG_INFO, "job finished", "{s:s, s:s, s:s, s:s}", "job_id",
           job->id, "kind", job->kind, "status", status_names[st], "error",
           rc ? job->err_msg : "");
}

static _Thread_local struct srv_job *current;

struct srv_job *srv_job_current(void)
{
    return current;
}

static void run_one(struct srv_job *job)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *result = NULL;
    int rc;

    pd_log_set_trace_id(job->id);
    record_start(job);
    srv_job_emit(job, "started", json_pack("{s:s}", "kind", job->kind));
    current = job;
    if (job->cancel)
        rc = pd_fail(&err, PD_ECANCELED, "cancelled before it started");
    else
        rc = job->fn(job, job->arg, &result, &err);
    current = NULL;
    if (rc == 0 && job->cancel) /* finished anyway: it counts */
        job->cancel = 0;
    finish(job, rc, result, &err);
    pd_log_set_trace_id(NULL);
}

static void *worker(void *arg)
{
    struct srv_jobs *J = arg;
    pthread_mutex_lock(&J->mu);
    for (;;) {
        struct srv_job *job;
        while (!J->stopping && J->queue_head == NULL)
            pthread_cond_wait(&J->cv, &J->mu);
        if (J->queue_head == NULL)
            break;
        job = J->queue_head;
        J->queue_head = job->next_queued;
        if (J->queue_head == NULL)
            J->queue_tail = NULL;
        J->n_queued--;
        job->status = RUNNING;
        job->started_ms = pd_now_ms();
        job->refs++;
        pthread_mutex_unlock(&J->mu);
        run_one(job);
        srv_job_put(job);
        pthread_mutex_lock(&J->mu);
    }
    pthread_mutex_unlock(&J->mu);
    return NULL;
}

int srv_jobs_new(struct srv_jobs **out, struct pd_warehouse *wh, const struct srv_jobs_opts *o,
                 struct pd_err *err)
{
    struct srv_jobs *J;
    int rc;
    *out = NULL;
    if ((rc = mark_interrupted(wh, err)) != 0)
        return rc;
    J = xcalloc(1, sizeof(*J));
    J->o = *o;
    if (J->o.workers < 1)
        J->o.workers = 2;
    if (J->o.max_events < 16)
        J->o.max_events = 16;
    if (J->o.max_kept < 1)
        J->o.max_kept = 1;
    J->wh = wh;
    pthread_mutex_init(&J->mu, NULL);
    pthread_cond_init(&J->cv, NULL);
    J->threads = xcalloc((size_t)J->o.workers, sizeof(pthread_t));
    for (int i = 0; i < J->o.workers; i++)
        if (pthread_create(&J->threads[i], NULL, worker, J) == 0)
            J->n_threads++;
    if (J->n_threads == 0) {
        srv_jobs_free(J);
        return pd_fail(err, PD_EINTERNAL, "cannot start job threads");
    }
    *out = J;
    return 0;
}

void srv_jobs_stop(struct srv_jobs *J)
{
    pthread_mutex_lock(&J->mu);
    J->stopping = 1;
    for (struct srv_job *job = J->all; job; job = job->next_all)
        if (job->status <= RUNNING) {
            job->cancel = 1;
            if (job->status == RUNNING && job->cancel_fn)
                job->cancel_fn(job->cancel_arg);
        }
    pthread_cond_broadcast(&J->cv);
    pthread_mutex_unlock(&J->mu);
    /* Workers drain the queue (each queued job ends "cancelled before it started"). */
    for (int i = 0; i < J->n_threads; i++)
        pthread_join(J->threads[i], NULL);
    J->n_threads = 0;
}

void srv_jobs_free(struct srv_jobs *J)
{
    if (J == NULL)
        return;
    srv_jobs_stop(J);
    while (J->all) {
        struct srv_job *job = J->all;
        J->all = job->next_all;
        if (--job->refs == 0)
            job_free(job);
    }
    free(J->threads);
    pthread_mutex_destroy(&J->mu);
    pthread_cond_destroy(&J->cv);
    free(J);
}

struct srv_job *srv_job_submit(struct srv_jobs *J, const char *kind, json_t *args, srv_job_fn fn,
                               void *arg, void (*arg_free)(void *), struct pd_err *err)
{
    struct srv_job *job;
    pthread_mutex_lock(&J->mu);
    expire_locked(J);
    if (J->stopping || J->n_queued >= J->o.max_queued) {
        pthread_mutex_unlock(&J->mu);
        if (arg_free)
            arg_free(arg);
        return pd_fail(err, PD_ETOOBIG,
                       J->stopping ? "the server is stopping"
                                   : "too many jobs waiting (%d): try again when some have finished",
                       J->o.max_queued),
               NULL;
    }
    job = xcalloc(1, sizeof(*job));
    job->J = J;
    job->refs = 2; /* the registry's and the caller's */
    pd_uuid7(job->id);
    job->kind = xstrdup(kind);
    job->args = args ? pd_json_dumps_exact(args, JSON_COMPACT) : NULL;
    job->status = QUEUED;
    job->progress = -1;
    job->created_ms = pd_now_ms();
    job->fn = fn;
    job->arg = arg;
    job->arg_free = arg_free;
    job->next_all = J->all;
    J->all = job;
    if (J->queue_tail)
        J->queue_tail->next_queued = job;
    else
        J->queue_head = job;
    J->queue_tail = job;
    J->n_queued++;
    pthread_cond_signal(&J->cv);
    pthread_mutex_unlock(&J->mu);
    return job;
}

struct srv_job *srv_job_get(struct srv_jobs *J, const char *id)
{
    struct srv_job *found = NULL;
    pthread_mutex_lock(&J->mu);
    for (struct srv_job *job = J->all; job; job = job->next_all)
        if (strcmp(job->id, id) == 0) {
            found = job;
            job->refs++;
            break;
        }
    pthread_mutex_unlock(&J->mu);
    return found;
}

const char *srv_job_id(const struct srv_job *job) { return job->id; }
void *srv_job_arg(struct srv_job *job) { return job->arg; }
const char *srv_job_kind(const struct srv_job *job) { return job->kind; }

int srv_job_finished(struct srv_job *job)
{
    int f;
    pthread_mutex_lock(&job->J->mu);
    f = job->status >= COMPLETED;
    pthread_mutex_unlock(&job->J->mu);
    return f;
}

const char *srv_job_status(struct srv_job *job)
{
    const char *s;
    pthread_mutex_lock(&job->J->mu);
    s = status_names[job->status];
    pthread_mutex_unlock(&job->J->mu);
    return s;
}

json_t *srv_job_result(struct srv_job *job)
{
    json_t *r;
    pthread_mutex_lock(&job->J->mu);
    r = json_incref(job->result);
    pthread_mutex_unlock(&job->J->mu);
    return r;
}

static json_t *time_or_null(int64_t ms)
{
    char ts[40];
    return ms ? json_string(pd_time_iso(ms, ts, sizeof(ts))) : json_null();
}

static json_t *job_json_locked(struct srv_job *job)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "id", job->id, "kind",
                          job->kind, "status", status_names[job->status], "created_at",
                          time_or_null(job->created_ms), "started_at",
                          time_or_null(job->started_ms), "finished_at",
                          time_or_null(job->finished_ms), "events", (json_int_t)job->next_seq);
    json_object_set_new(o, "progress", job->progress >= 0 ? json_real(job->progress) : json_null());
    if (job->err_msg)
        json_object_set_new(o, "error", json_pack("{s:s, s:s}", "code",
                                                  pd_err_name(job->err_code), "message",
                                                  job->err_msg));
    if (job->download)
        json_object_set(o, "download_error", job->download);
    return o;
}

void srv_job_download_failed(struct srv_job *job, const struct pd_err *err)
{
    json_t *d = json_pack("{s:s, s:s, s:o}", "code", pd_err_name(err->code), "message", err->msg,
                          "at", time_or_null(pd_now_ms()));
    pthread_mutex_lock(&job->J->mu);
    json_decref(job->download);
    job->download = d;
    pthread_mutex_unlock(&job->J->mu);
}

json_t *srv_job_json(struct srv_job *job)
{
    json_t *o;
    pthread_mutex_lock(&job->J->mu);
    o = job_json_locked(job);
    if (job->result)
        json_object_set(o, "result", job->result);
    pthread_mutex_unlock(&job->J->mu);
    return o;
}

json_t *srv_jobs_list(struct srv_jobs *J, const char *kind)
{
    json_t *a = json_array();
    pthread_mutex_lock(&J->mu);
    expire_locked(J);
    for (struct srv_job *job = J->all; job; job = job->next_all)
        if (kind == NULL || strcmp(job->kind, kind) == 0)
            json_array_append_new(a, job_json_locked(job));
    pthread_mutex_unlock(&J->mu);
    return a;
}

volatile sig_atomic_t *srv_job_cancel_flag(struct srv_job *job) { return &job->cancel; }

void srv_job_on_cancel(struct srv_job *job, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&job->J->mu);
    job->cancel_fn = fn;
    job->cancel_arg = arg;
    if (job->cancel && fn)
        fn(arg);
    pthread_mutex_unlock(&job->J->mu);
}

int srv_job_cancel(struct srv_job *job)
{
    int live;
    pthread_mutex_lock(&job->J->mu);
    live = job->status <= RUNNING;
    if (live) {
        job->cancel = 1;
        if (job->cancel_fn)
            job->cancel_fn(job->cancel_arg);
    }
    pthread_mutex_unlock(&job->J->mu);
    return live;
}

void srv_job_rows_progress(const char *label, int64_t rows, int64_t total, double elapsed_s)
{
    struct srv_job *job = current;
    if (job == NULL)
        return;
    srv_job_progress(job, total > 0 ? (double)rows / (double)total : -1,
                     json_pack("{s:s, s:I, s:I, s:f}", "label", label ? label : "", "rows",
                               (json_int_t)rows, "rows_total", (json_int_t)total, "elapsed_s",
                               elapsed_s));
}
