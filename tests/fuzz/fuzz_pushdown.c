/*
 * fuzz_pushdown.c - a scan's pushed filters (pd_remote_filter) from any JSON:
 * whatever the items say, the remote SQL written must be whole literals and
 * quoted names joined by operators, in each dialect: never an open quote, a
 * statement separator or a comment outside a literal.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "fuzz.h"
#include "sources/connector.h"
#include "sources/remote_filter.h"

/* Whether sql, as dialect d reads it, ends outside every literal and name and has no ; or --. */
static int whole(const char *sql, enum pd_dialect d)
{
    for (const char *p = sql; *p; p++) {
        if (*p == ';' || (p[0] == '-' && p[1] == '-'))
            return 0;
        if (*p == '"' || *p == '`') { /* a quoted name: doubled quotes inside */
            char q = *p;
            for (p++;; p++) {
                if (!*p)
                    return 0;
                if (*p == q && p[1] == q)
                    p++;
                else if (*p == q)
                    break;
            }
        } else if (*p == '\'') {
            int backslash = d == PD_DIALECT_MYSQL || (d == PD_DIALECT_POSTGRES && p > sql && p[-1] == 'E');
            for (p++;; p++) {
                if (!*p)
                    return 0;
                if (backslash && *p == '\\' && p[1])
                    p++;
                else if (*p == '\'' && p[1] == '\'')
                    p++;
                else if (*p == '\'')
                    break;
            }
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum pd_dialect dialects[] = {PD_DIALECT_POSTGRES, PD_DIALECT_MYSQL,
                                               PD_DIALECT_SQLITE};
    char *spec = malloc(size + 1);
    memcpy(spec, data, size);
    spec[size] = '\0';
    for (size_t k = 0; k < sizeof(dialects) / sizeof(dialects[0]); k++) {
        struct pd_connector c = {.type = "fuzz", .dialect = dialects[k],
                                 .quote = dialects[k] == PD_DIALECT_MYSQL ? '`' : '"'};
        struct pd_relation rel = {0};
        struct pd_buf where = PD_BUF_INIT;
        int all;
        pd_relation_add(&rel, "id", duckdb_create_logical_type(DUCKDB_TYPE_BIGINT), 0, 0, NULL);
        pd_relation_add(&rel, "name\"`x", duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR), 0, 0, NULL);
        pd_relation_add(&rel, "day", duckdb_create_logical_type(DUCKDB_TYPE_DATE), 0, 0, NULL);
        pd_relation_add(&rel, "at", duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ), 0, 0, NULL);
        pd_relation_add(&rel, "u", duckdb_create_logical_type(DUCKDB_TYPE_UUID), 0, 0, NULL);
        pd_relation_add(&rel, "b", duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN), 0, 0, NULL);
        pd_relation_add(&rel, "cast", duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR), 0, 0,
                        "\"cast\"::text");
        for (size_t i = 0; i < rel.ncols; i++)
            rel.cols[i].push = PD_PUSH_ORDERED | PD_PUSH_LIKE | PD_PUSH_NULL;
        pd_remote_filter(&c, &rel, spec, &where, &all);
        if (where.len && !whole(where.ptr, dialects[k]))
            abort();
        pd_buf_release(&where);
        pd_relation_clear(&rel);
    }
    free(spec);
    return 0;
}
