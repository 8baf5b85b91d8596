/*
 * test_diff.c - units of base/diff.c: the unified format as diff -u prints
 * it, absent files, a missing last newline, and on random edits a diff that
 * patches the old text into the new with no more changed lines than needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *diff(const char *a, const char *b)
{
    struct pd_buf out = PD_BUF_INIT;
    pd_unified_diff(&out, a, a ? strlen(a) : 0, b, b ? strlen(b) : 0, "a/f", "b/f", 3);
    return pd_buf_detach(&out, NULL);
}

static void test_format(void **state)
{
    char *d;
    (void)state;
    d = diff("one\ntwo\nthree\n", "one\n2\nthree\n");
    assert_string_equal(d, "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n");
    free(d);
    d = diff("same\n", "same\n");
    assert_string_equal(d, "");
    free(d);
    d = diff(NULL, "new\n");
    assert_string_equal(d, "--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+new\n");
    free(d);
    d = diff("gone\n", NULL);
    assert_string_equal(d, "--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n");
    free(d);
    d = diff("x\n", "x");
    assert_string_equal(d, "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n+x\n\\ No newline at end of file\n");
    free(d);
    /* Two changes far apart are two hunks. */
    d = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n");
    assert_string_equal(d, "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n"
                           "@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n");
    free(d);
}

/* Apply a unified diff of whole lines to a (one char per line): the new text. */
static char *apply(const char *a, const char *patch)
{
    struct pd_buf out = PD_BUF_INIT;
    const char *p = strstr(patch, "@@");
    size_t pos = 0; /* lines of a consumed */
    while (p && *p) {
        size_t start = 0;
        if (strncmp(p, "@@ -", 4) == 0) {
            const char *comma = strchr(p + 4, ',');
            start = strtoul(p + 4, NULL, 10);
            /* "-N,0" is an insertion after line N; else the hunk starts at line N */
            if (!(comma && comma < strchr(p + 4, ' ') && strtoul(comma + 1, NULL, 10) == 0))
                start--;
            for (; pos < start; pos++)
                pd_buf_add(&out, a + 2 * pos, 2);
            p = strchr(p, '\n') + 1;
            continue;
        }
        if (*p == ' ' || *p == '-')
            pos++;
        if (*p == ' ' || *p == '+')
            pd_buf_add(&out, p + 1, 2);
        p = strchr(p, '\n') + 1;
    }
    pd_buf_adds(&out, a + 2 * pos);
    return pd_buf_detach(&out, NULL);
}

/* The length of the longest common subsequence of lines: the fewest changes are n+m-2*lcs. */
static size_t lcs(const char *a, const char *b)
{
    size_t n = strlen(a) / 2, m = strlen(b) / 2, best;
    size_t *t = calloc((n + 1) * (m + 1), sizeof(*t));
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++)
            t[i * (m + 1) + j] = a[2 * (i - 1)] == b[2 * (j - 1)]
                                     ? t[(i - 1) * (m + 1) + j - 1] + 1
                                     : (t[(i - 1) * (m + 1) + j] > t[i * (m + 1) + j - 1]
                                            ? t[(i - 1) * (m + 1) + j]
                                            : t[i * (m + 1) + j - 1]);
    best = t[n * (m + 1) + m];
    free(t);
    return best;
}

static void test_random_edits(void **state)
{
    unsigned seed = 12345;
    (void)state;
    for (int round = 0; round < 2000; round++) {
        char a[128] = "", b[160] = "";
        size_t n, m = 0, changed;
        struct pd_buf out = PD_BUF_INIT;
        char *patched;
        seed = seed * 1103515245u + 12345u;
        n = (seed >> 16) % 40;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            a[2 * i] = (char)('a' + (seed >> 16) % 4);
            a[2 * i + 1] = '\n';
        }
        a[2 * n] = '\0';
        for (size_t i = 0; i <= n; i++) { /* keep, drop or replace each line, sometimes insert */
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 16) % 5 == 0 && m < 70) {
                b[2 * m] = (char)('a' + (seed >> 20) % 6);
                b[2 * m++ + 1] = '\n';
            }
            if (i < n && (seed >> 18) % 4 != 0) {
                b[2 * m] = a[2 * i];
                b[2 * m++ + 1] = '\n';
            }
        }
        b[2 * m] = '\0';
        changed = pd_unified_diff(&out, a, strlen(a), b, strlen(b), "a", "b", 3);
        patched = apply(a, out.ptr ? out.ptr : "");
        assert_string_equal(patched, b);
        assert_int_equal(changed, n + m - 2 * lcs(a, b));
        free(patched);
        pd_buf_release(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_random_edits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
