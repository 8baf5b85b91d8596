/*
 * h_system.c - the server about itself: health, the OpenAPI document and the
 * action catalog (both made from the route table), jobs of every kind, and the
 * door the CLI uses while this server holds the warehouse.
 */
#include "server/handlers.h"
#include "http/libmhd.h"
#include "http/http.h"
#include "server/context.h"
#include "server/jobs.h"
#include "http/server.h"
#include "server/server.h"
#include "server/stream.h"

#include "base/alloc.h"
#include "base/build.h"
#include "base/err.h"
#include "warehouse/warehouse.h"

#include <pthread.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void h_health(struct http_req *r)
{
    http_reply_json(r, 200, json_pack("{s:s, s:s, s:s, s:s, s:i}", "status", "ok", "version",
                                     PD_VERSION, "build", pd_build_id(), "duckdb_version",
                                     pd_duckdb_version(), "schema_version",
                                     pd_warehouse_schema_version(srv_warehouse(srv_of(r)))));
}

/* ---- documents made from the route table ---------------------------------- */

void h_openapi(struct http_req *r)
{
    http_reply_json(r, 200, http_openapi_doc(&srv_api, PD_VERSION));
}

void h_actions(struct http_req *r)
{
    http_reply_json(r, 200, json_pack("{s:o}", "actions", http_actions_doc(&srv_api)));
}

/* ---- jobs of every kind ----------------------------------------------------- */

void h_jobs_list(struct http_req *r)
{
    http_reply_json(r, 200, json_pack("{s:o}", "jobs", srv_jobs_list(srv_jobs(srv_of(r)),
                                                                    http_query(r, "kind"))));
}

static struct srv_job *find_job(struct http_req *r)
{
    return srv_find_job(r, NULL, "job");
}

void h_job_get(struct http_req *r)
{
    struct srv_job *job = find_job(r);
    if (job == NULL)
        return;
    http_reply_json(r, 200, srv_job_json(job));
    srv_job_put(job);
}

void h_job_events(struct http_req *r)
{
    struct srv_job *job = find_job(r);
    if (job)
        srv_reply_events(r, job);
}

void h_job_cancel(struct http_req *r)
{
    struct srv_job *job = find_job(r);
    if (job == NULL)
        return;
    if (srv_job_cancel(job))
        http_reply_json(r, 202, json_pack("{s:s, s:s}", "job_id", srv_job_id(job), "status",
                                         "cancelling"));
    else
        http_reply_error(r, PD_EEXIST, "the job has already finished (%s)", srv_job_status(job));
    srv_job_put(job);
}

/* ---- the CLI through the server ------------------------------------------- */

struct cli_arg {
    struct srv *srv;
    json_t *request;
};

static void cli_arg_free(void *p)
{
    struct cli_arg *a = p;
    json_decref(a->request);
    free(a);
}

static int run_cli(struct srv_job *job, void *arg, json_t **result, struct pd_err *err)
{
    struct cli_arg *a = arg;
    srv_cli_fn fn = srv_cli(a->srv);
    if (fn == NULL)
        return pd_fail(err, PD_EINTERNAL, "this server does not run CLI commands");
    *result = fn(a->srv, a->request, srv_job_cancel_flag(job));
    return *result ? 0 : pd_fail(err, PD_EINTERNAL, "the command gave no result");
}

void h_cli(struct http_req *r)
{
    json_t *argv = json_object_get(r->body, "argv");
    struct cli_arg *a;
    size_t i;
    json_t *v;

    if (!json_is_array(argv) || json_array_size(argv) == 0) {
        http_reply_status(r, 422, "invalid_field", "field 'argv' must be a non-empty array of strings");
        return;
    }
    json_array_foreach(argv, i, v)
        if (!json_is_string(v)) {
            http_reply_status(r, 422, "invalid_field", "field 'argv' must hold only strings");
            return;
        }
    a = calloc(1, sizeof(*a));
    a->srv = srv_of(r);
    a->request = json_incref(r->body);
    srv_submit(r, "cli", NULL, run_cli, a, cli_arg_free, NULL);
}
