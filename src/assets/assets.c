/*
 * assets.c - duckpipe sessions over the warehouse (see assets.h).
 */
#include "assets/assets.h"
#include "duckpipe/dbt.h"

#include "base/alloc.h"
#include "base/duck.h"
#include "base/err.h"
#include "sources/relations.h"
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
    out->env.cancel = cancel;
    return 0;
}

int pd_assets_open(struct pd_warehouse *wh, const char *home, const char *project,
                   volatile sig_atomic_t *cancel, struct pd_assets *out, struct pd_err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if (!project)
        project = "default";
    if ((rc = pd_name_check("project", project, err)) != 0)
        return rc;
    char *dir = pd_assets_dir(home, project);
    rc = dp_project_load(project, dir, &out->project, err);
    free(dir);
    if (rc)
        return rc;
    if ((rc = bind(wh, cancel, out, err)) != 0) {
        dp_project_free(out->project);
        out->project = NULL;
    }
    return rc;
}

int pd_assets_open_dbt(struct pd_warehouse *wh, const char *dir, volatile sig_atomic_t *cancel,
                       struct pd_assets *out, struct pd_err *err)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = dp_dbt_load(dir, &out->project, err)) != 0)
        return rc;
    if ((rc = bind(wh, cancel, out, err)) != 0) {
        dp_project_free(out->project);
        out->project = NULL;
    }
    return rc;
}

void pd_assets_close(struct pd_assets *a)
{
    if (a->env.conn)
        pd_warehouse_release(a->wh, a->env.conn, 1);
    pd_relations_free(a->relations);
    dp_project_free(a->project);
    memset(a, 0, sizeof(*a));
}
