/*
 * profile.c - column profile through SUMMARIZE (see profile.h).
 */
#include "query/profile.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "query/query.h"
#include "warehouse/warehouse.h"

#include <stdlib.h>
#include <string.h>

int pd_profile_table(struct pd_query *q, const char *table, struct pd_sink *sink,
                     struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    const char *dot = strchr(table, '.');
    int rc;

    if (*table == '\0' || (dot && (dot == table || dot[1] == '\0' || strchr(dot + 1, '.'))))
        return pd_fail(err, PD_EINVAL, "'%s' is not a table name (use TABLE or SCHEMA.TABLE)",
                       table);
    pd_buf_adds(&sql, "SELECT column_name AS \"column\", column_type AS type, "
                      "round(null_percentage::DOUBLE, 2) AS null_pct, "
                      "approx_unique AS approx_distinct, min, max, avg AS mean "
                      "FROM (SUMMARIZE SELECT * FROM ");
    if (dot) {
        char *schema = xstrndup(table, (size_t)(dot - table));
        pd_sql_ident(&sql, schema);
        pd_buf_addc(&sql, '.');
        pd_sql_ident(&sql, dot + 1);
        free(schema);
    } else {
        pd_sql_ident(&sql, table);
    }
    pd_buf_adds(&sql, ")");
    rc = pd_query_run(q, sql.ptr, sink, NULL, err);
    pd_buf_release(&sql);
    return rc;
}
