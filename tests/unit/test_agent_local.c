/*
 * test_agent_local.c - the offline planner on the sample shop: each question's
 * result is compared with the result of SQL written by hand (results, not SQL
 * text); questions it cannot answer must say so. Prints the accuracy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "agent/local.h"
#include "base/alloc.h"
#include "base/err.h"
#include "warehouse/warehouse.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fx_warehouse fx;
static duckdb_connection conn;
static struct ag_table tables[8];
static struct ag_col cols[8][16];
static struct ag_schema schema;

static int setup(void **state)
{
    struct pd_err err = PD_ERR_INIT;
    duckdb_result res;
    (void)state;
    if (fx_warehouse_open(&fx, "local", 1) != 0 || pd_warehouse_acquire(fx.wh, &conn, &err) != 0)
        return -1;
    /* the schema, as describe_table gives it */
    if (duckdb_query(conn,
                     "SELECT table_name, column_name, data_type FROM information_schema.columns "
                     "WHERE table_schema = 'main' ORDER BY table_name = 'order_items', "
                     "table_name, ordinal_position",
                     &res) != DuckDBSuccess)
        return -1;
    for (idx_t i = 0; i < duckdb_row_count(&res); i++) {
        char *t = duckdb_value_varchar(&res, 0, i);
        size_t k;
        for (k = 0; k < schema.n && strcmp(tables[k].name, t) != 0; k++)
            ;
        if (k == schema.n) {
            tables[k].schema = "main";
            tables[k].name = xstrdup(t);
            tables[k].cols = cols[k];
            schema.n++;
        }
        cols[k][tables[k].ncols].name = duckdb_value_varchar(&res, 1, i);
        cols[k][tables[k].ncols].type = duckdb_value_varchar(&res, 2, i);
        tables[k].ncols++;
        duckdb_free(t);
    }
    duckdb_destroy_result(&res);
    schema.tables = tables;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pd_warehouse_release(fx.wh, conn, 1);
    fx_warehouse_close(&fx);
    return 0;
}

/* The lookup the provider makes with run_sql: is text a value of the column? */
static int lookup(void *arg, const struct ag_table *t, const char *column, const char *text,
                  char **exact)
{
    duckdb_prepared_statement st;
    duckdb_result res;
    int found = 0;
    char *sql = xasprintf("SELECT \"%s\" FROM \"%s\".\"%s\" WHERE lower(\"%s\") = lower($1) LIMIT 1",
                          column, t->schema, t->name, column);
    (void)arg;
    if (duckdb_prepare(conn, sql, &st) == DuckDBSuccess) {
        duckdb_bind_varchar(st, 1, text);
        if (duckdb_execute_prepared(st, &res) == DuckDBSuccess && duckdb_row_count(&res) > 0) {
            char *v = duckdb_value_varchar(&res, 0, 0);
            *exact = xstrdup(v);
            duckdb_free(v);
            found = 1;
        }
        duckdb_destroy_result(&res);
    }
    duckdb_destroy_prepare(&st);
    free(sql);
    return found;
}

/* All rows of sql as text, one line per row. */
static char *rows_of(const char *sql)
{
    duckdb_result res;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (duckdb_query(conn, sql, &res) != DuckDBSuccess) {
        fprintf(f, "ERROR %s", duckdb_result_error(&res));
    } else {
        for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
            for (idx_t c = 0; c < duckdb_column_count(&res); c++) {
                char *v = duckdb_value_varchar(&res, c, r);
                fprintf(f, "%s%s", c ? "|" : "", v ? v : "NULL");
                duckdb_free(v);
            }
            fputc('\n', f);
        }
    }
    duckdb_destroy_result(&res);
    fclose(f);
    return out;
}

static const struct {
    const char *question, *expected;
} answered[] = {
    {"How many orders are there?", "select count(*) from orders"},
    {"how many customers", "select count(*) from customers"},
    {"What is the total revenue?", "select sum(amount) from orders"},
    {"average order amount", "select avg(amount) from orders"},
    {"What is the largest order amount?", "select max(amount) from orders"},
    {"smallest amount", "select min(amount) from orders"},
    {"earliest order date", "select min(order_date) from orders"},
    {"How many completed orders?", "select count(*) from orders where status = 'completed'"},
    {"how many orders were cancelled", "select count(*) from orders where status = 'cancelled'"},
    {"How many orders per status?",
     "select status, count(*) from orders group by 1 order by 2 desc, 1"},
    {"revenue by status", "select status, sum(amount) from orders group by 1 order by 2 desc, 1"},
    {"number of customers per region",
     "select region, count(*) from customers group by 1 order by 2 desc, 1"},
    {"How many customers in Berlin?", "select count(*) from customers where city = 'Berlin'"},
    {"how many enterprise customers", "select count(*) from customers where segment = 'enterprise'"},
    {"total revenue in 2024", "select sum(amount) from orders where year(order_date) = 2024"},
    {"orders per month",
     "select date_trunc('month', order_date)::date, count(*) from orders group by 1 order by 1"},
    {"monthly revenue",
     "select date_trunc('month', order_date)::date, sum(amount) from orders group by 1 order by 1"},
    {"revenue per year",
     "select date_trunc('year', order_date)::date, sum(amount) from orders group by 1 order by 1"},
    {"Top 5 customers by revenue",
     "select c.name, sum(o.amount) from orders o join customers c using (customer_id) "
     "group by c.customer_id, c.name order by 2 desc, 1 limit 5"},
    {"which 5 customers spent the most in 2024?",
     "select c.name, sum(o.amount) from orders o join customers c using (customer_id) "
     "where year(o.order_date) = 2024 group by c.customer_id, c.name order by 2 desc, 1 limit 5"},
    {"Which 3 cities have the most orders?",
     "select c.city, count(*) from orders o join customers c using (customer_id) group by 1 "
     "order by 2 desc, 1 limit 3"},
    {"how many distinct cities", "select count(distinct city) from customers"},
    {"average amount of shipped orders",
     "select avg(amount) from orders where status = 'shipped'"},
    {"revenue per region",
     "select c.region, sum(o.amount) from orders o join customers c using (customer_id) "
     "group by 1 order by 2 desc, 1"},
    {"revenue from consumer customers",
     "select sum(o.amount) from orders o join customers c using (customer_id) "
     "where c.segment = 'consumer'"},
    {"how many products per category",
     "select category, count(*) from products group by 1 order by 2 desc, 1"},
    {"total quantity per category",
     "select p.category, sum(i.quantity) from order_items i join products p using (product_id) "
     "group by 1 order by 2 desc, 1"},
    {"top 3 products by quantity",
     "select p.name, sum(i.quantity) from order_items i join products p using (product_id) "
     "group by p.product_id, p.name order by 2 desc, 1 limit 3"},
    {"average unit price of products", "select avg(unit_price) from products"},
    {"latest 5 orders", "select * from orders order by order_date desc, 1 desc limit 5"},
    {"list customers in Tokyo", "select * from customers where city = 'Tokyo' limit 100"},
    {"number of orders per segment",
     "select c.segment, count(*) from orders o join customers c using (customer_id) group by 1 "
     "order by 2 desc, 1"},
    {"how many orders in New York",
     "select count(*) from orders o join customers c using (customer_id) where c.city = 'New York'"},
    {"how many orders over 100", "select count(*) from orders where amount > 100"},
    {"average amount of orders under 50", "select avg(amount) from orders where amount < 50"},
    {"percentage of orders per status",
     "select status, 100.0 * count(*) / sum(count(*)) over () from orders group by 1 "
     "order by 2 desc, 1"},
    {"share of revenue per region",
     "select c.region, 100.0 * sum(o.amount) / sum(sum(o.amount)) over () from orders o "
     "join customers c using (customer_id) group by 1 order by 2 desc, 1"},
    {"percentage of orders that are cancelled",
     "select 100.0 * count(*) filter (where status = 'cancelled') / count(*) from orders"},
    {"what percentage of orders in 2024 were over 100",
     "select 100.0 * count(*) filter (where amount > 100) / count(*) from orders "
     "where year(order_date) = 2024"},
    {"customers who never ordered",
     "select * from customers c where not exists (select 1 from orders o "
     "where o.customer_id = c.customer_id) order by customer_id"},
    {"how many customers without orders",
     "select count(*) from customers c where customer_id not in (select customer_id from orders)"},
    {"how many products were never sold",
     "select count(*) from products where product_id not in (select product_id from order_items)"},
    {"median order amount", "select median(amount) from orders"},
    {"90th percentile of amount per status",
     "select status, quantile_cont(amount, 0.9) from orders group by 1 order by 2 desc, 1"},
    {"customers with more than 3 orders",
     "select c.name, count(*) from customers c join orders o using (customer_id) "
     "group by c.customer_id, c.name having count(*) > 3 order by 2 desc, 1"},
    {"how many customers have at least 5 orders",
     "select count(*) from (select customer_id from orders group by 1 having count(*) >= 5)"},
    {"how many customers ordered more than once",
     "select count(*) from (select customer_id from orders group by 1 having count(*) > 1)"},
    {"how many orders since 2024", "select count(*) from orders where year(order_date) >= 2024"},
    {"revenue before 2024", "select sum(amount) from orders where year(order_date) < 2024"},
    {"how many orders between 2023 and 2024",
     "select count(*) from orders where year(order_date) between 2023 and 2024"},
    {"monthly revenue of completed orders in 2024",
     "select date_trunc('month', order_date)::date, sum(amount) from orders where status = "
     "'completed' and year(order_date) = 2024 group by 1 order by 1"},
};

static const char *const refused[] = {
    "what's the weather in Paris tomorrow",
    "predict next month's sales",
    "",
    "revenue per category", /* orders.amount over order_items would count orders twice */
    "why did customers churn",
    "orders'; drop table orders; --",
    "how many",
    "percentage of orders", /* of what? */
    "average share of amount per status", /* a percentage of an average */
};

static void test_question_set(void **state)
{
    size_t ok = 0, n = sizeof(answered) / sizeof(answered[0]);
    (void)state;
    for (size_t i = 0; i < n; i++) {
        struct ag_plan plan;
        struct pd_err err = PD_ERR_INIT;
        if (ag_local_plan(NULL, answered[i].question, &schema, lookup, NULL, &plan, &err) != 0) {
            print_message("NOT ANSWERED  %s: %s\n", answered[i].question, err.msg);
            continue;
        }
        char *got = rows_of(plan.sql), *want = rows_of(answered[i].expected);
        if (strcmp(got, want) == 0 && strncmp(got, "ERROR", 5) != 0 && *got) {
            ok++;
        } else {
            print_message("WRONG  %s\n  sql: %s\n  got: %.200s\n  want: %.200s\n",
                          answered[i].question, plan.sql, got, want);
        }
        free(got);
        free(want);
        ag_plan_clear(&plan);
    }
    print_message("offline provider: %zu of %zu questions answered correctly\n", ok, n);
    assert_int_equal(ok, n);
}

static void test_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        struct ag_plan plan;
        struct pd_err err = PD_ERR_INIT;
        int rc = ag_local_plan(NULL, refused[i], &schema, lookup, NULL, &plan, &err);
        if (rc != PD_EINVAL)
            fail_msg("'%s' was answered: %s", refused[i], plan.sql);
        assert_true(strlen(err.msg) > 10);
    }
}

static void test_chart_and_words(void **state)
{
    struct ag_plan plan;
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    assert_int_equal(ag_local_plan(NULL, "monthly revenue", &schema, lookup, NULL, &plan, &err), 0);
    assert_string_equal(plan.chart, "line");
    assert_string_equal(plan.x, "month");
    assert_string_equal(plan.y, "total_amount");
    ag_plan_clear(&plan);
    assert_int_equal(ag_local_plan(NULL, "revenue by status", &schema, lookup, NULL, &plan, &err), 0);
    assert_string_equal(plan.chart, "bar");
    assert_string_equal(plan.explanation, "total amount per status");
    ag_plan_clear(&plan);
    assert_int_equal(ag_local_plan(NULL, "how many orders", &schema, lookup, NULL, &plan, &err), 0);
    assert_null(plan.chart);
    ag_plan_clear(&plan);
}

/* Follow-ups: earlier questions (one per line) and the follow-up, read as one. */
static const struct {
    const char *previous, *question, *expected;
} follow_ups[] = {
    {"how many orders in 2024", "and in 2023?",
     "select count(*) from orders where year(order_date) = 2023"},
    {"how many orders in 2024", "what about completed ones",
     "select count(*) from orders where year(order_date) = 2024 and status = 'completed'"},
    {"how many completed orders in 2024", "and cancelled ones?",
     "select count(*) from orders where year(order_date) = 2024 and status = 'cancelled'"},
    {"how many orders in 2024\nwhat about completed ones", "and in 2023?",
     "select count(*) from orders where year(order_date) = 2023 and status = 'completed'"},
    {"top 3 customers by revenue", "only in Berlin",
     "select c.name, sum(o.amount) from orders o join customers c using (customer_id) "
     "where c.city = 'Berlin' group by c.customer_id, c.name order by 2 desc, 1 limit 3"},
    {"top 3 customers by revenue", "and the top 5?",
     "select c.name, sum(o.amount) from orders o join customers c using (customer_id) "
     "group by c.customer_id, c.name order by 2 desc, 1 limit 5"},
    {"monthly revenue", "and in 2023", /* not a follow-up word, but alone it means nothing */
     "select date_trunc('month', order_date)::date, sum(amount) from orders "
     "where year(order_date) = 2023 group by 1 order by 1"},
};

static void test_follow_ups(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(follow_ups) / sizeof(follow_ups[0]); i++) {
        struct ag_plan plan;
        struct pd_err err = PD_ERR_INIT;
        if (ag_local_plan(follow_ups[i].previous, follow_ups[i].question, &schema, lookup, NULL,
                          &plan, &err) != 0)
            fail_msg("'%s' after '%s': %s", follow_ups[i].question, follow_ups[i].previous,
                     err.msg);
        char *got = rows_of(plan.sql), *want = rows_of(follow_ups[i].expected);
        if (strcmp(got, want) != 0 || strncmp(got, "ERROR", 5) == 0)
            fail_msg("'%s' after '%s'\n  sql: %s\n  got: %.200s\n  want: %.200s",
                     follow_ups[i].question, follow_ups[i].previous, plan.sql, got, want);
        free(got);
        free(want);
        ag_plan_clear(&plan);
    }
    /* a question that stands alone is not read with the one before */
    assert_int_equal(ag_local_follows_up("how many products"), 0);
    assert_int_equal(ag_local_follows_up("and in 2023?"), 1);
    assert_int_equal(ag_local_follows_up("What about Paris"), 1);
    assert_int_equal(ag_local_follows_up("android sales"), 0);
}

/*
 * Names as people write them: capitals, words joined by '_' or by case
 * ("Miles_per_Gallon", "tempMax"), on tables the planner was not built around.
 */
static void test_names_in_any_case(void **state)
{
    static const struct {
        const char *question, *expected;
    } cases[] = {
        {"average Horsepower", "select avg(Horsepower) from vega.cars"},
        {"average horsepower", "select avg(Horsepower) from vega.cars"},
        {"average miles per gallon", "select avg(Miles_per_Gallon) from vega.cars"},
        {"maximum miles per gallon per origin",
         "select Origin, max(Miles_per_Gallon) from vega.cars group by 1 order by 2 desc, 1"},
        {"how many cars per origin",
         "select Origin, count(*) from vega.cars group by 1 order by 2 desc, 1"},
        {"average horsepower of cars from Japan",
         "select avg(Horsepower) from vega.cars where Origin = 'Japan'"},
        {"average tempMax", "select avg(tempMax) from vega.weather"},
        {"average temp_max", "select avg(tempMax) from vega.weather"},
        {"highest Miles_per_Gallon", "select max(Miles_per_Gallon) from vega.cars"},
        {"how many cars have 4 cylinders", "select count(*) from vega.cars where Cylinders = 4"},
        {"number of cars with 8 cylinders", "select count(*) from vega.cars where Cylinders = 8"},
        {"number of cars per cylinder count",
         "select Cylinders, count(*) from vega.cars group by 1 order by 2 desc, 1"},
        {"which origin has the highest average horsepower",
         "select Origin, avg(Horsepower) from vega.cars group by 1 "
         "qualify rank() over (order by avg(Horsepower) desc) = 1"},
        {"which origin has the lowest average miles per gallon",
         "select Origin, avg(Miles_per_Gallon) from vega.cars group by 1 "
         "qualify rank() over (order by avg(Miles_per_Gallon)) = 1"},
        {"which origin has the most cars",
         "select Origin, count(*) from vega.cars group by 1 "
         "qualify rank() over (order by count(*) desc) = 1"},
        {"which origin has the fewest cars", /* a tie: both kept */
         "select Origin, count(*) from vega.cars where Origin in ('USA', 'Europe') group by 1 order by 1"},
        {"which cylinders have the lowest average horsepower",
         "select Cylinders, avg(Horsepower) from vega.cars where Cylinders = 4 group by 1"},
        {"how many distinct origins in cars", "select count(distinct Origin) from vega.cars"},
        {"how many distinct origin in makers", "select count(distinct origin) from vega.makers"},
        {"how many cars", "select count(*) from vega.cars"},
        {"how many rows of data are in cars", "select count(*) from vega.cars"},
        /* loosely: typos, initials, abbreviations, synonyms */
        {"average horsepowr", "select avg(Horsepower) from vega.cars"},
        {"average mpg", "select avg(Miles_per_Gallon) from vega.cars"},
        {"average temperature", "select avg(tempMax) from vega.weather"},
        {"how many autos", "select count(*) from vega.cars"},
        {"total population", "select sum(pop) from vega.countries"},
        {"average life expectancy", "select avg(life_expect) from vega.countries"},
        {"how many nations", "select count(*) from vega.countries"},
        /* comparisons with numbers */
        {"how many cars with more than 100 horsepower",
         "select count(*) from vega.cars where Horsepower > 100"},
        {"how many cars have horsepower of at least 65",
         "select count(*) from vega.cars where Horsepower >= 65"},
        {"average miles per gallon of cars with horsepower below 100",
         "select avg(Miles_per_Gallon) from vega.cars where Horsepower < 100"},
        {"how many cars with cylinders between 4 and 6",
         "select count(*) from vega.cars where Cylinders between 4 and 6"},
        {"how many cars with miles per gallon over 25.5",
         "select count(*) from vega.cars where Miles_per_Gallon > 25.5"},
        {"top 2 cars by horsepower",
         "select Name, Horsepower from vega.cars order by 2 desc, 1 limit 2"},
    };
    struct ag_table vt[4] = {{0}};
    struct ag_col cc[] = {{"Name", "VARCHAR"}, {"Miles_per_Gallon", "DOUBLE"},
                          {"Cylinders", "BIGINT"}, {"Horsepower", "DOUBLE"}, {"Origin", "VARCHAR"}};
    struct ag_col wc[] = {{"day", "DATE"}, {"tempMax", "DOUBLE"}};
    /* another table with an origin column, and a column called like the cars table */
    struct ag_col mc[] = {{"maker", "VARCHAR"}, {"origin", "VARCHAR"}, {"cars", "BIGINT"}};
    struct ag_col nc[] = {{"country", "VARCHAR"}, {"pop", "BIGINT"}, {"life_expect", "DOUBLE"}};
    struct ag_schema vs = {vt, 4};
    duckdb_result res;
    (void)state;
    assert_int_equal(duckdb_query(conn,
                                  "CREATE SCHEMA vega; CREATE TABLE vega.cars AS SELECT * FROM "
                                  "(VALUES ('a', 18.0, 8, 130.0, 'USA'), ('b', 31.0, 4, 65.0, "
                                  "'Japan'), ('c', 24.0, 4, 95.0, 'Japan'), ('d', 26.0, 4, 46.0, "
                                  "'Europe')) t(Name, Miles_per_Gallon, Cylinders, Horsepower, "
                                  "Origin); CREATE TABLE vega.weather AS SELECT DATE '2024-01-01' "
                                  "+ range::INT AS day, range * 1.5 AS tempMax FROM range(10);"
                                  "CREATE TABLE vega.makers AS SELECT * FROM (VALUES ('m1', "
                                  "'Korea', 5), ('m2', 'Korea', 7), ('m3', 'Mexico', 1)) "
                                  "t(maker, origin, cars);"
                                  "CREATE TABLE vega.countries AS SELECT * FROM (VALUES ('x', "
                                  "1000, 70.5), ('y', 250, 80.25)) t(country, pop, life_expect)",
                                  &res),
                     DuckDBSuccess);
    duckdb_destroy_result(&res);
    vt[0] = (struct ag_table){.schema = "vega", .name = "cars", .cols = cc, .ncols = 5};
    vt[1] = (struct ag_table){.schema = "vega", .name = "weather", .cols = wc, .ncols = 2};
    /* first, so that its columns are met before the cars table */
    vt[2] = vt[1];
    vt[1] = vt[0];
    vt[0] = (struct ag_table){.schema = "vega", .name = "makers", .cols = mc, .ncols = 3};
    vt[3] = (struct ag_table){.schema = "vega", .name = "countries", .cols = nc, .ncols = 3};
    /* two names a word matches loosely and equally well: it asks, naming both */
    {
        struct ag_col tc[] = {{"day", "DATE"}, {"temp_max", "DOUBLE"}, {"temp_min", "DOUBLE"}};
        struct ag_table tt = {.schema = "vega", .name = "readings", .cols = tc, .ncols = 3};
        struct ag_schema ts = {&tt, 1};
        struct ag_plan plan;
        struct pd_err err = PD_ERR_INIT;
        assert_int_equal(ag_local_plan(NULL, "average temperature", &ts, lookup, NULL, &plan, &err),
                         PD_EINVAL);
        if (!strstr(err.msg, "temp_max or temp_min"))
            fail_msg("%s", err.msg);
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ag_plan plan;
        struct pd_err err = PD_ERR_INIT;
        if (ag_local_plan(NULL, cases[i].question, &vs, lookup, NULL, &plan, &err) != 0)
            fail_msg("'%s' not answered: %s", cases[i].question, err.msg);
        char *got = rows_of(plan.sql), *want = rows_of(cases[i].expected);
        if (strcmp(got, want) != 0 || strncmp(got, "ERROR", 5) == 0)
            fail_msg("'%s'\n  sql: %s\n  got: %.200s\n  want: %.200s", cases[i].question,
                     plan.sql, got, want);
        free(got);
        free(want);
        ag_plan_clear(&plan);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_question_set),
        cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_chart_and_words),
        cmocka_unit_test(test_follow_ups),
        cmocka_unit_test(test_names_in_any_case),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
