/*
 * test_agent.c - the agent's tools on a real warehouse with the sample shop:
 * arguments checked against the schemas, run_sql's rules (one read-only
 * statement, no internal schemas, no catalog functions), what the model sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "agent/conversations.h"
#include "agent/skills.h"
#include "agent/tools.h"
#include "base/err.h"
#include "base/id.h"
#include "base/path.h"
#include "warehouse/warehouse.h"

#include "fixture.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fx_warehouse fx;
static struct ag_env env;

static int setup(void **state)
{
    (void)state;
    if (fx_warehouse_open(&fx, "agent", 1) != 0)
        return -1;
    env = (struct ag_env){.wh = fx.wh, .send_rows = 5, .keep_rows = 100};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_warehouse_close(&fx);
    return 0;
}

/* Call a tool; returns rc, fills out and err. */
static int call(const char *tool, const char *args, struct ag_tool_result *out, struct pd_err *err)
{
    pd_err_clear(err);
    return ag_tool_call(&env, tool, args, out, err);
}

static void test_run_sql_summary(void **state)
{
    struct ag_tool_result r;
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    assert_int_equal(call("run_sql", "{\"sql\":\"select order_id, status from orders order by 1\"}",
                          &r, &err), 0);
    /* the model sees the count, the columns and 5 rows; the user's result keeps 100 */
    assert_int_equal(json_integer_value(json_object_get(r.for_model, "row_count")), 3000);
    assert_int_equal(json_array_size(json_object_get(r.for_model, "rows")), 5);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(r.for_model, "columns"), 1), "name")),
                        "status");
    assert_int_equal(json_array_size(json_object_get(r.result, "rows")), 100);
    ag_tool_result_clear(&r);

    /* send_rows none: no data row, only the shape */
    env.send_rows = 0;
    assert_int_equal(call("run_sql", "{\"sql\":\"select * from customers\"}", &r, &err), 0);
    assert_null(json_object_get(r.for_model, "rows"));
    assert_non_null(json_object_get(r.for_model, "columns"));
    char *text = json_dumps(r.for_model, 0);
    assert_null(strstr(text, "@")); /* no e-mail address or any other value */
    free(text);
    ag_tool_result_clear(&r);
    env.send_rows = 5;

    /* long cells are cut for the model */
    assert_int_equal(call("run_sql", "{\"sql\":\"select repeat('x', 5000) as s\"}", &r, &err), 0);
    assert_true(strlen(json_string_value(json_array_get(
                    json_array_get(json_object_get(r.for_model, "rows"), 0), 0))) < 300);
    ag_tool_result_clear(&r);
}

static void test_run_sql_refuses(void **state)
{
    static const char *const refused[] = {
        "{\"sql\":\"delete from orders\"}",
        "{\"sql\":\"drop table orders\"}",
        "{\"sql\":\"select 1; select 2\"}",
        "{\"sql\":\"select * from _pluto.query_history\"}",
        "{\"sql\":\"select count(*) from _sources.attached\"}",
        "{\"sql\":\"with x as (select * from _duckpipe.run_history) select * from x\"}",
        "{\"sql\":\"select 1 union all select count(*) from \\\"_PLUTO\\\".jobs\"}",
        "{\"sql\":\"select * from information_schema.tables\"}",
        "{\"sql\":\"select * from duckdb_tables()\"}",
        "{\"sql\":\"select * from duckdb_tables\"}",
        "{\"sql\":\"show all tables\"}",
        "{\"sql\":\"describe _pluto.jobs\"}",
        "{\"sql\":\"select * from query('select * from _pluto.jobs')\"}",
        "{\"sql\":\"select * from orders where customer_id in (select 1 from _pluto.job_log)\"}",
    };
    struct ag_tool_result r;
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int rc = call("run_sql", refused[i], &r, &err);
        if (rc != PD_EINVAL)
            fail_msg("%s: not refused (rc %d, %s)", refused[i], rc, err.msg);
        if (getenv("PD_TEST_VERBOSE"))
            print_message("%s -> %s\n", refused[i], err.msg);
    }
    /* reads of user data are fine, files and ranges too */
    assert_int_equal(call("run_sql", "{\"sql\":\"select count(*) from range(10) t(x) join orders "
                                     "o on o.order_id = t.x\"}",
                          &r, &err),
                     0);
    ag_tool_result_clear(&r);
    assert_int_equal(call("run_sql", "{\"sql\":\"explain select * from orders\"}", &r, &err), 0);
    ag_tool_result_clear(&r);
    /* nothing was changed by the refused statements */
    assert_int_equal(call("run_sql", "{\"sql\":\"select count(*) as n from orders\"}", &r, &err),
                     0);
    assert_int_equal(json_integer_value(json_array_get(
                         json_array_get(json_object_get(r.for_model, "rows"), 0), 0)),
                     3000);
    ag_tool_result_clear(&r);
}

static void test_arguments(void **state)
{
    struct ag_tool_result r;
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    assert_int_equal(call("run_sql", "{\"sql\": 42}", &r, &err), PD_EINVAL);
    assert_non_null(strstr(err.msg, "'sql' must be a string"));
    assert_int_equal(call("run_sql", "{\"query\":\"select 1\"}", &r, &err), PD_EINVAL);
    assert_non_null(strstr(err.msg, "'sql' is required"));
    assert_int_equal(call("run_sql", "{\"sql\":\"select 1\", \"extra\": 1}", &r, &err), PD_EINVAL);
    assert_int_equal(call("run_sql", "{\"sql\":\"select 1\"", &r, &err), PD_EINVAL);
    assert_non_null(strstr(err.msg, "not valid JSON"));
    assert_int_equal(call("run_sql", "[1]", &r, &err), PD_EINVAL);
    assert_int_equal(call("sample_rows", "{\"table\":\"orders\",\"limit\":1000}", &r, &err),
                     PD_EINVAL);
    assert_int_equal(call("drop_everything", "{}", &r, &err), PD_EINVAL);
    assert_non_null(strstr(err.msg, "no tool"));
}

static void test_catalog_tools(void **state)
{
    struct ag_tool_result r;
    struct pd_err err = PD_ERR_INIT;
    json_t *row;
    size_t i;
    (void)state;
    assert_int_equal(call("list_tables", "{}", &r, &err), 0);
    json_array_foreach(json_object_get(r.for_model, "rows"), i, row) {
        const char *schema = json_string_value(json_array_get(row, 0));
        assert_true(schema[0] != '_');
    }
    assert_true(json_array_size(json_object_get(r.for_model, "rows")) >= 4);
    ag_tool_result_clear(&r);
    assert_int_equal(call("describe_table", "{\"table\":\"orders\"}", &r, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(r.for_model, "row_count")), 5);
    ag_tool_result_clear(&r);
    assert_int_equal(call("describe_table", "{\"table\":\"_pluto.jobs\"}", &r, &err), PD_ENOTFOUND);
    assert_int_equal(call("describe_table", "{\"table\":\"nope\"}", &r, &err), PD_ENOTFOUND);
    assert_int_equal(call("sample_rows", "{\"table\":\"main.orders\",\"limit\":3}", &r, &err), 0);
    assert_int_equal(json_array_size(json_object_get(r.for_model, "rows")), 3);
    ag_tool_result_clear(&r);
    assert_int_equal(call("sample_rows", "{\"table\":\"_pluto.query_history\"}", &r, &err),
                     PD_ENOTFOUND);
    assert_int_equal(call("sample_rows", "{\"table\":\"orders; drop table orders\"}", &r, &err),
                     PD_ENOTFOUND);

    /* the tools as a model is given them */
    json_t *tools = ag_tools_json();
    assert_int_equal(json_array_size(tools), ag_n_tools);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(tools, 3), "function"), "name")),
                        "run_sql");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(json_array_get(tools, 3), "function"),
                                            "parameters"),
                            "type")),
                        "object");
    json_decref(tools);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Built in, then the user's, then the project's (which wins); broken files are reported. */
static void test_skills(void **state)
{
    char path[1024];
    struct ag_skills s;
    const struct ag_skill *k;
    (void)state;
    snprintf(path, sizeof(path), "mkdir -p %s/skills/mine %s/skills/broken %s/projects/default/skills/mine %s/skills/sql", fx.dir, fx.dir, fx.dir, fx.dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof(path), "%s/skills/mine/SKILL.md", fx.dir);
    write_file(path, "---\nname: mine\ndescription: the user's version\nallowed-tools: [run_sql, list_tables]\n---\nUser body.\n");
    snprintf(path, sizeof(path), "%s/projects/default/skills/mine/SKILL.md", fx.dir);
    write_file(path, "---\nname: mine\ndescription: the project's version\nallowed-tools: run_sql\n---\n\nProject body.\n");
    snprintf(path, sizeof(path), "%s/skills/broken/SKILL.md", fx.dir);
    write_file(path, "no front matter here\n");
    snprintf(path, sizeof(path), "%s/skills/sql/SKILL.md", fx.dir);
    write_file(path, "---\nname: sql-analysis\ndescription: [unclosed\n---\nx\n");

    ag_skills_load(NULL, NULL, &s);
    assert_int_equal(s.n, 3);
    assert_non_null(ag_skill_find(&s, "sql-analysis"));
    ag_skills_clear(&s);

    ag_skills_load(fx.dir, NULL, &s);
    assert_int_equal(s.n, 4);
    k = ag_skill_find(&s, "mine");
    assert_non_null(k);
    assert_string_equal(k->description, "the project's version");
    assert_string_equal(k->body, "Project body.\n");
    assert_int_equal(k->allowed_tools.n, 1);
    /* the broken ones are named, the built-in sql-analysis stays */
    assert_int_equal(s.problems.n, 2);
    assert_string_equal(ag_skill_find(&s, "sql-analysis")->origin, "built-in");
    ag_skills_clear(&s);

    /* load_skill gives the body; an unknown name lists the skills */
    struct ag_tool_result r;
    struct pd_err err = PD_ERR_INIT;
    env.home = fx.dir;
    assert_int_equal(call("load_skill", "{\"name\":\"mine\"}", &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r.for_model, "instructions")),
                        "Project body.\n");
    ag_tool_result_clear(&r);
    assert_int_equal(call("load_skill", "{\"name\":\"nope\"}", &r, &err), PD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "lineage"));
    env.home = NULL;
}

/* Count of what sql returns (first value), through a pooled connection. */
static long long count_of(const char *sql)
{
    duckdb_connection conn;
    struct pd_err err = PD_ERR_INIT;
    long long n;
    assert_int_equal(pd_warehouse_acquire(fx.wh, &conn, &err), 0);
    n = (long long)pd_query_count(conn, sql);
    pd_warehouse_release(fx.wh, conn, 1);
    return n;
}

static void test_work_zone(void **state)
{
    struct ag_tool_result r;
    struct pd_err err = PD_ERR_INIT;
    char a[PD_UUID_LEN + 1], b[PD_UUID_LEN + 1], za[AG_WORK_SCHEMA_MAX], zb[AG_WORK_SCHEMA_MAX];
    char args[512];
    const char *table;
    (void)state;
    assert_int_equal(ag_conv_create(fx.wh, NULL, "first", a, &err), 0);
    assert_int_equal(ag_conv_create(fx.wh, NULL, "second", b, &err), 0);
    ag_work_schema(a, za);
    ag_work_schema(b, zb);
    assert_int_equal(strncmp(za, "work_", 5), 0);
    assert_int_equal(strlen(za), 5 + 32);

    /* without a conversation there is no work zone */
    assert_int_equal(call("save_work_table", "{\"name\":\"t\",\"sql\":\"select 1\"}", &r, &err),
                     PD_EINVAL);
    assert_non_null(strstr(err.msg, "no work zone"));

    /* conversation b keeps a table; a cannot see it */
    env.work_schema = zb;
    assert_int_equal(call("save_work_table",
                          "{\"name\":\"by_status\",\"sql\":\"select status, count(*) as n from "
                          "orders group by 1\"}",
                          &r, &err),
                     0);
    table = json_string_value(json_object_get(r.for_model, "table"));
    assert_non_null(strstr(table, zb));
    assert_int_equal(json_integer_value(json_object_get(r.for_model, "row_count")),
                     count_of("select count(distinct status) from orders"));
    ag_tool_result_clear(&r);
    snprintf(args, sizeof(args), "{\"sql\":\"select sum(n) from %s.by_status\"}", zb);
    assert_int_equal(call("run_sql", args, &r, &err), 0);
    ag_tool_result_clear(&r);
    assert_int_equal(call("list_tables", "{}", &r, &err), 0);
    char *listed = json_dumps(r.for_model, 0);
    assert_non_null(strstr(listed, zb));
    free(listed);
    ag_tool_result_clear(&r);

    env.work_schema = za;
    assert_int_equal(call("run_sql", args, &r, &err), PD_EINVAL);
    assert_non_null(strstr(err.msg, "not user data"));
    snprintf(args, sizeof(args), "{\"table\":\"%s.by_status\"}", zb);
    assert_int_equal(call("describe_table", args, &r, &err), PD_ENOTFOUND);
    assert_int_equal(call("list_tables", "{}", &r, &err), 0);
    listed = json_dumps(r.for_model, 0);
    assert_null(strstr(listed, zb));
    free(listed);
    ag_tool_result_clear(&r);

    /* only a query becomes a table; a name is checked */
    assert_int_equal(call("save_work_table", "{\"name\":\"x\",\"sql\":\"delete from orders\"}",
                          &r, &err),
                     PD_EINVAL);
    assert_int_equal(call("save_work_table",
                          "{\"name\":\"x\",\"sql\":\"select 1; drop table orders\"}", &r, &err),
                     PD_EINVAL);
    assert_int_equal(call("save_work_table", "{\"name\":\"x y\",\"sql\":\"select 1\"}", &r, &err),
                     PD_EINVAL);
    assert_int_equal(call("save_work_table",
                          "{\"name\":\"x\",\"sql\":\"select * from _pluto.conversations\"}",
                          &r, &err),
                     PD_EINVAL);
    assert_int_equal(count_of("select count(*) from orders"), 3000);
    env.work_schema = NULL;

    /* deleting b drops its zone; a expires once idle longer than the TTL */
    assert_int_equal(ag_conv_delete(fx.wh, b, &err), 0);
    char q[256];
    snprintf(q, sizeof(q), "select count(*) from information_schema.schemata where schema_name = '%s'", zb);
    assert_int_equal(count_of(q), 0);
    int deleted;
    assert_int_equal(ag_conv_expire(fx.wh, 3600, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(ag_conv_expire(fx.wh, 0, &deleted, &err), 0); /* 0: keep forever */
    assert_int_equal(deleted, 0);
    assert_int_equal(ag_conv_expire(fx.wh, 1e-6, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(count_of("select count(*) from _pluto.conversations"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_sql_summary),
        cmocka_unit_test(test_run_sql_refuses),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_catalog_tools),
        cmocka_unit_test(test_skills),
        cmocka_unit_test(test_work_zone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
