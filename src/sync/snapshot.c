/*
 * snapshot.c - Parquet snapshots of chosen results (see snapshot.h).
 */
#include "sync/snapshot.h"

#include "assets/assets.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/log.h"
#include "duckpipe/duckpipe.h"
#include "query/query.h"
#include "sync/execute.h"

#include <stdlib.h>

/* The result of analysis id as a SELECT: its materialized relation in its schema. */
static char *select_of(const struct dp_project *p, const struct dp_analysis *a)
{
    struct pd_buf b = PD_BUF_INIT;
    pd_buf_adds(&b, "SELECT * FROM ");
    pd_sql_ident(&b, a->schema ? a->schema : p->schema);
    pd_buf_addc(&b, '.');
    pd_sql_ident(&b, a->id);
    return pd_buf_detach(&b, NULL);
}

int pd_sync_snapshot(struct pd_warehouse *wh, const char *project, const char *dir,
                     const json_t *names, const char *out_dir, volatile sig_atomic_t *cancel,
                     json_t **files, struct pd_err *err)
{
    struct pd_query_opts qo = {.interrupt = cancel, .origin = "schedule"};
    struct pd_assets a;
    struct pd_query *q;
    json_t *name;
    size_t i;
    int rc = 0;
    *files = json_array();
    if ((rc = pd_sync_open(wh, project, dir, cancel, &a, err)) != 0)
        return rc;
    q = pd_query_new(wh, &qo);
    json_array_foreach(names, i, name) {
        const char *id = json_string_value(name);
        struct dp_analysis *an = id ? dp_project_find(a.project, id) : NULL;
        struct pd_err e = PD_ERR_INIT;
        uint64_t rows = 0;
        char *sql = an ? select_of(a.project, an) : NULL;
        char *path = xasprintf("%s/%s.parquet", out_dir, id ? id : "");
        if (an == NULL)
            pd_fail(&e, PD_ENOTFOUND, "no analysis of this name in the pipeline");
        if (an && pd_query_export(q, sql, path, &rows, &e) == 0) {
            json_array_append_new(*files, json_pack("{s:s, s:s, s:I}", "analysis", id, "path",
                                                    path, "rows", (json_int_t)rows));
            pd_log(PD_LOG_INFO, "snapshot written", "{s:s, s:I}", "asset_id", id, "rows",
                   (json_int_t)rows);
        } else {
            json_array_append_new(*files, json_pack("{s:s?, s:s}", "analysis", id, "error", e.msg));
            pd_log(PD_LOG_WARN, "snapshot not written", "{s:s?, s:s}", "asset_id", id, "error",
                   e.msg);
            if (e.code == PD_ECANCELED)
                rc = pd_fail(err, PD_ECANCELED, "cancelled");
        }
        free(sql);
        free(path);
        if (rc)
            break;
    }
    pd_query_free(q);
    pd_assets_close(&a);
    return rc;
}
