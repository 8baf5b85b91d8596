/*
 * http.h - the HTTP layer both servers stand on (pluto-duck's local API and
 * pluto-cloud): a static route table, what a route handler sees (the request,
 * its path parameters and JSON body) and the ways to answer (JSON, the error
 * envelope, a stream, or "later" for work that ends on another thread).
 *
 * The dispatcher (server.c) matches the route, checks the Host, the Origin of
 * a write, auth, size, content type and the JSON body before a handler runs,
 * so handlers only do their job: read arguments, call a service, reply. Every
 * error leaves as {"error":{"code","message","trace_id"}} with the status its
 * code maps to. The layer knows nothing of DuckDB or of either application.
 */
#ifndef PD_HTTP_HTTP_H
#define PD_HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct MHD_Response;
struct http_server;
struct pd_err;
struct pd_strv;

enum http_method { HTTP_GET = 1, HTTP_POST = 2, HTTP_PUT = 4, HTTP_PATCH = 8, HTTP_DELETE = 16 };

enum http_route_flags {
    HTTP_BODY = 1 << 0,   /* takes a JSON object body (415 for another content type) */
    HTTP_PUBLIC = 1 << 1, /* answered without authentication */
    HTTP_STREAM = 1 << 2, /* answers with a stream (SSE or a file) */
    HTTP_JOB = 1 << 3,    /* starts a background job (202, or 200 with ?wait) */
    HTTP_INLINE = 1 << 4, /* quick by design (memory only): runs on the HTTP worker; other
                             routes that are not jobs or streams run in the handler pool */
    HTTP_RAW = 1 << 5,    /* takes its body as bytes of any content type (no JSON parse) */
    HTTP_IDEMPOTENT = 1 << 6, /* a create that answers 200 with what a repeat of it made */
    HTTP_CONDITIONAL = 1 << 7, /* answers 304 to If-None-Match / If-Modified-Since */
    HTTP_APP_FLAG = 1 << 10, /* the first flag an application may define for itself */
};

struct http_req;
typedef void (*http_handler)(struct http_req *r);

/*
 * One route. path uses {name} for a parameter segment. subject/action name the
 * operation in the action catalog; args is the JSON Schema of its arguments
 * (path parameters are added from the path); returns names the schema of a
 * success in the API's components ("Name", or "[Name]" for an array; jobs
 * default to JobStarted) and status its code (a job's is 202, or 200 with
 * ?wait).
 */
struct http_route {
    enum http_method method;
    const char *path;
    http_handler handler;
    unsigned flags;
    const char *subject, *action;
    const char *summary;
    const char *args;    /* JSON Schema (object) of the body or query arguments, or NULL */
    const char *returns; /* the schema of a success answer (see above) */
    unsigned status;     /* of a success: 200, 201 for a create, 202 */
};

/* A route's args as a parsed JSON Schema (an empty object schema when it has none). */
const json_t *http_route_args(const struct http_route *rt);

/*
 * Parse a request body (text[0..len), empty: {}) for rt and check it against
 * the route's args: 0 with *out, else the status to answer (400 malformed,
 * 422 not an object or not fitting) with *code its error code and err why.
 */
unsigned http_body_parse(const struct http_route *rt, const char *text, size_t len, json_t **out,
                         const char **code, struct pd_err *err);

#define HTTP_MAX_PARAMS 4

struct http_req {
    struct http_server *server;
    void *app;                 /* the application's context (http_opts.app) */
    struct MHD_Connection *conn;
    const struct http_route *route;
    enum http_method method;
    const char *url;
    const char *pnames[HTTP_MAX_PARAMS]; /* path parameter names (into route->path), values: */
    char *pvals[HTTP_MAX_PARAMS];
    int nparams;
    json_t *body;        /* the parsed body (HTTP_BODY routes), else NULL */
    const char *raw;     /* the body's bytes (HTTP_RAW routes), raw_len of them */
    size_t raw_len;
    char trace_id[40];
    char client_addr[64]; /* the peer's address, as text */
    void *principal;     /* who is calling, as the application's authenticate hook set it */
    void (*principal_free)(void *principal); /* frees it when the request ends */
    /* The answer. */
    unsigned status;
    struct MHD_Response *resp;
    int answered;
    /* Work that answers later (http_later): run on resume. */
    void (*on_resume)(struct http_req *r);
    /* Handler state kept across suspensions, freed with later_free when the request ends. */
    void *later;
    void (*later_free)(void *later);
};

/* A path parameter by name (always present when the route has it). */
const char *http_param(const struct http_req *r, const char *name);
/* A query-string argument, or NULL. */
const char *http_query(const struct http_req *r, const char *name);
/* A request header, or NULL. */
const char *http_header(const struct http_req *r, const char *name);

/* Answer with a JSON document (stolen) and status. */
void http_reply_json(struct http_req *r, unsigned status, json_t *doc);
/* Answer with bytes (copied) of content type ctype. */
void http_reply_bytes(struct http_req *r, unsigned status, const char *ctype, const void *data,
                     size_t n);
/* Answer with an MHD response (stolen) the handler made itself. */
void http_reply_response(struct http_req *r, unsigned status, struct MHD_Response *resp);
/* Answer with the error envelope: code is a PD_E* value, the message printf-style. */
void http_reply_error(struct http_req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a status that has no PD_E* code (405, 415, 401): code name given. */
void http_reply_status(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Answer 401 with a Bearer challenge in the API's realm, the message printf-style. */
void http_reply_unauthorized(struct http_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Answer with a service error (its code and message). */
void http_reply_err(struct http_req *r, const struct pd_err *err);

/*
 * Suspend the connection until a waker fires or deadline_s (a pd_mono_s time;
 * 0: none) passes; then on_resume runs on an MHD thread and must answer (or
 * suspend again). http_suspend alone is for a stream's content reader, which MHD
 * calls again once resumed.
 */
void http_later(struct http_req *r, void (*on_resume)(struct http_req *r), double deadline_s);
void http_suspend(struct http_req *r, double deadline_s);

/*
 * A waker resumes its request from any thread, and is safe to fire after the
 * request has ended (it then does nothing). http_waker_get takes a reference on
 * the request's waker; http_waker_fire resumes and drops that reference (the
 * shape of a job watcher); http_waker_put only drops it.
 */
struct http_waker;
struct http_waker *http_waker_get(struct http_req *r);
void http_waker_fire(void *waker);
void http_waker_put(struct http_waker *w);

/*
 * Body argument helpers for HTTP_BODY routes. Each returns 0, or answers 422
 * naming the field and returns -1. A missing optional field leaves *out as is.
 */
int http_arg_string(struct http_req *r, const char *field, int required, const char **out);
/* A string that must be an absolute path (422 for a relative one). */
int http_arg_path(struct http_req *r, const char *field, int required, const char **out);
int http_arg_number(struct http_req *r, const char *field, double min, double max, double *out);
int http_arg_bool(struct http_req *r, const char *field, int *out);
int http_arg_object(struct http_req *r, const char *field, json_t **out);
/* An array of strings (a lone string counts as one), appended to *out. */
struct pd_strv;
int http_arg_strings(struct http_req *r, const char *field, struct pd_strv *out);

/* A string list as a JSON array. */
json_t *http_strv_json(const struct pd_strv *v);

/*
 * A built single-page app (static.c): its folder, the page answered when that
 * folder holds no index.html (say how to build it), and the Content-Security-
 * Policy of its HTML.
 */
struct http_app {
    const char *dir;
    const char *not_built;
    const char *csp;
};
/* Answer a GET outside the API with the app's file, or its index.html for a route. */
void http_serve_app(struct http_req *r, const struct http_app *app);

/* Keep the server from finishing its stop while work on another thread uses it. */
void http_hold(struct http_server *s);
void http_release(struct http_server *s);

#endif
