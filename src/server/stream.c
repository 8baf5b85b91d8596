/*
 * stream.c - job event streams, waiting for a job, and piped result bodies
 * (see stream.h).
 */
#include "server/stream.h"
#include "server/http.h"
#include "server/jobs.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SSE_CHUNK (64 * 1024)

/* ---- event streams ---------------------------------------------------- */

struct sse {
    struct srv_req *r;   /* valid while the response lives (the request outlives it) */
    struct srv_job *job;
    struct srv_waker *waker;
    uint64_t after;
    struct pd_buf pending;
    size_t off;
    int done;
};

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse *e = cls;
    size_t n;
    (void)pos;
    if (e->off == e->pending.len) {
        int done;
        pd_buf_reset(&e->pending);
        e->off = 0;
        e->after = srv_job_read(e->job, e->after, &e->pending, SSE_CHUNK, &done);
        if (e->pending.len == 0) {
            if (done || e->done)
                return MHD_CONTENT_READER_END_OF_STREAM;
            /* Nothing yet: sleep until the job's next event. */
            srv_suspend(e->r, 0);
            srv_job_watch(e->job, e->after, srv_waker_fire, srv_waker_get(e->r));
            return 0;
        }
    }
    n = e->pending.len - e->off;
    if (n > max)
        n = max;
    memcpy(buf, e->pending.ptr + e->off, n);
    e->off += n;
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    struct sse *e = cls;
    /* A watch that never fired holds a reference on the waker. */
    for (int n = srv_job_unwatch(e->job, e->waker); n > 0; n--)
        srv_waker_put(e->waker);
    srv_waker_put(e->waker);
    srv_job_put(e->job);
    pd_buf_release(&e->pending);
    free(e);
}

void srv_reply_events(struct srv_req *r, struct srv_job *job)
{
    struct sse *e = xcalloc(1, sizeof(*e));
    struct MHD_Response *resp;
    const char *last = srv_header(r, "Last-Event-ID");
    const char *after = srv_query(r, "after");
    e->r = r;
    e->job = job;
    e->waker = srv_waker_get(r);
    pd_buf_init(&e->pending, 0);
    if (last || after)
        e->after = strtoull(last ? last : after, NULL, 10);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_CHUNK, sse_read, e, sse_free);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    srv_reply_response(r, 200, resp);
}

/* ---- a job's outcome ---------------------------------------------------- */

struct job_wait {
    struct srv_job *job;
    double deadline;
    int waited; /* ?wait was given: 200 once the job is done, else always 202 */
    srv_job_render render;
    char *events_url;
};

static void job_wait_free(void *arg)
{
    struct job_wait *w = arg;
    srv_job_put(w->job);
    free(w->events_url);
    free(w);
}

static void answer_job(struct srv_req *r)
{
    struct job_wait *w = r->later;
    int done = srv_job_finished(w->job);
    json_t *doc;
    if (!done && w->deadline > 0 && pd_mono_s() < w->deadline) {
        /* Woken by an event that was not the end: wait on. */
        srv_later(r, answer_job, w->deadline);
        srv_job_watch(w->job, UINT64_MAX - 1, srv_waker_fire, srv_waker_get(r));
        return;
    }
    doc = srv_job_json(w->job);
    json_object_set_new(doc, "job_id", json_string(srv_job_id(w->job)));
    json_object_set_new(doc, "events_url", json_string(w->events_url));
    if (w->render)
        w->render(w->job, doc);
    srv_reply_json(r, done && w->waited ? 200 : 202, doc);
}

void srv_reply_job(struct srv_req *r, struct srv_job *job, const char *events_url,
                   double wait_s, srv_job_render render)
{
    struct job_wait *w = xcalloc(1, sizeof(*w));
    w->job = job;
    w->render = render;
    w->events_url = xstrdup(events_url);
    r->later = w;
    r->later_free = job_wait_free;
    w->waited = wait_s > 0;
    if (wait_s <= 0 || srv_job_finished(job)) {
        answer_job(r);
        return;
    }
    w->deadline = pd_mono_s() + wait_s;
    srv_later(r, answer_job, w->deadline);
    srv_job_watch(job, UINT64_MAX - 1, srv_waker_fire, srv_waker_get(r));
}

/* ---- piped bodies ------------------------------------------------------- */

struct pipe_job {
    struct srv *srv;
    FILE *out;
    srv_producer produce;
    void *arg;
    void (*arg_free)(void *);
};

static void *pipe_main(void *p)
{
    struct pipe_job *pj = p;
    pj->produce(pj->out, pj->arg);
    fclose(pj->out); /* the end of the body */
    if (pj->arg_free)
        pj->arg_free(pj->arg);
    srv_release(pj->srv);
    free(pj);
    return NULL;
}

void srv_reply_pipe(struct srv_req *r, const char *ctype, const char *filename,
                    srv_producer produce, void *arg, void (*arg_free)(void *))
{
    struct pipe_job *pj;
    struct MHD_Response *resp;
    pthread_attr_t attr;
    pthread_t t;
    int fds[2];

    if (pipe2(fds, O_CLOEXEC) != 0) {
        if (arg_free)
            arg_free(arg);
        srv_reply_error(r, PD_EIO, "cannot create a pipe: %s", strerror(errno));
        return;
    }
    pj = xcalloc(1, sizeof(*pj));
    pj->srv = r->srv;
    pj->out = fdopen(fds[1], "w");
    pj->produce = produce;
    pj->arg = arg;
    pj->arg_free = arg_free;
    setvbuf(pj->out, NULL, _IOFBF, 64 * 1024);
    srv_hold(r->srv);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, pipe_main, pj) != 0) {
        pthread_attr_destroy(&attr);
        fclose(pj->out);
        close(fds[0]);
        if (arg_free)
            arg_free(arg);
        srv_release(r->srv);
        free(pj);
        srv_reply_error(r, PD_EINTERNAL, "cannot start a thread for the response");
        return;
    }
    pthread_attr_destroy(&attr);
    resp = MHD_create_response_from_pipe(fds[0]);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (filename) {
        char disp[256];
        snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", filename);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
    }
    srv_reply_response(r, 200, resp);
}

/* ---- submitting ----------------------------------------------------------- */

#define MAX_WAIT_S 3600

void srv_submit(struct srv_req *r, const char *kind, json_t *args, srv_job_fn fn, void *arg,
                void (*arg_free)(void *), const char *events_base)
{
    srv_submit_rendered(r, kind, args, fn, arg, arg_free, events_base, NULL);
}

void srv_submit_rendered(struct srv_req *r, const char *kind, json_t *args, srv_job_fn fn,
                         void *arg, void (*arg_free)(void *), const char *events_base,
                         srv_job_render render)
{
    const char *wait = srv_query(r, "wait");
    struct pd_err err = PD_ERR_INIT;
    struct srv_job *job;
    double wait_s = 0;
    char url[160];

    if (wait) {
        char *end;
        wait_s = strtod(wait, &end);
        if (*wait == '\0' || *end || wait_s < 0 || wait_s > MAX_WAIT_S) {
            if (arg_free)
                arg_free(arg);
            srv_reply_error(r, PD_EINVAL, "?wait must be a number of seconds from 0 to %d",
                            MAX_WAIT_S);
            return;
        }
        if (wait_s == 0)
            wait_s = 0.001; /* ?wait=0: answer with the state right away */
    }
    job = srv_job_submit(srv_jobs(r->srv), kind, args, fn, arg, arg_free, &err);
    if (job == NULL) {
        srv_reply_err(r, &err);
        return;
    }
    snprintf(url, sizeof(url), "%s/%s/events", events_base ? events_base : SRV_API "/jobs",
             srv_job_id(job));
    srv_reply_job(r, job, url, wait_s, render);
}

struct srv_job *srv_find_job(struct srv_req *r, const char *kind, const char *what)
{
    struct srv_job *job = srv_job_get(srv_jobs(r->srv), srv_param(r, "id"));
    if (job && kind && strcmp(srv_job_kind(job), kind) != 0) {
        srv_job_put(job);
        job = NULL;
    }
    if (job == NULL)
        srv_reply_error(r, PD_ENOTFOUND, "no %s '%s' (finished ones are kept for an hour)", what,
                        srv_param(r, "id"));
    return job;
}
