/*
 * test_yaml_simple.c - the flat YAML reader (base/yaml_simple.c): what
 * Pluto Duck writes reads as libfyaml reads it, and anything else is left to
 * libfyaml (NULL).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/yaml.h"

/* Read by both, and the same. */
static void same(const char *text)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *simple = pd_yaml_load_simple(text), *full = pd_yaml_load_libfyaml(text, "t", &err);
    if (simple == NULL || full == NULL || !json_equal(simple, full)) {
        char *a = simple ? json_dumps(simple, JSON_ENCODE_ANY) : NULL;
        char *b = full ? json_dumps(full, JSON_ENCODE_ANY) : NULL;
        fail_msg("%s\nsimple: %s\nlibfyaml: %s %s", text, a ? a : "(not read)", b ? b : "(error)",
                 err.msg);
    }
    json_decref(simple);
    json_decref(full);
}

static void test_what_pluto_duck_writes(void **state)
{
    (void)state;
    same("id: a00001\nmaterialize: view\nsql: |-\n  select 1 as id\n  from x\n");
    same("id: orders_by_day\nname: \"Orders: by day\"\n"
         "description: \"Line one\\nline \\\"two\\\" \\\\ \\t\\x01 end\"\nmaterialize: table\n"
         "tags:\n  - daily\n  - finance\nsql: |\n  select *\n\n    from orders\n\n"
         "created_at: \"2026-12-07T23:14:30.251Z\"\n");
    same("a: |+\n  text\n\n\nb: x\n");
    same("a: |+\n  text\n\n");
    same("a: |\n  text\n\n\n");
    same("a: |-\n  one\n   two\n\n  three\n");
    same("# a comment\nkey: value with spaces\n  # indented comment\nempty:\nlist:\n- a\n- \"b c\"\n");
    same("k: (x, y) = a*b; 2^3 $v <w> 100% @me +1 x.y/z ünïcode\n");
    same("key-with-dash: v\n_under: w\n1digit: x\n");
}

static void test_anything_else_is_left_to_libfyaml(void **state)
{
    static const char *const other[] = {
        "",                                  /* empty */
        "a: b",                              /* no final newline */
        "a:\tb\n",                           /* a tab */
        "a: b\r\n",                          /* CR */
        "a:\n  b: c\n",                      /* nested mapping */
        "a: [1, 2]\n",                       /* flow */
        "a: {b: c}\n",
        "a: &x b\nc: *x\n",                  /* anchors */
        "a: !tag b\n",
        "a: 'single'\n",
        "a: b\n  continued\n",               /* multi-line plain */
        "a: b # comment\n",
        "a: b\na: c\n",                      /* a key twice */
        "a: null\n", "a: ~\n",               /* null spelled out */
        "a: |2\n  x\n",                      /* indentation indicator */
        "a: >\n  folded\n",
        "a: |\n\n  leading empty line\n",
        "a: |\n  x\n # less indented comment\n",
        "---\na: b\n", "a: b\n...\n",
        "- a\n- b\n",                        /* a list at the top */
        "a: \"unterminated\n",
        "a: \"\\u00e9\"\n",                  /* escapes other than the writer's */
        "a:\n- x\n-\n",                     /* an empty item */
        "a: -b\n", "a: b: c\n", "a: ?b\n",
        "\xef\xbb\xbf" "a: b\n",             /* a byte-order mark */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        json_t *v = pd_yaml_load_simple(other[i]);
        if (v != NULL)
            fail_msg("read, but should be left to libfyaml: %s", other[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_pluto_duck_writes),
        cmocka_unit_test(test_anything_else_is_left_to_libfyaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
