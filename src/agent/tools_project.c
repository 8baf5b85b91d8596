/*
 * tools_project.c - the agent's tools over sources, analyses and boards:
 * reading (list_sources, list_source_tables, list_analyses, get_freshness) and
 * changing, which needs approval (attach_source, cache_table, save_analysis,
 * run_analysis, add_board_item).
 */
#include "agent/tools_internal.h"

#include "agent/skills.h"
#include "assets/assets.h"
#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "boards/boards.h"
#include "sources/cache.h"
#include "sources/sources.h"
#include "warehouse/encode.h"

#include <stdlib.h>
#include <string.h>

static const char *project_of(const struct ag_env *e)
{
    return e->project ? e->project : "default";
}

struct source_listing {
    struct pd_sources *S;
    const char *source; /* NULL: the sources */
};

static int fill_sources(void *arg, struct pd_sink *sink, struct pd_err *err)
{
    struct source_listing *l = arg;
    return l->source ? pd_source_tables(l->S, l->source, sink, err)
                     : pd_source_list(l->S, 0, sink, err);
}

static int sources_listing(const struct ag_env *e, const char *source, struct ag_tool_result *out,
                           struct pd_err *err)
{
    struct source_listing l = {e->sources, source};
    if (e->sources == NULL)
        return pd_fail(err, PD_EINVAL, "no sources are available here");
    return ag_listing(fill_sources, &l, out, err);
}

int ag_t_list_sources(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                      struct pd_err *err)
{
    (void)args;
    return sources_listing(e, NULL, out, err);
}

int ag_t_list_source_tables(const struct ag_env *e, const json_t *args,
                            struct ag_tool_result *out, struct pd_err *err)
{
    return sources_listing(e, json_string_value(json_object_get(args, "source")), out, err);
}

static json_t *strv_json(const struct pd_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

int ag_t_attach_source(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                       struct pd_err *err)
{
    struct pd_attach_req req = {
        .name = json_string_value(json_object_get(args, "name")),
        .type = json_string_value(json_object_get(args, "type")),
        .description = json_string_value(json_object_get(args, "description")),
        .config = json_object_get(args, "config")};
    struct pd_attach_report rep = {0};
    json_t *empty = NULL;
    int rc;
    if (e->sources == NULL)
        return pd_fail(err, PD_EINVAL, "no sources are available here");
    if (req.config == NULL)
        req.config = empty = json_object();
    if ((rc = pd_source_attach(e->sources, &req, &rep, err)) == 0)
        out->for_model = json_pack("{s:s, s:o, s:o}", "attached", req.name, "tables",
                                   strv_json(&rep.tables), "warnings", strv_json(&rep.warnings));
    pd_attach_report_clear(&rep);
    json_decref(empty);
    return rc;
}

int ag_t_cache_table(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                     struct pd_err *err)
{
    struct pd_cache_req req = {.source = json_string_value(json_object_get(args, "source")),
                               .table = json_string_value(json_object_get(args, "table")),
                               .local = json_string_value(json_object_get(args, "local")),
                               .where = json_string_value(json_object_get(args, "where")),
                               .ttl = json_string_value(json_object_get(args, "ttl")),
                               .interrupted = e->cancel};
    struct pd_cache_result res = {0};
    int rc;
    if (e->sources == NULL)
        return pd_fail(err, PD_EINVAL, "no sources are available here");
    if ((rc = pd_cache_create(e->sources, &req, &res, err)) == 0) {
        char *table = xasprintf("cache.%s", res.local);
        out->for_model = json_pack("{s:s, s:I}", "table", table, "rows", (json_int_t)res.rows);
        if (res.warnings.n) {
            json_t *w = json_array();
            for (size_t i = 0; i < res.warnings.n; i++)
                json_array_append_new(w, json_string(res.warnings.v[i]));
            json_object_set_new(out->for_model, "warnings", w);
        }
        free(table);
    }
    pd_cache_result_clear(&res);
    return rc;
}

/* Open the project and plan it (for state). */
static int planned(const struct ag_env *e, struct pd_assets *s, struct dp_plan **p,
                   struct pd_err *err)
{
    int rc = pd_assets_open(e->wh, e->home, project_of(e), e->cancel, s, err);
    if (rc == 0 && (rc = dp_compile(s->project, &s->env, NULL, p, err)) != 0)
        pd_assets_close(s);
    return rc;
}

static json_t *step_json(const struct dp_step *st)
{
    return json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s}", "id", st->a->id, "name", st->a->name,
                     "description", st->a->description, "materialize",
                     dp_materialize_name(st->a->materialize), "state", st->run ? "stale" : "fresh",
                     "reason", dp_reason_text(st->reason));
}

int ag_t_list_analyses(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                       struct pd_err *err)
{
    struct pd_assets s;
    struct dp_plan *p = NULL;
    json_t *list;
    int rc = planned(e, &s, &p, err);
    (void)args;
    if (rc)
        return rc;
    list = json_array();
    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(list, step_json(&p->steps[i]));
    out->for_model = json_pack("{s:s, s:o}", "project", project_of(e), "analyses", list);
    dp_plan_free(p);
    pd_assets_close(&s);
    return 0;
}

int ag_t_get_freshness(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                       struct pd_err *err)
{
    const char *id = json_string_value(json_object_get(args, "id"));
    struct pd_assets s;
    struct dp_plan *p = NULL;
    const struct dp_step *st;
    int rc = planned(e, &s, &p, err);
    if (rc)
        return rc;
    if ((st = dp_plan_find(p, id)) == NULL)
        rc = pd_fail(err, PD_ENOTFOUND, "no analysis '%s' (see list_analyses)", id);
    else
        out->for_model = step_json(st);
    dp_plan_free(p);
    pd_assets_close(&s);
    return rc;
}

int ag_t_get_lineage(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                     struct pd_err *err)
{
    const char *id = json_string_value(json_object_get(args, "id"));
    struct pd_assets s;
    struct dp_plan *p = NULL;
    struct pd_buf text = PD_BUF_INIT;
    int rc = planned(e, &s, &p, err);
    if (rc)
        return rc;
    if (id && !dp_plan_find(p, id))
        rc = pd_fail(err, PD_ENOTFOUND, "no analysis '%s' (see list_analyses)", id);
    else if ((rc = dp_lineage(p, &s.env, id, DP_GRAPH_JSON, &text, err)) == 0 &&
             (out->for_model = pd_json_loadb_exact(text.ptr, text.len, 0, NULL)) == NULL)
        rc = pd_fail(err, PD_EINTERNAL, "lineage unreadable");
    pd_buf_release(&text);
    dp_plan_free(p);
    pd_assets_close(&s);
    return rc;
}

int ag_t_save_analysis(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                       struct pd_err *err)
{
    const char *id = json_string_value(json_object_get(args, "id"));
    const char *mat = json_string_value(json_object_get(args, "materialize"));
    struct pd_assets s;
    struct dp_analysis *a;
    int rc;
    if ((rc = dp_id_check("analysis", id, err)) != 0)
        return rc;
    a = xcalloc(1, sizeof(*a));
    a->id = xstrdup(id);
    a->sql = xstrdup(json_string_value(json_object_get(args, "sql")));
    if (json_string_value(json_object_get(args, "name")))
        a->name = xstrdup(json_string_value(json_object_get(args, "name")));
    if (json_string_value(json_object_get(args, "description")))
        a->description = xstrdup(json_string_value(json_object_get(args, "description")));
    a->materialize = DP_VIEW;
    if (mat && dp_materialize_parse(mat, &a->materialize) != 0) {
        dp_analysis_free(a);
        return pd_fail(err, PD_EINVAL, "save_analysis: materialize must be view or table, got '%s'",
                       mat);
    }
    if ((rc = pd_assets_open(e->wh, e->home, project_of(e), e->cancel, &s, err)) != 0) {
        dp_analysis_free(a);
        return rc;
    }
    if (dp_project_find(s.project, id)) {
        dp_analysis_free(a);
        rc = pd_fail(err, PD_EEXIST, "analysis %s exists already: choose another id", id);
    } else if ((rc = pd_assets_save(&s, a, NULL, err)) == 0) {
        out->for_model = json_pack("{s:s, s:s}", "saved", id, "project", project_of(e));
    }
    pd_assets_close(&s);
    return rc;
}

int ag_t_run_analysis(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                      struct pd_err *err)
{
    const char *id = json_string_value(json_object_get(args, "id"));
    char *sel = xasprintf("+%s", id);
    const char *select = sel;
    struct dp_compile_opts co = {.select = &select, .nselect = 1};
    struct pd_assets s;
    struct dp_plan *p = NULL;
    struct dp_run_result res = {0};
    int rc = pd_assets_open(e->wh, e->home, project_of(e), e->cancel, &s, err);
    if (rc == 0 && !dp_project_find(s.project, id))
        rc = pd_fail(err, PD_ENOTFOUND, "no analysis '%s' (see list_analyses)", id);
    if (rc == 0 && (rc = dp_compile(s.project, &s.env, &co, &p, err)) == 0 &&
        (rc = dp_run(p, &s.env, NULL, &res, err)) == 0)
        out->for_model = json_pack("{s:s, s:i, s:i, s:i}", "run_id", res.run_id, "ok", res.ok,
                                   "failed", res.failed, "skipped", res.skipped);
    dp_run_result_clear(&res);
    dp_plan_free(p);
    if (s.project)
        pd_assets_close(&s);
    free(sel);
    return rc;
}

int ag_t_add_board_item(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                        struct pd_err *err)
{
    struct pd_boards_env be = {.wh = e->wh, .home = e->home, .timeout_s = e->timeout_s,
                               .history = e->history};
    json_t *item = json_deep_copy(args);
    char *text = NULL;
    int rc;
    json_object_del(item, "board");
    rc = pd_board_item_add(&be, project_of(e), json_string_value(json_object_get(args, "board")),
                           item, &text, err);
    json_decref(item);
    if (rc == 0) {
        json_t *doc = json_loads(text, 0, NULL);
        out->for_model = json_pack("{s:O, s:O}", "added", json_object_get(doc, "id"), "type",
                                   json_object_get(doc, "type"));
        json_decref(doc);
    }
    free(text);
    return rc;
}

int ag_t_load_skill(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                    struct pd_err *err)
{
    const char *name = json_string_value(json_object_get(args, "name"));
    struct ag_skills skills;
    const struct ag_skill *k;
    int rc = 0;
    ag_skills_load(e->home, e->project, &skills);
    if ((k = ag_skill_find(&skills, name)) == NULL) {
        struct pd_buf names = PD_BUF_INIT;
        for (size_t i = 0; i < skills.n; i++)
            pd_buf_addf(&names, "%s%s", i ? ", " : "", skills.v[i].name);
        rc = pd_fail(err, PD_ENOTFOUND, "no skill '%s' (skills: %s)", name, names.ptr);
        pd_buf_release(&names);
    } else {
        json_t *tools = json_array();
        for (size_t i = 0; i < k->allowed_tools.n; i++)
            json_array_append_new(tools, json_string(k->allowed_tools.v[i]));
        out->for_model = json_pack("{s:s, s:s, s:o}", "name", k->name, "instructions", k->body,
                                   "allowed_tools", tools);
    }
    ag_skills_clear(&skills);
    return rc;
}
