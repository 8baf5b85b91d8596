/*
 * server.h - the local API server behind `pluto-duck run`: REST + SSE over the
 * services, on libmicrohttpd (epoll, a worker pool, suspended connections for
 * streams and waits).
 *
 * The server borrows the open warehouse, sources and history from its caller
 * and owns the job queue. Stopping is graceful: it stops accepting, lets
 * requests in flight finish for up to grace_s, cancels running jobs, ends every
 * stream and returns; the caller then closes the warehouse.
 */
#ifndef PD_SERVER_H
#define PD_SERVER_H

#include <signal.h>
#include <stddef.h>

struct pd_config;
struct pd_err;
struct pd_history;
struct pd_sources;
struct pd_warehouse;
struct srv;

/*
 * Runs one CLI command line inside the server for a client that cannot open the
 * warehouse itself (set by the CLI; the server does not know the command table).
 * request: {"argv": [...], "stdin": "..."?, "width": N?}; answers
 * {"exit_code", "stdout", "stderr"}.
 */
struct json_t;
typedef struct json_t *(*srv_cli_fn)(struct srv *s, struct json_t *request,
                                     volatile sig_atomic_t *cancel);

struct srv_opts {
    const char *host;         /* "127.0.0.1" */
    int port;                 /* 0: any free port */
    const char *token;        /* NULL or "": no auth (refused unless host is loopback) */
    const char *cors_origins; /* comma-separated origins allowed to call from a browser, or NULL */
    const char *allowed_hosts; /* comma-separated Host names served besides the bound address */
    int max_connections;      /* connections at once (0: 1024) */
    int max_connections_per_addr; /* from one client address (0: 256) */
    size_t max_body;          /* request body limit in bytes */
    int threads;              /* HTTP worker threads */
    int job_workers;          /* job threads */
    double grace_s;           /* how long stop waits for requests in flight */
    const char *web_dir;      /* the web UI's files, served outside /api (NULL: the built one) */
    const struct pd_config *cfg;
    struct pd_warehouse *wh;
    struct pd_sources *sources;
    struct pd_history *history;
    srv_cli_fn cli;
    /* Pluto Cloud: 0 off, 1 run the workspace's schedules when signed in, 2 (pluto-duck
       agent) fail to start unless they can run. poll_s: cloud.poll_interval. */
    int run_schedules;
    double poll_s;
};

/* Start serving. Fails with PD_EINVAL (non-loopback without a token), PD_EIO (port in use). */
int srv_start(struct srv **out, const struct srv_opts *o, struct pd_err *err);
/* The port actually bound. */
int srv_port(const struct srv *s);
/* Stop gracefully (see above) and free. NULL is fine. */
void srv_stop(struct srv *s);

#endif
