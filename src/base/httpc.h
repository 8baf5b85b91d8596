/*
 * httpc.h - one HTTP request as a client makes it (libcurl): a method, a URL,
 * a JSON or raw body, a bearer token, a time limit and a way to cancel; the
 * answer's status, body and the headers a client acts on (ETag,
 * Last-Modified, Retry-After). What the CLI's remote mode and the Pluto Cloud
 * client share.
 */
#ifndef PD_HTTPC_H
#define PD_HTTPC_H

#include <stddef.h>

#include "base/buf.h"

struct pd_err;

struct pd_httpc_req {
    const char *method;     /* "GET", "POST", ... */
    const char *url;
    const char *bearer;     /* Authorization: Bearer ..., or NULL */
    const char *body;       /* NULL: none */
    size_t body_len;        /* 0 with a body: strlen(body) */
    const char *upload_file; /* send this file as the body, streamed (instead of body) */
    const char *content_type; /* of the body (default application/json) */
    const char *if_none_match; /* a conditional GET, or NULL */
    double timeout_s;       /* the whole request (0: none) */
    double connect_timeout_s; /* (0: 10) */
    const char *what;       /* names the server in errors ("the pluto-duck server") */
    int direct;             /* ignore proxy settings (a server on this machine) */
    /* Polled while the request runs: non-zero aborts it (PD_ECANCELED). */
    int (*cancelled)(void *arg);
    void *cancel_arg;
};

struct pd_httpc_resp {
    long status;           /* 0 when no answer came */
    struct pd_buf body;
    char etag[128];
    char last_modified[64];
    char retry_after[32];
    char content_type[128];
};

/*
 * Make the request: 0 with *resp filled (any status), or PD_EIO (no answer:
 * refused, unreachable, TLS), PD_ETIMEOUT, PD_ECANCELED with err saying so.
 * Release resp with pd_httpc_release either way.
 */
int pd_httpc_do(const struct pd_httpc_req *req, struct pd_httpc_resp *resp, struct pd_err *err);
void pd_httpc_release(struct pd_httpc_resp *resp);

#endif
