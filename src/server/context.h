/*
 * context.h - what the local server's handlers share: the open warehouse,
 * sources and history it borrows, the job queue it owns, the settings changed
 * while it runs, and answers made of a service's rows.
 */
#ifndef PD_SERVER_CONTEXT_H
#define PD_SERVER_CONTEXT_H

#include <jansson.h>

#include "http/http.h"
#include "server/server.h"
#include "sync/cloud.h"

struct pd_config;
struct pd_err;
struct pd_history;
struct pd_sink;
struct pd_sources;
struct pd_warehouse;
struct srv_jobs;

/* The local API's path prefix. */
#define SRV_API "/api/v1"

/* A body route that also reads ?project= (documented in the OpenAPI document). */
#define SRV_PROJECT_QUERY HTTP_APP_FLAG

/* The route table (routes.c), the route of the web UI's files (h_web.c), the API. */
extern const struct http_route srv_routes[];
extern const size_t srv_n_routes;
extern const struct http_route srv_web_route;
extern const struct http_api srv_api;

/* The local server a request came to. */
static inline struct srv *srv_of(const struct http_req *r) { return (struct srv *)r->app; }

struct pd_warehouse *srv_warehouse(struct srv *s);
struct pd_sources *srv_sources(struct srv *s);
struct pd_history *srv_history(struct srv *s);
const struct pd_config *srv_config(struct srv *s);
struct srv_jobs *srv_jobs(struct srv *s);
srv_cli_fn srv_cli(struct srv *s);
const char *srv_web_dir(struct srv *s);
struct http_server *srv_http(struct srv *s);
/* What the Pluto Cloud schedule runner is doing (pd_runner_status; polling: false when none). */
json_t *srv_runner_status(struct srv *s);
/*
 * The sign-in or the workspace changed (the web UI, the CLI): deliver the outbox
 * and run the workspace's schedules now, as at start; signed out, stop running them.
 */
void srv_cloud_changed(struct srv *s);

/* A sign-in to Pluto Cloud started from the web UI, waiting for its approval (h_cloud.c). */
struct srv_login {
    int active;
    struct pd_cloud_login l;
};
/* The server's one waiting sign-in, locked until srv_login_unlock. */
struct srv_login *srv_login_lock(struct srv *s);
void srv_login_unlock(struct srv *s);

/*
 * A setting's value now (heap, NULL for an unknown key): the one PUT /settings
 * gave while the server runs, else the configuration's. srv_setting_put
 * changes it for this process (the caller saves it to config.yaml).
 */
char *srv_setting(struct srv *s, const char *key);
void srv_setting_put(struct srv *s, const char *key, const char *value);

/*
 * Answer with the rows a service writes into a sink, as a JSON array of objects
 * (one_status non-zero: the first object alone with that status, 404 when there
 * is none).
 */
typedef int (*srv_rows_fn)(struct pd_sink *sink, void *arg, struct pd_err *err);
void srv_reply_rows(struct http_req *r, srv_rows_fn fn, void *arg, unsigned one_status);
/* The same rows as a JSON array (new reference), or NULL with err set. */
json_t *srv_rows_json(srv_rows_fn fn, void *arg, struct pd_err *err);

#endif
