/*
 * assets.c - duckpipe sessions over the warehouse (see assets.h).
 */
#include "assets/assets.h"
#include "assets/projects.h"
#include "duckpipe/dbt.h"

#include "base/alloc.h"
#include "base/duck.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "sources/relations.h"
#include "query/query.h"
#include "warehouse/encode.h"
#include "warehouse/interrupt.h"
#include "warehouse/warehouse.h"

#include <stdlib.h>
#include <string.h>

char *pd_assets_dir(const char *home, const char *project)
{
    char *p = xasprintf("%s/projects/%s/analyses", home, project);
    return p;
}

static int bind(struct pd_warehouse *wh, volatile sig_atomic_t *cancel, struct pd_assets *out,
                struct pd_err *err)
{
    int rc = pd_warehouse_acquire(wh, &out->env.conn, err);
    if (rc)
        return rc;
    out->wh = wh;
    out->relations = pd_relations_load(out->env.conn);
    out->env.relation = pd_relations_lookup;
    out->env.relation_arg = out->relations;
    out->env.interrupt = pd_interrupt;
    out->env.db = pd_warehouse_db(wh);
    out->env.cancel = cancel;
    return 0;
}

/* After a load that returned rc: bind the project loaded, or free it when that fails. */
static int bind_loaded(struct pd_warehouse *wh, volatile sig_atomic_t *cancel,
                       struct pd_assets *out, int rc, struct pd_err *err)
{
    if (rc == 0 && (rc = bind(wh, cancel, out, err)) != 0) {
        dp_project_free(out->project);
        out->project = NULL;
    }
    return rc;
}

int pd_assets_open(struct pd_warehouse *wh, const char *home, const char *project,
                   volatile sig_atomic_t *cancel, struct pd_assets *out, struct pd_err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if (!project)
        project = "default";
    if ((rc = pd_project_require(wh, home, project, err)) != 0)
        return rc;
    char *dir = pd_assets_dir(home, project);
    rc = dp_project_load(project, dir, &out->project, err);
    free(dir);
    return bind_loaded(wh, cancel, out, rc, err);
}

int pd_assets_open_at(struct pd_warehouse *wh, const char *project, const char *dir,
                      volatile sig_atomic_t *cancel, struct pd_assets *out, struct pd_err *err)
{
    char *analyses = xasprintf("%s/analyses", dir);
    int rc;
    memset(out, 0, sizeof(*out));
    rc = dp_project_load(project, analyses, &out->project, err);
    free(analyses);
    return bind_loaded(wh, cancel, out, rc, err);
}

int pd_assets_open_dbt(struct pd_warehouse *wh, const char *dir, volatile sig_atomic_t *cancel,
                       struct pd_assets *out, struct pd_err *err)
{
    memset(out, 0, sizeof(*out));
    return bind_loaded(wh, cancel, out, dp_dbt_load(dir, &out->project, err), err);
}

void pd_assets_close(struct pd_assets *a)
{
    if (a->env.conn)
        pd_warehouse_release(a->wh, a->env.conn, 1);
    pd_relations_free(a->relations);
    dp_project_free(a->project);
    memset(a, 0, sizeof(*a));
}

int pd_assets_history(struct pd_assets *a, const char *id, long limit, struct pd_sink *sink,
                      struct pd_err *err)
{
    struct pd_query_opts o = {.origin = "analysis history"};
    struct pd_buf sql = PD_BUF_INIT;
    int rc;

    pd_buf_adds(&sql, "SELECT run_id, analysis, started_at, status, rows, round(duration_ms, 1) "
                      "AS duration_ms, reason, error, params FROM _duckpipe.run_history WHERE "
                      "project = ");
    pd_sql_literal(&sql, a->project->name);
    if (id) {
        pd_buf_adds(&sql, " AND analysis = ");
        pd_sql_literal(&sql, id);
    }
    pd_buf_addf(&sql, " ORDER BY started_at DESC, run_id DESC LIMIT %ld", limit);
    struct pd_query *q = pd_query_new(a->wh, &o);
    rc = pd_query_run(q, sql.ptr, sink, NULL, err);
    pd_query_free(q);
    pd_buf_release(&sql);
    return rc;
}

int pd_assets_save(struct pd_assets *s, struct dp_analysis *a, struct dp_plan **plan,
                   struct pd_err *err)
{
    struct dp_plan *p = NULL;
    int rc;
    if (plan)
        *plan = NULL;
    if ((rc = dp_project_put(s->project, a, 1, err)) != 0) {
        dp_analysis_free(a);
        return rc;
    }
    /* it must compile with the rest before it is saved */
    if ((rc = dp_compile(s->project, &s->env, NULL, &p, err)) == 0)
        rc = dp_analysis_save(s->project, a, pd_now_ms(), err);
    if (rc == 0 && plan)
        *plan = p;
    else
        dp_plan_free(p);
    return rc;
}

int pd_assets_data(struct pd_assets *a, const char *id, struct dp_args *args, long limit,
                   struct pd_buf *doc, struct pd_err *err)
{
    struct dp_compile_opts o = {.args = args};
    struct dp_plan *p = NULL;
    duckdb_result res;
    int rc;
    if (!dp_project_find(a->project, id))
        return pd_fail(err, PD_ENOTFOUND, "no analysis '%s' in project %s", id, a->project->name);
    if ((rc = dp_compile(a->project, &a->env, &o, &p, err)) != 0)
        return rc;
    if ((rc = dp_preview(p, dp_plan_find(p, id), &a->env, limit, &res, err)) == 0) {
        struct pd_sink *sink = pd_sink_new_doc(doc);
        struct pd_result_end end;
        rc = pd_sink_result(sink, &res, "SELECT", (uint64_t)limit, pd_mono_s(), &end, err);
        pd_sink_free(sink);
        duckdb_destroy_result(&res);
    }
    dp_plan_free(p);
    return rc;
}

/* Append "schema"."id". */
static void qualified(struct pd_buf *b, const char *schema, const char *id)
{
    pd_sql_ident(b, schema);
    pd_buf_addc(b, '.');
    pd_sql_ident(b, id);
}

int pd_assets_delete(struct pd_assets *a, const char *id, int force, struct pd_err *err)
{
    struct dp_analysis *an = dp_project_find(a->project, id);
    struct dp_plan *plan = NULL;
    struct pd_buf dependents = PD_BUF_INIT, sql = PD_BUF_INIT;
    int rc;

    if (!an)
        return pd_fail(err, PD_ENOTFOUND, "no analysis '%s' in project %s", id, a->project->name);
    if (dp_compile(a->project, &a->env, NULL, &plan, err) == 0) {
        const struct dp_step *st = dp_plan_find(plan, id);
        size_t me = (size_t)(st - plan->steps);
        for (size_t i = 0; i < plan->n; i++)
            for (size_t k = 0; k < plan->steps[i].nups; k++)
                if (plan->steps[i].ups[k] == me)
                    pd_buf_addf(&dependents, "%s%s", dependents.len ? ", " : "",
                                plan->steps[i].a->id);
    } else {
        pd_err_clear(err); /* a broken project: deleting must still be possible */
    }
    dp_plan_free(plan);
    if (dependents.len && !force) {
        rc = pd_fail(err, PD_EEXIST,
                     "analysis %s is read by %s: delete those first, or use --force (over "
                     "HTTP: ?force=true)",
                     id, dependents.ptr);
        pd_buf_release(&dependents);
        return rc;
    }
    pd_buf_release(&dependents);
    if ((rc = dp_analysis_remove(a->project, an, err)) != 0)
        return rc;
    /* drop what it materialized (a view or a table: one of the two fails) and its state */
    static const char *const drops[] = {"DROP VIEW IF EXISTS ", "DROP TABLE IF EXISTS "};
    for (size_t i = 0; i < 2; i++) {
        struct pd_err ignore = PD_ERR_INIT;
        pd_buf_reset(&sql);
        pd_buf_adds(&sql, drops[i]);
        qualified(&sql, a->project->schema, id);
        pd_exec(a->env.conn, sql.ptr, &ignore);
    }
    pd_buf_reset(&sql);
    pd_buf_adds(&sql, "DELETE FROM _duckpipe.run_state WHERE project = ");
    pd_sql_literal(&sql, a->project->name);
    pd_buf_adds(&sql, " AND analysis = ");
    pd_sql_literal(&sql, id);
    rc = pd_exec(a->env.conn, sql.ptr, err);
    pd_buf_release(&sql);
    return rc;
}
