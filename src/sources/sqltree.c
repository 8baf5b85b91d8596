/*
 * sqltree.c - a statement as DuckDB's parse tree, and back (see sqltree.h).
 */
#include "sources/sqltree.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

/*
 * DuckDB writes "no position" as query_location 18446744073709551615, which no
 * JSON integer of jansson holds: such positions become 0 (they only place error
 * carets). Any other number beyond int64 (a UBIGINT constant) gives NULL: that
 * statement is left as written.
 */
static char *tame_positions(const char *json)
{
    static const char key[] = "\"query_location\":";
    struct pd_buf out = PD_BUF_INIT;
    int in_string = 0;

    for (const char *p = json; *p;) {
        if (in_string) {
            if (*p == '\\' && p[1])
                pd_buf_addc(&out, *p++);
            else if (*p == '"')
                in_string = 0;
            pd_buf_addc(&out, *p++);
            continue;
        }
        if (*p == '"') {
            in_string = 1;
            pd_buf_addc(&out, *p++);
            continue;
        }
        if (*p >= '0' && *p <= '9') {
            size_t n = strspn(p, "0123456789");
            if (n >= 19 && (n > 19 || strncmp(p, "9223372036854775807", 19) > 0)) {
                size_t k = sizeof(key) - 1;
                if (out.len < k || memcmp(out.ptr + out.len - k, key, k) != 0) {
                    pd_buf_release(&out);
                    return NULL;
                }
                pd_buf_addc(&out, '0');
            } else {
                pd_buf_add(&out, p, n);
            }
            p += n;
            continue;
        }
        pd_buf_addc(&out, *p++);
    }
    return pd_buf_detach(&out, NULL);
}

json_t *pd_sqltree_parse(duckdb_connection conn, const char *sql)
{
    struct pd_err err = PD_ERR_INIT;
    const char *vals[] = {sql};
    int rc;
    char *text = pd_query_value_params(conn, "SELECT json_serialize_sql($1::VARCHAR)", vals, 1,
                                       &rc, &err);
    char *tame = text ? tame_positions(text) : NULL;
    json_t *tree = tame ? json_loads(tame, 0, NULL) : NULL;
    free(text);
    free(tame);
    if (tree && (json_is_true(json_object_get(tree, "error")) ||
                 json_array_size(json_object_get(tree, "statements")) != 1)) {
        json_decref(tree);
        tree = NULL;
    }
    return tree;
}

char *pd_sqltree_sql(duckdb_connection conn, const json_t *tree)
{
    struct pd_err err = PD_ERR_INIT;
    char *json = json_dumps(tree, JSON_COMPACT);
    const char *vals[] = {json};
    int rc;
    char *sql = pd_query_value_params(conn, "SELECT json_deserialize_sql($1::JSON)", vals, 1, &rc,
                                      &err);
    free(json);
    return sql;
}

