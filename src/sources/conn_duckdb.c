/*
 * conn_duckdb.c - another DuckDB database file, attached read-only natively.
 *
 * Each process ATTACHes the file as catalog "__pd_src_<name>" (READ_ONLY) before
 * the source's views are used; the views read its tables in schema main (or the
 * schema the source was attached with).
 */
#include "sources/connector.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "warehouse/warehouse.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void catalog_name(struct pd_buf *out, const struct pd_source *src)
{
    char *cat = xasprintf("__pd_src_%s", src->name);
    pd_sql_ident(out, cat);
    free(cat);
}

static const char *schema_of(const struct pd_source *src)
{
    const char *s = pd_cfg_str(src->config, "schema");
    return s ? s : "main";
}

static int configure(json_t *config, char **secret, struct pd_err *err)
{
    (void)secret;
    return pd_cfg_existing_file(config, "duckdb", "DuckDB", err);
}

static int dd_load(const struct pd_source *src, duckdb_connection conn, int revalidate,
                   struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    const char *path = pd_cfg_str(src->config, "path");
    int rc;

    (void)revalidate;
    if (!path || access(path, R_OK) != 0)
        return pd_fail(err, PD_ENOTFOUND, "DuckDB file %s does not exist or cannot be read",
                       path ? path : "(none)");
    pd_buf_adds(&sql, "ATTACH IF NOT EXISTS ");
    pd_sql_literal(&sql, path);
    pd_buf_adds(&sql, " AS ");
    catalog_name(&sql, src);
    pd_buf_adds(&sql, " (READ_ONLY)");
    rc = pd_exec(conn, sql.ptr, err);
    pd_buf_release(&sql);
    return rc;
}

static void dd_unload(const struct pd_source *src, duckdb_connection conn)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_err ignored = PD_ERR_INIT;

    pd_buf_adds(&sql, "DETACH DATABASE IF EXISTS ");
    catalog_name(&sql, src);
    pd_exec(conn, sql.ptr, &ignored);
    pd_buf_release(&sql);
}

static int dd_tables(const struct pd_source *src, duckdb_connection conn, struct pd_strv *out,
                     struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    char *cat = xasprintf("__pd_src_%s", src->name);

    (void)err;
    pd_buf_adds(&sql, "SELECT table_name FROM information_schema.tables WHERE table_catalog = ");
    pd_sql_literal(&sql, cat);
    pd_buf_adds(&sql, " AND table_schema = ");
    pd_sql_literal(&sql, schema_of(src));
    pd_query_texts(conn, sql.ptr, out);
    pd_buf_release(&sql);
    free(cat);
    return 0;
}

static int dd_relation(const struct pd_source *src, const char *table, struct pd_buf *sql,
                       struct pd_err *err)
{
    (void)err;
    catalog_name(sql, src);
    pd_buf_addc(sql, '.');
    pd_sql_ident(sql, schema_of(src));
    pd_buf_addc(sql, '.');
    pd_sql_ident(sql, table);
    return 0;
}

const struct pd_connector pd_conn_duckdb = {
    .type = "duckdb",
    .summary = "another DuckDB database file (attached read-only)",
    .options = "--path FILE [--schema SCHEMA]",
    .configure = configure,
    .load = dd_load,
    .unload = dd_unload,
    .tables = dd_tables,
    .relation = dd_relation,
};
