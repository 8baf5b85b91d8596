/*
 * test_guard.c - units of server/guard.c: which Host headers, Origins and
 * content types the server accepts, for loopback, specific and wildcard binds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/guard.h"

static void test_host_on_loopback(void **state)
{
    struct http_guard g;
    (void)state;
    http_guard_init(&g, "127.0.0.1", 8123, NULL, NULL);
    assert_true(http_guard_host_ok(&g, "127.0.0.1:8123"));
    assert_true(http_guard_host_ok(&g, "localhost:8123"));
    assert_true(http_guard_host_ok(&g, "LOCALHOST:8123"));
    assert_true(http_guard_host_ok(&g, "[::1]:8123"));
    /* DNS rebinding: a name of the attacker's that resolves to 127.0.0.1 */
    assert_false(http_guard_host_ok(&g, "evil.example:8123"));
    assert_false(http_guard_host_ok(&g, "evil.example"));
    assert_false(http_guard_host_ok(&g, "localhost.:8123"));
    assert_false(http_guard_host_ok(&g, "localhost.evil.example:8123"));
    assert_false(http_guard_host_ok(&g, "127.0.0.1:8124"));
    assert_false(http_guard_host_ok(&g, "127.0.0.1"));    /* port 80 implied */
    assert_false(http_guard_host_ok(&g, "10.0.0.5:8123")); /* not bound there */
    assert_false(http_guard_host_ok(&g, NULL));
    assert_false(http_guard_host_ok(&g, ""));
    assert_false(http_guard_host_ok(&g, "127.0.0.1:"));
    assert_false(http_guard_host_ok(&g, "127.0.0.1:8123x"));
    assert_false(http_guard_host_ok(&g, "127.0.0.1:99999"));
    assert_false(http_guard_host_ok(&g, "::1:8123"));
    assert_false(http_guard_host_ok(&g, "[::1:8123"));
    assert_false(http_guard_host_ok(&g, "user@127.0.0.1:8123"));
    assert_false(http_guard_host_ok(&g, "127.0.0.1 :8123"));
    http_guard_release(&g);
}

static void test_host_allowed_list_and_binds(void **state)
{
    struct http_guard g;
    (void)state;
    http_guard_init(&g, "127.0.0.1", 8123, " pluto.lan , proxy.example:443,", NULL);
    assert_true(http_guard_host_ok(&g, "pluto.lan:8123"));
    assert_true(http_guard_host_ok(&g, "PLUTO.LAN"));
    assert_true(http_guard_host_ok(&g, "proxy.example:443"));
    assert_false(http_guard_host_ok(&g, "proxy.example:8123"));
    assert_false(http_guard_host_ok(&g, "pluto.lan.evil:8123"));
    http_guard_release(&g);

    http_guard_init(&g, "192.0.2.7", 9000, NULL, NULL);
    assert_true(http_guard_host_ok(&g, "192.0.2.7:9000"));
    assert_false(http_guard_host_ok(&g, "192.0.2.8:9000"));
    assert_false(http_guard_host_ok(&g, "localhost:9000"));
    http_guard_release(&g);

    http_guard_init(&g, "0.0.0.0", 9000, NULL, NULL);
    assert_true(http_guard_host_ok(&g, "192.0.2.8:9000"));
    assert_true(http_guard_host_ok(&g, "[2001:db8::1]:9000"));
    assert_true(http_guard_host_ok(&g, "localhost:9000"));
    assert_false(http_guard_host_ok(&g, "evil.example:9000"));
    http_guard_release(&g);
}

static void test_origins(void **state)
{
    struct http_guard g;
    (void)state;
    http_guard_init(&g, "127.0.0.1", 8123, NULL, "http://localhost:5173");
    assert_true(http_guard_origin_ok(&g, NULL)); /* curl, the CLI */
    assert_true(http_guard_origin_ok(&g, "http://127.0.0.1:8123"));
    assert_true(http_guard_origin_ok(&g, "http://localhost:8123"));
    assert_true(http_guard_origin_ok(&g, "http://localhost:5173"));
    assert_true(http_guard_origin_listed(&g, "http://localhost:5173"));
    assert_false(http_guard_origin_listed(&g, "http://127.0.0.1:8123"));
    assert_false(http_guard_origin_ok(&g, "http://evil.example"));
    assert_false(http_guard_origin_ok(&g, "http://evil.example:8123"));
    assert_false(http_guard_origin_ok(&g, "null"));
    assert_false(http_guard_origin_ok(&g, "file://"));
    assert_false(http_guard_origin_ok(&g, "http://127.0.0.1:5173"));
    assert_false(http_guard_origin_ok(&g, "https://127.0.0.1:8124"));
    http_guard_release(&g);
    http_guard_init(&g, "127.0.0.1", 8123, NULL, "*");
    assert_true(http_guard_origin_ok(&g, "http://anything.example"));
    http_guard_release(&g);
}

static void test_json_media_type(void **state)
{
    (void)state;
    assert_true(http_media_is_json("application/json"));
    assert_true(http_media_is_json("Application/JSON"));
    assert_true(http_media_is_json("application/json; charset=utf-8"));
    assert_true(http_media_is_json("application/json;charset=UTF-8"));
    assert_false(http_media_is_json("application/jsonfoo"));
    assert_false(http_media_is_json("application/json-seq"));
    assert_false(http_media_is_json("text/plain"));
    assert_false(http_media_is_json("application/x-www-form-urlencoded"));
    assert_false(http_media_is_json("multipart/form-data; boundary=x"));
    assert_false(http_media_is_json("text/plain; application/json"));
    assert_false(http_media_is_json(""));
    assert_false(http_media_is_json(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_on_loopback),
        cmocka_unit_test(test_host_allowed_list_and_binds),
        cmocka_unit_test(test_origins),
        cmocka_unit_test(test_json_media_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
