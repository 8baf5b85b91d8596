/*
 * h_dbt.c - /dbt/seed|run|test|build: a dbt-style project folder on this
 * machine run as a job, with an event per node (seed, model, test) as it
 * starts and ends, and the PASS/ERROR tally as the result.
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"
#include "server/jobs.h"
#include "server/stream.h"

#include "assets/assets.h"
#include "assets/dbt_run.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/strv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct dbt_arg {
    struct srv *srv;
    enum pd_dbt_action action;
    char *dir;
    struct pd_strv select;
    int full_refresh;
    struct srv_job *job; /* while running */
    json_t *nodes;       /* the final report of every node */
};

static void dbt_arg_free(void *p)
{
    struct dbt_arg *a = p;
    free(a->dir);
    pd_strv_clear(&a->select);
    json_decref(a->nodes);
    free(a);
}

static void on_node(void *arg, const struct pd_dbt_node *n)
{
    struct dbt_arg *a = arg;
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "kind", pd_dbt_kind_name(n->kind), "name",
                          n->name, "outcome", pd_dbt_outcome_name(n->outcome), "index",
                          (json_int_t)n->index, "total", (json_int_t)n->total);
    if (n->materialized)
        json_object_set_new(o, "materialized", json_string(n->materialized));
    if (n->outcome != PD_DBT_STARTED) {
        json_object_set_new(o, "seconds", json_real(n->seconds));
        if (n->kind == PD_DBT_NODE_SEED)
            json_object_set_new(o, "rows", json_integer(n->count));
        if (n->kind == PD_DBT_NODE_TEST)
            json_object_set_new(o, "failures", json_integer(n->count));
        if (n->error)
            json_object_set_new(o, "error", json_string(n->error));
        json_array_append(a->nodes, o);
    }
    srv_job_emit(a->job, "node", o);
}

static int run_dbt(struct srv_job *job, void *arg, json_t **result, struct pd_err *err)
{
    struct dbt_arg *a = arg;
    struct pd_assets s;
    struct pd_dbt_tally t;
    struct pd_dbt_opts o = {.action = a->action, .select = (const char *const *)a->select.v,
                            .nselect = a->select.n, .full_refresh = a->full_refresh,
                            .on_node = on_node, .arg = a};
    int rc;
    a->job = job;
    a->nodes = json_array();
    if ((rc = pd_assets_open_dbt(srv_warehouse(a->srv), a->dir, srv_job_cancel_flag(job), &s,
                                 err)) != 0)
        return rc;
    rc = pd_dbt_execute(&s, &o, &t, err);
    pd_assets_close(&s);
    *result = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:O}", "action",
                        pd_dbt_action_name(a->action), "project_dir", a->dir, "pass", t.pass, "warn",
                        t.warn, "error", t.error, "skip", t.skip, "total", t.total, "nodes",
                        a->nodes);
    if (rc == 0 && t.error)
        rc = pd_fail(err, PD_EINVAL, "%d of %d failed", t.error, t.total);
    return rc;
}

static void submit(struct http_req *r, enum pd_dbt_action action)
{
    const char *dir = NULL;
    int full = 0;
    struct stat st;
    struct dbt_arg *a = xcalloc(1, sizeof(*a));
    if (http_arg_path(r, "project_dir", 1, &dir) || http_arg_bool(r, "full_refresh", &full) ||
        http_arg_strings(r, "select", &a->select)) {
        dbt_arg_free(a);
        return;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        http_reply_error(r, PD_ENOTFOUND, "no folder %s", dir);
        dbt_arg_free(a);
        return;
    }
    a->srv = srv_of(r);
    a->action = action;
    a->dir = xstrdup(dir);
    a->full_refresh = full;
    srv_submit(r, "dbt", NULL, run_dbt, a, dbt_arg_free, NULL);
}

void h_dbt_seed(struct http_req *r)
{
    submit(r, PD_DBT_SEED);
}

void h_dbt_run(struct http_req *r)
{
    submit(r, PD_DBT_RUN);
}

void h_dbt_test(struct http_req *r)
{
    submit(r, PD_DBT_TEST);
}

void h_dbt_build(struct http_req *r)
{
    submit(r, PD_DBT_BUILD);
}
