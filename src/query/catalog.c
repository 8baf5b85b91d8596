/*
 * catalog.c - table and column listings over information_schema (see catalog.h).
 */
#include "query/catalog.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "query/query.h"
#include "warehouse/warehouse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define USER_SCHEMAS \
    "table_catalog = current_database() AND table_schema NOT IN ('_pluto', '_sources', '_duckpipe')"

int pd_schema_is_internal(const char *schema)
{
    static const char *const internal[] = {"_pluto", "_sources", "_duckpipe"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        if (strcasecmp(schema, internal[i]) == 0)
            return 1;
    return 0;
}

int pd_catalog_tables(struct pd_query *q, struct pd_sink *sink, struct pd_err *err)
{
    return pd_query_run(q,
                        "SELECT table_schema AS schema, table_name AS name, table_type AS type "
                        "FROM information_schema.tables WHERE " USER_SCHEMAS " ORDER BY 1, 2",
                        sink, NULL, err);
}

int pd_catalog_columns(struct pd_query *q, const char *table, struct pd_sink *sink,
                       struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_query_stats stats;
    int rc;

    pd_buf_adds(&sql, "SELECT table_schema AS schema, table_name AS \"table\", column_name AS "
                      "\"column\", data_type AS type, is_nullable = 'YES' AS nullable, "
                      "column_default AS \"default\" FROM information_schema.columns WHERE " USER_SCHEMAS);
    if (table) {
        const char *dot = strchr(table, '.');
        if (dot) {
            char *schema = xstrndup(table, (size_t)(dot - table));
            pd_buf_adds(&sql, " AND table_schema = ");
            pd_sql_literal(&sql, schema);
            free(schema);
            table = dot + 1;
        }
        pd_buf_adds(&sql, " AND table_name = ");
        pd_sql_literal(&sql, table);
    }
    pd_buf_adds(&sql, " ORDER BY 1, 2, ordinal_position");
    rc = pd_query_run(q, sql.ptr, sink, &stats, err);
    pd_buf_release(&sql);
    if (rc == 0 && table && stats.rows == 0)
        rc = pd_fail(err, PD_ENOTFOUND, "no table '%s' (see: .tables)", table);
    return rc;
}
