/*
 * tz.c - TZif files (RFC 8536) and their POSIX TZ footer (see tz.h).
 *
 * The version 2+ section (64-bit transition times) is read; instants after
 * the last transition follow the footer's rule ("CET-1CEST,M3.5.0,M10.5.0/3"),
 * of which the M (month.week.day) form that every current zone uses is
 * understood; a zone whose footer cannot be read keeps its last offset.
 */
#include "cloud/tz.h"

#include "base/alloc.h"
#include "base/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONEINFO "/usr/share/zoneinfo"
#define MAX_TZFILE (1 << 20)

/* A rule date: month m (1-12), week w (1-5, 5 = last), weekday d (0 = Sunday), at secs. */
struct rule_date {
    int m, w, d;
    int32_t secs;
};

struct cl_tz {
    int64_t *times; /* transition instants, ascending */
    uint8_t *types; /* the type in force from each */
    int32_t *offsets; /* of each type */
    int ntimes, ntypes;
    int32_t first;  /* before the first transition */
    /* The footer: std (and dst) offsets, and when dst starts and ends. */
    int has_rule, has_dst;
    int32_t std_off, dst_off;
    struct rule_date start, end;
};

int64_t cl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void cl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

/* ---- the POSIX TZ footer -------------------------------------------------------- */

static const char *skip_name(const char *p)
{
    if (*p == '<') {
        const char *e = strchr(p, '>');
        return e ? e + 1 : NULL;
    }
    while (isalpha((unsigned char)*p))
        p++;
    return p;
}

/* [+-]hh[:mm[:ss]] as seconds; NULL when malformed. */
static const char *parse_hms(const char *p, int32_t *out)
{
    int sign = 1;
    long h = 0, mi = 0, s = 0;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*p))
        return NULL;
    h = strtol(p, (char **)&p, 10);
    if (*p == ':') {
        mi = strtol(p + 1, (char **)&p, 10);
        if (*p == ':')
            s = strtol(p + 1, (char **)&p, 10);
    }
    if (h < 0 || h > 167 || mi < 0 || mi > 59 || s < 0 || s > 59) /* RFC 8536's limits */
        return NULL;
    *out = sign * (int32_t)(h * 3600 + mi * 60 + s);
    return p;
}

static const char *parse_date(const char *p, struct rule_date *r)
{
    if (*p != 'M')
        return NULL; /* the Jn and n forms: no current zone uses them */
    r->m = (int)strtol(p + 1, (char **)&p, 10);
    if (*p != '.')
        return NULL;
    r->w = (int)strtol(p + 1, (char **)&p, 10);
    if (*p != '.')
        return NULL;
    r->d = (int)strtol(p + 1, (char **)&p, 10);
    r->secs = 7200;
    if (*p == '/' && (p = parse_hms(p + 1, &r->secs)) == NULL)
        return NULL;
    return r->m >= 1 && r->m <= 12 && r->w >= 1 && r->w <= 5 && r->d >= 0 && r->d <= 6 ? p : NULL;
}

static void parse_footer(struct cl_tz *z, const char *p)
{
    int32_t off;
    if ((p = skip_name(p)) == NULL || (p = parse_hms(p, &off)) == NULL)
        return;
    z->std_off = -off; /* POSIX counts west of UTC */
    if (z->std_off < -25 * 3600 || z->std_off > 26 * 3600)
        return; /* no offset of this world: keep the table's last */
    z->has_rule = 1;
    if (*p == '\0' || *p == '\n')
        return;
    if ((p = skip_name(p)) == NULL)
        goto no_rule;
    z->dst_off = z->std_off + 3600;
    if (*p != ',' && *p != '\n' && *p) {
        if ((p = parse_hms(p, &off)) == NULL)
            goto no_rule;
        z->dst_off = -off;
    }
    if (*p != ',' || (p = parse_date(p + 1, &z->start)) == NULL || *p != ',' ||
        (p = parse_date(p + 1, &z->end)) == NULL)
        goto no_rule;
    if (z->dst_off < -25 * 3600 || z->dst_off > 26 * 3600)
        goto no_rule;
    z->has_dst = 1;
    return;
no_rule:
    z->has_rule = 0;
}

/* The local instant (seconds, as if UTC) of a rule date in year y. */
static int64_t rule_local(const struct rule_date *r, int64_t y)
{
    int64_t first = cl_days_from_civil(y, (unsigned)r->m, 1), day;
    int first_dow = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    unsigned dim = (unsigned)(cl_days_from_civil(r->m == 12 ? y + 1 : y,
                                                 r->m == 12 ? 1u : (unsigned)r->m + 1, 1) - first);
    day = (r->d - first_dow + 7) % 7 + 7 * (r->w - 1);
    while (day >= (int64_t)dim)
        day -= 7;
    return (first + day) * 86400 + r->secs;
}

static int32_t rule_offset(const struct cl_tz *z, int64_t t)
{
    int64_t y, start, end;
    unsigned m, d;
    if (!z->has_dst)
        return z->std_off;
    cl_civil_from_days((t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0), &y, &m, &d);
    /* Start is given in standard time, end in daylight time. */
    start = rule_local(&z->start, y) - z->std_off;
    end = rule_local(&z->end, y) - z->dst_off;
    if (start < end) /* northern: dst inside the year */
        return t >= start && t < end ? z->dst_off : z->std_off;
    return t >= end && t < start ? z->std_off : z->dst_off; /* southern */
}

/* ---- loading ------------------------------------------------------------------------ */

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '/' || strstr(name, "..") || strstr(name, "//"))
        return 0;
    for (const char *c = name; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '/' || *c == '_' || *c == '-' || *c == '+'))
            return 0;
    return 1;
}

static int parse(struct cl_tz *z, const unsigned char *b, size_t n)
{
    size_t pos = 0, cnt[6], v1, need;
    if (n < 44 || memcmp(b, "TZif", 4) != 0)
        return -1;
    for (int i = 0; i < 6; i++)
        if ((cnt[i] = (size_t)(uint32_t)be(b + 20 + 4 * i, 4)) > MAX_TZFILE)
            return -1;
    /* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
    if (b[4] >= '2') { /* skip the 32-bit section to the 64-bit one */
        v1 = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
        pos = 44 + v1;
        if (pos + 44 > n || memcmp(b + pos, "TZif", 4) != 0)
            return -1;
        for (int i = 0; i < 6; i++)
            if ((cnt[i] = (size_t)(uint32_t)be(b + pos + 20 + 4 * i, 4)) > MAX_TZFILE)
                return -1;
        pos += 44;
        need = cnt[3] * 9 + cnt[4] * 6 + cnt[5] + cnt[2] * 12 + cnt[1] + cnt[0];
    } else {
        pos = 44;
        need = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
    }
    if (cnt[4] == 0 || cnt[4] > 256 || cnt[3] > 100000 || pos + need > n)
        return -1;
    int w = b[4] >= '2' ? 8 : 4;
    z->ntimes = (int)cnt[3];
    z->ntypes = (int)cnt[4];
    z->times = xmalloc((cnt[3] + 1) * sizeof(*z->times));
    z->types = xmalloc(cnt[3] + 1);
    z->offsets = xmalloc(cnt[4] * sizeof(*z->offsets));
    for (size_t i = 0; i < cnt[3]; i++) {
        z->times[i] = be(b + pos + i * (size_t)w, w);
        if (i && z->times[i] <= z->times[i - 1]) /* the search needs them ascending */
            return -1;
    }
    pos += cnt[3] * (size_t)w;
    for (size_t i = 0; i < cnt[3]; i++) {
        z->types[i] = b[pos + i];
        if (z->types[i] >= cnt[4])
            return -1;
    }
    pos += cnt[3];
    for (size_t i = 0; i < cnt[4]; i++) {
        z->offsets[i] = (int32_t)be(b + pos + 6 * i, 4);
        if (z->offsets[i] < -25 * 3600 || z->offsets[i] > 26 * 3600)
            return -1;
    }
    z->first = z->offsets[0];
    pos += cnt[4] * 6 + cnt[5] + cnt[2] * (size_t)(w + 4) + cnt[1] + cnt[0];
    if (b[4] >= '2' && pos < n && b[pos] == '\n') {
        char footer[128];
        const unsigned char *end = memchr(b + pos + 1, '\n', n - pos - 1);
        size_t len = end ? (size_t)(end - (b + pos + 1)) : sizeof(footer);
        if (len < sizeof(footer) && memchr(b + pos + 1, '\0', len) == NULL) {
            memcpy(footer, b + pos + 1, len);
            footer[len] = '\0';
            parse_footer(z, footer);
        }
    }
    return 0;
}

int cl_tz_load(const char *name, struct cl_tz **out, struct pd_err *err)
{
    char path[128];
    unsigned char *buf;
    size_t n;
    FILE *f;
    struct cl_tz *z = NULL;
    *out = NULL;
    if (!name_ok(name))
        return pd_fail(err, PD_EFIELD, "'%.80s' is not a time zone name (such as Europe/Berlin)",
                       name);
    snprintf(path, sizeof(path), ZONEINFO "/%s", name);
    if ((f = fopen(path, "rb")) == NULL)
        return pd_fail(err, PD_EFIELD, "unknown time zone '%s' (use an IANA name such as "
                                       "Europe/Berlin or UTC)",
                       name);
    buf = xmalloc(MAX_TZFILE);
    n = fread(buf, 1, MAX_TZFILE, f);
    fclose(f);
    if (cl_tz_parse(buf, n, &z, err) != 0) {
        free(buf);
        pd_err_clear(err);
        return pd_fail(err, PD_EFIELD, "'%s' is not a time zone file", name);
    }
    free(buf);
    *out = z;
    return 0;
}

int cl_tz_parse(const void *data, size_t n, struct cl_tz **out, struct pd_err *err)
{
    struct cl_tz *z = xcalloc(1, sizeof(*z));
    *out = NULL;
    if (parse(z, data, n) != 0) {
        cl_tz_free(z);
        return pd_fail(err, PD_EFIELD, "not a time zone file");
    }
    *out = z;
    return 0;
}

void cl_tz_free(struct cl_tz *z)
{
    if (z == NULL)
        return;
    free(z->times);
    free(z->types);
    free(z->offsets);
    free(z);
}

int32_t cl_tz_offset(const struct cl_tz *z, int64_t t)
{
    int lo = 0, hi = z->ntimes;
    if (z->ntimes == 0 || t < z->times[0])
        return z->ntimes == 0 && z->has_rule ? rule_offset(z, t) : z->first;
    if (t >= z->times[z->ntimes - 1] && z->has_rule)
        return rule_offset(z, t);
    while (hi - lo > 1) { /* the last transition at or before t */
        int mid = (lo + hi) / 2;
        if (z->times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->offsets[z->types[lo]];
}

int64_t cl_tz_to_utc(const struct cl_tz *z, int64_t local, int64_t *second)
{
    /* At most one transition lies within a day either side: try the offsets of both ends. */
    int32_t before = cl_tz_offset(z, local - 86400), after = cl_tz_offset(z, local + 86400);
    int64_t a = local - before, b = local - after;
    int ok_a = cl_tz_offset(z, a) == before, ok_b = cl_tz_offset(z, b) == after;
    if (second)
        *second = ok_a && ok_b && a != b ? (a < b ? b : a) : -1;
    if (ok_a && ok_b)
        return a < b ? a : b; /* it happens twice: the first */
    if (ok_a)
        return a;
    if (ok_b)
        return b;
    return a; /* it does not exist: as if the clock had not jumped */
}
