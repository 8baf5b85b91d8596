/*
 * stream.h - answering with a job: its event stream (SSE), or its outcome
 * once it ends (?wait), or a pipe a producer thread writes a result into.
 */
#ifndef PD_SERVER_STREAM_H
#define PD_SERVER_STREAM_H

#include <jansson.h>
#include <stdio.h>

#include "server/jobs.h"

struct srv_job;
struct http_req;

/*
 * Stream the job's events as Server-Sent Events (text/event-stream): every
 * event after Last-Event-ID (or ?after=N; from the start without either), then
 * new ones as they come; the stream ends after the job's final event. The
 * connection is suspended while there is nothing to send, so an idle stream
 * holds no thread, and only as much is buffered as the client takes.
 */
void srv_reply_events(struct http_req *r, struct srv_job *job);

/*
 * Answer for a job just submitted: 202 {job_id, status, events_url} at once, or
 * with wait_s > 0 the job's document (srv_job_json) once it ends, or 202 when
 * wait_s passes first. render (may be NULL) adds the kind's own fields to
 * either answer.
 */
typedef void (*srv_job_render)(struct srv_job *job, json_t *doc);
void srv_reply_job(struct http_req *r, struct srv_job *job, const char *events_url,
                   double wait_s, srv_job_render render);

/*
 * Submit work as a job of kind (see srv_job_submit) and answer for it with
 * srv_reply_job, honouring ?wait=SECONDS. Events are at events_base/ID/events
 * (NULL: /api/v1/jobs).
 */
void srv_submit(struct http_req *r, const char *kind, json_t *args, srv_job_fn fn, void *arg,
                void (*arg_free)(void *), const char *events_base);
void srv_submit_rendered(struct http_req *r, const char *kind, json_t *args, srv_job_fn fn,
                         void *arg, void (*arg_free)(void *), const char *events_base,
                         srv_job_render render);

/*
 * Answer with a body a producer writes on its own thread: produce(out, arg,
 * err) gets a FILE* writing into a pipe MHD reads as the client takes it (so
 * the whole body never sits in memory); the response ends when produce
 * returns. The status line waits for the first bytes: when produce fails
 * (returns non-zero with err) before any, the answer is err's envelope; after
 * some, the body ends without its final chunk, so the client sees an error.
 * If the client goes away, writes fail (EPIPE) and produce should stop.
 */
struct pd_err;
typedef int (*srv_producer)(FILE *out, void *arg, struct pd_err *err);
void srv_reply_pipe(struct http_req *r, const char *ctype, const char *filename,
                    srv_producer produce, void *arg, void (*arg_free)(void *));

/*
 * The job named by the path's {id}, when it is of kind (NULL: any kind), as a
 * new reference; otherwise NULL with a 404 answered naming what (a "query").
 */
struct srv_job *srv_find_job(struct http_req *r, const char *kind, const char *what);

#endif
