/*
 * execute.c - a pipeline version run for a schedule (see execute.h).
 */
#include "sync/execute.h"

#include "assets/assets.h"
#include "assets/dbt_run.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "duckpipe/duckpipe.h"
#include "sources/sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *pd_sync_error_class(int code, int reads_source)
{
    switch (code) {
    case PD_EAUTH:
    case PD_EDENIED:
        return "permission";
    case PD_EIO:
    case PD_ETIMEOUT:
    case PD_EUNAVAIL:
        return reads_source ? "source" : "network";
    case PD_ESQL:
    case PD_EINVAL:
    case PD_EFIELD:
    case PD_ENOTFOUND:
        return "sql";
    default:
        return "internal";
    }
}

static int is_dbt(const char *dir)
{
    char *f = xasprintf("%s/dbt_project.yml", dir);
    int yes = access(f, F_OK) == 0;
    free(f);
    return yes;
}

int pd_sync_open(struct pd_warehouse *wh, const char *project, const char *dir,
                 volatile sig_atomic_t *cancel, struct pd_assets *a, struct pd_err *err)
{
    return is_dbt(dir) ? pd_assets_open_dbt(wh, dir, cancel, a, err)
                       : pd_assets_open_at(wh, project, dir, cancel, a, err);
}

/* Plan every step (forced, as dbt build does, or as freshness says), with params. */
static int plan(struct pd_assets *a, const char *params, int force, struct dp_plan **out,
                struct pd_err *err)
{
    struct dp_args args = {0};
    struct dp_compile_opts co = {.args = &args, .force = force};
    int rc = params ? dp_args_parse(&args, params, err) : 0;
    if (rc == 0)
        rc = dp_compile(a->project, &a->env, &co, out, err);
    dp_args_clear(&args);
    return rc;
}

/* "source:crm.accounts" -> "crm" when a step reads a live source, into names. */
static void live_sources(const struct dp_plan *p, struct pd_strv *names)
{
    for (size_t i = 0; i < p->n; i++)
        for (size_t k = 0; k < p->steps[i].ninputs; k++) {
            const struct dp_input *in = &p->steps[i].inputs[k];
            const char *key = in->key, *dot;
            char name[128];
            if (in->kind != DP_REL_SOURCE || strncmp(key, "source:", 7) != 0 ||
                (dot = strchr(key + 7, '.')) == NULL)
                continue;
            snprintf(name, sizeof(name), "%.*s", (int)(dot - key - 7), key + 7);
            if (!pd_strv_has(names, name))
                pd_strv_push(names, name);
        }
}

int pd_sync_sources_reachable(struct pd_warehouse *wh, const struct pd_config *cfg,
                              const char *project, const char *dir, json_t *connectors,
                              struct pd_err *err)
{
    struct pd_assets a;
    struct dp_plan *p = NULL;
    struct pd_sources *S = NULL;
    struct pd_strv names = PD_STRV_INIT;
    int rc;
    if ((rc = pd_sync_open(wh, project, dir, NULL, &a, err)) != 0)
        return 0; /* the run itself says what is wrong with the project */
    if (plan(&a, NULL, 1, &p, err) != 0) {
        pd_err_clear(err);
        pd_assets_close(&a);
        return 0;
    }
    live_sources(p, &names);
    dp_plan_free(p);
    pd_assets_close(&a);
    if (names.n && (rc = pd_sources_open(wh, cfg, &S, err)) != 0) {
        pd_strv_clear(&names);
        return rc;
    }
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        struct pd_source src;
        struct pd_err e = PD_ERR_INIT;
        if (pd_sources_get(S, names.v[i], &src, &e) != 0) {
            rc = pd_fail(err, PD_EUNAVAIL, "source %s: %s", names.v[i], e.msg);
            json_array_append_new(connectors, json_pack("{s:s, s:s, s:s}", "source", names.v[i],
                                                        "status", "missing", "error", e.msg));
            break;
        }
        struct pd_attach_req req = {.name = src.name, .type = src.ops->type,
                                    .config = src.config, .secret = src.secret};
        if (pd_source_test(S, &req, NULL, &e) != 0)
            rc = pd_fail(err, PD_EUNAVAIL, "source %s: %s", names.v[i], e.msg);
        json_array_append_new(connectors,
                              json_pack("{s:s, s:s, s:s, s:s*}", "source", names.v[i], "type",
                                        src.ops->type, "status", rc ? "unreachable" : "ok",
                                        "error", rc ? e.msg : NULL));
        pd_source_free(&src);
    }
    if (S)
        pd_sources_close(S);
    pd_strv_clear(&names);
    return rc;
}

/* ---- the steps as JSON ---------------------------------------------------------------- */

static json_t *reads_of(const struct dp_plan *p, const char *id)
{
    const struct dp_step *s = p ? dp_plan_find(p, id) : NULL;
    json_t *reads = json_array();
    for (size_t k = 0; s && k < s->ninputs; k++)
        json_array_append_new(reads, json_string(s->inputs[k].key));
    return reads;
}

static int step_reads_source(const struct dp_plan *p, const char *id)
{
    const struct dp_step *s = p ? dp_plan_find(p, id) : NULL;
    for (size_t k = 0; s && k < s->ninputs; k++)
        if (s->inputs[k].kind == DP_REL_SOURCE)
            return 1;
    return 0;
}

static void add_step(struct pd_run_outcome *o, const struct dp_plan *p, const char *id,
                     const char *kind, const char *status, int64_t rows, double seconds,
                     const char *reason, const char *error)
{
    json_t *s = json_pack("{s:s, s:s, s:s, s:f, s:o}", "id", id, "kind", kind, "status", status,
                          "seconds", seconds, "reads", reads_of(p, id));
    json_object_set_new(s, "rows", rows >= 0 ? json_integer(rows) : json_null());
    if (reason)
        json_object_set_new(s, "reason", json_string(reason));
    if (error)
        json_object_set_new(s, "error", json_string(error));
    json_array_append_new(o->steps, s);
}

static void fail(struct pd_run_outcome *o, const char *cls, const char *msg)
{
    o->failed++;
    if (!o->error_class[0]) {
        snprintf(o->error_class, sizeof(o->error_class), "%s", cls);
        snprintf(o->error_message, sizeof(o->error_message), "%s", msg);
    }
}

/* ---- duckpipe ----------------------------------------------------------------------------- */

static int run_duckpipe(struct pd_assets *a, const char *run_id, const char *params,
                        struct pd_run_outcome *o, struct pd_err *err)
{
    struct dp_plan *p = NULL;
    struct dp_run_opts ro = {.run_id = run_id, .continue_on_failure = 1};
    struct dp_run_result res;
    int rc;
    if ((rc = plan(a, params, 0, &p, err)) != 0)
        return rc;
    rc = dp_run(p, &a->env, &ro, &res, err);
    for (size_t i = 0; i < res.n && i < p->n; i++) {
        const struct dp_step_result *r = &res.steps[i];
        const char *status = r->status == DP_S_PENDING ? "fresh" : dp_step_status_name(r->status);
        if (!p->steps[i].selected)
            continue;
        add_step(o, p, r->id, "analysis", status, r->rows, r->seconds, r->reason, r->error);
    }
    if (rc)
        fail(o, pd_sync_error_class(rc, 0), err->msg);
    /* The class of the first failed step's own failure, when it read a live source. */
    for (size_t i = 0; rc && i < res.n && i < p->n; i++)
        if (res.steps[i].status == DP_S_FAILED && step_reads_source(p, res.steps[i].id) &&
            (rc == PD_EIO || rc == PD_ETIMEOUT || rc == PD_EUNAVAIL))
            snprintf(o->error_class, sizeof(o->error_class), "source");
    dp_run_result_clear(&res);
    dp_plan_free(p);
    pd_err_clear(err);
    return rc == PD_ECANCELED ? rc : 0;
}

/* ---- dbt ------------------------------------------------------------------------------------ */

struct dbt_view {
    struct pd_run_outcome *o;
    const struct dp_plan *p;
};

static void on_node(void *arg, const struct pd_dbt_node *n)
{
    struct dbt_view *v = arg;
    const char *status;
    if (n->outcome == PD_DBT_STARTED)
        return;
    status = n->outcome == PD_DBT_PASS ? "ok" : n->outcome == PD_DBT_SKIP ? "skipped" : "failed";
    add_step(v->o, v->p, n->name, pd_dbt_kind_name(n->kind), status, n->count, n->seconds, NULL,
             n->outcome == PD_DBT_FAIL ? "the test found rows" : n->error);
    if (n->outcome == PD_DBT_FAIL || n->outcome == PD_DBT_ERROR)
        fail(v->o, "sql",
             n->outcome == PD_DBT_FAIL ? "a test found rows" : n->error ? n->error : "failed");
}

static int run_dbt(struct pd_assets *a, const char *run_id, struct pd_run_outcome *o,
                   struct pd_err *err)
{
    struct dp_plan *p = NULL;
    struct dbt_view v = {o, NULL};
    struct pd_dbt_opts opts = {.action = PD_DBT_BUILD, .run_id = run_id, .on_node = on_node,
                               .arg = &v};
    struct pd_dbt_tally t = {0};
    int rc;
    if ((rc = plan(a, NULL, 1, &p, err)) != 0) /* for what each node reads */
        return rc;
    v.p = p;
    rc = pd_dbt_execute(a, &opts, &t, err);
    if (rc && rc != PD_ECANCELED)
        fail(o, pd_sync_error_class(rc, 0), err->msg);
    dp_plan_free(p);
    if (rc != PD_ECANCELED)
        pd_err_clear(err);
    return rc == PD_ECANCELED ? rc : 0;
}

int pd_sync_execute(struct pd_warehouse *wh, const char *project, const char *dir,
                    const char *run_id, const char *params, volatile sig_atomic_t *cancel,
                    struct pd_run_outcome *out, struct pd_err *err)
{
    struct pd_assets a;
    int rc, dbt = is_dbt(dir);
    memset(out, 0, sizeof(*out));
    out->engine = dbt ? "dbt" : "duckpipe";
    out->steps = json_array();
    out->started_ms = pd_now_ms();
    if ((rc = pd_sync_open(wh, project, dir, cancel, &a, err)) == 0) {
        rc = dbt ? run_dbt(&a, run_id, out, err) : run_duckpipe(&a, run_id, params, out, err);
        pd_assets_close(&a);
    }
    if (rc && !out->error_class[0])
        fail(out, rc == PD_ECANCELED ? "internal" : pd_sync_error_class(rc, 0), err->msg);
    out->finished_ms = pd_now_ms();
    return rc;
}

void pd_run_outcome_clear(struct pd_run_outcome *o)
{
    json_decref(o->steps);
    memset(o, 0, sizeof(*o));
}
