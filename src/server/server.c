/*
 * server.c - the local API server (see server.h): the HTTP layer's daemon
 * serving this API's routes, with the job queue, the settings changed while
 * it runs, and the state its handlers share (context.h).
 */
#include "server/server.h"
#include "server/context.h"
#include "server/jobs.h"

#include "http/server.h"

#include "base/alloc.h"
#include "base/path.h"
#include "base/config.h"
#include "base/err.h"
#include "base/jexact.h"
#include "base/log.h"
#include "base/strv.h"
#include "sync/cloud.h"
#include "sync/outbox.h"
#include "sync/runner.h"
#include "warehouse/encode.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct srv {
    struct srv_opts o;
    struct http_server *http;
    struct srv_jobs *jobs;
    pthread_mutex_t mu;
    struct pd_strv set_keys, set_values; /* settings changed while running (srv_setting_put) */
    struct pd_outbox_sender *sender;     /* delivers what Pluto Cloud is owed */
    struct pd_runner *runner;            /* runs the workspace's schedules, or NULL (under mu) */
    pthread_mutex_t login_mu;            /* a sign-in started from the web UI: */
    struct srv_login login;
};

/* ---- small accessors ---------------------------------------------------- */

struct pd_warehouse *srv_warehouse(struct srv *s) { return s->o.wh; }
struct pd_sources *srv_sources(struct srv *s) { return s->o.sources; }
struct pd_history *srv_history(struct srv *s) { return s->o.history; }
const struct pd_config *srv_config(struct srv *s) { return s->o.cfg; }
/* The web UI shipped with this binary: next to it when installed or copied, else the build's. */
static char *shipped_web;
static void find_shipped_web(void)
{
    shipped_web = pd_path_shipped("pluto-duck/web", "index.html", PD_WEB_DIR);
}

const char *srv_web_dir(struct srv *s)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (s->o.web_dir)
        return s->o.web_dir;
    pthread_once(&once, find_shipped_web);
    return shipped_web;
}
struct srv_jobs *srv_jobs(struct srv *s) { return s->jobs; }
srv_cli_fn srv_cli(struct srv *s) { return s->o.cli; }
struct http_server *srv_http(struct srv *s) { return s->http; }
json_t *srv_runner_status(struct srv *s)
{
    json_t *st;
    pthread_mutex_lock(&s->mu);
    st = pd_runner_status(s->runner);
    pthread_mutex_unlock(&s->mu);
    return st;
}

struct srv_login *srv_login_lock(struct srv *s)
{
    pthread_mutex_lock(&s->login_mu);
    return &s->login;
}

void srv_login_unlock(struct srv *s) { pthread_mutex_unlock(&s->login_mu); }
int srv_port(const struct srv *s) { return http_server_port(s->http); }

char *srv_setting(struct srv *s, const char *key)
{
    char *v = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->set_keys.n && v == NULL; i++)
        if (strcmp(s->set_keys.v[i], key) == 0)
            v = xstrdup(s->set_values.v[i]);
    pthread_mutex_unlock(&s->mu);
    if (v == NULL && pd_config_get(s->o.cfg, key))
        v = xstrdup(pd_config_get(s->o.cfg, key));
    return v;
}

void srv_setting_put(struct srv *s, const char *key, const char *value)
{
    size_t i;
    pthread_mutex_lock(&s->mu);
    for (i = 0; i < s->set_keys.n; i++)
        if (strcmp(s->set_keys.v[i], key) == 0)
            break;
    if (i == s->set_keys.n) {
        pd_strv_push(&s->set_keys, key);
        pd_strv_push(&s->set_values, value);
    } else {
        free(s->set_values.v[i]);
        s->set_values.v[i] = xstrdup(value);
    }
    pthread_mutex_unlock(&s->mu);
}

/* ---- rows as answers ------------------------------------------------------ */

/* The rows a service writes as JSON text (malloc'd, *len bytes), or NULL with err. */
static char *rows_text(srv_rows_fn fn, void *arg, size_t *len, struct pd_err *err)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    struct pd_sink *sink = pd_sink_new(PD_FORMAT_JSON, f, NULL);
    int rc = fn(sink, arg, err);
    pd_sink_free(sink);
    fclose(f);
    if (rc) {
        free(text);
        return NULL;
    }
    return text;
}

json_t *srv_rows_json(srv_rows_fn fn, void *arg, struct pd_err *err)
{
    size_t len = 0;
    char *text = rows_text(fn, arg, &len, err);
    json_t *rows = NULL;
    if (text)
        rows = len ? pd_json_loadb_exact(text, len, 0, NULL) : json_array();
    if (text && rows == NULL)
        pd_fail(err, PD_EINTERNAL, "a listing is not valid JSON");
    free(text);
    return rows;
}

void srv_reply_rows(struct http_req *r, srv_rows_fn fn, void *arg, unsigned one_status)
{
    struct pd_err err = PD_ERR_INIT;
    size_t len = 0;
    char *text;
    json_t *rows, *first;
    if (!one_status) {
        if ((text = rows_text(fn, arg, &len, &err)) == NULL)
            http_reply_err(r, &err);
        else
            http_reply_bytes(r, 200, "application/json", len ? text : "[]\n", len ? len : 3);
        free(text);
        return;
    }
    if ((rows = srv_rows_json(fn, arg, &err)) == NULL) {
        http_reply_err(r, &err);
        return;
    }
    if ((first = json_array_get(rows, 0)) != NULL)
        http_reply_json(r, one_status, json_incref(first));
    else
        http_reply_error(r, PD_ENOTFOUND, "not found");
    json_decref(rows);
}


/* ---- start and stop ----------------------------------------------------- */

/* Take the runner out (under the lock), to stop or replace it outside the lock. */
static struct pd_runner *take_runner(struct srv *s)
{
    struct pd_runner *r;
    pthread_mutex_lock(&s->mu);
    r = s->runner;
    s->runner = NULL;
    pthread_mutex_unlock(&s->mu);
    return r;
}

/*
 * Signed in to Pluto Cloud: deliver the outbox, and run the workspace's
 * schedules when asked to. At start (starting: 1) an agent that cannot run them
 * fails; later (a sign-in, a workspace chosen, a sign-out) a runner for another
 * workspace is replaced, and one with nobody signed in stopped.
 */
static int start_cloud(struct srv *s, int starting, struct pd_err *err)
{
    const char *home = pd_config_home(s->o.cfg);
    struct pd_cloud_session cs;
    struct pd_err e = PD_ERR_INIT;
    struct pd_runner_opts ro = {.wh = s->o.wh, .cfg = s->o.cfg, .home = home,
                                .poll_s = s->o.poll_s};
    struct pd_runner *runner;
    pd_runner_stop(take_runner(s)); /* a run under way is cancelled and its end queued */
    if (pd_cloud_load(home, &cs, &e) != 0) {
        if (starting && s->o.run_schedules == 2)
            return pd_fail(err, PD_EUSAGE, "%s, then start the agent again", e.msg);
        return 0;
    }
    pthread_mutex_lock(&s->mu);
    if (s->sender == NULL)
        s->sender = pd_outbox_sender_start(s->o.wh, home);
    ro.sender = s->sender;
    pthread_mutex_unlock(&s->mu);
    if (s->o.run_schedules == 0)
        return 0;
    if ((runner = pd_runner_start(&ro, &e)) == NULL) {
        if (starting && s->o.run_schedules == 2)
            return pd_fail(err, e.code, "%s", e.msg);
        pd_log(PD_LOG_WARN, "schedules are not run", "{s:s}", "reason", e.msg);
    }
    pthread_mutex_lock(&s->mu);
    s->runner = runner;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void srv_cloud_changed(struct srv *s)
{
    struct pd_err ignored = PD_ERR_INIT;
    start_cloud(s, 0, &ignored);
}

int srv_start(struct srv **out, const struct srv_opts *o, struct pd_err *err)
{
    struct srv_jobs_opts jo = {.workers = o->job_workers, .max_queued = 256, .keep_s = 3600,
                               .max_kept = 1000, .max_events = 10000};
    struct http_opts ho = {
        .host = o->host, .port = o->port, .api = &srv_api, .token = o->token,
        .cors_origins = o->cors_origins, .allowed_hosts = o->allowed_hosts,
        .max_connections = o->max_connections,
        .max_connections_per_addr = o->max_connections_per_addr, .max_body = o->max_body,
        .threads = o->threads, .handler_threads = 4, .grace_s = o->grace_s,
    };
    struct srv *s = xcalloc(1, sizeof(*s));
    int rc;
    *out = NULL;
    s->o = *o;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->login_mu, NULL);
    ho.app = s;
    if ((rc = srv_jobs_new(&s->jobs, o->wh, &jo, err)) != 0 ||
        (rc = start_cloud(s, 1, err)) != 0 ||
        (rc = http_server_start(&s->http, &ho, err)) != 0) {
        srv_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

void srv_stop(struct srv *s)
{
    if (s == NULL)
        return;
    http_server_quiesce(s->http);
    /* Cancel the jobs: their last events wake the streams and waits. */
    if (s->jobs)
        srv_jobs_stop(s->jobs);
    http_server_stop(s->http);
    pd_runner_stop(take_runner(s)); /* a run under way is cancelled and its end queued */
    pd_outbox_sender_stop(s->sender);
    srv_jobs_free(s->jobs);
    pd_strv_clear(&s->set_keys);
    pd_strv_clear(&s->set_values);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->login_mu);
    free(s);
}
