/*
 * runner.c - polling, claiming and running scheduled occurrences (see runner.h).
 *
 * Two threads: the poller asks for due occurrences and claims them; the
 * worker runs one claimed occurrence at a time. While the worker is busy the
 * poller still polls, so a schedule whose previous run still runs has its new
 * occurrence skipped with that reason instead of piling up.
 */
#include "sync/runner.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/build.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "sync/cloud.h"
#include "sync/execute.h"
#include "sync/outbox.h"
#include "sync/pipelines.h"
#include "sync/report.h"
#include "sync/snapshot.h"
#include "warehouse/warehouse.h"

#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#define CHUNK_LINES 500
#define CHUNK_BYTES (256 * 1024)
#define MAX_NOTICES 20

/* A claimed occurrence, handed to the worker. */
struct job {
    json_t *occ;
    char run_id[40], project[64];
    char *dir;
    json_t *environment;
};

struct pd_runner {
    struct pd_runner_opts o;
    char *home;
    char ws[40];
    pthread_t poller, worker;
    pthread_mutex_t lock;
    pthread_cond_t wake;      /* the poller: stop, or the worker is free */
    pthread_cond_t work;      /* the worker: a job, or stop */
    int stopping;
    volatile sig_atomic_t cancel;
    struct job *job;          /* waiting for the worker */
    struct job *running;      /* the worker's */
    char etag[128];
    json_t *due;              /* the last list of due occurrences */
    json_t *handled;          /* occurrence ids answered here: id -> true */
    json_t *first_seen;       /* occurrence id -> when a poll first listed it (this clock) */
    /* status */
    int64_t last_poll_ms, offline_since_ms;
    char last_error[512];
    int runs, skipped, caught_up, polls;
    json_t *notices;
};

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void notice(struct pd_runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void notice(struct pd_runner *r, const char *fmt, ...)
{
    char text[600], at[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    pd_time_iso(pd_now_ms(), at, sizeof(at));
    pthread_mutex_lock(&r->lock);
    json_array_append_new(r->notices, json_pack("{s:s, s:s}", "at", at, "text", text));
    while (json_array_size(r->notices) > MAX_NOTICES)
        json_array_remove(r->notices, 0);
    pthread_mutex_unlock(&r->lock);
    pd_log(PD_LOG_INFO, "schedule runner notice", "{s:s}", "text", text);
}

/* ---- the environment snapshot --------------------------------------------------------------- */

static json_t *environment(json_t *connectors)
{
    struct utsname u;
    char os[300] = "unknown";
    if (uname(&u) == 0)
        snprintf(os, sizeof(os), "%s %s %s", u.sysname, u.release, u.machine);
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "os", os, "pluto_duck", PD_VERSION, "build",
                     pd_build_id(), "duckdb", pd_duckdb_version(), "connectors", connectors);
}

/* ---- writing a run's record and its outbox rows together --------------------------------------- */

static int begin(struct pd_runner *r, duckdb_connection *conn, struct pd_err *err)
{
    if (pd_warehouse_acquire(r->o.wh, conn, err) != 0)
        return err->code;
    if (pd_exec(*conn, "BEGIN TRANSACTION", err) != 0) {
        pd_warehouse_release(r->o.wh, *conn, 0);
        return err->code;
    }
    return 0;
}

static int end(struct pd_runner *r, duckdb_connection conn, int rc, struct pd_err *err)
{
    if (rc == 0 && (rc = pd_exec(conn, "COMMIT", err)) == 0) {
        pd_warehouse_release(r->o.wh, conn, 1);
        pd_outbox_sender_kick(r->o.sender);
        return 0;
    }
    pd_exec(conn, "ROLLBACK", NULL);
    pd_warehouse_release(r->o.wh, conn, 0);
    return rc;
}

/* /workspaces/WS/WHAT[/ID[/TAIL]] */
static void path_of(char *out, size_t size, const struct pd_runner *r, const char *what,
                    const char *id, const char *tail)
{
    snprintf(out, size, "/workspaces/%s/%s%s%s%s%s", r->ws, what, id ? "/" : "", id ? id : "",
             tail ? "/" : "", tail ? tail : "");
}

static int record_start(struct pd_runner *r, duckdb_connection conn, const struct job *j,
                        const char *state, struct pd_err *err)
{
    const json_t *occ = j->occ;
    char version[16], path[200];
    const char *vals[] = {j->run_id,      r->ws,    str(occ, "pipeline_id"), version,
                          str(occ, "schedule_id"), str(occ, "id"), j->project, state,
                          json_is_true(json_object_get(occ, "catch_up")) ? "true" : "false"};
    json_t *body;
    int rc;
    snprintf(version, sizeof(version), "%lld",
             (long long)json_integer_value(json_object_get(occ, "pipeline_version")));
    if ((rc = pd_exec_params(conn,
                             "INSERT INTO _pluto.cloud_runs (run_id, workspace_id, pipeline_id, "
                             "version, schedule_id, occurrence_id, project, state, catch_up, "
                             "started_at) VALUES ($1, $2, $3, $4::INTEGER, $5, $6, $7, $8, "
                             "$9::BOOLEAN, now())",
                             vals, 9, NULL, err)) != 0)
        return rc;
    body = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:O, s:O}", "run_id", j->run_id,
                     "pipeline_id", str(occ, "pipeline_id"), "version",
                     json_integer_value(json_object_get(occ, "pipeline_version")), "trigger",
                     "schedule", "state", strcmp(state, "running") == 0 ? "running" : "pending",
                     "schedule_id", str(occ, "schedule_id"), "occurrence_id", str(occ, "id"),
                     "params", json_object_get(occ, "params"), "environment", j->environment);
    path_of(path, sizeof(path), r, "runs", NULL, NULL);
    rc = pd_outbox_put(conn, j->run_id, "POST", path, body, err);
    json_decref(body);
    return rc;
}

static int queue_ack(struct pd_runner *r, duckdb_connection conn, const struct job *j,
                     const char *status, const char *reason, struct pd_err *err)
{
    char path[200];
    json_t *body = json_pack("{s:s, s:s, s:s, s:s*}", "occurrence_id", str(j->occ, "id"),
                             "status", status, "run_id", j->run_id, "reason", reason);
    int rc;
    path_of(path, sizeof(path), r, "schedules", str(j->occ, "schedule_id"), "ack");
    rc = pd_outbox_put(conn, j->run_id, "POST", path, body, err);
    json_decref(body);
    return rc;
}

static int queue_state(struct pd_runner *r, duckdb_connection conn, const char *run_id,
                       const char *state, const char *cls, const char *msg, struct pd_err *err)
{
    char path[200];
    json_t *body = json_pack("{s:s, s:s*, s:s*}", "state", state, "error_class", cls,
                             "error_message", msg);
    int rc;
    path_of(path, sizeof(path), r, "runs", run_id, NULL);
    rc = pd_outbox_put(conn, run_id, "PATCH", path, body, err);
    json_decref(body);
    return rc;
}

/* ---- claiming ------------------------------------------------------------------------------ */

static void job_free(struct job *j)
{
    if (j == NULL)
        return;
    json_decref(j->occ);
    json_decref(j->environment);
    free(j->dir);
    free(j);
}

static int transient(int code)
{
    return code == PD_EIO || code == PD_ETIMEOUT || code == PD_EUNAVAIL || code == PD_ERATE ||
           code == PD_EAUTH;
}

static void mark_handled(struct pd_runner *r, const char *occ)
{
    pthread_mutex_lock(&r->lock);
    json_object_set_new(r->handled, occ, json_true());
    pthread_mutex_unlock(&r->lock);
}

/* Ask the server directly (a skip needs no run here): 0, or the error. */
static int ack_now(struct pd_runner *r, const json_t *occ, const char *status, const char *run_id,
                   const char *reason, struct pd_err *err)
{
    char path[200];
    json_t *out = NULL;
    long code = 0;
    int rc;
    path_of(path, sizeof(path), r, "schedules", str(occ, "schedule_id"), "ack");
    rc = pd_cloud_call(r->home, "POST", path,
                       json_pack("{s:s, s:s, s:s*, s:s*}", "occurrence_id", str(occ, "id"),
                                 "status", status, "run_id", run_id, "reason", reason),
                       &out, &code, err);
    json_decref(out);
    return rc;
}

/* Skip occ for reason: the server hears it now, the run ledger through the outbox. */
static void skip(struct pd_runner *r, struct job *j, const char *reason)
{
    struct pd_err err = PD_ERR_INIT;
    duckdb_connection conn;
    int rc = ack_now(r, j->occ, "skipped", NULL, reason, &err);
    if (rc && transient(rc))
        return; /* asked again at the next poll */
    mark_handled(r, str(j->occ, "id"));
    pthread_mutex_lock(&r->lock);
    r->skipped++;
    pthread_mutex_unlock(&r->lock);
    pd_log(PD_LOG_INFO, "scheduled occurrence skipped", "{s:s, s:s, s:s}", "occurrence_id",
           str(j->occ, "id"), "schedule_id", str(j->occ, "schedule_id"), "reason", reason);
    if (rc || !j->project[0])
        return;
    if (begin(r, &conn, &err) == 0) {
        rc = record_start(r, conn, j, "skipped", &err);
        if (rc == 0)
            rc = queue_state(r, conn, j->run_id, "skipped", NULL, reason, &err);
        if (end(r, conn, rc, &err) != 0)
            pd_log(PD_LOG_ERROR, "skipped run not recorded", "{s:s}", "error", err.msg);
    }
}

/* Try to claim occ and hand it to the worker: 1 when handed over. */
static int claim(struct pd_runner *r, const json_t *occ)
{
    struct job *j = xcalloc(1, sizeof(*j));
    struct pd_err err = PD_ERR_INIT;
    duckdb_connection conn;
    json_t *connectors = json_array();
    int version = (int)json_integer_value(json_object_get(occ, "pipeline_version")), rc;
    char reason[1200];
    j->occ = json_incref((json_t *)occ);
    pd_uuid7(j->run_id);
    if ((rc = pd_sync_checkout(r->home, str(occ, "pipeline_id"), version, j->project, &j->dir,
                               &err)) != 0) {
        json_decref(connectors);
        if (transient(rc)) {
            job_free(j);
            return 0;
        }
        j->project[0] = '\0';
        snprintf(reason, sizeof(reason), "pipeline version %d cannot be fetched: %s", version,
                 err.msg);
        skip(r, j, reason);
        job_free(j);
        return 0;
    }
    rc = pd_sync_sources_reachable(r->o.wh, r->o.cfg, j->project, j->dir, connectors, &err);
    j->environment = environment(connectors);
    if (rc) {
        snprintf(reason, sizeof(reason), "a source is unreachable: %s", err.msg);
        skip(r, j, reason);
        job_free(j);
        return 0;
    }
    pd_err_clear(&err);
    if ((rc = ack_now(r, occ, "started", j->run_id, NULL, &err)) != 0) {
        if (!transient(rc)) { /* another agent has it, or it ended */
            mark_handled(r, str(occ, "id"));
            pd_log(PD_LOG_INFO, "scheduled occurrence not claimed", "{s:s, s:s}",
                   "occurrence_id", str(occ, "id"), "reason", err.msg);
        }
        job_free(j);
        return 0;
    }
    mark_handled(r, str(occ, "id"));
    if (begin(r, &conn, &err) == 0)
        end(r, conn, record_start(r, conn, j, "running", &err), &err);
    if (err.code) /* the claim stands; the run is reported when it ends */
        pd_log(PD_LOG_ERROR, "scheduled run start not recorded", "{s:s}", "error", err.msg);
    pthread_mutex_lock(&r->lock);
    r->job = j;
    pthread_cond_signal(&r->work);
    pthread_mutex_unlock(&r->lock);
    return 1;
}

/* ---- polling --------------------------------------------------------------------------- */

static void poll_once(struct pd_runner *r)
{
    struct pd_err err = PD_ERR_INIT;
    char path[200], etag[128] = "";
    json_t *out = NULL;
    long status = 0;
    int rc;
    path_of(path, sizeof(path), r, "schedules", "due", NULL);
    rc = pd_cloud_get_if(r->home, path, r->etag[0] ? r->etag : NULL, etag, &out, &status, &err);
    pthread_mutex_lock(&r->lock);
    r->last_poll_ms = pd_now_ms();
    r->polls++;
    if (rc) {
        if (!r->offline_since_ms)
            r->offline_since_ms = r->last_poll_ms;
        snprintf(r->last_error, sizeof(r->last_error), "%.500s", err.msg);
    } else {
        if (r->offline_since_ms) {
            char at[40];
            pd_time_iso(r->offline_since_ms, at, sizeof(at));
            pthread_mutex_unlock(&r->lock);
            notice(r, "Pluto Cloud answers again (unreachable since %s)", at);
            pthread_mutex_lock(&r->lock);
        }
        r->offline_since_ms = 0;
        r->last_error[0] = '\0';
        if (status == 200 && json_is_array(json_object_get(out, "occurrences"))) {
            json_decref(r->due);
            r->due = json_incref(json_object_get(out, "occurrences"));
            snprintf(r->etag, sizeof(r->etag), "%s", etag);
        }
    }
    pthread_mutex_unlock(&r->lock);
    if (rc)
        pd_log(PD_LOG_WARN, "schedule poll failed", "{s:s}", "error", err.msg);
    json_decref(out);
}

/* A server time ("2026-12-04T18:32:20.123456Z") in ms, its fraction dropped; -1 when unreadable. */
static int64_t server_ms(const char *t)
{
    char whole[32];
    int64_t ms;
    size_t n = t ? strcspn(t, ".Z+") : 0;
    if (n == 0 || n > 20)
        return -1;
    snprintf(whole, sizeof(whole), "%.*sZ", (int)n, t);
    return pd_time_parse(whole, 0, &ms) == 0 ? ms : -1;
}

/*
 * 1 when occ, waiting for the schedule's previous run, is to be skipped now: its
 * grace period is nearly over. Counted on this machine's clock from when a poll
 * first listed it, so a clock minutes off the server's changes nothing.
 */
static int grace_over(struct pd_runner *r, const json_t *occ)
{
    int64_t grace = server_ms(str(occ, "grace_until")) - server_ms(str(occ, "due_at"));
    int64_t now = pd_now_ms(), seen;
    json_t *first;
    pthread_mutex_lock(&r->lock);
    if ((first = json_object_get(r->first_seen, str(occ, "id"))) == NULL)
        json_object_set_new(r->first_seen, str(occ, "id"), first = json_integer(now));
    seen = json_integer_value(first);
    pthread_mutex_unlock(&r->lock);
    return now - seen >= grace - (int64_t)(2 * r->o.poll_s * 1000) - 1000;
}

/* Claim what is due, or skip what cannot run now. */
static void handle_due(struct pd_runner *r)
{
    json_t *due, *occ;
    size_t i;
    pthread_mutex_lock(&r->lock);
    due = json_incref(r->due);
    pthread_mutex_unlock(&r->lock);
    json_array_foreach(due, i, occ) {
        const char *id = str(occ, "id");
        int busy, same = 0, handled;
        if (r->stopping)
            break;
        pthread_mutex_lock(&r->lock);
        handled = json_object_get(r->handled, id) != NULL;
        busy = r->job || r->running;
        if (busy) {
            const struct job *b = r->running ? r->running : r->job;
            same = strcmp(str(b->occ, "schedule_id"), str(occ, "schedule_id")) == 0;
        }
        pthread_mutex_unlock(&r->lock);
        if (handled)
            continue;
        if (busy) {
            /* A new occurrence of the schedule that runs now waits while its grace period
               lasts, then is skipped; missed ones and those someone asked for (run now)
               wait their turn. */
            if (same && !json_is_true(json_object_get(occ, "catch_up")) &&
                !json_is_true(json_object_get(occ, "manual")) && grace_over(r, occ)) {
                struct job j = {.occ = occ};
                skip(r, &j, "the previous run still runs");
            }
            continue;
        }
        if (claim(r, occ) && json_is_true(json_object_get(occ, "catch_up"))) {
            pthread_mutex_lock(&r->lock);
            r->caught_up++;
            pthread_mutex_unlock(&r->lock);
            notice(r, "catching up an occurrence of schedule %s due at %s, missed while the app "
                      "was off",
                   str(occ, "schedule_id"), str(occ, "due_at"));
        }
    }
    json_decref(due);
}

static void *poller_main(void *arg)
{
    struct pd_runner *r = arg;
    pd_log(PD_LOG_INFO, "schedule runner started", "{s:s, s:f}", "workspace_id", r->ws,
           "poll_s", r->o.poll_s);
    while (!r->stopping) {
        struct timespec until;
        double wait = r->o.poll_s + r->o.poll_s * randombytes_uniform(1001) / 1000.0;
        poll_once(r);
        handle_due(r);
        until = pd_abstime_in_ms((long)(wait * 1000));
        pthread_mutex_lock(&r->lock);
        if (!r->stopping)
            pthread_cond_timedwait(&r->wake, &r->lock, &until);
        pthread_mutex_unlock(&r->lock);
    }
    return NULL;
}

/* ---- running --------------------------------------------------------------------------- */

struct lines {
    struct pd_buf text;
    size_t n;
    json_t *chunks; /* strings of at most CHUNK_LINES lines */
};

static void flush_chunk(struct lines *l)
{
    if (l->n == 0)
        return;
    json_array_append_new(l->chunks, json_stringn(l->text.ptr, l->text.len));
    pd_buf_reset(&l->text);
    l->n = 0;
}

static void collect_line(void *arg, const char *line)
{
    struct lines *l = arg;
    pd_buf_addf(&l->text, "%s\n", line);
    if (++l->n >= CHUNK_LINES || l->text.len >= CHUNK_BYTES)
        flush_chunk(l);
}

/* Queue the upload of file as an artifact of the run (declared, sent, checked by the sender). */
static int queue_artifact(struct pd_runner *r, duckdb_connection conn, const struct job *j,
                          const char *name, const char *kind, const char *type, const char *file,
                          struct pd_err *err)
{
    char path[200];
    json_t *decl = json_pack("{s:s, s:s, s:s}", "name", name, "kind", kind, "content_type", type);
    int rc;
    path_of(path, sizeof(path), r, "runs", j->run_id, "artifacts");
    rc = pd_outbox_put_file(conn, j->run_id, path, decl, file, err);
    json_decref(decl);
    return rc;
}

static int record_end(struct pd_runner *r, const struct job *j, const struct pd_run_outcome *o,
                      const char *state, const char *report, const json_t *snapshots,
                      json_t *chunks, struct pd_err *err)
{
    duckdb_connection conn;
    char path[200];
    const char *cls = o->error_class[0] ? o->error_class : NULL;
    const char *msg = o->error_message[0] ? o->error_message : NULL;
    const char *vals[] = {j->run_id, state, cls, msg, report};
    json_t *c;
    size_t i;
    int rc;
    if (begin(r, &conn, err) != 0)
        return err->code;
    rc = pd_exec_params(conn,
                        "UPDATE _pluto.cloud_runs SET state = $2, error_class = $3, "
                        "error_message = $4, report = $5, finished_at = now() WHERE run_id = $1",
                        vals, 5, NULL, err);
    json_array_foreach(chunks, i, c) {
        json_t *body;
        if (rc)
            break;
        body = json_pack("{s:I, s:O}", "seq", (json_int_t)(i + 1), "lines", c);
        path_of(path, sizeof(path), r, "runs", j->run_id, "logs");
        rc = pd_outbox_put(conn, j->run_id, "POST", path, body, err);
        json_decref(body);
    }
    if (rc == 0)
        rc = queue_state(r, conn, j->run_id, state, strcmp(state, "failed") == 0 ? cls : NULL, msg,
                         err);
    if (rc == 0 && report) {
        static const struct {
            const char *name, *type;
        } files[] = {{"report.html", "text/html"}, {"metadata.json", "application/json"}};
        for (size_t k = 0; k < 2 && rc == 0; k++) {
            char *file = xasprintf("%s/%s", report, files[k].name);
            rc = queue_artifact(r, conn, j, files[k].name, "report", files[k].type, file, err);
            free(file);
        }
    }
    json_array_foreach(snapshots, i, c) {
        char name[80];
        if (rc || !json_object_get(c, "path"))
            continue;
        snprintf(name, sizeof(name), "%s.parquet", str(c, "analysis"));
        rc = queue_artifact(r, conn, j, name, "snapshot", "application/vnd.apache.parquet",
                            str(c, "path"), err);
    }
    if (rc == 0)
        rc = strcmp(state, "cancelled") == 0
                 ? queue_ack(r, conn, j, "skipped", "the app stopped during the run", err)
                 : queue_ack(r, conn, j, "finished", NULL, err);
    return end(r, conn, rc, err);
}

/*
 * The Parquet snapshots the schedule asks for (its snapshot list; none by default), of a
 * run that succeeded, next to its report: [{analysis, path, rows} or {analysis, error}].
 */
static json_t *take_snapshots(struct pd_runner *r, const struct job *j, const char *state)
{
    const json_t *names = json_object_get(j->occ, "snapshot");
    struct pd_err err = PD_ERR_INIT;
    json_t *files = NULL;
    char *dir;
    if (json_array_size(names) == 0 || strcmp(state, "success") != 0)
        return json_array();
    dir = pd_report_dir(r->home, j->run_id);
    if (pd_mkdir_p(dir, 0700, &err) != 0 ||
        pd_sync_snapshot(r->o.wh, j->project, j->dir, names, dir, &r->cancel, &files, &err) != 0)
        pd_log(PD_LOG_WARN, "snapshots not written", "{s:s, s:s}", "run_id", j->run_id, "error",
               err.msg);
    free(dir);
    return files ? files : json_array();
}

static void run_job(struct pd_runner *r, struct job *j)
{
    struct pd_run_outcome o;
    struct pd_err err = PD_ERR_INIT;
    struct lines l = {PD_BUF_INIT, 0, json_array()};
    json_t *context = json_pack("{s:s, s:s, s:s}", "run_id", j->run_id, "project_id", j->project,
                                "pipeline_id", str(j->occ, "pipeline_id"));
    struct pd_run_info info = {
        .run_id = j->run_id, .project = j->project, .pipeline_id = str(j->occ, "pipeline_id"),
        .pipeline_version = (int)json_integer_value(json_object_get(j->occ, "pipeline_version")),
        .trigger = "schedule", .schedule_id = str(j->occ, "schedule_id"),
        .occurrence_id = str(j->occ, "id"),
        .catch_up = json_is_true(json_object_get(j->occ, "catch_up")),
        .environment = j->environment};
    char *params = json_dumps(json_object_get(j->occ, "params"), JSON_COMPACT), *report = NULL;
    const char *state;
    json_t *boards = json_array(), *snapshots;
    duckdb_connection conn;
    int rc;

    pd_log_set_context(context);
    pd_log_capture(collect_line, &l);
    pd_log(PD_LOG_INFO, "scheduled run started", "{s:s, s:s, s:i, s:b}", "schedule_id",
           info.schedule_id, "occurrence_id", info.occurrence_id, "pipeline_version",
           info.pipeline_version, "catch_up", info.catch_up);
    rc = pd_sync_execute(r->o.wh, j->project, j->dir, j->run_id, params, &r->cancel, &o, &err);
    state = rc == PD_ECANCELED ? "cancelled" : o.error_class[0] ? "failed" : "success";
    snapshots = take_snapshots(r, j, state); /* logged with the run's lines */
    pd_log(strcmp(state, "success") ? PD_LOG_WARN : PD_LOG_INFO, "scheduled run finished",
           "{s:s, s:i, s:s?, s:s?}", "state", state, "steps", (int)json_array_size(o.steps),
           "error_class", o.error_class[0] ? o.error_class : NULL, "error",
           o.error_message[0] ? o.error_message : NULL);
    pd_log_capture(NULL, NULL);
    pd_log_set_context(NULL);
    flush_chunk(&l);
    if (pd_warehouse_acquire(r->o.wh, &conn, &err) == 0) {
        json_decref(boards);
        boards = pd_report_boards(conn, j->project, o.steps);
        pd_warehouse_release(r->o.wh, conn, 1);
    }
    pd_err_clear(&err);
    if (pd_report_write(r->home, &info, &o, boards, &report, &err) != 0) {
        pd_log(PD_LOG_ERROR, "run report not written", "{s:s, s:s}", "run_id", j->run_id, "error",
               err.msg);
        pd_err_clear(&err);
    }
    if (record_end(r, j, &o, state, report, snapshots, l.chunks, &err) != 0)
        pd_log(PD_LOG_ERROR, "scheduled run end not recorded", "{s:s, s:s}", "run_id", j->run_id,
               "error", err.msg);
    pthread_mutex_lock(&r->lock);
    r->runs++;
    pthread_mutex_unlock(&r->lock);
    json_decref(boards);
    json_decref(snapshots);
    json_decref(context);
    json_decref(l.chunks);
    pd_buf_release(&l.text);
    pd_run_outcome_clear(&o);
    free(report);
    free(params);
}

static void *worker_main(void *arg)
{
    struct pd_runner *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->stopping && r->job == NULL)
            pthread_cond_wait(&r->work, &r->lock);
        if (r->job == NULL) /* stopping with nothing claimed */
            break;
        r->running = r->job;
        r->job = NULL;
        pthread_mutex_unlock(&r->lock);
        run_job(r, r->running);
        pthread_mutex_lock(&r->lock);
        job_free(r->running);
        r->running = NULL;
        pthread_cond_signal(&r->wake); /* free again: claim what waits */
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* ---- starting, stopping, status ---------------------------------------------------------- */

struct pd_runner *pd_runner_start(const struct pd_runner_opts *o, struct pd_err *err)
{
    struct pd_cloud_session s;
    struct pd_runner *r;
    if (pd_cloud_load(o->home, &s, err) != 0)
        return NULL;
    if (!s.workspace_id[0]) {
        pd_fail(err, PD_EUSAGE,
                "no workspace in use: pluto-duck cloud workspace use NAME, then start again");
        return NULL;
    }
    r = xcalloc(1, sizeof(*r));
    r->o = *o;
    if (r->o.poll_s <= 0)
        r->o.poll_s = 30;
    r->home = xstrdup(o->home);
    snprintf(r->ws, sizeof(r->ws), "%s", s.workspace_id);
    r->handled = json_object();
    r->first_seen = json_object();
    r->notices = json_array();
    r->due = json_array();
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    pthread_cond_init(&r->work, NULL);
    if (pthread_create(&r->worker, NULL, worker_main, r) != 0) {
        pd_fail(err, PD_EINTERNAL, "the schedule runner did not start");
        free(r->home);
        free(r);
        return NULL;
    }
    if (pthread_create(&r->poller, NULL, poller_main, r) != 0) {
        pd_fail(err, PD_EINTERNAL, "the schedule runner did not start");
        pthread_mutex_lock(&r->lock);
        r->stopping = 1;
        pthread_cond_broadcast(&r->work);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->worker, NULL);
        free(r->home);
        free(r);
        return NULL;
    }
    return r;
}

void pd_runner_stop(struct pd_runner *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = 1;
    r->cancel = 1;
    pthread_cond_broadcast(&r->wake);
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->poller, NULL);
    pthread_join(r->worker, NULL);
    job_free(r->job);
    json_decref(r->due);
    json_decref(r->handled);
    json_decref(r->first_seen);
    json_decref(r->notices);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    pthread_cond_destroy(&r->work);
    free(r->home);
    free(r);
}

json_t *pd_runner_status(struct pd_runner *r)
{
    char at[40];
    json_t *st;
    if (r == NULL)
        return json_pack("{s:b}", "polling", 0);
    pthread_mutex_lock(&r->lock);
    st = json_pack("{s:b, s:s, s:f, s:i, s:i, s:i, s:i, s:O}", "polling", 1, "workspace_id", r->ws,
                   "poll_s", r->o.poll_s, "polls", r->polls, "runs", r->runs, "skipped",
                   r->skipped, "caught_up", r->caught_up, "notices", r->notices);
    if (r->last_poll_ms)
        json_object_set_new(st, "last_poll_at",
                            json_string(pd_time_iso(r->last_poll_ms, at, sizeof(at))));
    if (r->offline_since_ms)
        json_object_set_new(st, "offline_since",
                            json_string(pd_time_iso(r->offline_since_ms, at, sizeof(at))));
    if (r->last_error[0])
        json_object_set_new(st, "last_error", json_string(r->last_error));
    if (r->running)
        json_object_set_new(st, "running",
                            json_pack("{s:s, s:s, s:s}", "run_id", r->running->run_id,
                                      "schedule_id", str(r->running->occ, "schedule_id"),
                                      "project", r->running->project));
    pthread_mutex_unlock(&r->lock);
    return st;
}
