/*
 * test_dtoa.c - base/dtoa: every text reads back as the same number, has the
 * fewest digits that can, and of those is the closest (as printf's correctly
 * rounded %.*e says); all float subnormals, random bit patterns and
 * human-looking decimals; DuckDB's layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/dtoa.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A decimal text as its significant digits (no leading or trailing zeros) and the first one's power of ten. */
static void significant(const char *s, char *digits, int *first_power)
{
    int n = 0, int_len = -1, lead = 0;
    const char *p = s + (*s == '-');
    for (; *p && *p != 'e'; p++) {
        if (*p == '.')
            int_len = n + lead;
        else if (*p == '0' && n == 0)
            lead++;
        else
            digits[n++] = *p;
    }
    if (int_len < 0)
        int_len = n + lead;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *first_power = int_len - 1 - lead + (*p == 'e' ? atoi(p + 1) : 0);
}

/* Check one double: it reads back, and has printf's shortest correctly rounded digits. */
static int check_double(double d, int at_power_of_two)
{
    char ours[PD_DTOA_SIZE], ref[40], da[24], db[24];
    int xa, xb, p;
    size_t n = pd_dtoa(d, ours);

    if (n != strlen(ours) || strtod(ours, NULL) != d) {
        fprintf(stderr, "%a: %s does not read back\n", d, ours);
        return 1;
    }
    for (p = 1; p <= 17; p++) {
        snprintf(ref, sizeof(ref), "%.*e", p - 1, d);
        if (strtod(ref, NULL) == d)
            break;
    }
    significant(ours, da, &xa);
    significant(ref, db, &xb);
    if ((int)strlen(da) > p || (!at_power_of_two && (strcmp(da, db) != 0 || xa != xb))) {
        fprintf(stderr, "%a: %s, shortest is %s\n", d, ours, ref);
        return 1;
    }
    return 0;
}

static int check_float(float f, int shortness)
{
    char ours[PD_DTOA_SIZE], ref[40], da[24], db[24];
    int xa, xb, p;

    pd_ftoa(f, ours);
    if (strtof(ours, NULL) != f) {
        fprintf(stderr, "%a: %s does not read back as a float\n", (double)f, ours);
        return 1;
    }
    if (!shortness)
        return 0;
    for (p = 1; p <= 9; p++) {
        snprintf(ref, sizeof(ref), "%.*e", p - 1, (double)f);
        if (strtof(ref, NULL) == f)
            break;
    }
    significant(ours, da, &xa);
    significant(ref, db, &xb);
    if ((int)strlen(da) > p) {
        fprintf(stderr, "%a: %s, shortest is %s\n", (double)f, ours, ref);
        return 1;
    }
    return 0;
}

static void test_layout_is_duckdbs(void **state)
{
    static const struct {
        double d;
        const char *text;
    } cases[] = {
        {0, "0"},
        {-0.0, "-0"},
        {1, "1"},
        {100, "100"},
        {-123.456, "-123.456"},
        {0.1, "0.1"},
        {1.0 / 3, "0.3333333333333333"},
        {0.30000000000000004, "0.30000000000000004"},
        {0.0001, "0.0001"},
        {0.00001, "1e-05"},
        {2.5e-5, "2.5e-05"},
        {1e15, "1000000000000000"},
        {1234567890123456.8, "1234567890123456.8"},
        {1e16, "1e+16"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {1e22, "1e+22"},
        {1e23, "1e+23"},
        {9007199254740993.0, "9007199254740992"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {5e-324, "5e-324"},
        {1e-323, "1e-323"},
        {-1e100, "-1e+100"},
    };
    char buf[PD_DTOA_SIZE];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pd_dtoa(cases[i].d, buf);
        assert_string_equal(buf, cases[i].text);
    }
    pd_ftoa(0.1f, buf);
    assert_string_equal(buf, "0.1");
    pd_ftoa(16777216.0f, buf);
    assert_string_equal(buf, "16777216");
    pd_ftoa(3.4028235e38f, buf);
    assert_string_equal(buf, "3.4028235e+38");
    pd_ftoa(1e-45f, buf);
    assert_string_equal(buf, "1e-45");
}

static void test_doubles_are_shortest_and_closest(void **state)
{
    int bad = 0;
    (void)state;
    for (int i = 0; i < 200000 && bad < 5; i++) { /* any bit pattern */
        uint64_t bits = rng();
        double d;
        memcpy(&d, &bits, sizeof(d));
        if (isfinite(d))
            bad += check_double(d, (bits & 0xfffffffffffffu) == 0);
    }
    for (int i = 0; i < 200000 && bad < 5; i++) { /* what data holds: m / 10^k, m * 10^k */
        static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10};
        double m = (double)(rng() % 100000000), k = p10[rng() % 11];
        bad += check_double(i & 1 ? m / k : m * k, 0);
    }
    for (uint64_t t = 1; t < 20000 && bad < 5; t++) { /* the smallest subnormals */
        double d;
        memcpy(&d, &t, sizeof(d));
        bad += check_double(d, 0);
    }
    for (int e = -1074; e <= 1023 && bad < 5; e++) /* every power of two, and its neighbours */
        for (int dir = -1; dir <= 1; dir++)
            bad += check_double(nextafter(ldexp(1, e), dir < 0 ? 0 : dir > 0 ? INFINITY : ldexp(1, e)),
                                dir == 0);
    assert_int_equal(bad, 0);
}

static void test_floats_are_shortest(void **state)
{
    int bad = 0;
    (void)state;
    for (uint32_t bits = 1; bits < (1u << 23) && bad < 5; bits++) { /* every subnormal */
        float f;
        memcpy(&f, &bits, sizeof(f));
        bad += check_float(f, (bits & 63) == 1);
    }
    for (int i = 0; i < 200000 && bad < 5; i++) {
        uint32_t bits = (uint32_t)rng();
        float f;
        memcpy(&f, &bits, sizeof(f));
        if (isfinite(f))
            bad += check_float(f, 1);
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_is_duckdbs),
        cmocka_unit_test(test_doubles_are_shortest_and_closest),
        cmocka_unit_test(test_floats_are_shortest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
