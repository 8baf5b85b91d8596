/*
 * projects.c - the project registry (see projects.h).
 */
#include "assets/projects.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/path.h"
#include "base/strv.h"
#include "query/query.h"
#include "warehouse/warehouse.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *project_dir(const char *home, const char *id)
{
    return xasprintf("%s/projects/%s", home, id);
}

/* How many analysis files the project's folder holds. */
static long count_analyses(const char *home, const char *id)
{
    char *dir = xasprintf("%s/projects/%s/analyses", home, id);
    DIR *d = opendir(dir);
    struct dirent *e;
    long n = 0;
    free(dir);
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += e->d_name[0] != '.' && len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0;
    }
    closedir(d);
    return n;
}

/*
 * Register the project folders made by hand (only reads when there are none);
 * folders (may be NULL) gets the name of every project folder.
 */
static int sync_folders(duckdb_connection conn, const char *home, struct pd_strv *folders,
                        struct pd_err *err)
{
    char *root = xasprintf("%s/projects", home);
    DIR *d = opendir(root);
    struct dirent *e;
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_strv known = {0};
    duckdb_result res;
    int rc = 0;
    if (d && duckdb_query(conn, "SELECT id FROM _pluto.projects", &res) == DuckDBSuccess) {
        for (idx_t i = 0; i < duckdb_row_count(&res); i++) {
            char *id = duckdb_value_varchar(&res, 0, i);
            pd_strv_push(&known, id);
            duckdb_free(id);
        }
        duckdb_destroy_result(&res);
    }
    while (d && (e = readdir(d)) != NULL) {
        char *path = xasprintf("%s/%s", root, e->d_name);
        struct stat st;
        if (pd_name_check("project", e->d_name, NULL) == 0 && stat(path, &st) == 0 &&
            S_ISDIR(st.st_mode)) {
            if (folders)
                pd_strv_push(folders, e->d_name);
            if (!pd_strv_has(&known, e->d_name)) {
                pd_buf_adds(&sql, sql.len ? ", (" : "(");
                pd_sql_literal(&sql, e->d_name);
                pd_buf_addc(&sql, ')');
            }
        }
        free(path);
    }
    if (d)
        closedir(d);
    free(root);
    if (sql.len) {
        char *stmt = xasprintf("INSERT INTO _pluto.projects (id) VALUES %s ON CONFLICT DO NOTHING",
                               sql.ptr);
        rc = pd_exec(conn, stmt, err);
        free(stmt);
    }
    pd_buf_release(&sql);
    pd_strv_clear(&known);
    return rc;
}

static int synced(struct pd_warehouse *wh, const char *home, struct pd_err *err)
{
    duckdb_connection conn;
    int rc = pd_warehouse_acquire(wh, &conn, err);
    if (rc)
        return rc;
    rc = sync_folders(conn, home, NULL, err);
    pd_warehouse_release(wh, conn, 1);
    return rc;
}

/* 1 when id is registered, 0 when not, <0 on error. */
static int exists(duckdb_connection conn, const char *id, struct pd_err *err)
{
    duckdb_prepared_statement st;
    duckdb_result res;
    int found;
    if (duckdb_prepare(conn, "SELECT 1 FROM _pluto.projects WHERE id = $1", &st) != DuckDBSuccess) {
        pd_fail(err, PD_EINTERNAL, "projects: %s", duckdb_prepare_error(st));
        duckdb_destroy_prepare(&st);
        return PD_EINTERNAL;
    }
    duckdb_bind_varchar(st, 1, id);
    if (duckdb_execute_prepared(st, &res) != DuckDBSuccess) {
        pd_fail(err, PD_EINTERNAL, "projects: %s", duckdb_result_error(&res));
        found = PD_EINTERNAL;
    } else {
        found = duckdb_row_count(&res) > 0;
    }
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&st);
    return found;
}

static int not_found(const char *id, struct pd_err *err)
{
    return pd_fail(err, PD_ENOTFOUND,
                   "no project '%s' (see: pluto-duck project list; create it with: pluto-duck "
                   "project create %s)",
                   id, id);
}

/* The listing query, for one project or all (where may be NULL). */
static int listing(struct pd_warehouse *wh, const char *home, const char *id,
                   struct pd_sink *sink, struct pd_err *err)
{
    struct pd_query_opts o = {.origin = "projects"};
    struct pd_buf sql = PD_BUF_INIT, counts = PD_BUF_INIT;
    struct pd_strv folders = {0};
    duckdb_connection conn;
    int rc;

    if ((rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    rc = sync_folders(conn, home, &folders, err);
    pd_warehouse_release(wh, conn, 1);
    /* analyses live in the folders: a project without one has none */
    for (size_t i = 0; i < folders.n; i++) {
        pd_buf_adds(&counts, counts.len ? ", (" : "(");
        pd_sql_literal(&counts, folders.v[i]);
        pd_buf_addf(&counts, ", %ld::BIGINT)", count_analyses(home, folders.v[i]));
    }
    pd_strv_clear(&folders);
    if (rc) {
        pd_buf_release(&counts);
        return rc;
    }
    pd_buf_adds(&sql, "SELECT p.id, p.description, coalesce(a.n, 0) AS analyses, "
                      "(SELECT count(*) FROM _pluto.boards b WHERE b.project = p.id) AS boards, "
                      "CASE WHEN p.id = 'default' THEN 'analysis' ELSE 'analysis_' || p.id END "
                      "AS schema, ");
    pd_sql_literal(&sql, home);
    pd_buf_adds(&sql, " || '/projects/' || p.id AS folder, p.created_at "
                      "FROM _pluto.projects p LEFT JOIN (VALUES ");
    pd_buf_adds(&sql, counts.len ? counts.ptr : "(NULL, 0)");
    pd_buf_adds(&sql, ") a(id, n) ON a.id = p.id");
    if (id) {
        pd_buf_adds(&sql, " WHERE p.id = ");
        pd_sql_literal(&sql, id);
    }
    pd_buf_adds(&sql, " ORDER BY p.id <> 'default', p.id");
    struct pd_query *q = pd_query_new(wh, &o);
    rc = pd_query_run(q, sql.ptr, sink, NULL, err);
    pd_query_free(q);
    pd_buf_release(&sql);
    pd_buf_release(&counts);
    return rc;
}

int pd_projects_list(struct pd_warehouse *wh, const char *home, struct pd_sink *sink,
                     struct pd_err *err)
{
    return listing(wh, home, NULL, sink, err);
}

int pd_project_show(struct pd_warehouse *wh, const char *home, const char *id,
                    struct pd_sink *sink, struct pd_err *err)
{
    int rc = pd_project_require(wh, home, id, err);
    return rc ? rc : listing(wh, home, id, sink, err);
}

int pd_project_require(struct pd_warehouse *wh, const char *home, const char *id,
                       struct pd_err *err)
{
    duckdb_connection conn;
    int rc;
    if ((rc = pd_name_check("project", id, err)) != 0)
        return rc;
    if ((rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    rc = sync_folders(conn, home, NULL, err);
    if (rc == 0 && (rc = exists(conn, id, err)) == 0)
        rc = not_found(id, err);
    pd_warehouse_release(wh, conn, 1);
    return rc > 0 ? 0 : rc;
}

int pd_project_create(struct pd_warehouse *wh, const char *home, const char *id,
                      const char *description, struct pd_err *err)
{
    duckdb_connection conn;
    struct pd_buf sql = PD_BUF_INIT;
    char *dir, *analyses;
    int rc;
    if ((rc = pd_name_check("project", id, err)) != 0)
        return rc;
    if ((rc = synced(wh, home, err)) != 0 || (rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    if ((rc = exists(conn, id, err)) != 0) {
        pd_warehouse_release(wh, conn, 1);
        return rc > 0 ? pd_fail(err, PD_EEXIST, "project %s exists already", id) : rc;
    }
    dir = project_dir(home, id);
    analyses = xasprintf("%s/analyses", dir);
    pd_buf_adds(&sql, "INSERT INTO _pluto.projects (id, description) VALUES (");
    pd_sql_literal(&sql, id);
    pd_buf_adds(&sql, ", ");
    if (description)
        pd_sql_literal(&sql, description);
    else
        pd_buf_adds(&sql, "NULL");
    pd_buf_addc(&sql, ')');
    /* The folder first: a row without its folder would be re-created empty anyway. */
    rc = pd_mkdir_p(analyses, 0755, err);
    if (rc == 0)
        rc = pd_exec(conn, sql.ptr, err);
    pd_warehouse_release(wh, conn, 1);
    pd_buf_release(&sql);
    free(analyses);
    free(dir);
    return rc;
}

/* The statements removing everything of project id from the warehouse. */
static void delete_sql(struct pd_buf *b, const char *id)
{
    struct pd_buf lit = PD_BUF_INIT;
    char *schema = xasprintf("analysis_%s", id);
    pd_sql_literal(&lit, id);
    pd_buf_adds(b, "DROP SCHEMA IF EXISTS ");
    pd_sql_ident(b, schema);
    pd_buf_addf(b, " CASCADE;"
                   "DELETE FROM _pluto.board_items WHERE board_id IN "
                   "(SELECT id FROM _pluto.boards WHERE project = %s);"
                   "DELETE FROM _pluto.boards WHERE project = %s;"
                   "DELETE FROM _duckpipe.run_state WHERE project = %s;"
                   "DELETE FROM _duckpipe.run_history WHERE project = %s;"
                   "DELETE FROM _pluto.projects WHERE id = %s;",
                lit.ptr, lit.ptr, lit.ptr, lit.ptr, lit.ptr);
    pd_buf_release(&lit);
    free(schema);
}

int pd_project_delete(struct pd_warehouse *wh, const char *home, const char *id,
                      const char *confirm, struct pd_err *err)
{
    duckdb_connection conn;
    struct pd_buf sql = PD_BUF_INIT;
    char *dir, *aside = NULL;
    int rc, moved = 0;

    if ((rc = pd_project_require(wh, home, id, err)) != 0)
        return rc;
    if (strcmp(id, "default") == 0)
        return pd_fail(err, PD_EINVAL, "the default project cannot be deleted");
    if (confirm == NULL || strcmp(confirm, id) != 0)
        return pd_fail(err, PD_EINVAL,
                       "deleting project %s removes its analyses, boards and results: %s "
                       "(--confirm %s; over HTTP ?confirm=%s)",
                       id,
                       confirm ? "the confirmation does not match its name"
                               : "type its name to confirm",
                       id, id);
    if ((rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    dir = project_dir(home, id);
    aside = xasprintf("%s/projects/.deleting-%s-%ld", home, id, (long)getpid());
    delete_sql(&sql, id);
    if ((rc = pd_exec(conn, "BEGIN TRANSACTION", err)) != 0)
        goto out;
    if ((rc = pd_exec(conn, sql.ptr, err)) != 0)
        goto rollback;
    /* The folder goes aside first, so a failed commit can put it back. */
    if (pd_path_exists(dir)) {
        if (rename(dir, aside) != 0) {
            rc = pd_fail(err, PD_EIO, "cannot move %s: %s (nothing was deleted)", dir,
                         strerror(errno));
            goto rollback;
        }
        moved = 1;
    }
    if ((rc = pd_exec(conn, "COMMIT", err)) != 0) {
        if (moved)
            rename(aside, dir);
        goto out;
    }
    if (moved)
        pd_remove_tree(aside);
    goto out;
rollback:
    pd_exec(conn, "ROLLBACK", NULL);
out:
    pd_warehouse_release(wh, conn, rc == 0);
    pd_buf_release(&sql);
    free(dir);
    free(aside);
    return rc;
}
