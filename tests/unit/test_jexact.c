/*
 * test_jexact.c - units of base/jexact.c: numbers of any width and precision
 * survive a load and a dump; strings are never taken for numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/jexact.h"

#include <stdlib.h>
#include <string.h>

static void round_trip(const char *in, const char *want)
{
    json_error_t jerr;
    json_t *v = pd_json_loads_exact(in, JSON_DECODE_ANY, &jerr);
    char *out;
    assert_non_null(v);
    out = pd_json_dumps_exact(v, JSON_COMPACT);
    assert_string_equal(out, want);
    free(out);
    json_decref(v);
}

static void test_numbers_survive(void **state)
{
    (void)state;
    round_trip("[18446744073709551615, -170141183460469231731687303715884105728, "
               "340282366920938463463374607431768211455, 12345678901234567890123456789012345678]",
               "[18446744073709551615,-170141183460469231731687303715884105728,"
               "340282366920938463463374607431768211455,12345678901234567890123456789012345678]");
    round_trip("{\"d\": 123456789012345.12345, \"s\": 1.5000000000, \"e\": 1e+300, \"i\": 42}",
               "{\"d\":123456789012345.12345,\"s\":1.5000000000,\"e\":1e+300,\"i\":42}");
    round_trip("9223372036854775807", "9223372036854775807");
    round_trip("9223372036854775808", "9223372036854775808");
    round_trip("-0.5", "-0.5");
}

static void test_strings_stay_strings(void **state)
{
    (void)state;
    /* a string that looks like the inner marks, NUL included, comes back as it went in */
    round_trip("[\"\\u0000N123\", \"\\u0000Sx\", \"\\u0000\", \"12.5\", \"a\\\"b\"]",
               "[\"\\u0000N123\",\"\\u0000Sx\",\"\\u0000\",\"12.5\",\"a\\\"b\"]");
}

static void test_number_access(void **state)
{
    json_t *v = pd_json_loads_exact("[123456789012345.12345, 7, \"7\", 2.5]", 0, NULL);
    struct pd_buf b = PD_BUF_INIT;
    (void)state;
    assert_string_equal(pd_json_number_text(json_array_get(v, 0)), "123456789012345.12345");
    assert_true(pd_json_is_number(json_array_get(v, 0)));
    assert_true(pd_json_is_number(json_array_get(v, 1)));
    assert_false(pd_json_is_number(json_array_get(v, 2)));
    assert_null(pd_json_number_text(json_array_get(v, 2)));
    assert_true(pd_json_number_value(json_array_get(v, 3)) == 2.5);
    pd_json_number_add(&b, json_array_get(v, 0));
    pd_json_number_add(&b, json_array_get(v, 1));
    assert_string_equal(b.ptr, "123456789012345.123457");
    assert_null(pd_json_number_text_new("12a"));
    assert_null(pd_json_number_text_new("1,\"x\":2"));
    pd_buf_release(&b);
    json_decref(v);
}

static void test_dump_layout(void **state)
{
    json_t *v = json_pack("{s:[i,f], s:{}, s:s}", "a", 1, 2.0, "b", "c", "d\xc3\xa9");
    char *t = pd_json_dumps_exact(v, JSON_INDENT(2));
    (void)state;
    assert_string_equal(t, "{\n  \"a\": [\n    1,\n    2.0\n  ],\n  \"b\": {},\n  \"c\": \"d\xc3\xa9\"\n}");
    free(t);
    t = pd_json_dumps_exact(v, 0);
    assert_string_equal(t, "{\"a\": [1, 2.0], \"b\": {}, \"c\": \"d\xc3\xa9\"}");
    free(t);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_survive),
        cmocka_unit_test(test_strings_stay_strings),
        cmocka_unit_test(test_number_access),
        cmocka_unit_test(test_dump_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
