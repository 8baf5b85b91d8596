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
