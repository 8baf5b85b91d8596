/*
 * cron.h - cron expressions, evaluated in a time zone.
 *
 * Five fields, minute hour day-of-month month day-of-week, each "*", a
 * number, a range a-b, a list a,b,c, or any of these with a step /n; months
 * and weekdays also by name (JAN, MON); 7 is Sunday as 0 is; @hourly,
 * @daily (@midnight), @weekly, @monthly, @yearly (@annually). As in Vixie
 * cron, when both day fields are restricted a day matching either one runs.
 *
 * Times are matched on the zone's wall clock. Across daylight-saving changes
 * (as Vixie cron does): a wall time that happens twice runs once, at its
 * first instant, unless the expression runs every hour ("*" hours), which
 * keeps to real time and runs in the repeated hour too; a time that does not
 * exist runs when it would have had the clock not jumped (02:30 on the
 * spring-forward night is 03:30), so a daily job never misses a day.
 */
#ifndef PD_CLOUD_CRON_H
#define PD_CLOUD_CRON_H

#include <stdint.h>

struct cl_tz;
struct pd_err;

struct cl_cron {
    uint64_t minutes;  /* bit n: minute n */
    uint32_t hours, days, months; /* days: bit 1..31; months: bit 1..12 */
    uint8_t weekdays;  /* bit 0 = Sunday */
    int hours_any, days_any, weekdays_any; /* the field was "*" */
};

/* Parse text: 0, or PD_EFIELD naming the field and value that is wrong. */
int cl_cron_parse(const char *text, struct cl_cron *c, struct pd_err *err);

/*
 * The first instant strictly after `after` (UTC seconds) at which c runs in
 * zone z, or -1 when there is none within 10 years (such as 0 0 31 2 *).
 */
int64_t cl_cron_next(const struct cl_cron *c, const struct cl_tz *z, int64_t after);

#endif
