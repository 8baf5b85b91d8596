/*
 * tz.h - time zones from the system's tz database (TZif files under
 * /usr/share/zoneinfo), read here so that a schedule's zone never depends on
 * the process's TZ: the offset from UTC at any instant, and the instant of a
 * local wall-clock time (with the rules for the hour that does not exist and
 * the hour that happens twice).
 */
#ifndef PD_CLOUD_TZ_H
#define PD_CLOUD_TZ_H

#include <stddef.h>
#include <stdint.h>

struct pd_err;
struct cl_tz;

/* Load a zone by its IANA name ("Europe/Berlin", "UTC"): PD_EFIELD for an unknown or bad name. */
int cl_tz_load(const char *name, struct cl_tz **out, struct pd_err *err);
void cl_tz_free(struct cl_tz *z);
/* The same from a TZif file's bytes (PD_EFIELD when they are not one). */
int cl_tz_parse(const void *data, size_t n, struct cl_tz **out, struct pd_err *err);

/* Seconds east of UTC in force at UTC instant t (seconds since the epoch). */
int32_t cl_tz_offset(const struct cl_tz *z, int64_t t);

/*
 * The UTC instant of local wall-clock time `local` (seconds since the epoch,
 * as if the wall clock were UTC). A time that happens twice (clocks go back)
 * is its first instant; a time that does not exist (clocks go forward) is
 * moved forward by the gap, as if the clock had not jumped (02:30 on the
 * night clocks go from 02:00 to 03:00 is 03:30).
 */
int64_t cl_tz_to_utc(const struct cl_tz *z, int64_t local, int64_t *second);
/* second (may be NULL): the later instant of a time that happens twice, else -1. */

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
int64_t cl_days_from_civil(int64_t y, unsigned m, unsigned d);
void cl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
