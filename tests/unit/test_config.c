/*
 * test_config.c - layering, validation, origins, warnings and comment-keeping
 * edits of base/config; statement splitting of query/sqlsplit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/path.h"
#include "query/sqlsplit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *home_dir;

static void write_file(const char *dir, const char *name, const char *text)
{
    char *p = pd_path_join(dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    free(p);
}

static int setup(void **state)
{
    static char tmpl[64];
    (void)state;
    snprintf(tmpl, sizeof(tmpl), "/tmp/pd-config-XXXXXX");
    home_dir = mkdtemp(tmpl);
    setenv("PLUTO_DUCK_HOME", home_dir, 1);
    unsetenv("PLUTO_DUCK_LOG_LEVEL");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pd_remove_tree(home_dir);
    return 0;
}

static struct pd_config *load(struct pd_err *err, int *rc)
{
    struct pd_config *c = NULL;
    struct pd_config_load_opts o = {.cwd = home_dir};
    *rc = pd_config_load(&c, &o, err);
    return c;
}

static void test_defaults_and_origins(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    (void)state;
    unlink("/tmp/pd-none");
    write_file(home_dir, "config.yaml", "");
    struct pd_config *c = load(&err, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(pd_config_home(c), home_dir);
    assert_string_equal(pd_config_get(c, "log.level"), "info");
    assert_string_equal(pd_config_origin(c, "log.level"), "default");
    assert_string_equal(pd_config_origin(c, "home"), "env PLUTO_DUCK_HOME");
    assert_int_equal(pd_config_int(c, "server.port"), 8123);
    assert_null(pd_config_get(c, "no.such"));
    pd_config_free(c);
}

static void test_file_env_flag_precedence(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    struct pd_config *c = NULL;
    struct pd_config_override flag = {"query.preview_rows", "7", "--set"};
    struct pd_config_load_opts o = {.cwd = home_dir, .overrides = &flag, .n_overrides = 1};
    char where[512];
    (void)state;
    write_file(home_dir, "config.yaml",
               "# settings\nlog:\n  level: warn\nquery:\n  preview_rows: 5\n  timeout: 10s\n");
    setenv("PLUTO_DUCK_QUERY_TIMEOUT", "1m", 1);
    assert_int_equal(pd_config_load(&c, &o, &err), 0);
    snprintf(where, sizeof(where), "%s/config.yaml:3", home_dir);
    assert_string_equal(pd_config_get(c, "log.level"), "warn");
    assert_string_equal(pd_config_origin(c, "log.level"), where);
    assert_true(pd_config_seconds(c, "query.timeout") == 60);
    assert_string_equal(pd_config_origin(c, "query.timeout"), "env PLUTO_DUCK_QUERY_TIMEOUT");
    assert_int_equal(pd_config_int(c, "query.preview_rows"), 7);
    assert_string_equal(pd_config_origin(c, "query.preview_rows"), "flag --set");
    unsetenv("PLUTO_DUCK_QUERY_TIMEOUT");
    pd_config_free(c);
}

static void test_invalid_value_names_file_and_line(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    char want[512];
    (void)state;
    write_file(home_dir, "config.yaml", "log:\n  level: info\nwarehouse:\n  threads: many\n");
    assert_null(load(&err, &rc));
    assert_int_equal(rc, PD_ECONFIG);
    snprintf(want, sizeof(want), "%s/config.yaml:4: 'warehouse.threads' must be", home_dir);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);

    pd_err_clear(&err);
    write_file(home_dir, "config.yaml", "log:\n  level: info\n   bad indent: [\n");
    assert_null(load(&err, &rc));
    assert_int_equal(rc, PD_ECONFIG);
    snprintf(want, sizeof(want), "%s/config.yaml:", home_dir);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);
}

/* Settings with a fixed set of values refuse others, whatever way they are given. */
static void test_choices(void **state)
{
    static const struct {
        const char *key, *value;
        int ok;
    } cases[] = {
        {"llm.provider", "local", 1},  {"llm.provider", "openai", 1}, {"llm.provider", "gpt", 0},
        {"llm.provider", "loc", 0},    {"llm.provider", "or", 0},     {"llm.provider", "", 0},
        {"agent.send_rows", "none", 1}, {"agent.send_rows", "0", 1},  {"agent.send_rows", "1000", 1},
        {"agent.send_rows", "1001", 0}, {"agent.send_rows", "-1", 0}, {"agent.send_rows", "all", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pd_err err = PD_ERR_INIT;
        int rc = pd_config_check(cases[i].key, cases[i].value, &err);
        if ((rc == 0) != cases[i].ok)
            fail_msg("%s = '%s': %s", cases[i].key, cases[i].value, rc ? err.msg : "accepted");
        if (rc)
            assert_non_null(strstr(err.msg, "must be"));
    }
}

static void test_unknown_key_warns(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    int rc;
    (void)state;
    write_file(home_dir, "config.yaml", "log:\n  levle: debug\n");
    struct pd_config *c = load(&err, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(pd_config_warning_count(c), 1);
    assert_non_null(strstr(pd_config_warning(c, 0), "unknown setting 'log.levle'"));
    assert_non_null(strstr(pd_config_warning(c, 0), "config.yaml:2"));
    pd_config_free(c);
}

static void test_project_file_sets_home_and_keys(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    char proj[256], sub[300], *expect;
    struct pd_config *c = NULL;
    (void)state;
    unsetenv("PLUTO_DUCK_HOME");
    snprintf(proj, sizeof(proj), "%s/proj", home_dir);
    snprintf(sub, sizeof(sub), "%s/deep/er", proj);
    assert_int_equal(pd_mkdir_p(sub, 0755, &err), 0);
    write_file(proj, ".plutoduck", "home: ./data-home\nlog:\n  level: error\n");
    struct pd_config_load_opts o = {.cwd = sub};
    assert_int_equal(pd_config_load(&c, &o, &err), 0);
    expect = pd_path_join(proj, "./data-home");
    assert_string_equal(pd_config_home(c), expect);
    assert_string_equal(pd_config_get(c, "log.level"), "error");
    assert_non_null(strstr(pd_config_origin(c, "log.level"), ".plutoduck:3"));
    free(expect);
    pd_config_free(c);
    setenv("PLUTO_DUCK_HOME", home_dir, 1);
}

static void test_set_keeps_comments(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    struct pd_buf text = PD_BUF_INIT;
    char *path = pd_path_join(home_dir, "config.yaml");
    int rc;
    (void)state;
    unlink(path);
    assert_int_equal(pd_config_write_default(path, &err), 0);
    struct pd_config *c = load(&err, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(pd_config_set(c, "warehouse.threads", "3", &err), 0);
    assert_int_equal(pd_config_set(c, "server.host", "0.0.0.0", &err), 0);
    assert_int_equal(pd_config_set(c, "log.level", "loud", &err), PD_EINVAL);
    pd_err_clear(&err);
    assert_int_equal(pd_config_set(c, "home", "/x", &err), PD_EINVAL);
    pd_config_free(c);
    assert_int_equal(pd_buf_read_file(&text, path), 0);
    assert_non_null(strstr(text.ptr, "# Pluto Duck settings."));
    assert_non_null(strstr(text.ptr, "  threads: 3\n"));
    assert_null(strstr(text.ptr, "# threads:"));
    c = load(&err, &rc);
    assert_int_equal(pd_config_int(c, "warehouse.threads"), 3);
    assert_string_equal(pd_config_get(c, "server.host"), "0.0.0.0");
    pd_config_free(c);
    pd_buf_release(&text);
    free(path);
}

static void test_sql_split(void **state)
{
    struct pd_sql_piece *p;
    const char *sql = "select 'a;b' as x; -- c;\n select \"q;\" /* ; */ ;;\n$$x;y$$; ";
    size_t n = pd_sql_split(sql, &p);
    (void)state;
    assert_int_equal(n, 3);
    assert_true(strncmp(sql + p[0].start, "select 'a;b' as x", p[0].len) == 0);
    assert_int_equal(p[0].len, strlen("select 'a;b' as x"));
    assert_true(strncmp(sql + p[1].start, "select \"q;\" /* ; */", p[1].len) == 0);
    assert_true(strncmp(sql + p[2].start, "$$x;y$$", p[2].len) == 0);
    free(p);
    n = pd_sql_split("-- only a comment\n  /* and this */ ", &p);
    assert_int_equal(n, 0);
    free(p);
    assert_true(pd_sql_is_complete("select 1;"));
    assert_true(pd_sql_is_complete("select 1; -- trailing"));
    assert_false(pd_sql_is_complete("select 1"));
    assert_false(pd_sql_is_complete("select ';"));
    assert_false(pd_sql_is_complete("select 1 /* ; "));
    assert_true(pd_sql_is_complete("select E'it\\'s;';"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_origins),
        cmocka_unit_test(test_file_env_flag_precedence),
        cmocka_unit_test(test_invalid_value_names_file_and_line),
        cmocka_unit_test(test_choices),
        cmocka_unit_test(test_unknown_key_warns),
        cmocka_unit_test(test_project_file_sets_home_and_keys),
        cmocka_unit_test(test_set_keeps_comments),
        cmocka_unit_test(test_sql_split),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
