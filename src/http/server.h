/*
 * server.h - the libmicrohttpd daemon of the HTTP layer: it listens, applies
 * the rules every request meets (Host, Origin, content type, sizes, time and
 * connection limits, authentication) and dispatches to an API's route table.
 * pluto-duck's local server and pluto-cloud each start one with their own
 * http_api and application context.
 *
 * Stopping is in two steps so an application can end its own work in between:
 * http_server_quiesce stops accepting and lets requests in flight (not the
 * suspended ones) finish for up to grace_s; http_server_stop then resumes and
 * ends every suspended request and stream, waits for held work and frees.
 */
#ifndef PD_HTTP_SERVER_H
#define PD_HTTP_SERVER_H

#include <jansson.h>
#include <stddef.h>

#include "http/http.h"

struct pd_err;

/* What a server serves: its routes, and how they are documented and refused. */
struct http_api {
    const struct http_route *routes;
    size_t n_routes;
    const struct http_route *fallback; /* answers a GET outside base (web files), or NULL */
    const char *base;                  /* the API's path prefix, "/api/v1" */
    const char *title, *description;   /* of its OpenAPI document */
    const char *components;            /* JSON text: the document's named schemas and responses */
    const char *realm;                 /* of WWW-Authenticate */
    const char *auth_hint;  /* the end of a 401's message: how to authenticate */
    const char *hosts_hint; /* how to serve another Host name (421) */
    const char *origins_hint; /* how to allow a web page's writes (403) */
    const char *errors;     /* statuses its operations may answer besides the common ones */
    int auth_optional;      /* the bearer token may be off (the document says either) */
    /* Adds the application's own parameters or notes to an operation (or NULL). */
    void (*document)(const struct http_route *rt, json_t *op);
};

struct http_opts {
    const char *host;          /* "127.0.0.1" */
    int port;                  /* 0: any free port */
    const struct http_api *api;
    void *app;                 /* handed to handlers as r->app */
    /*
     * Authentication of routes that are not HTTP_PUBLIC: a fixed bearer token
     * (compared in constant time), or a hook that sets r->principal and
     * returns 0, or answers (401) and returns -1. Neither: no authentication
     * (refused unless host is loopback).
     */
    const char *token;
    int (*authenticate)(struct http_req *r);
    /*
     * Runs before every handler, on the handler's thread (the pool's, unless
     * the route is quick by design), once the body is parsed: 0 lets the
     * handler run; else it answered (a permission check).
     */
    int (*before)(struct http_req *r);
    const char *cors_origins;  /* comma-separated origins allowed to call from a browser */
    const char *allowed_hosts; /* comma-separated Host names served besides the bound address */
    int max_connections;       /* connections at once (0: 1024) */
    int max_connections_per_addr; /* from one client address (0: 256) */
    size_t max_body;           /* request body limit in bytes (0: 10 MB) */
    int threads;               /* HTTP worker threads (0: 4) */
    int handler_threads;       /* threads of the handler pool (0: 4) */
    double grace_s;            /* how long stop waits for requests in flight */
    int trust_proxy;           /* take the client address from X-Forwarded-For */
    const char *tls_cert_pem, *tls_key_pem; /* serve HTTPS with these (PEM text), or NULL */
    /* Called with the port bound, before the first request is accepted (or NULL). */
    void (*on_bound)(void *app, int port);
};

/* Start serving. Fails with PD_EINVAL (bad options), PD_EIO (port in use). */
int http_server_start(struct http_server **out, const struct http_opts *o, struct pd_err *err);
/* The port actually bound. */
int http_server_port(const struct http_server *s);
/* Stop accepting; wait up to grace_s for requests in flight. NULL is fine. */
void http_server_quiesce(struct http_server *s);
/* Quiesce if not done, end every request and stream, and free. NULL is fine. */
void http_server_stop(struct http_server *s);

/* 1 when host names a loopback address (127.0.0.0/8, ::1, localhost). */
int http_host_is_loopback(const char *host);

/* The OpenAPI 3.1 document of an API (new reference). */
json_t *http_openapi_doc(const struct http_api *api, const char *version);
/* Its operations with their argument schemas, path parameters included (new reference). */
json_t *http_actions_doc(const struct http_api *api);
/* A query parameter of an operation, for an API's document hook (new reference). */
json_t *http_openapi_query_param(const char *name, const json_t *schema, int required);

#endif
