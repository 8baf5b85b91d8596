/*
 * test_cron.c - units of cloud/cron.c and cloud/tz.c against a table of known
 * instants (each checked with Python's zoneinfo): daylight-saving nights in
 * Berlin, New York and Lord Howe (a 30-minute change), a rule past the end of
 * the zone file's table (Sydney, 2040), leap days, both day fields, names,
 * and the messages of expressions that are wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "cloud/cron.h"
#include "cloud/tz.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t at(const char *iso)
{
    struct tm tm = {0};
    sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
           &tm.tm_sec);
    return cl_days_from_civil(tm.tm_year, (unsigned)tm.tm_mon, (unsigned)tm.tm_mday) * 86400 +
           tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

static const char *iso(int64_t t, char *out)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t < 0)
        return "none";
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

static void next_is(const char *expr, const char *zone, const char *after, const char *want)
{
    struct cl_cron c;
    struct cl_tz *z;
    struct pd_err err = PD_ERR_INIT;
    char got[32];
    assert_int_equal(cl_cron_parse(expr, &c, &err), 0);
    assert_int_equal(cl_tz_load(zone, &z, &err), 0);
    if (strcmp(iso(cl_cron_next(&c, z, at(after)), got), want) != 0)
        fail_msg("%s in %s after %s: got %s, want %s", expr, zone, after, got, want);
    cl_tz_free(z);
}

static void test_known_instants(void **state)
{
    (void)state;
    /* Berlin, clocks forward 2026-03-29 01:00Z: 02:30 does not exist, it runs at 03:30 CEST. */
    next_is("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z");
    next_is("30 2 * * *", "Europe/Berlin", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z");
    /* Berlin, clocks back 2026-10-25 01:00Z: 02:30 happens twice, it runs once, the first. */
    next_is("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z");
    next_is("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
    /* Every hour keeps to real time: the repeated 02:00 runs again. */
    next_is("0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z", "2026-10-25T00:00:00Z");
    next_is("0 * * * *", "Europe/Berlin", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z");
    next_is("0 * * * *", "Europe/Berlin", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z");
    next_is("*/20 * * * *", "Europe/Berlin", "2026-10-25T00:45:00Z", "2026-10-25T01:00:00Z");
    next_is("0 * * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z");
    next_is("0 * * * *", "Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
    /* New York: weekdays at 9, across the spring change (EST to EDT). */
    next_is("0 9 * * 1-5", "America/New_York", "2026-03-06T15:00:00Z", "2026-03-09T13:00:00Z");
    next_is("0 9 * * MON-FRI", "America/New_York", "2026-03-05T15:00:00Z", "2026-03-06T14:00:00Z");
    next_is("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z");
    /* Lord Howe goes back by 30 minutes: 01:45 happens twice. */
    next_is("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00Z", "2026-04-04T14:45:00Z");
    /* Sydney 2040, past the zone file's table: the footer's rule (02:30 does not exist). */
    next_is("30 2 * * *", "Australia/Sydney", "2040-10-06T12:00:00Z", "2040-10-06T16:30:00Z");
    next_is("0 12 * * *", "Australia/Sydney", "2040-07-01T00:00:00Z", "2040-07-01T02:00:00Z");
    /* Calendar cases. */
    next_is("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z");
    next_is("0 0 31 2 *", "UTC", "2026-01-01T00:00:00Z", "none");
    next_is("*/15 * * * *", "UTC", "2026-12-03T17:49:11Z", "2026-12-03T18:00:00Z");
    next_is("0 12 1 * 0", "UTC", "2026-12-02T00:00:00Z", "2026-12-06T12:00:00Z");
    next_is("0 12 1 * 0", "UTC", "2026-12-27T13:00:00Z", "2027-01-01T12:00:00Z");
    next_is("0 0 * * 7", "UTC", "2026-12-03T00:00:00Z", "2026-12-06T00:00:00Z");
    next_is("0 0 * JAN,jul *", "UTC", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z");
    next_is("5/20 10-12 * * *", "UTC", "2026-12-03T10:50:00Z", "2026-12-03T11:05:00Z");
    next_is("@monthly", "UTC", "2026-12-03T00:00:00Z", "2027-01-01T00:00:00Z");
    next_is("@hourly", "Asia/Kolkata", "2026-12-03T00:10:00Z", "2026-12-03T00:30:00Z");
}

static const char *parse_says(const char *expr)
{
    static struct pd_err err;
    struct cl_cron c;
    pd_err_clear(&err);
    return cl_cron_parse(expr, &c, &err) == 0 ? "ok" : err.msg;
}

static void test_wrong_expressions(void **state)
{
    struct cl_tz *z;
    struct pd_err err = PD_ERR_INIT;
    (void)state;
    assert_string_equal(parse_says("61 * * * *"), "61 in the minute field is out of range (0-59)");
    assert_string_equal(parse_says("* 24 * * *"), "24 in the hour field is out of range (0-23)");
    assert_string_equal(parse_says("* * 0 * *"), "0 in the day of month field is out of range (1-31)");
    assert_string_equal(parse_says("* * * *"),
                        "a cron expression has 5 fields (minute hour day month weekday); '* * * *' has 4");
    assert_string_equal(parse_says("* * * * * *"), "a cron expression has 5 fields; '* * * * * *' has more");
    assert_string_equal(parse_says("*/0 * * * *"), "the step in '*/0' of the minute field must be 1 or more");
    assert_string_equal(parse_says("5-1 * * * *"), "the range 5-1 in the minute field runs backwards");
    assert_string_equal(parse_says("x * * * *"), "'x' in the minute field is not a number or a name");
    assert_string_equal(parse_says("* * * FOO *"), "'FOO' in the month field is not a number or a name");
    assert_string_equal(parse_says("@every"), "unknown cron macro '@every' (@hourly, @daily, @weekly, @monthly, @yearly)");
    assert_string_equal(parse_says("1,2;3 * * * *"), "unexpected ';' in the minute field");
    assert_string_equal(parse_says("0 9 * * mon-fri"), "ok");
    assert_int_equal(cl_tz_load("../../etc/passwd", &z, &err), PD_EFIELD);
    pd_err_clear(&err);
    assert_int_equal(cl_tz_load("Mars/Olympus", &z, &err), PD_EFIELD);
    assert_non_null(strstr(err.msg, "unknown time zone"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_wrong_expressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
