/*
 * timeutil.c - clocks and time text (see timeutil.h). No I/O.
 */
#include "base/timeutil.h"

#include "base/err.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t pd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double pd_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *pd_time_iso(int64_t ms, char *out, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return out;
}

char *pd_time_date(int64_t ms, char *out, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, size, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return out;
}

int pd_duration_parse(const char *s, double *seconds)
{
    static const struct {
        const char *unit;
        double factor;
    } units[] = {{"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    char *end;
    double v;

    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return PD_EINVAL;
    v = strtod(s, &end);
    if (!isfinite(v) || v < 0)
        return PD_EINVAL;
    while (isspace((unsigned char)*end))
        end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            *seconds = v * units[i].factor;
            return 0;
        }
    }
    return PD_EINVAL;
}

int pd_time_parse(const char *s, int64_t now_ms, int64_t *ms)
{
    struct tm tm;
    double secs;
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    size_t len = strlen(s);

    if (len >= 10 && s[4] == '-' && s[7] == '-') {
        memset(&tm, 0, sizeof(tm));
        /* Fixed-position digits: YYYY-MM-DD[ T]HH:MM[:SS][Z] */
        for (size_t i = 0; i < 10; i++)
            if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
                return PD_EINVAL;
        y = (int)strtol(s, NULL, 10);
        mo = (int)strtol(s + 5, NULL, 10);
        d = (int)strtol(s + 8, NULL, 10);
        n = 10;
        if (s[n] == 'T' || s[n] == ' ') {
            if (len < 16 || !isdigit((unsigned char)s[n + 1]) || s[n + 3] != ':')
                return PD_EINVAL;
            h = (int)strtol(s + n + 1, NULL, 10);
            mi = (int)strtol(s + n + 4, NULL, 10);
            n += 6;
            if (s[n] == ':') {
                se = (int)strtol(s + n + 1, NULL, 10);
                n += 3;
            }
        }
        if (s[n] == 'Z')
            n++;
        if (s[n] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
            return PD_EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = se;
        *ms = (int64_t)timegm(&tm) * 1000;
        return 0;
    }
    if (pd_duration_parse(s, &secs) == 0) {
        *ms = now_ms - (int64_t)(secs * 1000);
        return 0;
    }
    return PD_EINVAL;
}

struct timespec pd_abstime_in_ms(long ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}
