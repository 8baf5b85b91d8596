/*
 * cron.c - parsing cron expressions and finding their next instant (see cron.h).
 *
 * The search walks the wall clock field by field (a month that does not
 * match skips to the next month, a day to the next day, an hour to the next
 * hour), then maps the wall time it found to an instant with the zone's
 * rules; an instant not after the last one (the second pass of a repeated
 * hour) is passed over.
 */
#include "cloud/cron.h"

#include "cloud/tz.h"

#include "base/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct field {
    const char *name;
    int lo, hi;
    const char *const *names; /* names of lo.. (months from 1, weekdays from 0) */
    int nnames;
};

static const struct field fields[] = {
    {"minute", 0, 59, NULL, 0},       {"hour", 0, 23, NULL, 0},
    {"day of month", 1, 31, NULL, 0}, {"month", 1, 12, month_names, 12},
    {"day of week", 0, 7, day_names, 7},
};

/* A number or a name of f at *p: the value, or -1. */
static int value(const struct field *f, const char **p)
{
    if (isdigit((unsigned char)**p)) {
        long v = 0;
        while (isdigit((unsigned char)**p) && v < 1000)
            v = v * 10 + (*(*p)++ - '0');
        return (int)v;
    }
    for (int i = 0; i < f->nnames; i++)
        if (strncasecmp(*p, f->names[i], 3) == 0 && !isalpha((unsigned char)(*p)[3])) {
            *p += 3;
            return i + (f->names == month_names ? 1 : 0);
        }
    return -1;
}

/* One field's text (up to a space) into a bit set; 0 or PD_EFIELD. */
static int parse_field(const struct field *f, const char *text, size_t len, uint64_t *bits,
                       int *any, struct pd_err *err)
{
    char buf[128];
    const char *p;
    if (len >= sizeof(buf))
        return pd_fail(err, PD_EFIELD, "the %s field is too long", f->name);
    memcpy(buf, text, len);
    buf[len] = '\0';
    *bits = 0;
    *any = strcmp(buf, "*") == 0 || strcmp(buf, "?") == 0;
    for (p = buf;;) {
        int lo, hi, step = 1;
        const char *start = p;
        if (*p == '*' || *p == '?') {
            lo = f->lo;
            hi = f->hi == 7 ? 6 : f->hi;
            p++;
        } else {
            if ((lo = value(f, &p)) < 0)
                return pd_fail(err, PD_EFIELD, "'%s' in the %s field is not a number or a name",
                               start, f->name);
            hi = lo;
            if (*p == '-') {
                p++;
                if ((hi = value(f, &p)) < 0)
                    return pd_fail(err, PD_EFIELD, "the range '%s' in the %s field has no end",
                                   start, f->name);
            }
        }
        if (*p == '/') {
            const char *s = ++p;
            step = 0;
            while (isdigit((unsigned char)*p) && step < 1000)
                step = step * 10 + (*p++ - '0');
            if (p == s || step == 0)
                return pd_fail(err, PD_EFIELD, "the step in '%s' of the %s field must be 1 or more",
                               start, f->name);
            if (hi == lo && start[0] != '*') /* "5/15": from 5 to the end */
                hi = f->hi == 7 ? 6 : f->hi;
        }
        if (lo < f->lo || lo > f->hi || hi < f->lo || hi > f->hi)
            return pd_fail(err, PD_EFIELD, "%d in the %s field is out of range (%d-%d)",
                           lo < f->lo || lo > f->hi ? lo : hi, f->name, f->lo, f->hi);
        if (hi < lo)
            return pd_fail(err, PD_EFIELD, "the range %d-%d in the %s field runs backwards", lo, hi,
                           f->name);
        for (int v = lo; v <= hi; v += step)
            *bits |= 1ULL << (f->hi == 7 && v == 7 ? 0 : v);
        if (*p == '\0')
            return 0;
        if (*p != ',')
            return pd_fail(err, PD_EFIELD, "unexpected '%c' in the %s field", *p, f->name);
        p++;
    }
}

int cl_cron_parse(const char *text, struct cl_cron *c, struct pd_err *err)
{
    static const struct {
        const char *macro, *expands;
    } macros[] = {
        {"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
        {"@weekly", "0 0 * * 0"},  {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
        {"@annually", "0 0 1 1 *"},
    };
    const char *p = text;
    uint64_t bits[5];
    int any[5], rc;
    memset(c, 0, sizeof(*c));
    if (text == NULL)
        return pd_fail(err, PD_EFIELD, "a schedule needs a cron expression");
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '@') {
        size_t n = strcspn(p, " \t");
        for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
            if (strlen(macros[i].macro) == n && strncasecmp(p, macros[i].macro, n) == 0)
                return cl_cron_parse(macros[i].expands, c, err);
        return pd_fail(err, PD_EFIELD, "unknown cron macro '%.*s' (@hourly, @daily, @weekly, "
                                       "@monthly, @yearly)",
                       (int)(n < 20 ? n : 20), p);
    }
    for (int i = 0; i < 5; i++) {
        size_t n;
        while (isspace((unsigned char)*p))
            p++;
        n = strcspn(p, " \t\n");
        if (n == 0)
            return pd_fail(err, PD_EFIELD,
                           "a cron expression has 5 fields (minute hour day month weekday); "
                           "'%s' has %d",
                           text, i);
        if ((rc = parse_field(&fields[i], p, n, &bits[i], &any[i], err)) != 0)
            return rc;
        p += n;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return pd_fail(err, PD_EFIELD, "a cron expression has 5 fields; '%s' has more", text);
    c->minutes = bits[0];
    c->hours = (uint32_t)bits[1];
    c->days = (uint32_t)bits[2];
    c->months = (uint32_t)bits[3];
    c->weekdays = (uint8_t)bits[4];
    c->hours_any = any[1];
    c->days_any = any[2];
    c->weekdays_any = any[4];
    return 0;
}

static int day_matches(const struct cl_cron *c, unsigned day, int weekday)
{
    int dom = (c->days >> day) & 1, dow = (c->weekdays >> weekday) & 1;
    if (c->days_any || c->weekdays_any)
        return dom && dow; /* one of them is "*": the other decides */
    return dom || dow;
}

/* The first wall time at or after `local` (seconds, minute-aligned) that matches, or -1. */
static int64_t next_local(const struct cl_cron *c, int64_t local, int64_t limit)
{
    while (local < limit) {
        int64_t days = local / 86400 - (local % 86400 < 0), y;
        int64_t secs = local - days * 86400;
        unsigned m, d, hour = (unsigned)(secs / 3600), minute = (unsigned)(secs % 3600 / 60);
        int weekday = (int)(((days % 7) + 7 + 4) % 7);
        cl_civil_from_days(days, &y, &m, &d);
        if (!((c->months >> m) & 1)) { /* to the first day of the next month */
            local = cl_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * 86400;
            continue;
        }
        if (!day_matches(c, d, weekday)) {
            local = (days + 1) * 86400;
            continue;
        }
        if (!((c->hours >> hour) & 1)) {
            local = days * 86400 + (int64_t)(hour + 1) * 3600;
            continue;
        }
        if (!((c->minutes >> minute) & 1)) {
            local += 60;
            continue;
        }
        return local;
    }
    return -1;
}

/* Does c match the wall time `local` (seconds, minute-aligned)? */
static int matches(const struct cl_cron *c, int64_t local)
{
    return next_local(c, local, local + 1) == local;
}

/*
 * An every-hour expression across a change that turns clocks back: the first
 * minute between after and t (exclusive) whose wall time matches, walking
 * real time, else t. Only here can an earlier instant than the wall-clock
 * search found exist: the repeated hour's second pass.
 */
static int64_t repeated_hour(const struct cl_cron *c, const struct cl_tz *z, int64_t after,
                             int64_t t)
{
    int64_t m = (after / 60 - (after % 60 < 0) + 1) * 60;
    for (int steps = 0; m < t && steps < 2000000; m += 60, steps++)
        if (matches(c, m + cl_tz_offset(z, m)))
            return m;
    return t;
}

int64_t cl_cron_next(const struct cl_cron *c, const struct cl_tz *z, int64_t after)
{
    int64_t limit = after + (int64_t)10 * 366 * 86400;
    /* From the wall-clock minute after `after`. */
    int64_t local = after + cl_tz_offset(z, after);
    local = (local / 60 - (local % 60 < 0) + 1) * 60;
    for (int guard = 0; guard < 100000; guard++) {
        int64_t found = next_local(c, local, limit + 86400), t, again;
        if (found < 0)
            return -1;
        t = cl_tz_to_utc(z, found, &again);
        if (t > after && c->hours_any && cl_tz_offset(z, after) > cl_tz_offset(z, t))
            return repeated_hour(c, z, after, t);
        if (t > after)
            return t;
        if (c->hours_any && again > after) /* every hour: the repeated hour too */
            return again;
        local = found + 60; /* that wall time passed already (a repeated hour) */
    }
    return -1;
}
