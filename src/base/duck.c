/*
 * duck.c - small DuckDB helpers shared by every layer (see duck.h).
 */
#include "base/duck.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <string.h>

int pd_exec(duckdb_connection conn, const char *sql, struct pd_err *err)
{
    duckdb_result res;
    int rc = 0;

    if (duckdb_query(conn, sql, &res) == DuckDBError)
        rc = pd_fail(err, PD_ESQL, "%s", duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    return rc;
}

void pd_sql_ident(struct pd_buf *out, const char *s)
{
    pd_buf_addc(out, '"');
    for (; *s; s++) {
        if (*s == '"')
            pd_buf_addc(out, '"');
        pd_buf_addc(out, *s);
    }
    pd_buf_addc(out, '"');
}

void pd_sql_literal(struct pd_buf *out, const char *s)
{
    pd_buf_addc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            pd_buf_addc(out, '\'');
        pd_buf_addc(out, *s);
    }
    pd_buf_addc(out, '\'');
}

char *pd_chunk_text(duckdb_data_chunk chunk, idx_t col, idx_t row)
{
    duckdb_vector v = duckdb_data_chunk_get_vector(chunk, col);
    duckdb_string_t *s = (duckdb_string_t *)duckdb_vector_get_data(v);
    uint64_t *valid = duckdb_vector_get_validity(v);

    if (valid && !duckdb_validity_row_is_valid(valid, row))
        return NULL;
    return xstrndup(duckdb_string_t_data(&s[row]), duckdb_string_t_length(s[row]));
}

int pd_name_check(const char *what, const char *name, struct pd_err *err)
{
    size_t n = strlen(name);
    int ok = n > 0 && n <= 63 &&
             (name[0] == '_' || ((name[0] | 32) >= 'a' && (name[0] | 32) <= 'z'));

    for (size_t i = 1; ok && i < n; i++) {
        char c = name[i];
        ok = c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
    }
    if (!ok)
        return pd_fail(err, PD_EINVAL,
                       "invalid %s name '%s': use a letter or '_' then letters, digits or '_' "
                       "(at most 63)",
                       what, name);
    return 0;
}

int pd_exec_params(duckdb_connection conn, const char *sql, const char *const *vals, int n,
                   duckdb_result *res, struct pd_err *err)
{
    duckdb_prepared_statement st;
    duckdb_result local;
    int rc = 0;
    if (res == NULL)
        res = &local;
    if (duckdb_prepare(conn, sql, &st) != DuckDBSuccess) {
        rc = pd_fail(err, PD_EINTERNAL, "%s", duckdb_prepare_error(st));
        duckdb_destroy_prepare(&st);
        return rc;
    }
    for (int i = 0; i < n; i++)
        if (vals[i])
            duckdb_bind_varchar(st, (idx_t)i + 1, vals[i]);
        else
            duckdb_bind_null(st, (idx_t)i + 1);
    if (duckdb_execute_prepared(st, res) != DuckDBSuccess) {
        rc = pd_fail(err, PD_EINTERNAL, "%s", duckdb_result_error(res));
        duckdb_destroy_result(res);
    } else if (res == &local) {
        duckdb_destroy_result(res);
    }
    duckdb_destroy_prepare(&st);
    return rc;
}

char *pd_query_value_params(duckdb_connection conn, const char *sql, const char *const *vals,
                            int n, int *rc, struct pd_err *err)
{
    duckdb_result res;
    char *v = NULL;
    if ((*rc = pd_exec_params(conn, sql, vals, n, &res, err)) != 0)
        return NULL;
    if (duckdb_row_count(&res) > 0 && !duckdb_value_is_null(&res, 0, 0)) {
        char *d = duckdb_value_varchar(&res, 0, 0);
        v = xstrdup(d);
        duckdb_free(d);
    }
    duckdb_destroy_result(&res);
    return v;
}
