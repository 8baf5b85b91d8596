/*
 * fuzz_sql.c - the SQL statement splitter and the :param scanner on any text.
 * Checks what callers rely on: pieces lie inside the text, in order, without
 * overlapping; a rewrite either fails with a message or gives SQL and one bind
 * per placeholder it wrote.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "duckpipe/duckpipe.h"
#include "duckpipe/internal.h"
#include "fuzz.h"
#include "query/sqlsplit.h"

static void check_split(const char *sql)
{
    struct pd_sql_piece *pieces = NULL;
    size_t n = pd_sql_split(sql, &pieces), end = 0, len = strlen(sql);
    for (size_t i = 0; i < n; i++) {
        if (pieces[i].start < end || pieces[i].start + pieces[i].len > len)
            abort();
        end = pieces[i].start + pieces[i].len;
    }
    free(pieces);
    (void)pd_sql_is_complete(sql);
}

static void check_params(const char *sql)
{
    struct dp_param a = {"a", DP_P_INT, NULL, 0, NULL}, b = {"b", DP_P_LIST, "[1,2]", 0, NULL},
                    c = {"c", DP_P_DATE, NULL, 1, NULL}, d = {"d", DP_P_STRING, "x", 0, NULL};
    const struct dp_param *decl[] = {&a, &b, &c, &d};
    struct dp_args args = {0};
    struct dp_binds binds = {0};
    struct pd_buf out = PD_BUF_INIT;
    struct pd_err err = PD_ERR_INIT;
    char *param_error = NULL;

    if (dp_args_parse(&args, "a=7,b=[1,'two',3],d=it's", &err) != 0)
        abort();
    if (dp_params_rewrite(sql, decl, 4, &args, &binds, &param_error, &out, &err) != 0) {
        if (err.code == 0 || !err.msg[0])
            abort(); /* a failure always says why */
    }
    dp_binds_clear(&binds);
    dp_args_clear(&args);
    free(param_error);
    pd_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = fuzz_text(data, size);
    check_split(sql);
    check_params(sql);
    free(sql);
    return 0;
}
