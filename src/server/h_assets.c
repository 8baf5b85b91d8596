/*
 * h_assets.c - /asset: analyses of a project (create, list, show, change,
 * delete, compile, execute as a job, data, freshness, lineage, history).
 * ?project=NAME picks the project (default: default).
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"
#include "server/jobs.h"
#include "server/stream.h"

#include "assets/assets.h"
#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "warehouse/encode.h"

#include <stdlib.h>
#include <string.h>

static const char *project_of(struct http_req *r)
{
    const char *p = http_query(r, "project");
    return p ? p : "default";
}

/* Open the request's project; answers the error itself. */
static int open_assets(struct http_req *r, volatile sig_atomic_t *cancel, struct pd_assets *s)
{
    struct pd_err err = PD_ERR_INIT;
    if (pd_assets_open(srv_warehouse(srv_of(r)), pd_config_home(srv_config(srv_of(r))), project_of(r),
                       cancel, s, &err) != 0) {
        http_reply_err(r, &err);
        return -1;
    }
    return 0;
}

/* The {"name": value} parameters of a body as dp_args; answers 422 itself. */
static int body_args(struct http_req *r, struct dp_args *args)
{
    json_t *params = NULL;
    struct pd_err err = PD_ERR_INIT;
    char *text;
    int rc;
    if (http_arg_object(r, "params", &params))
        return -1;
    if (params == NULL)
        return 0;
    text = pd_json_dumps_exact(params, JSON_COMPACT);
    rc = dp_args_parse(args, text, &err);
    free(text);
    if (rc) {
        http_reply_status(r, 422, "invalid_field", "field 'params': %s", err.msg);
        return -1;
    }
    return 0;
}

static json_t *time_json(int64_t ms)
{
    char t[40];
    return ms > 0 ? json_string(pd_time_iso(ms, t, sizeof(t))) : json_null();
}

/* An analysis as JSON, with its state from the plan step when given. */
static json_t *analysis_json(const struct dp_analysis *a, const struct dp_step *st)
{
    json_t *params = json_array(), *o;
    for (size_t i = 0; i < a->nparams; i++)
        json_array_append_new(params, json_pack("{s:s, s:s, s:s?, s:b, s:s?}", "name",
                                                a->params[i].name, "type",
                                                dp_ptype_name(a->params[i].type), "default",
                                                a->params[i].def, "required",
                                                a->params[i].required, "description",
                                                a->params[i].description));
    o = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:o, s:o, s:s?, s:s?, s:s, s:s?, s:s?, s:s?}",
                  "id", a->id, "name", a->name, "description", a->description, "sql", a->sql,
                  "materialize", dp_materialize_name(a->materialize), "tags", http_strv_json(&a->tags),
                  "parameters", params, "unique_key", a->unique_key, "path", a->path,
                  "freshness", a->freshness ? a->freshness : "default", "file", a->file,
                  "created_at", a->created_at, "updated_at", a->updated_at);
    if (st) {
        json_t *inputs = json_array();
        for (size_t i = 0; i < st->ninputs; i++)
            json_array_append_new(inputs, json_string(st->inputs[i].key));
        json_object_set_new(o, "reads", inputs);
        json_object_set_new(o, "status", json_string(st->run ? "stale" : "fresh"));
        json_object_set_new(o, "reason", json_string(dp_reason_text(st->reason)));
        json_object_set_new(o, "last_success_at", time_json(st->last_success_ms));
        json_object_set_new(o, "last_failure_at", time_json(st->last_failure_ms));
    }
    return o;
}

/* Plan the project (for state); answers the error itself. */
static int plan(struct http_req *r, struct pd_assets *s, const struct dp_compile_opts *o,
                struct dp_plan **out)
{
    struct pd_err err = PD_ERR_INIT;
    if (dp_compile(s->project, &s->env, o, out, &err) != 0) {
        http_reply_err(r, &err);
        return -1;
    }
    return 0;
}

/* The analysis in the path, or a 404 answered. */
static struct dp_analysis *find(struct http_req *r, struct pd_assets *s)
{
    struct dp_analysis *a = dp_project_find(s->project, http_param(r, "id"));
    if (a == NULL)
        http_reply_error(r, PD_ENOTFOUND, "no analysis '%s' in project %s", http_param(r, "id"),
                        project_of(r));
    return a;
}

void h_analyses_list(struct http_req *r)
{
    struct pd_assets s;
    struct dp_plan *p = NULL;
    json_t *list;
    if (open_assets(r, NULL, &s))
        return;
    if (plan(r, &s, NULL, &p) == 0) {
        list = json_array();
        for (size_t i = 0; i < p->n; i++)
            json_array_append_new(list, analysis_json(p->steps[i].a, &p->steps[i]));
        http_reply_json(r, 200, json_pack("{s:s, s:o}", "project", project_of(r), "analyses", list));
    }
    dp_plan_free(p);
    pd_assets_close(&s);
}

void h_analysis_get(struct http_req *r)
{
    struct pd_assets s;
    struct dp_plan *p = NULL;
    struct dp_analysis *a;
    if (open_assets(r, NULL, &s))
        return;
    if ((a = find(r, &s)) != NULL && plan(r, &s, NULL, &p) == 0)
        http_reply_json(r, 200, analysis_json(a, dp_plan_find(p, a->id)));
    dp_plan_free(p);
    pd_assets_close(&s);
}

/* Fill a from the body's fields (those given). Answers 422 itself. */
static int fill(struct http_req *r, struct dp_analysis *a)
{
    const char *sql = NULL, *name = NULL, *desc = NULL, *mat = NULL, *key = NULL, *path = NULL,
               *fresh = NULL;
    json_t *tags = json_object_get(r->body, "tags"), *params = json_object_get(r->body, "parameters");
    size_t i;
    json_t *v;
    if (http_arg_string(r, "sql", 0, &sql) || http_arg_string(r, "name", 0, &name) ||
        http_arg_string(r, "description", 0, &desc) ||
        http_arg_string(r, "materialize", 0, &mat) || http_arg_string(r, "unique_key", 0, &key) ||
        http_arg_string(r, "path", 0, &path) || http_arg_string(r, "freshness", 0, &fresh))
        return -1;
    if (fresh && strcmp(fresh, "assume_fresh") && strcmp(fresh, "default")) {
        http_reply_status(r, 422, "invalid_field",
                         "field 'freshness' must be assume_fresh or default, got '%s'", fresh);
        return -1;
    }
#define SET(field, value)                 \
    if (value) {                          \
        free(a->field);                   \
        a->field = xstrdup(value);        \
    }
    SET(sql, sql);
    SET(name, name);
    SET(description, desc);
    SET(unique_key, key);
    SET(path, path);
#undef SET
    if (fresh) {
        free(a->freshness);
        a->freshness = strcmp(fresh, "default") ? xstrdup(fresh) : NULL;
    }
    if (mat && dp_materialize_parse(mat, &a->materialize) != 0) {
        http_reply_status(r, 422, "invalid_field",
                         "field 'materialize' must be view, table, append, incremental, parquet "
                         "or ephemeral, got '%s'", mat);
        return -1;
    }
    if (tags) {
        pd_strv_clear(&a->tags);
        if (http_arg_strings(r, "tags", &a->tags))
            return -1;
    }
    if (params) {
        struct pd_err err = PD_ERR_INIT;
        if (!json_is_array(params)) {
            http_reply_status(r, 422, "invalid_field",
                             "field 'parameters' must be an array of \"NAME[:TYPE][=DEFAULT]\"");
            return -1;
        }
        for (size_t j = 0; j < a->nparams; j++)
            dp_param_free(&a->params[j]);
        free(a->params);
        a->params = xcalloc(json_array_size(params) + 1, sizeof(*a->params));
        a->nparams = 0;
        json_array_foreach(params, i, v) {
            if (!json_is_string(v) ||
                dp_param_parse_spec(json_string_value(v), &a->params[a->nparams], &err) != 0) {
                http_reply_status(r, 422, "invalid_field", "field 'parameters'[%zu]: %s", i,
                                 err.code ? err.msg : "must be a string NAME[:TYPE][=DEFAULT]");
                return -1;
            }
            a->nparams++;
        }
    }
    if (a->sql == NULL) {
        http_reply_status(r, 422, "invalid_field", "field 'sql' is required (a string)");
        return -1;
    }
    return 0;
}

/* Put a into the project, check the project still compiles, save. Answers. */
static void put_and_save(struct http_req *r, struct pd_assets *s, struct dp_analysis *a,
                         unsigned status)
{
    struct pd_err err = PD_ERR_INIT;
    struct dp_plan *p = NULL;
    if (pd_assets_save(s, a, &p, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    http_reply_json(r, status, analysis_json(a, dp_plan_find(p, a->id)));
    dp_plan_free(p);
}

void h_analysis_create(struct http_req *r)
{
    struct pd_assets s;
    struct pd_err err = PD_ERR_INIT;
    struct dp_analysis *a, *old;
    const char *id = NULL;
    int replace = 0;
    if (http_arg_string(r, "id", 1, &id) || http_arg_bool(r, "replace", &replace))
        return;
    if (dp_id_check("analysis", id, &err) != 0) {
        http_reply_status(r, 422, "invalid_field", "field 'id': %s", err.msg);
        return;
    }
    if (open_assets(r, NULL, &s))
        return;
    old = dp_project_find(s.project, id);
    if (old && !replace) {
        http_reply_error(r, PD_EEXIST, "analysis %s exists already: send \"replace\": true or PATCH it",
                        id);
        pd_assets_close(&s);
        return;
    }
    a = xcalloc(1, sizeof(*a));
    a->id = xstrdup(id);
    a->materialize = DP_VIEW;
    if (fill(r, a) != 0) {
        dp_analysis_free(a);
        pd_assets_close(&s);
        return;
    }
    if (old && old->created_at)
        a->created_at = xstrdup(old->created_at);
    put_and_save(r, &s, a, 201);
    pd_assets_close(&s);
}

/* A copy of an analysis to change: the project keeps the original until the copy compiles. */
/* An edit's starting point: the analysis as it is, less where and when it was saved. */
static struct dp_analysis *analysis_copy(const struct dp_analysis *old)
{
    struct dp_analysis *a = dp_analysis_dup(old);
    free(a->file);
    free(a->sql_file);
    free(a->updated_at);
    free(a->schema);
    a->file = a->sql_file = a->updated_at = a->schema = NULL;
    a->sql_line = 0;
    a->is_dbt = 0;
    return a;
}

void h_analysis_patch(struct http_req *r)
{
    struct pd_assets s;
    struct dp_analysis *old, *a;
    if (open_assets(r, NULL, &s))
        return;
    if ((old = find(r, &s)) == NULL) {
        pd_assets_close(&s);
        return;
    }
    a = analysis_copy(old);
    if (fill(r, a) != 0)
        dp_analysis_free(a);
    else
        put_and_save(r, &s, a, 200);
    pd_assets_close(&s);
}

void h_analysis_delete(struct http_req *r)
{
    struct pd_assets s;
    struct pd_err err = PD_ERR_INIT;
    const char *force = http_query(r, "force");
    if (open_assets(r, NULL, &s))
        return;
    if (find(r, &s) != NULL) {
        if (pd_assets_delete(&s, http_param(r, "id"), force && strcmp(force, "true") == 0, &err))
            http_reply_err(r, &err);
        else
            http_reply_json(r, 200, json_pack("{s:s, s:b}", "id", http_param(r, "id"), "deleted", 1));
    }
    pd_assets_close(&s);
}

static json_t *step_json(const struct dp_step *st, int with_sql)
{
    json_t *o = json_pack("{s:s, s:b, s:b, s:s}", "id", st->a->id, "selected", st->selected,
                          "run", st->run, "reason", dp_reason_text(st->reason));
    if (with_sql)
        json_object_set_new(o, "sql", json_string(st->sql ? st->sql : ""));
    if (st->param_error)
        json_object_set_new(o, "param_error", json_string(st->param_error));
    return o;
}

/* Whether the body carries an unsaved version of the analysis (any of its fields). */
static int has_draft(struct http_req *r)
{
    static const char *const fields[] = {"sql", "name", "description", "materialize", "tags",
                                         "parameters", "unique_key", "path", "freshness"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (json_object_get(r->body, fields[i]))
            return 1;
    return 0;
}

/*
 * Put the body's draft of analysis id into the project in memory (never saved):
 * changes to the saved one, or a new analysis. Answers the error itself.
 */
static int put_draft(struct http_req *r, struct pd_assets *s, const char *id)
{
    struct pd_err err = PD_ERR_INIT;
    struct dp_analysis *old = dp_project_find(s->project, id), *a;
    if (old)
        a = analysis_copy(old);
    else if (dp_id_check("analysis", id, &err) != 0) {
        http_reply_status(r, 422, "invalid_field", "the id: %s", err.msg);
        return -1;
    } else {
        a = xcalloc(1, sizeof(*a));
        a->id = xstrdup(id);
        a->materialize = DP_VIEW;
    }
    if (fill(r, a) != 0) {
        dp_analysis_free(a);
        return -1;
    }
    if (dp_project_put(s->project, a, 1, &err) != 0) {
        http_reply_err(r, &err);
        return -1;
    }
    return 0;
}

void h_analysis_compile(struct http_req *r)
{
    struct pd_assets s;
    struct dp_args args = {0};
    struct dp_plan *p = NULL;
    const char *id = http_param(r, "id");
    char sel[80];
    const char *select = sel;
    struct dp_compile_opts o = {.select = &select, .nselect = 1, .args = &args};
    int force = 0, upstream = 0, draft = has_draft(r);
    json_t *steps;
    if (http_arg_bool(r, "force", &force) || http_arg_bool(r, "upstream", &upstream) ||
        body_args(r, &args))
        goto out_args;
    snprintf(sel, sizeof(sel), "%s%s", upstream ? "+" : "", id);
    o.force = force;
    if (open_assets(r, NULL, &s))
        goto out_args;
    if ((draft ? put_draft(r, &s, id) == 0 : find(r, &s) != NULL) && plan(r, &s, &o, &p) == 0) {
        steps = json_array();
        for (size_t i = 0; i < p->n; i++)
            if (p->steps[i].selected || p->steps[i].run)
                json_array_append_new(steps, step_json(&p->steps[i], 1));
        http_reply_json(r, 200, json_pack("{s:s, s:b, s:o}", "id", id, "draft", draft, "steps", steps));
    }
    dp_plan_free(p);
    pd_assets_close(&s);
out_args:
    dp_args_clear(&args);
}

/* ---- execute: a job with an event per step -------------------------------- */

struct exec_arg {
    struct srv *srv;
    char *project, *id;
    char *params;        /* JSON text or NULL */
    int force, full_refresh, continue_on_failure, upstream;
    double timeout_s;
    struct srv_job *job; /* while running */
};

static void exec_arg_free(void *p)
{
    struct exec_arg *a = p;
    free(a->project);
    free(a->id);
    free(a->params);
    free(a);
}

static void on_step(void *arg, const struct dp_step *st, size_t index, size_t total,
                    const struct dp_step_result *res)
{
    struct exec_arg *a = arg;
    if (res == NULL) {
        srv_job_emit(a->job, "step_started",
                     json_pack("{s:s, s:I, s:I, s:s}", "analysis", st->a->id, "index",
                               (json_int_t)index, "total", (json_int_t)total, "reason",
                               dp_reason_text(st->reason)));
        return;
    }
    srv_job_emit(a->job, "step",
                 json_pack("{s:s, s:I, s:I, s:s, s:s, s:o, s:f, s:s?}", "analysis", st->a->id,
                           "index", (json_int_t)index, "total", (json_int_t)total, "status",
                           dp_step_status_name(res->status), "reason", res->reason ? res->reason : "",
                           "rows", res->rows >= 0 ? json_integer(res->rows) : json_null(),
                           "seconds", res->seconds, "error", res->error));
    srv_job_progress(a->job, total ? (double)index / (double)total : -1, NULL);
}

static int run_exec(struct srv_job *job, void *arg, json_t **result, struct pd_err *err)
{
    struct exec_arg *a = arg;
    struct pd_assets s;
    struct dp_args args = {0};
    struct dp_plan *p = NULL;
    struct dp_run_result res = {0};
    char sel[80];
    const char *select = sel;
    struct dp_compile_opts co = {.select = &select, .nselect = 1, .args = &args,
                                 .force = a->force, .full_refresh = a->full_refresh};
    struct dp_run_opts ro = {.timeout_s = a->timeout_s,
                             .continue_on_failure = a->continue_on_failure, .on_step = on_step,
                             .arg = a};
    int rc;

    snprintf(sel, sizeof(sel), "%s%s", a->upstream ? "+" : "", a->id);
    a->job = job;
    if ((rc = pd_assets_open(srv_warehouse(a->srv), pd_config_home(srv_config(a->srv)),
                             a->project, srv_job_cancel_flag(job), &s, err)) != 0)
        return rc;
    if (a->params)
        rc = dp_args_parse(&args, a->params, err);
    if (rc == 0)
        rc = dp_compile(s.project, &s.env, &co, &p, err);
    if (rc == 0)
        rc = dp_run(p, &s.env, &ro, &res, err);
    if (rc == 0 || res.n) {
        json_t *steps = json_array();
        for (size_t i = 0; i < res.n; i++)
            if (p->steps[i].selected)
                json_array_append_new(
                    steps, json_pack("{s:s, s:s, s:s, s:o, s:f, s:s?}", "analysis",
                                     res.steps[i].id, "status",
                                     res.steps[i].status == DP_S_PENDING
                                         ? "fresh"
                                         : dp_step_status_name(res.steps[i].status),
                                     "reason", res.steps[i].reason ? res.steps[i].reason : "",
                                     "rows", res.steps[i].rows >= 0 ? json_integer(res.steps[i].rows)
                                                                    : json_null(),
                                     "seconds", res.steps[i].seconds, "error", res.steps[i].error));
        *result = json_pack("{s:s?, s:i, s:i, s:i, s:o}", "run_id", res.run_id, "ok", res.ok,
                            "failed", res.failed, "skipped", res.skipped, "steps", steps);
        if (rc == 0 && res.failed)
            rc = pd_fail(err, PD_ESQL, "%d step%s failed (run %s)", res.failed,
                         res.failed == 1 ? "" : "s", res.run_id);
    }
    dp_run_result_clear(&res);
    dp_plan_free(p);
    dp_args_clear(&args);
    pd_assets_close(&s);
    return rc;
}

void h_analysis_execute(struct http_req *r)
{
    struct exec_arg *a;
    json_t *params = NULL, *record;
    int force = 0, full = 0, cont = 0, upstream = 0;
    double timeout_s = pd_config_seconds(srv_config(srv_of(r)), "query.timeout");
    struct pd_assets s;
    if (http_arg_bool(r, "force", &force) || http_arg_bool(r, "full_refresh", &full) ||
        http_arg_bool(r, "continue_on_failure", &cont) || http_arg_bool(r, "upstream", &upstream) ||
        http_arg_object(r, "params", &params) ||
        http_arg_number(r, "timeout_s", 0, 86400, &timeout_s))
        return;
    /* Refuse unknown ids now rather than in the job. */
    if (open_assets(r, NULL, &s))
        return;
    if (find(r, &s) == NULL) {
        pd_assets_close(&s);
        return;
    }
    pd_assets_close(&s);
    a = xcalloc(1, sizeof(*a));
    a->srv = srv_of(r);
    a->project = xstrdup(project_of(r));
    a->id = xstrdup(http_param(r, "id"));
    a->params = params ? pd_json_dumps_exact(params, JSON_COMPACT) : NULL;
    a->force = force;
    a->full_refresh = full;
    a->continue_on_failure = cont;
    a->upstream = upstream;
    a->timeout_s = timeout_s;
    /* Recorded with the job: a server killed mid-run marks this analysis interrupted. */
    record = json_pack("{s:s, s:[s]}", "project", a->project, "analyses", a->id);
    srv_submit(r, "analysis", record, run_exec, a, exec_arg_free, NULL);
    json_decref(record);
}

/* ---- reading ------------------------------------------------------------ */

void h_analysis_data(struct http_req *r)
{
    struct pd_assets s;
    const char *limit_s = http_query(r, "limit");
    long limit = limit_s ? strtol(limit_s, NULL, 10) : 100;
    struct pd_err err = PD_ERR_INIT;
    struct pd_buf doc = PD_BUF_INIT;
    if (limit <= 0 || limit > 1000000)
        limit = 100;
    if (open_assets(r, NULL, &s))
        return;
    if (find(r, &s)) {
        if (pd_assets_data(&s, http_param(r, "id"), NULL, limit, &doc, &err) != 0)
            http_reply_err(r, &err);
        else
            http_reply_bytes(r, 200, "application/json", doc.ptr, doc.len);
    }
    pd_buf_release(&doc);
    pd_assets_close(&s);
}

void h_analysis_freshness(struct http_req *r)
{
    struct pd_assets s;
    struct dp_plan *p = NULL;
    if (open_assets(r, NULL, &s))
        return;
    if (find(r, &s) && plan(r, &s, NULL, &p) == 0) {
        const struct dp_step *st = dp_plan_find(p, http_param(r, "id"));
        http_reply_json(r, 200, json_pack("{s:s, s:b, s:s, s:o, s:o}", "id", st->a->id, "fresh",
                                         !st->run, "reason", dp_reason_text(st->reason),
                                         "last_success_at", time_json(st->last_success_ms),
                                         "last_failure_at", time_json(st->last_failure_ms)));
    }
    dp_plan_free(p);
    pd_assets_close(&s);
}

static void lineage(struct http_req *r, const char *focus)
{
    struct pd_assets s;
    struct dp_plan *p = NULL;
    struct pd_buf out = PD_BUF_INIT;
    struct pd_err err = PD_ERR_INIT;
    const char *fmt_s = http_query(r, "format");
    enum dp_graph_format fmt = DP_GRAPH_JSON;
    if (fmt_s && dp_graph_format_parse(fmt_s, &fmt) != 0) {
        http_reply_error(r, PD_EINVAL, "?format must be json, dot or mermaid, got '%s'", fmt_s);
        return;
    }
    if (open_assets(r, NULL, &s))
        return;
    if ((focus == NULL || find(r, &s)) && plan(r, &s, NULL, &p) == 0) {
        if (dp_lineage(p, &s.env, focus, fmt, &out, &err) != 0)
            http_reply_err(r, &err);
        else
            http_reply_bytes(r, 200, fmt == DP_GRAPH_JSON ? "application/json" : "text/plain; charset=utf-8",
                            out.ptr, out.len);
    }
    pd_buf_release(&out);
    dp_plan_free(p);
    pd_assets_close(&s);
}

void h_analysis_lineage(struct http_req *r)
{
    lineage(r, http_param(r, "id"));
}

void h_lineage_graph(struct http_req *r)
{
    lineage(r, NULL);
}

struct history_arg {
    struct http_req *r;
    struct pd_assets *s;
};

static int list_history(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct history_arg *h = arg;
    const char *limit = http_query(h->r, "limit");
    return pd_assets_history(h->s, http_param(h->r, "id"), limit ? strtol(limit, NULL, 10) : 50,
                             sink, err);
}

void h_analysis_history(struct http_req *r)
{
    struct pd_assets s;
    struct history_arg h = {r, &s};
    if (open_assets(r, NULL, &s))
        return;
    if (find(r, &s))
        srv_reply_rows(r, list_history, &h, 0);
    pd_assets_close(&s);
}
