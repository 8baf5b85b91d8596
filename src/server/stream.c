/*
 * stream.c - job event streams, waiting for a job, and piped result bodies
 * (see stream.h).
 */
#include "server/stream.h"
#include "http/libmhd.h"
#include "http/http.h"
#include "server/context.h"
#include "server/jobs.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SSE_CHUNK (64 * 1024)

/* ---- event streams ---------------------------------------------------- */

struct sse {
    struct http_req *r;   /* valid while the response lives (the request outlives it) */
    struct srv_job *job;
    struct http_waker *waker;
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
            http_suspend(e->r, 0);
            srv_job_watch(e->job, e->after, http_waker_fire, http_waker_get(e->r));
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
        http_waker_put(e->waker);
    http_waker_put(e->waker);
    srv_job_put(e->job);
    pd_buf_release(&e->pending);
    free(e);
}

void srv_reply_events(struct http_req *r, struct srv_job *job)
{
    struct sse *e = xcalloc(1, sizeof(*e));
    struct MHD_Response *resp;
    const char *last = http_header(r, "Last-Event-ID");
    const char *after = http_query(r, "after");
    e->r = r;
    e->job = job;
    e->waker = http_waker_get(r);
    pd_buf_init(&e->pending, 0);
    if (last || after)
        e->after = strtoull(last ? last : after, NULL, 10);
    resp = pd_mhd.MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_CHUNK, sse_read, e, sse_free);
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    pd_mhd.MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    http_reply_response(r, 200, resp);
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

static void answer_job(struct http_req *r)
{
    struct job_wait *w = r->later;
    int done = srv_job_finished(w->job);
    json_t *doc;
    if (!done && w->deadline > 0 && pd_mono_s() < w->deadline) {
        /* Woken by an event that was not the end: wait on. */
        http_later(r, answer_job, w->deadline);
        srv_job_watch(w->job, UINT64_MAX - 1, http_waker_fire, http_waker_get(r));
        return;
    }
    doc = srv_job_json(w->job);
    json_object_set_new(doc, "job_id", json_string(srv_job_id(w->job)));
    json_object_set_new(doc, "events_url", json_string(w->events_url));
    if (w->render)
        w->render(w->job, doc);
    http_reply_json(r, done && w->waited ? 200 : 202, doc);
}

void srv_reply_job(struct http_req *r, struct srv_job *job, const char *events_url,
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
    http_later(r, answer_job, w->deadline);
    srv_job_watch(job, UINT64_MAX - 1, http_waker_fire, http_waker_get(r));
}

/* ---- piped bodies ------------------------------------------------------- */

/*
 * The producer writes through a FILE into a pipe; the response reads the pipe
 * without blocking (a connection with nothing to send is suspended for a
 * moment, never holding an HTTP worker). The status line waits for the first
 * bytes: a producer that fails before any gets the error envelope instead of
 * a 200, and one that fails later ends the body without its last chunk, so
 * the client sees a broken transfer, never a short body that looks whole.
 * Three references: the producer's, the request's and the response's.
 */
struct pipe_state {
    pthread_mutex_t mu;
    int refs;
    int rfd, wfd;
    size_t chunk; /* the pipe's capacity: a write this size into an empty pipe never blocks */
    int started;  /* bytes reached the pipe */
    int done;     /* the producer returned */
    int failed;   /* ... with an error (err) */
    int responded; /* a response reads the pipe (it closes rfd when it goes) */
    struct pd_err err;
    struct http_waker *waker; /* wakes the request waiting for the first bytes */
    struct http_waker *rwaker; /* wakes the response waiting for more bytes */
    struct http_req *r;       /* valid while the response lives (the request outlives it) */
    struct http_server *server;
    srv_producer produce;
    void *arg;
    void (*arg_free)(void *);
    char *ctype, *filename;
};

static void pipe_put(void *p)
{
    struct pipe_state *ps = p;
    int last;
    pthread_mutex_lock(&ps->mu);
    last = --ps->refs == 0;
    pthread_mutex_unlock(&ps->mu);
    if (!last)
        return;
    if (ps->rfd >= 0)
        close(ps->rfd);
    http_waker_put(ps->waker);
    http_waker_put(ps->rwaker);
    pthread_mutex_destroy(&ps->mu);
    free(ps->ctype);
    free(ps->filename);
    free(ps);
}

/* Nobody reads the pipe any more: the producer's next write fails (EPIPE) and it stops. */
static void reader_gone(struct pipe_state *ps)
{
    pthread_mutex_lock(&ps->mu);
    if (ps->rfd >= 0)
        close(ps->rfd);
    ps->rfd = -1;
    pthread_mutex_unlock(&ps->mu);
}

static void response_done(void *p)
{
    reader_gone(p);
    pipe_put(p);
}

/* The request ended; unless a response took the pipe over, nobody will read it. */
static void request_done(void *p)
{
    struct pipe_state *ps = p;
    int responded;
    pthread_mutex_lock(&ps->mu);
    responded = ps->responded;
    pthread_mutex_unlock(&ps->mu);
    if (!responded)
        reader_gone(ps);
    pipe_put(ps);
}

/* Fire the wakers once: of the request waiting for the first bytes, of the response for more. */
static void pipe_wake(struct pipe_state *ps)
{
    struct http_waker *w, *rw;
    pthread_mutex_lock(&ps->mu);
    w = ps->waker;
    rw = ps->rwaker;
    ps->waker = ps->rwaker = NULL;
    pthread_mutex_unlock(&ps->mu);
    if (w)
        http_waker_fire(w);
    if (rw)
        http_waker_fire(rw);
}

/*
 * Written a pipe's capacity at a time, waking the response after each: the
 * response waits only on an empty pipe, and a write no bigger than the pipe
 * finishes into an empty one without it, so no write waits on a sleeping reader.
 */
static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
    struct pipe_state *ps = c;
    size_t off = 0;
    pthread_mutex_lock(&ps->mu);
    if (ps->failed) { /* what is still buffered after a failure is never sent */
        pthread_mutex_unlock(&ps->mu);
        return (ssize_t)n;
    }
    pthread_mutex_unlock(&ps->mu);
    while (off < n) {
        size_t want = n - off < ps->chunk ? n - off : ps->chunk;
        ssize_t w = write(ps->wfd, buf + off, want);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1; /* the client went away (EPIPE) */
        off += (size_t)w;
        pthread_mutex_lock(&ps->mu);
        ps->started = 1;
        pthread_mutex_unlock(&ps->mu);
        pipe_wake(ps);
    }
    return (ssize_t)n;
}

static int cookie_close(void *c)
{
    struct pipe_state *ps = c;
    return close(ps->wfd);
}

static void *pipe_main(void *p)
{
    struct pipe_state *ps = p;
    cookie_io_functions_t io = {.write = cookie_write, .close = cookie_close};
    struct pd_err err = PD_ERR_INIT;
    FILE *out = fopencookie(ps, "w", io);
    int rc;
    setvbuf(out, NULL, _IOFBF, 64 * 1024);
    rc = ps->produce(out, ps->arg, &err);
    if (rc) {
        pthread_mutex_lock(&ps->mu);
        ps->failed = 1;
        ps->err = err;
        if (ps->err.code == 0)
            pd_fail(&ps->err, rc, "the result could not be written");
        pthread_mutex_unlock(&ps->mu);
        pd_log(PD_LOG_WARN, "result stream failed", "{s:s, s:b}", "error", ps->err.msg,
               "after_first_bytes", ps->started);
    }
    fclose(out); /* the end of the body (or, after a failure, of nothing more) */
    pthread_mutex_lock(&ps->mu);
    ps->done = 1;
    pthread_mutex_unlock(&ps->mu);
    pipe_wake(ps);
    if (ps->arg_free)
        ps->arg_free(ps->arg);
    http_release(ps->server);
    pipe_put(ps);
    return NULL;
}

static ssize_t pipe_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct pipe_state *ps = cls;
    ssize_t n;
    int failed;
    (void)pos;
    n = read(ps->rfd, buf, max);
    if (n > 0)
        return n;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        /* the producer's next write wakes it; the deadline covers a wake that came between */
        struct http_waker *w, *old;
        http_suspend(ps->r, pd_mono_s() + 0.05);
        w = http_waker_get(ps->r);
        pthread_mutex_lock(&ps->mu);
        old = ps->rwaker;
        ps->rwaker = w;
        pthread_mutex_unlock(&ps->mu);
        http_waker_put(old);
        return 0;
    }
    pthread_mutex_lock(&ps->mu);
    failed = ps->failed || n < 0;
    pthread_mutex_unlock(&ps->mu);
    return failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
}

/* On resume: the first bytes are there, or the producer ended. */
static void pipe_answer(struct http_req *r)
{
    struct pipe_state *ps = r->later;
    struct MHD_Response *resp;
    int started, done, failed;
    pthread_mutex_lock(&ps->mu);
    started = ps->started, done = ps->done, failed = ps->failed;
    pthread_mutex_unlock(&ps->mu);
    if (!started && !done) { /* woken early: wait on */
        struct http_waker *w;
        http_later(r, pipe_answer, 0);
        w = http_waker_get(r);
        pthread_mutex_lock(&ps->mu);
        if (ps->started || ps->done) {
            pthread_mutex_unlock(&ps->mu);
            http_waker_fire(w);
            return;
        }
        http_waker_put(ps->waker);
        ps->waker = w;
        pthread_mutex_unlock(&ps->mu);
        return;
    }
    if (failed && !started) {
        http_reply_err(r, &ps->err);
        return;
    }
    pthread_mutex_lock(&ps->mu);
    ps->refs++; /* the response's */
    ps->responded = 1;
    pthread_mutex_unlock(&ps->mu);
    resp = pd_mhd.MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, pipe_read, ps,
                                             response_done);
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ps->ctype);
    if (ps->filename) {
        char disp[256];
        snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", ps->filename);
        pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
    }
    http_reply_response(r, 200, resp);
}

void srv_reply_pipe(struct http_req *r, const char *ctype, const char *filename,
                    srv_producer produce, void *arg, void (*arg_free)(void *))
{
    struct pipe_state *ps;
    pthread_attr_t attr;
    pthread_t t;
    int fds[2];

    if (pipe2(fds, O_CLOEXEC) != 0) {
        if (arg_free)
            arg_free(arg);
        http_reply_error(r, PD_EIO, "cannot create a pipe: %s", strerror(errno));
        return;
    }
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    ps = xcalloc(1, sizeof(*ps));
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20); /* fewer wakes; the default 64 KB when refused */
    {
        int cap = fcntl(fds[1], F_GETPIPE_SZ);
        ps->chunk = cap > 0 ? (size_t)cap : 4096;
    }
    pthread_mutex_init(&ps->mu, NULL);
    ps->refs = 2; /* the producer's and the request's */
    ps->rfd = fds[0];
    ps->wfd = fds[1];
    ps->r = r;
    ps->server = r->server;
    ps->produce = produce;
    ps->arg = arg;
    ps->arg_free = arg_free;
    ps->ctype = xstrdup(ctype);
    ps->filename = filename ? xstrdup(filename) : NULL;
    r->later = ps;
    r->later_free = request_done;
    /* suspended before the producer can wake it */
    http_later(r, pipe_answer, 0);
    ps->waker = http_waker_get(r);
    http_hold(r->server);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, pipe_main, ps) != 0) {
        pthread_attr_destroy(&attr);
        close(fds[1]);
        if (arg_free)
            arg_free(arg);
        http_release(r->server);
        pthread_mutex_lock(&ps->mu);
        ps->done = ps->failed = 1;
        pd_fail(&ps->err, PD_EINTERNAL, "cannot start a thread for the response");
        pthread_mutex_unlock(&ps->mu);
        pipe_put(ps); /* the producer's */
        pipe_wake(ps);
        return;
    }
    pthread_attr_destroy(&attr);
}

/* ---- submitting ----------------------------------------------------------- */

#define MAX_WAIT_S 3600

void srv_submit(struct http_req *r, const char *kind, json_t *args, srv_job_fn fn, void *arg,
                void (*arg_free)(void *), const char *events_base)
{
    srv_submit_rendered(r, kind, args, fn, arg, arg_free, events_base, NULL);
}

void srv_submit_rendered(struct http_req *r, const char *kind, json_t *args, srv_job_fn fn,
                         void *arg, void (*arg_free)(void *), const char *events_base,
                         srv_job_render render)
{
    const char *wait = http_query(r, "wait");
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
            http_reply_error(r, PD_EINVAL, "?wait must be a number of seconds from 0 to %d",
                            MAX_WAIT_S);
            return;
        }
        if (wait_s == 0)
            wait_s = 0.001; /* ?wait=0: answer with the state right away */
    }
    job = srv_job_submit(srv_jobs(srv_of(r)), kind, args, fn, arg, arg_free, &err);
    if (job == NULL) {
        http_reply_err(r, &err);
        return;
    }
    snprintf(url, sizeof(url), "%s/%s/events", events_base ? events_base : SRV_API "/jobs",
             srv_job_id(job));
    srv_reply_job(r, job, url, wait_s, render);
}

struct srv_job *srv_find_job(struct http_req *r, const char *kind, const char *what)
{
    struct srv_job *job = srv_job_get(srv_jobs(srv_of(r)), http_param(r, "id"));
    if (job && kind && strcmp(srv_job_kind(job), kind) != 0) {
        srv_job_put(job);
        job = NULL;
    }
    if (job == NULL)
        http_reply_error(r, PD_ENOTFOUND, "no %s '%s' (finished ones are kept for an hour)", what,
                        http_param(r, "id"));
    return job;
}
