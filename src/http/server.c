/*
 * server.c - the HTTP layer's libmicrohttpd daemon and request dispatcher
 * (see server.h and http.h).
 *
 * MHD calls on_request several times per request: once at the start (route,
 * auth, size and content type are checked there, so a bad request is refused
 * before its body is read), once per piece of body, and once at the end, when
 * the handler runs. A handler that must wait (a query with ?wait, an event
 * stream) suspends the connection; a waker resumes it from any thread and MHD
 * calls on_request again, which runs the handler's on_resume.
 */
#include "http/conns.h"
#include "http/libmhd.h"
#include "http/guard.h"
#include "http/http.h"
#include "http/server.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/log.h"
#include "base/pool.h"
#include "base/strv.h"
#include "base/timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct http_server {
    struct http_opts o;
    const struct http_api *api;
    struct MHD_Daemon *d;
    struct http_guard guard;   /* Host, Origin and content-type rules */
    struct http_conns *conns;  /* connection limits and time limits */
    struct pd_pool *handlers; /* runs the handlers that may take long, off the HTTP workers */
    int port;
    char *token;
    unsigned char token_hash[crypto_generichash_BYTES];
    pthread_mutex_t mu;
    pthread_cond_t idle;
    int in_flight;       /* requests between their first call and their end */
    int n_waiting;       /* of those, streams and suspended waits (stop does not wait for them) */
    struct req_state *suspended; /* requests waiting in http_later or http_suspend */
    pthread_t timer;
    pthread_cond_t timer_cv;
    int timer_stop, timer_started;
    int holds;           /* producer threads still using the server (http_hold) */
    int quiesced;
};

/* Per-request state around struct http_req (which handlers see). */
struct req_state {
    struct http_req r;
    char *raw_url;         /* the request target as sent, before %-decoding */
    struct http_conn *conn; /* its connection's entry in s->conns */
    int counted;           /* counted in http_server.in_flight */
    struct pd_buf body;
    int too_big;
    int suspended;
    int offloaded;         /* its handler runs in the handler pool */
    int waiting;           /* counted in http_server.n_waiting */
    double deadline;       /* resume at this pd_mono_s time (0: only when woken) */
    struct http_waker *waker;
    double t0;
    struct req_state *next_suspended, **prev_suspended;
};

#define REQ_STATE(req) ((struct req_state *)(void *)(req))

/* ---- small accessors ---------------------------------------------------- */

int http_server_port(const struct http_server *s) { return s->port; }

const char *http_param(const struct http_req *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->nparams; i++)
        if (strncmp(r->pnames[i], name, n) == 0 && r->pnames[i][n] == '}')
            return r->pvals[i];
    PD_BUG("http_param: the route has no such parameter");
}

const char *http_query(const struct http_req *r, const char *name)
{
    return pd_mhd.MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const struct http_req *r, const char *name)
{
    return pd_mhd.MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void http_hold(struct http_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->holds++;
    pthread_mutex_unlock(&s->mu);
}

void http_release(struct http_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->holds--;
    pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
}

/* ---- suspending --------------------------------------------------------- */

/* Lock order: a waker's mu before the server's (firing resumes under both), so
 * the references are counted without the mu. */
struct http_waker {
    pthread_mutex_t mu;
    int refs; /* __atomic */
    struct http_req *r; /* NULL once the request ended */
};

void http_suspend(struct http_req *r, double deadline_s)
{
    struct req_state *st = REQ_STATE(r);
    struct http_server *s = r->server;
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
        pd_mhd.MHD_suspend_connection(r->conn);
    }
    pthread_mutex_unlock(&s->mu);
}

void http_later(struct http_req *r, void (*on_resume)(struct http_req *r), double deadline_s)
{
    r->on_resume = on_resume;
    http_suspend(r, deadline_s);
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
    pd_mhd.MHD_resume_connection(st->r.conn);
}

struct http_waker *http_waker_get(struct http_req *r)
{
    struct req_state *st = REQ_STATE(r);
    struct http_waker *w;
    pthread_mutex_lock(&r->server->mu);
    if (st->waker == NULL) {
        st->waker = xcalloc(1, sizeof(*st->waker));
        pthread_mutex_init(&st->waker->mu, NULL);
        st->waker->r = r;
        st->waker->refs = 1; /* the request's */
    }
    w = st->waker;
    __atomic_add_fetch(&w->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&r->server->mu);
    return w;
}

void http_waker_put(struct http_waker *w)
{
    if (w == NULL)
        return;
    if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        pthread_mutex_destroy(&w->mu);
        free(w);
    }
}

void http_waker_fire(void *arg)
{
    struct http_waker *w = arg;
    pthread_mutex_lock(&w->mu);
    if (w->r) {
        struct http_server *s = w->r->server;
        pthread_mutex_lock(&s->mu);
        resume_locked(REQ_STATE(w->r));
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&w->mu);
    http_waker_put(w);
}

/* The request ends: its waker must no longer touch it. */
static void waker_detach(struct http_waker *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->r = NULL;
    pthread_mutex_unlock(&w->mu);
    http_waker_put(w);
}

/* Resumes requests whose deadline passed. */
static void *timer_main(void *arg)
{
    struct http_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->timer_stop) {
        struct timespec ts = pd_abstime_in_ms(50);
        double now;
        pthread_cond_timedwait(&s->timer_cv, &s->mu, &ts);
        now = pd_mono_s();
        if (s->conns)
            http_conns_sweep(s->conns);
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
static int match(struct http_req *r, const char *pattern, const char *url, int fill)
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
            if (fill && np < HTTP_MAX_PARAMS) {
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
        r->nparams = np < HTTP_MAX_PARAMS ? np : HTTP_MAX_PARAMS;
    return bad ? -1 : 1;
}

static void free_params(struct http_req *r)
{
    for (int i = 0; i < r->nparams; i++)
        free(r->pvals[i]);
    r->nparams = 0;
}

static enum http_method method_of(const char *m)
{
    static const struct {
        const char *name;
        enum http_method m;
    } methods[] = {{"GET", HTTP_GET}, {"HEAD", HTTP_GET}, {"POST", HTTP_POST}, {"PUT", HTTP_PUT},
                   {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}};
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
static int route(struct http_req *r, const char *method)
{
    const struct http_api *api = r->server->api;
    /* The fallback serves what is outside the base's first segment ("/api"). */
    const char *seg_end = strchr(api->base + 1, '/');
    size_t seg = seg_end ? (size_t)(seg_end - api->base) : strlen(api->base);
    unsigned allowed = 0;
    r->method = method_of(method);
    for (size_t i = 0; i < api->n_routes; i++) {
        int m = match(r, api->routes[i].path, r->url, 0);
        if (m == 0)
            continue;
        allowed |= api->routes[i].method;
        if (api->routes[i].method != r->method)
            continue;
        match(r, api->routes[i].path, r->url, 1);
        if (m < 0) {
            http_reply_error(r, PD_EINVAL,
                            "invalid path parameter in '%s': use letters, digits, '_', '.', ':' "
                            "or '-' (no '..')",
                            r->url);
            return -1;
        }
        r->route = &api->routes[i];
        return 0;
    }
    if (api->fallback && r->method == HTTP_GET &&
        !(strncmp(r->url, api->base, seg) == 0 && (r->url[seg] == '\0' || r->url[seg] == '/'))) {
        r->route = api->fallback; /* the web UI's files */
        return 0;
    }
    if (allowed) {
        struct pd_buf allow = PD_BUF_INIT;
        allow_list(&allow, allowed);
        http_reply_status(r, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                         method, r->url, allow.ptr);
        pd_mhd.MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ALLOW, allow.ptr);
        pd_buf_release(&allow);
    } else {
        http_reply_error(r, PD_ENOTFOUND, "no such endpoint: %s %s (see GET %s/openapi.json)",
                        method, r->url, api->base);
    }
    return -1;
}

/* ---- checks before the handler ------------------------------------------ */

static int token_ok(struct http_server *s, const char *header)
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

/* Limits of a request head: larger ones are answered 414 and 431 in the envelope. */
#define MAX_TARGET 8192
#define MAX_HEADERS (32 * 1024)

struct head_size {
    size_t n;
};

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    struct head_size *h = cls;
    (void)kind;
    h->n += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* A %00 anywhere in the request target: decoded, it would cut a name short. */
static int has_encoded_nul(const char *target)
{
    for (const char *p = target; (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0')
            return 1;
    return 0;
}

static int is_write(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

/*
 * Checks of every request, before its route: the size of its head, the Host
 * it names (DNS rebinding) and a NUL in its target. Answers and returns -1
 * when one fails.
 */
static int guard(struct http_server *s, struct req_state *st)
{
    struct http_req *r = &st->r;
    const char *target = st->raw_url ? st->raw_url : r->url;
    const char *host = http_header(r, MHD_HTTP_HEADER_HOST);
    struct head_size hs = {0};

    if (strlen(target) > MAX_TARGET) {
        http_reply_status(r, 414, "uri_too_long",
                         "the request target is %zu bytes, over the limit of %d bytes",
                         strlen(target), MAX_TARGET);
        return -1;
    }
    pd_mhd.MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_header_size, &hs);
    if (hs.n > MAX_HEADERS) {
        http_reply_status(r, 431, "headers_too_large",
                         "the request headers are %zu bytes, over the limit of %d bytes", hs.n,
                         MAX_HEADERS);
        return -1;
    }
    if (!http_guard_host_ok(&s->guard, host)) {
        http_reply_status(r, 421, "misdirected_request",
                          "this server does not answer for host '%s': use %s://%s:%d/ or %s",
                          host ? host : "(none)", s->o.tls_cert_pem ? "https" : "http",
                          http_host_is_loopback(s->o.host) ? "127.0.0.1" : s->o.host, s->port,
                          s->api->hosts_hint ? s->api->hosts_hint
                                             : "add the name to the allowed hosts");
        return -1;
    }
    if (has_encoded_nul(target)) {
        http_reply_status(r, 400, "bad_request", "a NUL byte (%%00) in the request target is refused");
        return -1;
    }
    return 0;
}

/* A write (a route was found) must be JSON and come from no page or an allowed one. */
static int guard_write(struct http_server *s, struct http_req *r, const char *method)
{
    const char *origin = http_header(r, "Origin");
    const char *ctype = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!is_write(method))
        return 0;
    if (!(r->route->flags & HTTP_RAW) && !http_media_is_json(ctype)) {
        http_reply_status(r, 415, "unsupported_media_type",
                         "%s needs 'Content-Type: application/json', even without a body (got %s)",
                         method, ctype ? ctype : "no content type");
        return -1;
    }
    if (!http_guard_origin_ok(&s->guard, origin)) {
        http_reply_status(r, 403, "forbidden_origin",
                          "a write from the web page at '%s' is refused (%s)", origin,
                          s->api->origins_hint ? s->api->origins_hint
                                               : "its origin is not an allowed one");
        return -1;
    }
    return 0;
}

void http_reply_unauthorized(struct http_req *r, const char *fmt, ...)
{
    char msg[PD_ERR_MSG_MAX], challenge[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    http_reply_status(r, 401, "unauthorized", "%s", msg);
    snprintf(challenge, sizeof(challenge), "Bearer realm=\"%s\"",
             r->server->api->realm ? r->server->api->realm : "api");
    pd_mhd.MHD_add_response_header(r->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge);
}

/* Authenticate a request to a route that is not public; answers 401 when it fails. */
static int authenticate(struct http_server *s, struct http_req *r)
{
    if (s->o.authenticate)
        return s->o.authenticate(r);
    if (s->token == NULL || token_ok(s, http_header(r, MHD_HTTP_HEADER_AUTHORIZATION)))
        return 0;
    http_reply_unauthorized(r, "this server needs a token: send 'Authorization: Bearer TOKEN'%s%s",
                            s->api->auth_hint ? " " : "",
                            s->api->auth_hint ? s->api->auth_hint : "");
    return -1;
}

/* Checks done at the first call, after the guard: route, auth, declared size. */
static int admit(struct http_server *s, struct req_state *st, const char *method)
{
    struct http_req *r = &st->r;
    const char *len;
    if (route(r, method) != 0 || guard_write(s, r, method) != 0)
        return -1;
    if (!(r->route->flags & HTTP_PUBLIC) && authenticate(s, r) != 0)
        return -1;
    len = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (len && strtoull(len, NULL, 10) > s->o.max_body) {
        http_reply_error(r, PD_ETOOBIG, "request body of %s bytes is over the limit of %zu bytes",
                        len, s->o.max_body);
        return -1;
    }
    return 0;
}

/* Parse the body for HTTP_BODY routes; answers 400/413/422 itself. */
static int parse_body(struct req_state *st)
{
    struct http_req *r = &st->r;
    struct pd_err err = PD_ERR_INIT;
    const char *code = NULL;
    unsigned status;
    if (st->too_big) {
        http_reply_error(r, PD_ETOOBIG, "request body is over the limit of %zu bytes",
                        r->server->o.max_body);
        return -1;
    }
    if (r->route->flags & HTTP_RAW) {
        r->raw = st->body.ptr ? st->body.ptr : "";
        r->raw_len = st->body.len;
        return 0;
    }
    if (!(r->route->flags & HTTP_BODY))
        return 0;
    status = http_body_parse(r->route, st->body.ptr, st->body.len, &r->body, &code, &err);
    if (status == 0)
        return 0;
    http_reply_status(r, status, code, "%s", err.msg);
    return -1;
}

/* ---- handlers off the HTTP workers ---------------------------------------- */

/*
 * A route runs on the HTTP worker only when it is quick by design: it starts a
 * job, streams, or reads memory (HTTP_INLINE). Any other handler may wait on the
 * database or a remote source, so it runs in the handler pool while its
 * connection is suspended, and the workers stay free for /health and the rest.
 */
static int runs_inline(const struct http_route *rt)
{
    return (rt->flags & (HTTP_JOB | HTTP_STREAM | HTTP_INLINE)) != 0;
}

/*
 * The application's check before every handler (who may call it is decided
 * before what they sent is looked at), the body, then the handler.
 */
static void run_handler(struct req_state *st)
{
    struct http_req *r = &st->r;
    if ((r->server->o.before == NULL || r->server->o.before(r) == 0) && parse_body(st) == 0)
        r->route->handler(r);
}

static void offload_done(struct http_req *r)
{
    (void)r; /* the handler answered on the pool thread; on_request queues it */
}

static void offload_run(void *arg)
{
    struct req_state *st = arg;
    struct http_req *r = &st->r;
    struct http_server *s = r->server;
    pd_log_set_trace_id(r->trace_id);
    run_handler(st);
    pd_log_set_trace_id(NULL);
    pthread_mutex_lock(&s->mu);
    st->offloaded = 0;
    pd_mhd.MHD_resume_connection(r->conn);
    pthread_mutex_unlock(&s->mu);
}

static void offload(struct http_server *s, struct req_state *st)
{
    struct http_req *r = &st->r;
    r->on_resume = offload_done;
    pthread_mutex_lock(&s->mu);
    st->offloaded = 1;
    pd_mhd.MHD_suspend_connection(r->conn);
    pthread_mutex_unlock(&s->mu);
    pd_pool_submit(s->handlers, offload_run, st);
}

/* ---- MHD callbacks ------------------------------------------------------ */

static enum MHD_Result queue(struct http_server *s, struct http_req *r)
{
    const char *origin = http_header(r, "Origin");
    enum MHD_Result ret;
    if (http_guard_origin_listed(&s->guard, origin)) {
        pd_mhd.MHD_add_response_header(r->resp, "Access-Control-Allow-Origin", origin);
        pd_mhd.MHD_add_response_header(r->resp, "Vary", "Origin");
    }
    pd_mhd.MHD_add_response_header(r->resp, "X-Trace-Id", r->trace_id);
    ret = pd_mhd.MHD_queue_response(r->conn, r->status, r->resp);
    pd_mhd.MHD_destroy_response(r->resp);
    r->resp = NULL;
    return ret;
}

static enum MHD_Result preflight(struct http_server *s, struct http_req *r)
{
    const char *origin = http_header(r, "Origin");
    struct MHD_Response *resp = pd_mhd.MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (http_guard_origin_listed(&s->guard, origin)) {
        pd_mhd.MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                "GET, POST, PUT, PATCH, DELETE");
        pd_mhd.MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, Last-Event-ID");
        pd_mhd.MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
    http_reply_response(r, 204, resp);
    return queue(s, r);
}

/* The peer's address as text ("127.0.0.1", "::1"), or "" when unknown. */
static void client_address(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ad =
        pd_mhd.MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ad ? ad->client_addr : NULL;
    socklen_t len = sa == NULL ? 0
                    : sa->sa_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                                : (socklen_t)sizeof(struct sockaddr_in);
    out[0] = '\0';
    if (sa == NULL || getnameinfo(sa, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
        out[0] = '\0';
}

/*
 * Behind a proxy (--trust-proxy) the client is the last address of
 * X-Forwarded-For: the one the proxy itself appended. A value that is not an
 * address is ignored.
 */
static void forwarded_address(struct http_req *r)
{
    const char *xff = http_header(r, "X-Forwarded-For"), *last;
    char addr[64];
    size_t n;
    unsigned char probe[sizeof(struct in6_addr)];
    if (xff == NULL)
        return;
    last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ' || *last == '\t')
        last++;
    n = strcspn(last, " \t");
    if (n == 0 || n >= sizeof(addr))
        return;
    memcpy(addr, last, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, probe) == 1 || inet_pton(AF_INET6, addr, probe) == 1)
        memcpy(r->client_addr, addr, n + 1);
}

static struct req_state *new_state(struct http_server *s, struct MHD_Connection *conn, const char *raw)
{
    struct req_state *st = xcalloc(1, sizeof(*st));
    const union MHD_ConnectionInfo *ci =
        pd_mhd.MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    st->t0 = pd_mono_s();
    st->raw_url = raw ? xstrdup(raw) : NULL;
    st->conn = ci ? ci->socket_context : NULL;
    pd_buf_init(&st->body, 0);
    st->r.server = s;
    st->r.app = s->o.app;
    st->r.conn = conn;
    pd_uuid7(st->r.trace_id);
    client_address(conn, st->r.client_addr, sizeof(st->r.client_addr));
    http_conn_head(s->conns, st->conn);
    return st;
}

/* Called with the request target as sent: the request's state starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    return new_state(cls, conn, uri);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    struct http_server *s = cls;
    struct req_state *st = *con_cls;
    struct http_req *r;
    (void)version;

    if (st == NULL)
        *con_cls = st = new_state(s, conn, NULL);
    r = &st->r;
    if (!st->counted) {
        r->url = url;
        st->counted = 1;
        http_conn_receiving(s->conns, st->conn);
        pthread_mutex_lock(&s->mu);
        s->in_flight++;
        pthread_mutex_unlock(&s->mu);
        if (s->o.trust_proxy)
            forwarded_address(r);
        if (guard(s, st) != 0)
            return queue(s, r);
        if (strcmp(method, "OPTIONS") == 0)
            return preflight(s, r);
        if (admit(s, st, method) != 0)
            return queue(s, r);
        if (r->route->flags & HTTP_STREAM) {
            pthread_mutex_lock(&s->mu);
            st->waiting = 1;
            s->n_waiting++;
            pthread_mutex_unlock(&s->mu);
        }
        return MHD_YES;
    }
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
    http_conn_busy(s->conns, st->conn);
    pd_log_set_trace_id(r->trace_id);
    if (r->on_resume) {
        void (*fn)(struct http_req *) = r->on_resume;
        r->on_resume = NULL;
        fn(r);
    } else if (st->too_big) {
        parse_body(st); /* answers 413 */
    } else {
        if (runs_inline(r->route)) {
            run_handler(st);
        } else {
            pd_log_set_trace_id(NULL);
            offload(s, st);
            return MHD_YES;
        }
    }
    pd_log_set_trace_id(NULL);
    if (r->resp)
        return queue(s, r);
    /* Suspended, or woken before the handler returned: MHD calls again, on_resume answers. */
    if (st->suspended || r->on_resume)
        return MHD_YES;
    http_reply_error(r, PD_EINTERNAL, "the handler for %s gave no answer", url);
    return queue(s, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct req_state *st = *con_cls;
    (void)conn;
    if (st == NULL)
        return;
    pd_log(PD_LOG_DEBUG, "request", "{s:s, s:s, s:i, s:f, s:b}", "trace_id", st->r.trace_id,
           "path", st->r.url ? st->r.url : "", "status", (int)st->r.status, "duration_ms",
           (pd_mono_s() - st->t0) * 1000.0, "complete", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    http_conn_waiting(s->conns, st->conn);
    pthread_mutex_lock(&s->mu);
    if (st->suspended) { /* cannot happen once MHD ends it, but keep the list sound */
        st->suspended = 0;
        *st->prev_suspended = st->next_suspended;
        if (st->next_suspended)
            st->next_suspended->prev_suspended = st->prev_suspended;
    }
    if (st->counted)
        s->in_flight--;
    if (st->waiting)
        s->n_waiting--;
    pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
    waker_detach(st->waker);
    if (st->r.later_free)
        st->r.later_free(st->r.later);
    if (st->r.principal_free)
        st->r.principal_free(st->r.principal);
    if (st->r.resp)
        pd_mhd.MHD_destroy_response(st->r.resp);
    json_decref(st->r.body);
    free_params(&st->r);
    pd_buf_release(&st->body);
    free(st->raw_url);
    free(st);
    *con_cls = NULL;
}

/* A connection opens or closes: the tracker keeps count and time limits. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            pd_mhd.MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            pd_mhd.MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        struct sockaddr *sa = ad ? ad->client_addr : NULL;
        socklen_t len = sa == NULL ? 0
                        : sa->sa_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                                    : (socklen_t)sizeof(struct sockaddr_in);
        *socket_context = http_conns_opened(s->conns, fd ? fd->connect_fd : -1, sa, len);
    } else {
        http_conns_closed(s->conns, *socket_context);
        *socket_context = NULL;
    }
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    struct http_server *s = cls;
    return http_conns_admit(s->conns, addr, len) ? MHD_YES : MHD_NO;
}

/* ---- start and stop ----------------------------------------------------- */

int http_host_is_loopback(const char *host)
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

/* Bind and listen ourselves, so the port is known before the first request. */
static int listen_on(const char *host, int port, int *fd_out, int *port_out, int *v6,
                     struct pd_err *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    char ps[16];
    int fd, one = 1, rc;
    snprintf(ps, sizeof(ps), "%d", port);
    if ((rc = getaddrinfo(host, ps, &hints, &ai)) != 0)
        return pd_fail(err, PD_EINVAL, "cannot use host '%s': %s", host, gai_strerror(rc));
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        rc = pd_fail(err, PD_EIO, "cannot listen on %s:%d: %s (is the port in use? try --port)",
                     host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return rc;
    }
    *v6 = ai->ai_family == AF_INET6;
    *port_out = ntohs(*v6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                          : ((struct sockaddr_in *)&bound)->sin_port);
    *fd_out = fd;
    freeaddrinfo(ai);
    return 0;
}

int http_server_start(struct http_server **out, const struct http_opts *o, struct pd_err *err)
{
    struct http_conns_opts co = {0};
    struct http_server *s;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    int rc, lfd = -1, port = 0, v6 = 0;

    *out = NULL;
    if ((o->token == NULL || *o->token == '\0') && o->authenticate == NULL &&
        !http_host_is_loopback(o->host))
        return pd_fail(err, PD_EINVAL,
                       "refusing to serve on %s without a token: anyone who can reach it could "
                       "read your data (give --token, set server.token, or bind 127.0.0.1)",
                       o->host);
    if ((o->tls_cert_pem == NULL) != (o->tls_key_pem == NULL))
        return pd_fail(err, PD_EINVAL, "TLS needs both a certificate and its key");
    if ((rc = pd_mhd_load(err)) != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-body is an EPIPE, not a death */
    if (sodium_init() < 0)
        return pd_fail(err, PD_EINTERNAL, "libsodium failed to initialise");
    if ((rc = listen_on(o->host, o->port, &lfd, &port, &v6, err)) != 0)
        return rc;

    s = xcalloc(1, sizeof(*s));
    s->o = *o;
    s->api = o->api;
    s->port = port;
    if (s->o.max_body == 0)
        s->o.max_body = 10u << 20;
    if (s->o.threads < 1)
        s->o.threads = 4;
    if (s->o.handler_threads < 1)
        s->o.handler_threads = 4;
    if (o->token && *o->token) {
        s->token = xstrdup(o->token);
        crypto_generichash(s->token_hash, sizeof(s->token_hash), (const unsigned char *)s->token,
                           strlen(s->token), NULL, 0);
    }
    http_guard_init(&s->guard, o->host, port, o->allowed_hosts, o->cors_origins);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->idle, NULL);
    pthread_cond_init(&s->timer_cv, NULL);
    co.max_total = s->o.max_connections;
    co.max_per_addr = s->o.max_connections_per_addr;
    s->conns = http_conns_new(&co);
    s->handlers = pd_pool_new(s->o.handler_threads);
    s->timer_started = pthread_create(&s->timer, NULL, timer_main, s) == 0;
    if (o->on_bound)
        o->on_bound(o->app, port);
    if (v6)
        flags |= MHD_USE_IPv6;
    if (o->tls_cert_pem)
        flags |= MHD_USE_TLS;
    s->d = pd_mhd.MHD_start_daemon(flags, 0, on_accept, s, on_request, s,
                            MHD_OPTION_LISTEN_SOCKET, lfd,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.threads,
                            /* the tracker's limit decides; this only stops a flood in between */
                            MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)(http_conns_max(s->conns) + 64),
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                            /* heads up to 128 KB reach on_request, which answers 414/431 */
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            o->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
                            o->tls_cert_pem, MHD_OPTION_HTTPS_MEM_KEY, o->tls_key_pem,
                            MHD_OPTION_END);
    if (s->d == NULL) {
        close(lfd);
        http_server_stop(s);
        return pd_fail(err, PD_EIO, "cannot serve on %s:%d%s", o->host, port,
                       o->tls_cert_pem ? " (is the TLS certificate and key valid PEM?)" : "");
    }
    *out = s;
    return 0;
}

void http_server_quiesce(struct http_server *s)
{
    struct timespec until;
    if (s == NULL || s->d == NULL || s->quiesced)
        return;
    s->quiesced = 1;
    MHD_socket lfd = pd_mhd.MHD_quiesce_daemon(s->d); /* stop accepting */
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    /* Requests in flight (not the suspended ones: they wait on other work) may finish. */
    until = pd_abstime_in_ms((long)(s->o.grace_s * 1000));
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->in_flight - s->n_waiting <= 0 ||
            pthread_cond_timedwait(&s->idle, &s->mu, &until) != 0)
            break;
    }
    pthread_mutex_unlock(&s->mu);
}

void http_server_stop(struct http_server *s)
{
    if (s == NULL)
        return;
    http_server_quiesce(s);
    /* Handlers still running finish and resume their connections. */
    pd_pool_free(s->handlers);
    s->handlers = NULL;
    if (s->d) {
        pthread_mutex_lock(&s->mu);
        while (s->suspended)
            resume_locked(s->suspended);
        pthread_mutex_unlock(&s->mu);
        usleep(50 * 1000); /* let resumed streams write their last events */
        pd_mhd.MHD_stop_daemon(s->d);
    }
    /* Producers see their pipe closed and stop; wait for them. */
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
    http_conns_free(s->conns);
    http_guard_release(&s->guard);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->idle);
    pthread_cond_destroy(&s->timer_cv);
    free(s->token);
    free(s);
}
