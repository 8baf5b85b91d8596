/*
 * test_redact.c - units of agent/redact.c: data values leave DuckDB's error
 * messages, the SQL and the schema stay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/redact.h"

#include <stdlib.h>
#include <string.h>

static void check(const char *msg, const char *known, const char *want)
{
    char *got = ag_redact_values(msg, known);
    assert_string_equal(got, want);
    free(got);
}

static void test_values_go(void **state)
{
    (void)state;
    check("Conversion Error: Could not convert string 'Victor Okafor' to INT32 when casting from "
          "source column name\n\nLINE 1: select cast(name as integer) from customers\n       ^",
          "select cast(name as integer) from customers",
          "Conversion Error: Could not convert string '...' to INT32 when casting from source "
          "column name\n\nLINE 1: select cast(name as integer) from customers\n       ^");
    check("Invalid Input Error: Victor Okafor", "select error(name) from customers",
          "Invalid Input Error: ... ...");
    check("Conversion Error: Type INT64 with value 3000000000 can't be cast because the value is "
          "out of range for the destination type INT8",
          "select x::tinyint from t",
          "Conversion Error: Type INT64 with value ... can't be cast because the value is out of "
          "range for the destination type INT8");
    check("Invalid Input Error: CSV Error on Line: 3\nOriginal Line: 7,secret@example.com",
          "select * from read_csv('/data/p.csv')",
          "Invalid Input Error: CSV Error on Line: ...\nOriginal Line: ...,...@...");
    /* a value the model's own SQL holds is no secret to it */
    check("Conversion Error: Could not convert string 'Berlin' to INT32", "select 'Berlin'::int",
          "Conversion Error: Could not convert string 'Berlin' to INT32");
}

static void test_schema_errors_stay(void **state)
{
    (void)state;
    check("Binder Error: Referenced column \"id\" not found in FROM clause!\nCandidate bindings: "
          "\"city\", \"signup_date\"",
          NULL,
          "Binder Error: Referenced column \"id\" not found in FROM clause!\nCandidate bindings: "
          "\"city\", \"signup_date\"");
    check("Catalog Error: Table with name nope does not exist!", NULL,
          "Catalog Error: Table with name nope does not exist!");
    check("run_sql cannot read _pluto.jobs: it is not user data", NULL,
          "run_sql cannot read _pluto.jobs: it is not user data");
    check("", NULL, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_go),
        cmocka_unit_test(test_schema_errors_stay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
