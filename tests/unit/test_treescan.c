/*
 * test_treescan.c - what SQL reads, from DuckDB's parse tree text: relations
 * with odd names, CTEs, files and table functions, parse errors; and text that
 * is not a tree (cut short, nested too deep) fails cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "duckpipe/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "catalog|schema|table|alias|file" of every relation, then " fn:NAME" of every function. */
static char *describe(const struct dp_refs *r)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t i = 0; i < r->n; i++)
        fprintf(f, "[%s|%s|%s|%s|%d]", r->v[i].catalog, r->v[i].schema, r->v[i].table,
                r->v[i].alias, r->v[i].is_file);
    for (size_t i = 0; i < r->functions.n; i++)
        fprintf(f, " fn:%s", r->functions.v[i]);
    fclose(f);
    return out;
}

static void test_relations_of_sql(void **state)
{
    static const struct {
        const char *sql, *reads;
    } cases[] = {
        {"select * from \"we\"\"ird \\ t\xc3\xa4\" t, \"emoji\xf0\x9f\x98\x80\".x",
         "[||we\"ird \\ t\xc3\xa4|t|0][|emoji\xf0\x9f\x98\x80|x||0]"},
        {"with a as (select 1), b as (select * from a) select * from b join real_t using (x)",
         "[||real_t||0]"},
        {"select * from read_csv('/tmp/x.csv') r, range(3)",
         "[||/tmp/x.csv|r|1] fn:read_csv fn:range"},
        {"select * from db.s.t1 union all select * from (select * from t2 where x in "
         "(select y from t3))",
         "[db|s|t1||0][||t2||0][||t3||0]"},
        {"select * from 'data.csv'", "[||data.csv||1]"},
        {"select (select max(v) from t9), * from t10", "[||t9||0][||t10||0]"},
    };
    duckdb_database db;
    duckdb_connection conn;
    size_t n = sizeof(cases) / sizeof(cases[0]);
    const char *sqls[8];
    struct dp_refs refs[8] = {{0}};
    char *errors[8] = {0};
    struct pd_err err = PD_ERR_INIT;
    (void)state;

    assert_int_equal(duckdb_open(NULL, &db), DuckDBSuccess);
    assert_int_equal(duckdb_connect(db, &conn), DuckDBSuccess);
    for (size_t i = 0; i < n; i++)
        sqls[i] = cases[i].sql;
    sqls[n] = "selec broken";
    /* twice: the second answer comes from the cache and must be the same */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(dp_refs_extract(conn, NULL, sqls, n + 1, refs, errors, &err), 0);
        for (size_t i = 0; i < n; i++) {
            char *got = describe(&refs[i]);
            assert_null(errors[i]);
            assert_string_equal(got, cases[i].reads);
            free(got);
            dp_refs_clear(&refs[i]);
        }
        assert_non_null(errors[n]);
        assert_non_null(strstr(errors[n], "syntax error"));
        free(errors[n]);
        errors[n] = NULL;
        dp_refs_clear(&refs[n]);
    }
    duckdb_disconnect(&conn);
    duckdb_close(&db);
}

/* A batch large enough to be parsed on every core answers each text in its place. */
static void test_large_batch_in_parts(void **state)
{
    enum { N = 4321, BAD = 3999 };
    duckdb_database db;
    duckdb_connection conn;
    char **texts = calloc(N, sizeof(char *)), *errors[N] = {0};
    struct dp_refs *refs = calloc(N, sizeof(*refs));
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    assert_int_equal(duckdb_open(NULL, &db), DuckDBSuccess);
    assert_int_equal(duckdb_connect(db, &conn), DuckDBSuccess);
    for (int i = 0; i < N; i++) {
        char sql[96];
        snprintf(sql, sizeof(sql), i == BAD ? "selec %d broken" : "select * from part_t%d", i);
        texts[i] = strdup(sql);
    }
    assert_int_equal(dp_refs_extract(conn, db, (const char *const *)texts, N, refs, errors, &err), 0);
    for (int i = 0; i < N; i++) {
        char want[32];
        if (i == BAD) {
            assert_non_null(errors[i]);
            assert_int_equal(refs[i].n, 0);
        } else {
            snprintf(want, sizeof(want), "part_t%d", i);
            assert_null(errors[i]);
            assert_int_equal(refs[i].n, 1);
            assert_string_equal(refs[i].v[0].table, want);
        }
        free(errors[i]);
        dp_refs_clear(&refs[i]);
        free(texts[i]);
    }
    free(texts);
    free(refs);
    duckdb_disconnect(&conn);
    duckdb_close(&db);
}

static void test_text_that_is_not_a_tree(void **state)
{
    static const char *const bad[] = {
        "", "[]", "{", "{\"statements\": [", "{\"a\": \"\\u12\"}", "{\"a\": \"x",
        "{\"a\" 1}", "{\"a\": 1,}", "{\"a\": \"\\q\"}",
    };
    struct dp_refs r = {0};
    char *error = NULL;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dp_refs_from_tree(bad[i], strlen(bad[i]), &r, &error), -1);
        assert_non_null(error);
        free(error);
        error = NULL;
        dp_refs_clear(&r);
    }
    /* a parse error with an empty message still says why */
    const char *quiet = "{\"error\":true,\"error_message\":\"\"}";
    assert_int_equal(dp_refs_from_tree(quiet, strlen(quiet), &r, &error), -1);
    assert_string_equal(error, "the SQL does not parse");
    free(error);
    error = NULL;
    /* a million brackets: refused at a depth limit, not a stack overflow */
    size_t deep = 1000000;
    char *text = malloc(deep + 16);
    assert_non_null(text);
    memcpy(text, "{\"a\":", 5);
    memset(text + 5, '[', deep);
    assert_int_equal(dp_refs_from_tree(text, deep + 5, &r, &error), -1);
    free(error);
    error = NULL;
    /* and as deep as allowed, in objects: it reads (the stack holds) */
    for (size_t i = 0; i < 4000; i++)
        memcpy(text + 5 * i, "{\"a\":", 5);
    memcpy(text + 5 * 4000, "1", 1);
    memset(text + 5 * 4000 + 1, '}', 4000);
    assert_int_equal(dp_refs_from_tree(text, 5 * 4000 + 1 + 4000, &r, &error), 0);
    free(text);
    dp_refs_clear(&r);
    /* an escaped surrogate pair is one character */
    const char *pair = "{\"statements\":[{\"type\":\"BASE_TABLE\",\"table_name\":\"\\ud83d\\ude00\"}]}";
    assert_int_equal(dp_refs_from_tree(pair, strlen(pair), &r, &error), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.v[0].table, "\xf0\x9f\x98\x80");
    dp_refs_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relations_of_sql),
        cmocka_unit_test(test_large_batch_in_parts),
        cmocka_unit_test(test_text_that_is_not_a_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
