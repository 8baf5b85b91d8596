/*
 * http.h - what a route handler sees: the request, its path parameters and
 * JSON body, and the ways to answer (JSON, an error envelope, a stream, or
 * "later" for work that finishes on another thread).
 *
 * The dispatcher (server.c) matches the route, checks auth, size, content type
 * and the JSON body before a handler runs, so handlers only do their job: read
 * arguments, call a service, reply. Every error leaves as
 * {"error":{"code","message","trace_id"}} with the status its code maps to.
 */
#ifndef PD_SERVER_HTTP_H
#define PD_SERVER_HTTP_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "server/server.h"

struct MHD_Connection;
struct MHD_Response;
struct pd_err;
struct srv;
struct srv_req;

enum srv_method { SRV_GET = 1, SRV_POST = 2, SRV_PUT = 4, SRV_PATCH = 8, SRV_DELETE = 16 };

enum srv_route_flags {
    SRV_BODY = 1 << 0,   /* takes a JSON object body (415 for another content type) */
    SRV_PUBLIC = 1 << 1, /* answered without the bearer token */
    SRV_STREAM = 1 << 2, /* answers with a stream (SSE or a result file) */
    SRV_JOB = 1 << 3,    /* starts a background job (202 + events_url) */
    SRV_INLINE = 1 << 4, /* quick by design (memory only): runs on the HTTP worker; other
                            routes that are not jobs or streams run in the handler pool */
    SRV_PROJECT_QUERY = 1 << 5, /* a body route that also reads ?project= (documented) */
};

typedef void (*srv_handler)(struct srv_req *r);

/*
 * One route. path uses {name} for a parameter segment. subject/action name the
 * operation in the action catalog (the agent's tools); args is the JSON Schema
 * of its arguments (path parameters are added from the path); returns names
 * the schema of a success in api_components.json ("Name", or "[Name]" for an
 * array; jobs default to JobStarted) and status its code (a job's is 202, or
 * 200 with ?wait).
 */
struct srv_route {
    enum srv_method method;
    const char *path;
    srv_handler handler;
    unsigned flags;
    const char *subject, *action;
    const char *summary;
    const char *args;    /* JSON Schema (object) of the body or query arguments, or NULL */
    const char *returns; /* the schema of a success answer (see above) */
    unsigned status;     /* of a success: 200, 201 for a create, 202 */
};

extern const struct srv_route srv_routes[];
extern const size_t srv_n_routes;

/* A route's args as a parsed JSON Schema (an empty object schema when it has none). */
const json_t *srv_route_args(const struct srv_route *rt);

/*
 * Parse a request body (text[0..len), empty: {}) for rt and check it against
 * the route's args: 0 with *out, else the status to answer (400 malformed,
 * 422 not an object or not fitting) with *code its error code and err why.
 */
struct pd_err;
unsigned srv_body_parse(const struct srv_route *rt, const char *text, size_t len, json_t **out,
                        const char **code, struct pd_err *err);

#define SRV_MAX_PARAMS 4

struct srv_req {
    struct srv *srv;
    struct MHD_Connection *conn;
    const struct srv_route *route;
    enum srv_method method;
    const char *url;
    const char *pnames[SRV_MAX_PARAMS]; /* path parameter names (into route->path), values: */
    char *pvals[SRV_MAX_PARAMS];
    int nparams;
    json_t *body;        /* the parsed body (SRV_BODY routes), else NULL */
    char trace_id[40];
    /* The answer. */
    unsigned status;
    struct MHD_Response *resp;
    int answered;
    /* Work that answers later (srv_later): run on resume. */
    void (*on_resume)(struct srv_req *r);
    /* Handler state kept across suspensions, freed with later_free when the request ends. */
    void *later;
    void (*later_free)(void *later);
};

/* A path parameter by name (always present when the route has it). */
const char *srv_param(const struct srv_req *r, const char *name);
/* A query-string argument, or NULL. */
const char *srv_query(const struct srv_req *r, const char *name);
/* A request header, or NULL. */
const char *srv_header(const struct srv_req *r, const char *name);

/* Answer with a JSON document (stolen) and status. */
void srv_reply_json(struct srv_req *r, unsigned status, json_t *doc);
/* Answer with bytes (copied) of content type ctype. */
void srv_reply_bytes(struct srv_req *r, unsigned status, const char *ctype, const void *data,
                     size_t n);
/* Answer with an MHD response (stolen) the handler made itself. */
void srv_reply_response(struct srv_req *r, unsigned status, struct MHD_Response *resp);
/* Answer with the error envelope: code is a PD_E* value, the message printf-style. */
void srv_reply_error(struct srv_req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a status that has no PD_E* code (405, 415, 401): code name given. */
void srv_reply_status(struct srv_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/*
 * Answer with the rows a service writes into a sink, as a JSON array of objects
 * (one_status non-zero: the first object alone with that status, 404 when there
 * is none).
 */
struct pd_sink;
typedef int (*srv_rows_fn)(struct pd_sink *sink, void *arg, struct pd_err *err);
void srv_reply_rows(struct srv_req *r, srv_rows_fn fn, void *arg, unsigned one_status);
/* The same rows as a JSON array (new reference), or NULL with err set. */
json_t *srv_rows_json(srv_rows_fn fn, void *arg, struct pd_err *err);
/* Answer with a service error (its code and message). */
void srv_reply_err(struct srv_req *r, const struct pd_err *err);

/*
 * Suspend the connection until a waker fires or deadline_s (a pd_mono_s time;
 * 0: none) passes; then on_resume runs on an MHD thread and must answer (or
 * suspend again). srv_suspend alone is for a stream's content reader, which MHD
 * calls again once resumed.
 */
void srv_later(struct srv_req *r, void (*on_resume)(struct srv_req *r), double deadline_s);
void srv_suspend(struct srv_req *r, double deadline_s);

/*
 * A waker resumes its request from any thread, and is safe to fire after the
 * request has ended (it then does nothing). srv_waker_get takes a reference on
 * the request's waker; srv_waker_fire resumes and drops that reference (the
 * shape of a srv_job_watch callback); srv_waker_put only drops it.
 */
struct srv_waker;
struct srv_waker *srv_waker_get(struct srv_req *r);
void srv_waker_fire(void *waker);
void srv_waker_put(struct srv_waker *w);

/*
 * Body argument helpers for SRV_BODY routes. Each returns 0, or answers 422
 * naming the field and returns -1. A missing optional field leaves *out as is.
 */
int srv_arg_string(struct srv_req *r, const char *field, int required, const char **out);
/* A string that must be an absolute path (422 for a relative one). */
int srv_arg_path(struct srv_req *r, const char *field, int required, const char **out);
int srv_arg_number(struct srv_req *r, const char *field, double min, double max, double *out);
int srv_arg_bool(struct srv_req *r, const char *field, int *out);
int srv_arg_object(struct srv_req *r, const char *field, json_t **out);
/* An array of strings (a lone string counts as one), appended to *out. */
struct pd_strv;
int srv_arg_strings(struct srv_req *r, const char *field, struct pd_strv *out);

/* A string list as a JSON array. */
json_t *srv_strv_json(const struct pd_strv *v);

/* The server state handlers share (server.c). */
struct pd_warehouse *srv_warehouse(struct srv *s);
struct pd_sources *srv_sources(struct srv *s);
struct pd_history *srv_history(struct srv *s);
const struct pd_config *srv_config(struct srv *s);
struct srv_jobs *srv_jobs(struct srv *s);
srv_cli_fn srv_cli(struct srv *s);
const char *srv_web_dir(struct srv *s);

/* The route of the web UI's files: every GET outside /api (h_web.c). */
extern const struct srv_route srv_web_route;

/*
 * A setting's value now (heap, NULL for an unknown key): the one PUT /settings
 * gave while the server runs, else the configuration's. srv_setting_put
 * changes it for this process (the caller saves it to config.yaml).
 */
char *srv_setting(struct srv *s, const char *key);
void srv_setting_put(struct srv *s, const char *key, const char *value);

/* Keep the server from finishing its stop while work on another thread uses it. */
void srv_hold(struct srv *s);
void srv_release(struct srv *s);

/* The URL of a job's event stream ("/api/v1/query/ID/events"). */
#define SRV_API "/api/v1"

#endif
