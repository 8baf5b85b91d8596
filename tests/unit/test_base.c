/*
 * test_base.c - units of base/: errors, buffers, arena, JSON strings, time,
 * ids, paths, YAML walking and the JSON Schema checker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/dynlib.h"
#include "base/err.h"
#include "base/id.h"
#include "base/jschema.h"
#include "base/json.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "base/yaml.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_err_first_wins_and_maps(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    assert_int_equal(pd_fail(&err, PD_ENOTFOUND, "no analysis '%s'", "x"), PD_ENOTFOUND);
    pd_fail(&err, PD_EINVAL, "second");
    assert_string_equal(err.msg, "no analysis 'x'");
    assert_int_equal(err.code, PD_ENOTFOUND);
    assert_string_equal(pd_err_name(PD_ENOTFOUND), "not_found");
    assert_int_equal(pd_err_http_status(PD_ENOTFOUND), 404);
    assert_int_equal(pd_err_exit_code(PD_EUSAGE), 2);
    assert_int_equal(pd_err_exit_code(PD_EINTERNAL), 3);
    assert_int_equal(pd_err_exit_code(PD_ECANCELED), 130);
    assert_int_equal(pd_err_exit_code(0), 0);
    assert_int_equal(pd_fail(NULL, PD_EIO, "ignored"), PD_EIO);
}

static void test_buf_grows_and_caps(void **state)
{
    struct pd_buf b = PD_BUF_INIT;
    (void)state;
    assert_string_equal(b.ptr, "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(pd_buf_addf(&b, "%d,", i), 0);
    assert_int_equal(strlen(b.ptr), b.len);
    assert_memory_equal(b.ptr + b.len - 4, "999,", 4);
    pd_buf_release(&b);

    pd_buf_init(&b, 8);
    assert_int_equal(pd_buf_adds(&b, "12345678"), 0);
    assert_int_equal(pd_buf_addc(&b, '9'), PD_ETOOBIG);
    assert_string_equal(b.ptr, "12345678");
    pd_buf_truncate(&b, 3);
    assert_string_equal(b.ptr, "123");
    size_t n;
    char *s = pd_buf_detach(&b, &n);
    assert_int_equal(n, 3);
    assert_string_equal(s, "123");
    assert_string_equal(b.ptr, "");
    free(s);
}

static int cleaned;
static void cleanup(void *p)
{
    cleaned += *(int *)p;
}

static void test_arena_allocates_and_cleans(void **state)
{
    struct pd_arena *a = pd_arena_new();
    static int one = 1, ten = 10;
    (void)state;
    cleaned = 0;
    char *s = pd_arena_sprintf(a, "%s-%d", "run", 7);
    assert_string_equal(s, "run-7");
    char *big = pd_arena_alloc(a, 100000);
    big[99999] = 'x';
    for (int i = 0; i < 10000; i++)
        assert_non_null(pd_arena_strdup(a, "abc"));
    pd_arena_cleanup_add(a, cleanup, &one);
    pd_arena_cleanup_add(a, cleanup, &ten);
    pd_arena_free(a);
    assert_int_equal(cleaned, 11);
}

static void test_json_string_escapes_and_repairs(void **state)
{
    struct pd_buf b = PD_BUF_INIT;
    const char in[] = "a\"b\\c\n\x01 \xc3\xa9 \xff end";
    json_t *parsed;
    (void)state;
    pd_json_add_string(&b, in, sizeof(in) - 1);
    parsed = json_loads(b.ptr, JSON_DECODE_ANY, NULL);
    assert_non_null(parsed);
    assert_string_equal(json_string_value(parsed), "a\"b\\c\n\x01 \xc3\xa9 \xef\xbf\xbd end");
    json_decref(parsed);
    pd_buf_release(&b);
}

static void test_durations_and_times(void **state)
{
    double s;
    int64_t ms;
    char iso[40];
    (void)state;
    assert_int_equal(pd_duration_parse("30s", &s), 0);
    assert_true(s == 30);
    assert_int_equal(pd_duration_parse("250ms", &s), 0);
    assert_true(s == 0.25);
    assert_int_equal(pd_duration_parse("2h", &s), 0);
    assert_true(s == 7200);
    assert_int_equal(pd_duration_parse("15", &s), 0);
    assert_true(s == 15);
    assert_int_equal(pd_duration_parse("-1s", &s), PD_EINVAL);
    assert_int_equal(pd_duration_parse("soon", &s), PD_EINVAL);
    assert_int_equal(pd_duration_parse("5 parsecs", &s), PD_EINVAL);
    assert_int_equal(pd_time_parse("2026-11-21T10:30:00Z", 0, &ms), 0);
    assert_string_equal(pd_time_iso(ms, iso, sizeof(iso)), "2026-11-21T10:30:00.000Z");
    assert_int_equal(pd_time_parse("2026-11-21", 0, &ms), 0);
    assert_string_equal(pd_time_iso(ms, iso, sizeof(iso)), "2026-11-21T00:00:00.000Z");
    assert_int_equal(pd_time_parse("1h", 7200000, &ms), 0);
    assert_int_equal(ms, 3600000);
    assert_int_equal(pd_time_parse("2026-13-01", 0, &ms), PD_EINVAL);
    assert_int_equal(pd_time_parse("yesterday", 0, &ms), PD_EINVAL);
}

static void test_uuid7_is_ordered_and_versioned(void **state)
{
    char a[PD_UUID_LEN + 1], b[PD_UUID_LEN + 1];
    (void)state;
    pd_uuid7(a);
    usleep(2000);
    pd_uuid7(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '7');
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_true(strcmp(a, b) < 0);
}

static void test_paths(void **state)
{
    char tmpl[] = "/tmp/pd-path-XXXXXX";
    char *dir = mkdtemp(tmpl), *deep, *found, *start;
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    char *j = pd_path_join("/a/b/", "c");
    assert_string_equal(j, "/a/b/c");
    free(j);
    j = pd_path_join("/a", "/abs");
    assert_string_equal(j, "/abs");
    free(j);
    deep = pd_path_join(dir, "x/y/z");
    assert_int_equal(pd_mkdir_p(deep, 0755, &err), 0);
    assert_true(pd_path_exists(deep));
    start = pd_path_join(dir, ".plutoduck");
    FILE *f = fopen(start, "w");
    fclose(f);
    found = pd_path_find_upward(deep, ".plutoduck");
    assert_string_equal(found, start);
    free(found);
    assert_null(pd_path_find_upward(deep, "no-such-file-anywhere-pd"));
    /* A file where a directory must go fails with the path in the message. */
    char *blocked = pd_path_join(start, "sub");
    assert_int_equal(pd_mkdir_p(blocked, 0755, &err), PD_EIO);
    assert_non_null(strstr(err.msg, ".plutoduck"));
    free(blocked);
    free(start);
    free(deep);
    /* the whole tree goes, a symlink out of it is removed but not followed */
    char *link = pd_path_join(dir, "x/out");
    assert_int_equal(symlink("/tmp", link), 0);
    pd_remove_tree(dir);
    assert_false(pd_path_exists(dir));
    assert_true(pd_path_exists("/tmp"));
    free(link);
}

struct leaves {
    char keys[8][64], values[8][64];
    int lines[8], n;
};

static int collect(void *ctx, const char *key, const char *value, int line, struct pd_err *err)
{
    struct leaves *l = ctx;
    (void)err;
    snprintf(l->keys[l->n], 64, "%s", key);
    snprintf(l->values[l->n], 64, "%s", value ? value : "(null)");
    l->lines[l->n++] = line;
    return 0;
}

static void test_yaml_walks_and_reports_lines(void **state)
{
    struct leaves l = {0};
    struct pd_err err = PD_ERR_INIT;
    struct pd_buf q = PD_BUF_INIT;
    (void)state;
    assert_int_equal(pd_yaml_walk_string("# c\nlog:\n  level: debug\nserver:\n  port: 9000\n",
                                         "t.yaml", collect, &l, &err),
                     0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.keys[0], "log.level");
    assert_string_equal(l.values[0], "debug");
    assert_int_equal(l.lines[0], 3);
    assert_string_equal(l.keys[1], "server.port");
    assert_int_equal(l.lines[1], 5);

    assert_int_equal(pd_yaml_walk_string("log:\n  level: [unclosed\n", "t.yaml", collect, &l, &err),
                     PD_ECONFIG);
    assert_true(strncmp(err.msg, "t.yaml:", 7) == 0);
    pd_err_clear(&err);
    assert_int_equal(pd_yaml_walk_string("- a\n- b\n", "t.yaml", collect, &l, &err), PD_ECONFIG);
    assert_non_null(strstr(err.msg, "expected a mapping"));

    pd_yaml_quote(&q, "4GB");
    pd_buf_adds(&q, " ");
    pd_yaml_quote(&q, "yes");
    pd_buf_adds(&q, " ");
    pd_yaml_quote(&q, "a: b");
    assert_string_equal(q.ptr, "4GB \"yes\" \"a: b\"");
    pd_buf_release(&q);
}

/* Found by fuzzing: aliases, a root alias, a self-reference, an expansion bomb, bytes not UTF-8. */
static void test_yaml_json_aliases_and_hostile_input(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *j;
    char *text;
    (void)state;
    j = pd_yaml_load_json_string("defaults: &d\n  materialized: table\n  tags: [a]\n"
                                 "model:\n  <<: *d\n  tags: [b]\nlist: [*d]\n",
                                 "t.yaml", &err);
    assert_non_null(j);
    text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text, "{\"defaults\":{\"materialized\":\"table\",\"tags\":[\"a\"]},"
                              "\"list\":[{\"materialized\":\"table\",\"tags\":[\"a\"]}],"
                              "\"model\":{\"materialized\":\"table\",\"tags\":[\"b\"]}}");
    free(text);
    json_decref(j);

    assert_null(pd_yaml_load_json_string("*g\xd9\xa5", "t.yaml", &err));
    assert_int_equal(err.code, PD_ECONFIG);
    assert_non_null(strstr(err.msg, "t.yaml:"));
    pd_err_clear(&err);

    assert_null(pd_yaml_load_json_string("a: &a [1, *a]\n", "t.yaml", &err));
    assert_non_null(strstr(err.msg, "is not supported here"));
    pd_err_clear(&err);

    {
        struct pd_buf b = PD_BUF_INIT;
        pd_buf_adds(&b, "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
        for (int i = 1; i < 9; i++) {
            pd_buf_addf(&b, "a%d: &a%d [", i, i);
            for (int k = 0; k < 10; k++)
                pd_buf_addf(&b, "%s*a%d", k ? "," : "", i - 1);
            pd_buf_adds(&b, "]\n");
        }
        assert_null(pd_yaml_load_json_string(b.ptr, "bomb.yaml", &err));
        assert_non_null(strstr(err.msg, "over a million values"));
        pd_err_clear(&err);
        pd_buf_release(&b);
    }

    /* explicit keys are refused (libfyaml 0.8 crashes on "? a:\t? b"); in a block scalar they are text */
    assert_null(pd_yaml_load_json_string("x: 1\n- ? a:\t? b\n", "t.yaml", &err));
    assert_string_equal(err.msg, "t.yaml:2: explicit keys (? key) are not supported: write key: value");
    pd_err_clear(&err);
    j = pd_yaml_load_json_string("sql: |-\n  select\n  ? 1\nnext: 2\n", "t.yaml", &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "sql")), "select\n? 1");
    json_decref(j);

    assert_null(pd_yaml_load_json_string("%i\x9a\n", "t.yaml", &err));
    assert_string_equal(err.msg, "t.yaml:1: not valid UTF-8 (byte 0x9A): save the file as UTF-8");
}

/* The misfit's message for value (JSON text) against schema (JSON text), or "ok". */
static const char *schema_says(const char *schema, const char *value)
{
    static struct pd_err err;
    json_t *s = json_loads(schema, 0, NULL), *v = json_loads(value, JSON_DECODE_ANY, NULL);
    int rc;
    assert_non_null(s);
    assert_non_null(v);
    pd_err_clear(&err);
    rc = pd_jschema_check(s, v, &err);
    json_decref(s);
    json_decref(v);
    return rc == 0 ? "ok" : err.msg;
}

static void test_jschema_names_what_does_not_fit(void **state)
{
    const char *req = "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"sql\"],"
                      "\"properties\":{\"sql\":{\"type\":\"string\"},"
                      "\"limit\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10},"
                      "\"params\":{\"type\":[\"array\",\"object\"]},"
                      "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                      "\"mode\":{\"enum\":[\"a\",\"b\"]},"
                      "\"config\":{\"type\":\"object\",\"properties\":{\"dsn\":{\"type\":\"string\"}}}}}";
    (void)state;
    assert_string_equal(schema_says(req, "{\"sql\":\"x\",\"limit\":3.0,\"params\":{},\"tags\":[],"
                                         "\"mode\":\"b\",\"config\":{\"dsn\":\"d\",\"more\":1}}"),
                        "ok");
    assert_string_equal(schema_says(req, "{\"sql\":\"x\",\"sqll\":1}"),
                        "unknown field 'sqll' (allowed: sql, limit, params, tags, mode, config)");
    assert_string_equal(schema_says(req, "{}"), "field 'sql' is required");
    assert_string_equal(schema_says(req, "{\"sql\":1}"), "field 'sql' must be a string");
    assert_string_equal(schema_says(req, "{\"sql\":\"\",\"limit\":1.5}"), "field 'limit' must be an integer");
    assert_string_equal(schema_says(req, "{\"sql\":\"\",\"limit\":11}"), "field 'limit' must be at most 10");
    assert_string_equal(schema_says(req, "{\"sql\":\"\",\"params\":\"p\"}"),
                        "field 'params' must be an array or object");
    assert_string_equal(schema_says(req, "{\"sql\":\"\",\"tags\":[\"a\",2]}"),
                        "field 'tags[1]' must be a string");
    assert_string_equal(schema_says(req, "{\"sql\":\"\",\"mode\":\"c\"}"),
                        "field 'mode' must be one of \"a\", \"b\"");
    assert_string_equal(schema_says(req, "{\"sql\":\"\",\"config\":{\"dsn\":null}}"),
                        "field 'config.dsn' must be a string");
    assert_string_equal(schema_says(req, "[1]"), "the body must be an object");
    assert_string_equal(schema_says("{\"$ref\":\"#/x\"}", "1"), "schema: $ref is not supported at the body");
    assert_string_equal(schema_says("{\"type\":\"int\"}", "1"), "schema: unknown type 'int'");
    /* Lengths count characters; a map's values meet additionalProperties' schema. */
    assert_string_equal(schema_says("{\"properties\":{\"n\":{\"minLength\":1,\"maxLength\":3}}}",
                                    "{\"n\":\"\u00e9t\u00e9\"}"), "ok");
    assert_string_equal(schema_says("{\"properties\":{\"n\":{\"maxLength\":2}}}", "{\"n\":\"abc\"}"),
                        "field 'n' must have at most 2 characters");
    assert_string_equal(schema_says("{\"properties\":{\"n\":{\"minLength\":1}}}", "{\"n\":\"\"}"),
                        "field 'n' must have at least 1 characters");
    assert_string_equal(schema_says("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}",
                                    "{\"a.sql\":\"x\",\"b\":2}"),
                        "field 'b' must be a string");
}

/* A library loaded on first use: its functions callable; a missing library or
   function is an error that says what to install, every time it is asked for. */
#define LIBM_FUNCS(X) X(cbrt) X(hypot)
PD_DYNLIB_TABLE(t_libm, LIBM_FUNCS);
PD_DYNLIB_DEFINE(t_libm, LIBM_FUNCS, "libm.so.6", "libc6")
#define NOPE_FUNCS(X) X(cbrt)
PD_DYNLIB_TABLE(t_nope, NOPE_FUNCS);
PD_DYNLIB_DEFINE(t_nope, NOPE_FUNCS, "libpluto-nope.so.9", "pluto-nope9")
static double not_in_libm(double x) { return x; }
#define OLD_FUNCS(X) X(cbrt) X(not_in_libm)
PD_DYNLIB_TABLE(t_old, OLD_FUNCS);
PD_DYNLIB_DEFINE(t_old, OLD_FUNCS, "libm.so.6", "libc6")

static void test_dynlib_loads_on_first_use(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    (void)not_in_libm;
    assert_null(t_libm.cbrt);
    assert_int_equal(t_libm_load(&err), 0);
    assert_int_equal(t_libm_load(&err), 0); /* once */
    assert_true(fabs(t_libm.cbrt(27.0) - 3.0) < 1e-12 && fabs(t_libm.hypot(3.0, 4.0) - 5.0) < 1e-12);

    for (int i = 0; i < 2; i++) {
        struct pd_err e = PD_ERR_INIT;
        assert_int_equal(t_nope_load(&e), PD_EUNAVAIL);
        assert_non_null(strstr(e.msg, "libpluto-nope.so.9 is not installed"));
        assert_non_null(strstr(e.msg, "install the package pluto-nope9"));
    }
    assert_int_equal(t_old_load(&err), PD_EUNAVAIL);
    assert_non_null(strstr(err.msg, "libm.so.6 has no function not_in_libm"));
    assert_null(t_old.cbrt); /* never half a table */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynlib_loads_on_first_use),
        cmocka_unit_test(test_err_first_wins_and_maps),
        cmocka_unit_test(test_buf_grows_and_caps),
        cmocka_unit_test(test_arena_allocates_and_cleans),
        cmocka_unit_test(test_json_string_escapes_and_repairs),
        cmocka_unit_test(test_durations_and_times),
        cmocka_unit_test(test_uuid7_is_ordered_and_versioned),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_yaml_walks_and_reports_lines),
        cmocka_unit_test(test_yaml_json_aliases_and_hostile_input),
        cmocka_unit_test(test_jschema_names_what_does_not_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
