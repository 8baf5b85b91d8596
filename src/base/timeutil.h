/*
 * timeutil.h - clocks, ISO-8601 formatting and the duration syntax used in
 * config and flags ("250ms", "30s", "5m", "2h", "1d"; a bare number is seconds).
 */
#ifndef PD_TIMEUTIL_H
#define PD_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Wall-clock milliseconds since the Unix epoch. */
int64_t pd_now_ms(void);

/* Monotonic seconds, for measuring durations. */
double pd_mono_s(void);

/* "2026-11-21T05:35:00.123Z" (UTC) into out (at least 32 bytes). Returns out. */
char *pd_time_iso(int64_t ms, char *out, size_t size);

/* "2026-11-21" (UTC) into out (at least 11 bytes). Returns out. */
char *pd_time_date(int64_t ms, char *out, size_t size);

/* Parse a duration into seconds. Returns 0, or PD_EINVAL for anything else (negative too). */
int pd_duration_parse(const char *s, double *seconds);

/*
 * Parse a point in time: an ISO date or date-time ("2026-11-21", "2026-11-21T05:00:00Z",
 * "2026-11-21 05:00") taken as UTC, or a duration meaning that long ago ("10m").
 * Returns 0 and ms since the epoch, or PD_EINVAL.
 */
int pd_time_parse(const char *s, int64_t now_ms, int64_t *ms);

/* The CLOCK_REALTIME instant ms milliseconds from now, for pthread_cond_timedwait. */
struct timespec pd_abstime_in_ms(long ms);

#endif
