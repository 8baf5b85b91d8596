/*
 * server.c - the libmicrohttpd daemon and the request dispatcher (see server.h
 * and http.h).
 *
 * MHD calls on_request several times per request: once at the start (route,
 * auth, size and content type are checked there, so a bad request is refused
 * before its body is read), once per piece of body, and once at the end, when
 * the handler runs. A handler that must wait (a query with ?wait, an event
 * stream) suspends the connection; srv_wake resumes it from any thread and MHD
 * calls on_request again, which runs the handler's on_resume.
 */
#include "server/server.h"
#include "server/http.h"
#include "server/jobs.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/strv.h"
#include "base/timeutil.h"
#include "warehouse/encode.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct srv {
    struct srv_opts o;
    struct MHD_Daemon *d;
    struct srv_jobs *jobs;
    int port;
    char *token;
    unsigned char token_hash[crypto_generichash_BYTES];
    pthread_mutex_t mu;
    pthread_cond_t idle;
    int in_flight;       /* requests between their first call and their end */
    int n_waiting;       /* of those, streams and suspended waits (stop does not wait for them) */
    struct req_state *suspended; /* requests waiting in srv_later or srv_suspend */
    pthread_t timer;
    pthread_cond_t timer_cv;
    int timer_stop, timer_started;
    int holds;           /* producer threads still using the server (srv_hold) */
    struct pd_strv set_keys, set_values; /* settings changed while running (srv_setting_put) */
};

/* Per-request state around struct srv_req (which handlers see). */
struct req_state {
    struct srv_req r;
    struct pd_buf body;
    int too_big;
    int suspended;
    int waiting;           /* counted in srv.n_waiting */
    double deadline;       /* resume at this pd_mono_s time (0: only when woken) */
    struct srv_waker *waker;
    double t0;
    struct req_state *next_suspended, **prev_suspended;
};

#define REQ_STATE(req) ((struct req_state *)(void *)(req))

/* ---- small accessors ---------------------------------------------------- */

struct pd_warehouse *srv_warehouse(struct srv *s) { return s->o.wh; }
struct pd_sources *srv_sources(struct srv *s) { return s->o.sources; }
struct pd_history *srv_history(struct srv *s) { return s->o.history; }
const struct pd_config *srv_config(struct srv *s) { return s->o.cfg; }
const char *srv_web_dir(struct srv *s) { return s->o.web_dir ? s->o.web_dir : PD_WEB_DIR; }
struct srv_jobs *srv_jobs(struct srv *s) { return s->jobs; }
srv_cli_fn srv_cli(struct srv *s) { return s->o.cli; }

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
int srv_port(const struct srv *s) { return s->port; }

const char *srv_param(const struct srv_req *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->nparams; i++)
        if (strncmp(r->pnames[i], name, n) == 0 && r->pnames[i][n] == '}')
            return r->pvals[i];
    PD_BUG("srv_param: the route has no such parameter");
}

const char *srv_query(const struct srv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *srv_header(const struct srv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void srv_hold(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    s->holds++;
    pthread_mutex_unlock(&s->mu);
}

void srv_release(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    s->holds--;
    pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
}

/* ---- answers ------------------------------------------------------------ */

void srv_reply_response(struct srv_req *r, unsigned status, struct MHD_Response *resp)
{
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
    r->answered = 1;
}

void srv_reply_bytes(struct srv_req *r, unsigned status, const char *ctype, const void *data,
                     size_t n)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, (void *)data, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    srv_reply_response(r, status, resp);
}

void srv_reply_json(struct srv_req *r, unsigned status, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    struct MHD_Response *resp;
    size_t n = strlen(text);
    json_decref(doc);
    text = xrealloc(text, n + 2);
    text[n++] = '\n';
    resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    srv_reply_response(r, status, resp);
}

static void reply_envelope(struct srv_req *r, unsigned status, const char *code, const char *msg)
{
    pd_log(status >= 500 ? PD_LOG_ERROR : PD_LOG_INFO, "request failed",
           "{s:s, s:s, s:i, s:s, s:s}", "trace_id", r->trace_id, "path", r->url, "status",
           (int)status, "code", code, "error", msg);
    srv_reply_json(r, status,
                   json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "message", msg,
                             "trace_id", r->trace_id));
}

void srv_reply_status(struct srv_req *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[PD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_envelope(r, status, code, msg);
}

void srv_reply_error(struct srv_req *r, int code, const char *fmt, ...)
{
    char msg[PD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_envelope(r, (unsigned)pd_err_http_status(code), pd_err_name(code), msg);
}

void srv_reply_rows(struct srv_req *r, srv_rows_fn fn, void *arg, unsigned one_status)
{
    struct pd_err err = PD_ERR_INIT;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct pd_sink *sink = pd_sink_new(PD_FORMAT_JSON, f, NULL);
    int rc = fn(sink, arg, &err);
    pd_sink_free(sink);
    fclose(f);
    if (rc) {
        srv_reply_err(r, &err);
    } else if (one_status) {
        json_t *rows = json_loadb(text, len, 0, NULL), *first = json_array_get(rows, 0);
        if (first)
            srv_reply_json(r, one_status, json_incref(first));
        else
            srv_reply_error(r, PD_ENOTFOUND, "not found");
        json_decref(rows);
    } else {
        srv_reply_bytes(r, 200, "application/json", len ? text : "[]\n", len ? len : 3);
    }
    free(text);
}

void srv_reply_err(struct srv_req *r, const struct pd_err *err)
{
    int code = err->code ? err->code : PD_EINTERNAL;
    reply_envelope(r, (unsigned)pd_err_http_status(code), pd_err_name(code),
                   err->code ? err->msg : "internal error");
}

json_t *srv_strv_json(const struct pd_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

/* ---- body arguments ----------------------------------------------------- */

static json_t *field(struct srv_req *r, const char *name)
{
    json_t *v = r->body ? json_object_get(r->body, name) : NULL;
    return v && !json_is_null(v) ? v : NULL;
}

int srv_arg_string(struct srv_req *r, const char *name, int required, const char **out)
{
    json_t *v = field(r, name);
    if (v == NULL) {
        if (!required)
            return 0;
        srv_reply_status(r, 422, "invalid_field", "field '%s' is required (a string)", name);
        return -1;
    }
    if (!json_is_string(v)) {
        srv_reply_status(r, 422, "invalid_field", "field '%s' must be a string", name);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int srv_arg_number(struct srv_req *r, const char *name, double min, double max, double *out)
{
    json_t *v = field(r, name);
    if (v == NULL)
        return 0;
    if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max) {
        srv_reply_status(r, 422, "invalid_field", "field '%s' must be a number from %g to %g",
                         name, min, max);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

int srv_arg_bool(struct srv_req *r, const char *name, int *out)
{
    json_t *v = field(r, name);
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v)) {
        srv_reply_status(r, 422, "invalid_field", "field '%s' must be true or false", name);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

int srv_arg_object(struct srv_req *r, const char *name, json_t **out)
{
    json_t *v = field(r, name);
    if (v == NULL)
        return 0;
    if (!json_is_object(v)) {
        srv_reply_status(r, 422, "invalid_field", "field '%s' must be an object", name);
        return -1;
    }
    *out = v;
    return 0;
}

int srv_arg_strings(struct srv_req *r, const char *name, struct pd_strv *out)
{
    json_t *v = field(r, name), *e;
    size_t i;
    if (v == NULL)
        return 0;
    if (json_is_string(v)) {
        pd_strv_push(out, json_string_value(v));
        return 0;
    }
    json_array_foreach(v, i, e)
        if (!json_is_string(e))
            break;
    if (!json_is_array(v) || i < json_array_size(v)) {
        srv_reply_status(r, 422, "invalid_field", "field '%s' must be an array of strings", name);
        return -1;
    }
    json_array_foreach(v, i, e)
        pd_strv_push(out, json_string_value(e));
    return 0;
}

/* ---- suspending --------------------------------------------------------- */

struct srv_waker {
    pthread_mutex_t mu;
    int refs;
    struct srv_req *r; /* NULL once the request ended */
};

void srv_suspend(struct srv_req *r, double deadline_s)
{
    struct req_state *st = REQ_STATE(r);
    struct srv *s = r->srv;
    pthread_mutex_lock(&s->mu);
    if (!st->waiting) {
        st->waiting = 1;
        s->n_waiting++;
    }
    if (!st->suspended) {
        st->suspended = 1;
        st->deadline = deadline_s;
        st->next_suspended = s->suspended;
        if (s->suspended)
            s->suspended->prev_suspended = &st->next_suspended;
        st->prev_suspended = &s->suspended;
        s->suspended = st;
        MHD_suspend_connection(r->conn);
    }
    pthread_mutex_unlock(&s->mu);
}

void srv_later(struct srv_req *r, void (*on_resume)(struct srv_req *r), double deadline_s)
{
    r->on_resume = on_resume;
    srv_suspend(r, deadline_s);
}

/* Take st off the suspended list and resume it (s->mu held). */
static void resume_locked(struct req_state *st)
{
    if (!st->suspended)
        return;
    st->suspended = 0;
    *st->prev_suspended = st->next_suspended;
    if (st->next_suspended)
        st->next_suspended->prev_suspended = st->prev_suspended;
    MHD_resume_connection(st->r.conn);
}

struct srv_waker *srv_waker_get(struct srv_req *r)
{
    struct req_state *st = REQ_STATE(r);
    struct srv_waker *w;
    pthread_mutex_lock(&r->srv->mu);
    if (st->waker == NULL) {
        st->waker = xcalloc(1, sizeof(*st->waker));
        pthread_mutex_init(&st->waker->mu, NULL);
        st->waker->r = r;
        st->waker->refs = 1; /* the request's */
    }
    w = st->waker;
    pthread_mutex_lock(&w->mu);
    w->refs++;
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_unlock(&r->srv->mu);
    return w;
}

void srv_waker_put(struct srv_waker *w)
{
    int last;
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    last = --w->refs == 0;
    pthread_mutex_unlock(&w->mu);
    if (last) {
        pthread_mutex_destroy(&w->mu);
        free(w);
    }
}

void srv_waker_fire(void *arg)
{
    struct srv_waker *w = arg;
    pthread_mutex_lock(&w->mu);
    if (w->r) {
        struct srv *s = w->r->srv;
        pthread_mutex_lock(&s->mu);
        resume_locked(REQ_STATE(w->r));
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&w->mu);
    srv_waker_put(w);
}

/* The request ends: its waker must no longer touch it. */
static void waker_detach(struct srv_waker *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->r = NULL;
    pthread_mutex_unlock(&w->mu);
    srv_waker_put(w);
}

/* Resumes requests whose deadline passed. */
static void *timer_main(void *arg)
{
    struct srv *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->timer_stop) {
        struct timespec ts = pd_abstime_in_ms(50);
        double now;
        pthread_cond_timedwait(&s->timer_cv, &s->mu, &ts);
        now = pd_mono_s();
        for (struct req_state *st = s->suspended, *next; st; st = next) {
            next = st->next_suspended;
            if (st->deadline > 0 && now >= st->deadline)
                resume_locked(st);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- routing ------------------------------------------------------------ */

/* A path parameter: letters, digits, _ . : - ; never "..", at most 128 bytes. */
static int param_ok(const char *v, size_t n)
{
    if (n == 0 || n > 128 || strstr(v, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

/*
 * Does url match pattern? Fills the request's parameters when it does. Returns
 * 1 on a match, 0 when not, -1 when it matches but a parameter is malformed.
 */
static int match(struct srv_req *r, const char *pattern, const char *url, int fill)
{
    const char *p = pattern, *u = url;
    int np = 0, bad = 0;
    while (*p && *u) {
        const char *pe = strchr(p + 1, '/'), *ue = strchr(u + 1, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        if (p[0] != '/' || u[0] != '/')
            return 0;
        if (p[1] == '{') {
            char *val = xstrndup(u + 1, ul - 1);
            if (!param_ok(val, ul - 1))
                bad = 1;
            if (fill && np < SRV_MAX_PARAMS) {
                r->pnames[np] = p + 2;
                r->pvals[np] = val;
            } else {
                free(val);
            }
            np++;
        } else if (pl != ul || strncmp(p, u, pl) != 0) {
            return 0;
        }
        p += pl;
        u += ul;
    }
    if (*p || (*u && strcmp(u, "/") != 0))
        return 0;
    if (fill)
        r->nparams = np < SRV_MAX_PARAMS ? np : SRV_MAX_PARAMS;
    return bad ? -1 : 1;
}

static void free_params(struct srv_req *r)
{
    for (int i = 0; i < r->nparams; i++)
        free(r->pvals[i]);
    r->nparams = 0;
}

static enum srv_method method_of(const char *m)
{
    static const struct {
        const char *name;
        enum srv_method m;
    } methods[] = {{"GET", SRV_GET}, {"HEAD", SRV_GET}, {"POST", SRV_POST}, {"PUT", SRV_PUT},
                   {"PATCH", SRV_PATCH}, {"DELETE", SRV_DELETE}};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(m, methods[i].name) == 0)
            return methods[i].m;
    return 0;
}

static void allow_list(struct pd_buf *b, unsigned methods)
{
    static const char *const names[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (int i = 0; i < 5; i++)
        if (methods & (1u << i))
            pd_buf_addf(b, "%s%s", b->len ? ", " : "", names[i]);
}

/* Find the route for the request; answer 404/405/400 when there is none. */
static int route(struct srv_req *r, const char *method)
{
    unsigned allowed = 0;
    r->method = method_of(method);
    for (size_t i = 0; i < srv_n_routes; i++) {
        int m = match(r, srv_routes[i].path, r->url, 0);
        if (m == 0)
            continue;
        allowed |= srv_routes[i].method;
        if (srv_routes[i].method != r->method)
            continue;
        match(r, srv_routes[i].path, r->url, 1);
        if (m < 0) {
            srv_reply_error(r, PD_EINVAL,
                            "invalid path parameter in '%s': use letters, digits, '_', '.', ':' "
                            "or '-' (no '..')",
                            r->url);
            return -1;
        }
        r->route = &srv_routes[i];
        return 0;
    }
    if (r->method == SRV_GET && strncmp(r->url, "/api/", 5) != 0 && strcmp(r->url, "/api") != 0) {
        r->route = &srv_web_route; /* the web UI's files */
        return 0;
    }
    if (allowed) {
        struct pd_buf allow = PD_BUF_INIT;
        allow_list(&allow, allowed);
        srv_reply_status(r, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                         method, r->url, allow.ptr);
        MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ALLOW, allow.ptr);
        pd_buf_release(&allow);
    } else {
        srv_reply_error(r, PD_ENOTFOUND, "no such endpoint: %s %s (see GET %s/openapi.json)",
                        method, r->url, SRV_API);
    }
    return -1;
}

/* ---- checks before the handler ------------------------------------------ */

static int token_ok(struct srv *s, const char *header)
{
    unsigned char h[crypto_generichash_BYTES];
    const char *tok;
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return 0;
    tok = header + 7;
    /* Compare digests: constant time whatever the lengths. */
    crypto_generichash(h, sizeof(h), (const unsigned char *)tok, strlen(tok), NULL, 0);
    return sodium_memcmp(h, s->token_hash, sizeof(h)) == 0;
}

static int origin_allowed(struct srv *s, const char *origin)
{
    const char *p = s->o.cors_origins;
    size_t n;
    if (origin == NULL || p == NULL)
        return 0;
    n = strlen(origin);
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        if ((len == n && strncmp(p, origin, n) == 0) || (len == 1 && *p == '*'))
            return 1;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return 0;
}

/* Checks done at the first call: auth, route, declared size, content type. */
static int admit(struct srv *s, struct req_state *st, const char *method)
{
    struct srv_req *r = &st->r;
    const char *len, *ctype;
    if (route(r, method) != 0)
        return -1;
    if (s->token && !(r->route->flags & SRV_PUBLIC) &&
        !token_ok(s, srv_header(r, MHD_HTTP_HEADER_AUTHORIZATION))) {
        srv_reply_status(r, 401, "unauthorized",
                         "this server needs a token: send 'Authorization: Bearer TOKEN' (the "
                         "token is in runtime/server.json of the data home)");
        MHD_add_response_header(r->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"pluto-duck\"");
        return -1;
    }
    len = srv_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (len && strtoull(len, NULL, 10) > s->o.max_body) {
        srv_reply_error(r, PD_ETOOBIG, "request body of %s bytes is over the limit of %zu bytes",
                        len, s->o.max_body);
        return -1;
    }
    ctype = srv_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if ((r->route->flags & SRV_BODY) && len && strcmp(len, "0") != 0 &&
        (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0)) {
        srv_reply_status(r, 415, "unsupported_media_type",
                         "send the body as JSON with 'Content-Type: application/json' (got %s)",
                         ctype ? ctype : "no content type");
        return -1;
    }
    return 0;
}

/* Parse the body for SRV_BODY routes; answers 400/413/422 itself. */
static int parse_body(struct req_state *st)
{
    struct srv_req *r = &st->r;
    json_error_t jerr;
    if (st->too_big) {
        srv_reply_error(r, PD_ETOOBIG, "request body is over the limit of %zu bytes",
                        r->srv->o.max_body);
        return -1;
    }
    if (!(r->route->flags & SRV_BODY))
        return 0;
    if (st->body.len == 0) {
        r->body = json_object();
        return 0;
    }
    r->body = json_loadb(st->body.ptr, st->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (r->body == NULL) {
        srv_reply_status(r, 400, "malformed_json", "malformed JSON at line %d, column %d: %s",
                         jerr.line, jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(r->body)) {
        srv_reply_status(r, 422, "invalid_body", "the body must be a JSON object");
        return -1;
    }
    return 0;
}

/* ---- MHD callbacks ------------------------------------------------------ */

static enum MHD_Result queue(struct srv *s, struct srv_req *r)
{
    const char *origin = srv_header(r, "Origin");
    enum MHD_Result ret;
    if (origin_allowed(s, origin)) {
        MHD_add_response_header(r->resp, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(r->resp, "Vary", "Origin");
    }
    MHD_add_response_header(r->resp, "X-Trace-Id", r->trace_id);
    ret = MHD_queue_response(r->conn, r->status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return ret;
}

static enum MHD_Result preflight(struct srv *s, struct srv_req *r)
{
    const char *origin = srv_header(r, "Origin");
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (origin_allowed(s, origin)) {
        MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                "GET, POST, PUT, PATCH, DELETE");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, Last-Event-ID");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
    srv_reply_response(r, 204, resp);
    return queue(s, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    struct srv *s = cls;
    struct req_state *st = *con_cls;
    struct srv_req *r;
    (void)version;

    if (st == NULL) {
        st = xcalloc(1, sizeof(*st));
        st->t0 = pd_mono_s();
        pd_buf_init(&st->body, 0);
        r = &st->r;
        r->srv = s;
        r->conn = conn;
        r->url = url;
        pd_uuid7(r->trace_id);
        *con_cls = st;
        pthread_mutex_lock(&s->mu);
        s->in_flight++;
        pthread_mutex_unlock(&s->mu);
        if (strcmp(method, "OPTIONS") == 0)
            return preflight(s, r);
        if (admit(s, st, method) != 0)
            return queue(s, r);
        if (r->route->flags & SRV_STREAM) {
            pthread_mutex_lock(&s->mu);
            st->waiting = 1;
            s->n_waiting++;
            pthread_mutex_unlock(&s->mu);
        }
        return MHD_YES;
    }
    r = &st->r;
    if (r->answered && r->resp == NULL)
        return MHD_YES; /* answered already: swallow the rest of an upload */
    if (*upload_size) {
        if (!st->too_big && st->body.len + *upload_size <= s->o.max_body)
            pd_buf_add(&st->body, upload, *upload_size);
        else
            st->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    pd_log_set_trace_id(r->trace_id);
    if (r->on_resume) {
        void (*fn)(struct srv_req *) = r->on_resume;
        r->on_resume = NULL;
        fn(r);
    } else if (parse_body(st) == 0) {
        r->route->handler(r);
    }
    pd_log_set_trace_id(NULL);
    if (r->resp)
        return queue(s, r);
    /* Suspended, or woken before the handler returned: MHD calls again, on_resume answers. */
    if (st->suspended || r->on_resume)
        return MHD_YES;
    srv_reply_error(r, PD_EINTERNAL, "the handler for %s gave no answer", url);
    return queue(s, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct srv *s = cls;
    struct req_state *st = *con_cls;
    (void)conn;
    if (st == NULL)
        return;
    pd_log(PD_LOG_DEBUG, "request", "{s:s, s:s, s:i, s:f, s:b}", "trace_id", st->r.trace_id,
           "path", st->r.url, "status", (int)st->r.status, "duration_ms",
           (pd_mono_s() - st->t0) * 1000.0, "complete", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    pthread_mutex_lock(&s->mu);
    if (st->suspended) { /* cannot happen once MHD ends it, but keep the list sound */
        st->suspended = 0;
        *st->prev_suspended = st->next_suspended;
        if (st->next_suspended)
            st->next_suspended->prev_suspended = st->prev_suspended;
    }
    s->in_flight--;
    if (st->waiting)
        s->n_waiting--;
    pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
    waker_detach(st->waker);
    if (st->r.later_free)
        st->r.later_free(st->r.later);
    if (st->r.resp)
        MHD_destroy_response(st->r.resp);
    json_decref(st->r.body);
    free_params(&st->r);
    pd_buf_release(&st->body);
    free(st);
    *con_cls = NULL;
}

/* ---- start and stop ----------------------------------------------------- */

int srv_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

int srv_start(struct srv **out, const struct srv_opts *o, struct pd_err *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    struct srv_jobs_opts jo = {.workers = o->job_workers, .max_queued = 256, .keep_s = 3600,
                               .max_kept = 1000, .max_events = 10000};
    struct srv *s;
    char port[16];
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    const union MHD_DaemonInfo *info;
    int rc;

    *out = NULL;
    if ((o->token == NULL || *o->token == '\0') && !srv_host_is_loopback(o->host))
        return pd_fail(err, PD_EINVAL,
                       "refusing to serve on %s without a token: anyone who can reach it could "
                       "read your data (give --token, set server.token, or bind 127.0.0.1)",
                       o->host);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-body is an EPIPE, not a death */
    if (sodium_init() < 0)
        return pd_fail(err, PD_EINTERNAL, "libsodium failed to initialise");
    snprintf(port, sizeof(port), "%d", o->port);
    if ((rc = getaddrinfo(o->host, port, &hints, &ai)) != 0)
        return pd_fail(err, PD_EINVAL, "cannot use host '%s': %s", o->host, gai_strerror(rc));

    s = xcalloc(1, sizeof(*s));
    s->o = *o;
    if (s->o.max_body == 0)
        s->o.max_body = 10u << 20;
    if (s->o.threads < 1)
        s->o.threads = 4;
    if (o->token && *o->token) {
        s->token = xstrdup(o->token);
        crypto_generichash(s->token_hash, sizeof(s->token_hash), (const unsigned char *)s->token,
                           strlen(s->token), NULL, 0);
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->idle, NULL);
    pthread_cond_init(&s->timer_cv, NULL);
    s->timer_started = pthread_create(&s->timer, NULL, timer_main, s) == 0;
    if ((rc = srv_jobs_new(&s->jobs, o->wh, &jo, err)) != 0) {
        freeaddrinfo(ai);
        srv_stop(s);
        return rc;
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.threads,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_END);
    freeaddrinfo(ai);
    if (s->d == NULL) {
        srv_stop(s);
        return pd_fail(err, PD_EIO,
                       "cannot listen on %s:%d (is the port in use? try --port)", o->host,
                       o->port);
    }
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    *out = s;
    return 0;
}

void srv_stop(struct srv *s)
{
    struct timespec until;
    if (s == NULL)
        return;
    if (s->d) {
        MHD_quiesce_daemon(s->d); /* stop accepting */
        /* Requests in flight (not the suspended ones: they wait on jobs) may finish. */
        until = pd_abstime_in_ms((long)(s->o.grace_s * 1000));
        pthread_mutex_lock(&s->mu);
        for (;;) {
            if (s->in_flight - s->n_waiting <= 0 ||
                pthread_cond_timedwait(&s->idle, &s->mu, &until) != 0)
                break;
        }
        pthread_mutex_unlock(&s->mu);
    }
    /* Cancel the jobs: their last events wake the streams and waits. */
    if (s->jobs)
        srv_jobs_stop(s->jobs);
    if (s->d) {
        pthread_mutex_lock(&s->mu);
        while (s->suspended)
            resume_locked(s->suspended);
        pthread_mutex_unlock(&s->mu);
        usleep(50 * 1000); /* let resumed streams write their last events */
        MHD_stop_daemon(s->d);
    }
    /* Producers see their pipe closed and stop; wait for them (they use the warehouse). */
    pthread_mutex_lock(&s->mu);
    while (s->holds > 0)
        pthread_cond_wait(&s->idle, &s->mu);
    pthread_mutex_unlock(&s->mu);
    if (s->timer_started) {
        pthread_mutex_lock(&s->mu);
        s->timer_stop = 1;
        pthread_cond_signal(&s->timer_cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->timer, NULL);
    }
    srv_jobs_free(s->jobs);
    pd_strv_clear(&s->set_keys);
    pd_strv_clear(&s->set_values);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->idle);
    pthread_cond_destroy(&s->timer_cv);
    free(s->token);
    free(s);
}
