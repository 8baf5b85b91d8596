/*
 * test_query.c - warehouse, value formatting, encoders and the query service
 * against a real DuckDB file in a temp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/path.h"
#include "query/history.h"
#include "query/query.h"
#include "warehouse/encode.h"
#include "warehouse/value.h"
#include "warehouse/journal.h"
#include "warehouse/warehouse.h"

#include "fixture.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct fx_warehouse fx;
static struct pd_history *hist;

static int setup(void **state)
{
    (void)state;
    if (fx_warehouse_open(&fx, "query", 0) != 0)
        return -1;
    hist = pd_history_open(fx.wh, fx.dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pd_history_close(hist);
    fx_warehouse_close(&fx);
    return 0;
}

/* Run sql through an encoder into a string (caller frees). */
static char *run_to_string(enum pd_format fmt, const char *sql, struct pd_query_opts *o, int *rc,
                           struct pd_err *err)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct pd_table_opts t = {.width = 0, .max_cell = 40, .show_footer = 1};
    struct pd_sink *sink = pd_sink_new(fmt, f, &t);
    struct pd_query_opts def = {.history = hist, .origin = "test"};
    struct pd_query *q = pd_query_new(fx.wh, o ? o : &def);
    *rc = pd_query_run(q, sql, sink, NULL, err);
    pd_query_free(q);
    pd_sink_free(sink);
    fclose(f);
    return out;
}

static json_t *run_json(const char *sql)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    char *out = run_to_string(PD_FORMAT_JSON, sql, NULL, &rc, &err);
    json_error_t jerr;
    json_t *v;
    if (rc)
        fail_msg("query failed: %s", err.msg);
    v = json_loads(out, 0, &jerr);
    if (v == NULL)
        fail_msg("invalid JSON (%s): %s", jerr.text, out);
    free(out);
    return v;
}

static void test_migrations_applied_once(void **state)
{
    json_t *v;
    (void)state;
    assert_int_equal(pd_warehouse_schema_version(fx.wh), 9);
    /* one row per step: none applied twice */
    v = run_json("select count(*) as n from _pluto.schema_migrations");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 0), "n")), 9);
    json_decref(v);
}

static void test_exact_numbers_in_json(void **state)
{
    char *out;
    struct pd_err err = PD_ERR_INIT;
    int rc;
    (void)state;
    out = run_to_string(PD_FORMAT_JSONL,
                        "select 18446744073709551615::ubigint a, "
                        "(-170141183460469231731687303715884105727)::hugeint b, "
                        "12345678901234567890.123456789::decimal(38,9) c, 0.1::double d, "
                        "(-0.05)::decimal(4,2) e, 'nan'::double f, 1e-7::double g",
                        NULL, &rc, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "{\"a\":18446744073709551615,"
                             "\"b\":-170141183460469231731687303715884105727,"
                             "\"c\":12345678901234567890.123456789,\"d\":0.1,\"e\":-0.05,"
                             "\"f\":\"NaN\",\"g\":1e-07}\n");
    free(out);
}

static void test_every_type_is_valid_json(void **state)
{
    json_t *v, *row;
    (void)state;
    v = run_json("select NULL n, true b, date '2024-02-29' d, time '01:02:03.5' t, "
                 "timestamp '2024-01-02 03:04:05.123456' ts, timestamptz '2024-01-02 03:04:05+00' tz, "
                 "interval '1 year 2 months 3 days 04:05:06' iv, "
                 "uuid '550e8400-e29b-41d4-a716-446655440000' u, '\\xAA'::blob bl, "
                 "[1, NULL, 3] l, {'k': 'v', 'n': 2} s, map {'a': 1} m, "
                 "'x'::enum('x','y') e, [[1,2],[3]] ll, 'inf'::double inf, "
                 "'-infinity'::date dinf, 'tab\there' esc");
    row = json_array_get(v, 0);
    assert_true(json_is_null(json_object_get(row, "n")));
    assert_true(json_is_true(json_object_get(row, "b")));
    assert_string_equal(json_string_value(json_object_get(row, "d")), "2024-02-29");
    assert_string_equal(json_string_value(json_object_get(row, "t")), "01:02:03.5");
    assert_string_equal(json_string_value(json_object_get(row, "ts")), "2024-01-02 03:04:05.123456");
    assert_string_equal(json_string_value(json_object_get(row, "tz")), "2024-01-02 03:04:05+00");
    assert_string_equal(json_string_value(json_object_get(row, "iv")),
                        "1 year 2 months 3 days 04:05:06");
    assert_string_equal(json_string_value(json_object_get(row, "u")),
                        "550e8400-e29b-41d4-a716-446655440000");
    assert_string_equal(json_string_value(json_object_get(row, "bl")), "\\xAA");
    assert_int_equal(json_array_size(json_object_get(row, "l")), 3);
    assert_true(json_is_null(json_array_get(json_object_get(row, "l"), 1)));
    assert_string_equal(json_string_value(json_object_get(json_object_get(row, "s"), "k")), "v");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(row, "m"), "a")), 1);
    assert_string_equal(json_string_value(json_object_get(row, "e")), "x");
    assert_int_equal(json_array_size(json_array_get(json_object_get(row, "ll"), 0)), 2);
    assert_string_equal(json_string_value(json_object_get(row, "inf")), "Infinity");
    assert_string_equal(json_string_value(json_object_get(row, "dinf")), "-infinity");
    assert_string_equal(json_string_value(json_object_get(row, "esc")), "tab\there");
    json_decref(v);
}

static void test_limit_keeps_total(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    struct pd_query_opts o = {.limit = 5};
    int rc;
    char *out;
    (void)state;
    out = run_to_string(PD_FORMAT_TABLE, "select * from range(12345)", &o, &rc, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "12,345 rows (5 shown"));
    assert_null(strstr(out, "│     5 │"));
    free(out);
}

static void test_csv_quotes(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    char *out = run_to_string(PD_FORMAT_CSV, "select 'a,b' x, 'say \"hi\"' y, NULL z, 3 w", NULL,
                              &rc, &err);
    (void)state;
    assert_int_equal(rc, 0);
    assert_string_equal(out, "x,y,z,w\n\"a,b\",\"say \"\"hi\"\"\",,3\n");
    free(out);
}

static void test_errors_and_empty(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    char *out;
    (void)state;
    out = run_to_string(PD_FORMAT_TABLE, "selec 1", NULL, &rc, &err);
    assert_int_equal(rc, PD_ESQL);
    assert_non_null(strstr(err.msg, "syntax error"));
    free(out);
    pd_err_clear(&err);
    out = run_to_string(PD_FORMAT_TABLE, "  -- nothing\n", NULL, &rc, &err);
    assert_int_equal(rc, PD_EINVAL);
    free(out);
    pd_err_clear(&err);
    out = run_to_string(PD_FORMAT_TABLE, "select * from no_such_table", NULL, &rc, &err);
    assert_int_equal(rc, PD_ESQL);
    assert_non_null(strstr(err.msg, "no_such_table"));
    free(out);
}

static void test_timeout(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    struct pd_query_opts o = {.timeout_s = 0.3, .history = hist};
    int rc;
    char *out;
    (void)state;
    out = run_to_string(PD_FORMAT_TABLE,
                        "select max(hash(i)) from range(1000000000000) t(i)", &o, &rc, &err);
    assert_int_equal(rc, PD_ETIMEOUT);
    assert_string_equal(err.msg, "query cancelled after 0.3 s (timeout)");
    free(out);
    /* The warehouse keeps working afterwards. */
    json_t *v = run_json("select 1 as one");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 0), "one")), 1);
    json_decref(v);
}

static void *cancel_later(void *q)
{
    usleep(200000);
    pd_query_cancel(q);
    return NULL;
}

static void test_cancel_from_other_thread(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    struct pd_query_opts o = {.history = hist};
    struct pd_query *q = pd_query_new(fx.wh, &o);
    pthread_t t;
    int rc;
    (void)state;
    pthread_create(&t, NULL, cancel_later, q);
    rc = pd_query_run(q, "select max(hash(i)) from range(1000000000000) t(i); select 2", NULL,
                      NULL, &err);
    pthread_join(t, NULL);
    assert_int_equal(rc, PD_ECANCELED);
    pd_query_free(q);
}

/* read_only: one read statement, told by DuckDB's statement type. */
static void test_read_only(void **state)
{
    static const char *const reads[] = {
        "select 1", "with t as (select 1 as x) select x from t", "explain select 1",
        "describe select 1 as x", "show tables", "  -- a comment\n select 'drop table x'"};
    static const char *const refused[] = {
        "create table ro_new (x int)", "insert into ro_t values (1)", "select 1; select 2",
        "drop table ro_t", "update ro_t set x = 2", "delete from ro_t", "attach ':memory:' as ro_db", "set threads = 1",
        "copy (select 1) to '/tmp/pd-ro.csv'", "pragma enable_profiling", "checkpoint", "call pragma_version()"};
    struct pd_query_opts o = {.origin = "test", .read_only = 1};
    struct pd_err err = PD_ERR_INIT;
    char *out;
    int rc;
    (void)state;
    free(run_to_string(PD_FORMAT_CSV, "create table ro_t (x int); insert into ro_t values (1)",
                       NULL, &rc, &err));
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        out = run_to_string(PD_FORMAT_CSV, reads[i], &o, &rc, &err);
        if (rc)
            fail_msg("'%s' refused: %s", reads[i], err.msg);
        free(out);
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        pd_err_clear(&err);
        out = run_to_string(PD_FORMAT_CSV, refused[i], &o, &rc, &err);
        if (rc != PD_EINVAL)
            fail_msg("'%s' was not refused (rc %d)", refused[i], rc);
        free(out);
    }
    assert_non_null(strstr(err.msg, "only a read-only statement"));
    /* nothing ran */
    out = run_to_string(PD_FORMAT_CSV,
                        "select (select count(*) from information_schema.tables where table_name = "
                        "'ro_new') as n, (select string_agg(x, ',') from ro_t) as x",
                        NULL, &rc, &err);
    assert_string_equal(out, "n,x\n0,1\n");
    free(out);
}

static void test_history_records_each_statement(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    char *out;
    json_t *v;
    (void)state;
    free(run_to_string(PD_FORMAT_TABLE, "create table h1(a int); insert into h1 values (1),(2)",
                       NULL, &rc, &err));
    assert_int_equal(rc, 0);
    pd_journal_flush(pd_warehouse_journal(fx.wh)); /* rows are committed in batches */
    v = run_json("select sql, statement_type, rows, status from _pluto.query_history "
                 "where sql like '%h1%' order by started_at");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "sql")),
                        "create table h1(a int)");
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "statement_type")),
                        "INSERT");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 1), "rows")), 2);
    json_decref(v);
    v = run_json("select status, error from _pluto.query_history where status = 'timeout'");
    assert_true(json_array_size(v) >= 1);
    json_decref(v);
    /* and in the day's JSONL file */
    out = run_to_string(PD_FORMAT_CSV, "select 1", NULL, &rc, &err);
    free(out);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cat %s/*.jsonl | grep -c 'create table h1'", fx.dir);
    FILE *p = popen(cmd, "r");
    int count = 0;
    assert_int_equal(fscanf(p, "%d", &count), 1);
    pclose(p);
    assert_int_equal(count, 1);
}

static void add_x(struct pd_journal *j, const char *table, struct pd_jcell x)
{
    pd_journal_add_row(j, table, &x, 1);
}

/* A batch with a bad row still writes the good ones; rows keep their order and types. */
static void test_journal_batches(void **state)
{
    struct pd_journal *j = pd_warehouse_journal(fx.wh);
    struct pd_err err = PD_ERR_INIT;
    int rc;
    json_t *v;
    (void)state;
    free(run_to_string(PD_FORMAT_CSV,
                       "create table _pluto.jt (x int); create table _pluto.jt2 (y int);"
                       "create table _pluto.jt3 (a int, b varchar default 'dflt', t timestamptz,"
                       " d double)",
                       NULL, &rc, &err));
    assert_int_equal(rc, 0);
    add_x(j, "jt", PD_JCELL_INT(1));
    add_x(j, "no_such_table", PD_JCELL_INT(2));
    add_x(j, "jt", PD_JCELL_INT(3));
    pd_journal_flush(j);
    v = run_json("select string_agg(x, ',' order by x) as xs from _pluto.jt");
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "xs")), "1,3");
    json_decref(v);
    /* and without a flush, by the background thread */
    add_x(j, "jt", PD_JCELL_INT(4));
    json_int_t n = 0;
    for (int i = 0; i < 100 && n != 3; i++) {
        usleep(50 * 1000);
        v = run_json("select count(*) as n from _pluto.jt");
        n = json_integer_value(json_object_get(json_array_get(v, 0), "n"));
        json_decref(v);
    }
    assert_int_equal(n, 3);
    /* a row that does not fit its table falls back to one by one */
    add_x(j, "jt", PD_JCELL_INT(10));
    add_x(j, "jt", PD_JCELL_INT(11));
    add_x(j, "jt", PD_JCELL_TEXT("not a number"));
    add_x(j, "jt", PD_JCELL_INT(12));
    pd_journal_flush(j);
    v = run_json("select string_agg(x, ',' order by x) as xs from _pluto.jt where x >= 10");
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "xs")), "10,11,12");
    json_decref(v);
    /* rows of two tables interleaved (as job and history rows are) each keep their order */
    add_x(j, "jt", PD_JCELL_INT(22));
    add_x(j, "jt2", PD_JCELL_INT(1));
    add_x(j, "jt", PD_JCELL_INT(21));
    add_x(j, "jt2", PD_JCELL_INT(2));
    pd_journal_flush(j);
    v = run_json("select (select string_agg(x, ',' order by rowid) from _pluto.jt where x > 20)"
                 " as xs, (select string_agg(y, ',' order by rowid) from _pluto.jt2) as ys");
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "xs")), "22,21");
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "ys")), "1,2");
    json_decref(v);
    /* a short row gets the defaults; an integer is milliseconds in a TIMESTAMPTZ; NULLs */
    add_x(j, "jt3", PD_JCELL_INT(1));
    const struct pd_jcell full[] = {PD_JCELL_INT(2), PD_JCELL_TEXT(NULL),
                                    PD_JCELL_INT(1700000000123), PD_JCELL_DOUBLE(0.1)};
    pd_journal_add_row(j, "jt3", full, 4);
    pd_journal_flush(j);
    v = run_json("select a, b, epoch_ms(t) as ms, d from _pluto.jt3 order by a");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "b")), "dflt");
    assert_true(json_is_null(json_object_get(json_array_get(v, 0), "ms")));
    assert_true(json_is_null(json_object_get(json_array_get(v, 1), "b")));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 1), "ms")), 1700000000123);
    assert_true(json_real_value(json_object_get(json_array_get(v, 1), "d")) == 0.1);
    json_decref(v);
}

/*
 * A SELECT asked again sees the rows written since, even where the first
 * answer came from statistics (DuckDB 1.4 keeps a prepared plan's
 * statistics-based rewrites, so statements are never kept by their text).
 */
static void test_repeated_select_sees_new_rows(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    char *out;
    (void)state;
    free(run_to_string(PD_FORMAT_CSV, "create table ks (a int); insert into ks values (1);"
                                      "create table ke (a int)", NULL, &rc, &err));
    assert_int_equal(rc, 0);
    for (int round = 0; round < 2; round++) {
        out = run_to_string(PD_FORMAT_CSV,
                            "select (select count(*) from ks where a > 100) as big,"
                            " (select count(*) from ke) as e",
                            NULL, &rc, &err);
        assert_int_equal(rc, 0);
        assert_string_equal(out, round == 0 ? "big,e\n0,0\n" : "big,e\n1,1\n");
        free(out);
        free(run_to_string(PD_FORMAT_CSV, "insert into ks values (200); insert into ke values (5)",
                           NULL, &rc, &err));
        assert_int_equal(rc, 0);
    }
    /* parameters are bound each time */
    json_t *p1 = json_pack("[i]", 1), *p5 = json_pack("[i]", 5);
    struct pd_query_opts o1 = {.params = p1, .origin = "test"}, o5 = {.params = p5, .origin = "test"};
    out = run_to_string(PD_FORMAT_CSV, "select $1::int + 1 as n", &o1, &rc, &err);
    assert_string_equal(out, "n\n2\n");
    free(out);
    out = run_to_string(PD_FORMAT_CSV, "select $1::int + 1 as n", &o5, &rc, &err);
    assert_string_equal(out, "n\n6\n");
    free(out);
    json_decref(p1);
    json_decref(p5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations_applied_once),
        cmocka_unit_test(test_exact_numbers_in_json),
        cmocka_unit_test(test_every_type_is_valid_json),
        cmocka_unit_test(test_limit_keeps_total),
        cmocka_unit_test(test_csv_quotes),
        cmocka_unit_test(test_errors_and_empty),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_cancel_from_other_thread),
        cmocka_unit_test(test_history_records_each_statement),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_journal_batches),
        cmocka_unit_test(test_repeated_select_sees_new_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
