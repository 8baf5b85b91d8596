/*
 * guard.h - who may talk to the server from where: the Host a request names,
 * the Origin a browser sends with a write, and the content type of a write.
 *
 * A web page in the user's browser can reach a server on 127.0.0.1 in two
 * ways: by DNS rebinding (its own name resolves to 127.0.0.1, so the request
 * carries Host: evil.example) and by a cross-site "simple request" (a form or
 * a fetch without preflight, whose content type is text/plain, form data or
 * none). These rules close both: a request is served only for a Host that is
 * the server's own address or name, or one the user listed; a write must be
 * JSON and come from no Origin (curl, the CLI), the server's own, or a listed
 * one. The functions here only decide; server.c answers.
 */
#ifndef PD_HTTP_GUARD_H
#define PD_HTTP_GUARD_H

#include "base/strv.h"

struct http_guard {
    char *bind_host;           /* the address bound, as given ("127.0.0.1", "::", "0.0.0.0") */
    int port;                  /* the port bound */
    int wildcard;              /* bound to every address: any IP literal names us */
    struct pd_strv allowed;    /* server.allowed_hosts: "name" (any port) or "name:port" */
    struct pd_strv origins;    /* server.cors_origins: "scheme://host[:port]" or "*" */
};

/*
 * Set up g for a server bound to bind_host:port, with the comma-separated lists
 * allowed_hosts and cors_origins (either may be NULL or empty). Release with
 * http_guard_release.
 */
void http_guard_init(struct http_guard *g, const char *bind_host, int port,
                    const char *allowed_hosts, const char *cors_origins);
void http_guard_release(struct http_guard *g);

/*
 * 1 when a request with this Host header is for this server: the loopback names
 * (localhost, 127.0.0.1, [::1]) or the bound address with the bound port, any
 * IP literal when bound to every address, or an entry of allowed_hosts. A
 * missing Host, a name with a trailing dot or a wrong port is 0.
 */
int http_guard_host_ok(const struct http_guard *g, const char *host);

/*
 * 1 when a browser's Origin may make a write: the server's own origin (http
 * with a Host http_guard_host_ok accepts) or one listed in cors_origins. NULL
 * (no Origin header: not a browser) is 1; "null" is 0.
 */
int http_guard_origin_ok(const struct http_guard *g, const char *origin);

/* 1 when origin is listed in cors_origins (so it gets CORS headers). */
int http_guard_origin_listed(const struct http_guard *g, const char *origin);

/*
 * 1 when ctype is the media type application/json, in any case, alone or
 * followed by parameters ("application/json; charset=utf-8");
 * "application/jsonx" or "application/json-seq" is 0.
 */
int http_media_is_json(const char *ctype);

#endif
