/*
 * scalar.c - writers of scalar cells straight into memory (see scalar.h).
 */
#include "warehouse/scalar.h"

#include "base/dtoa.h"
#include "base/json.h"
#include "warehouse/value.h"

#include <math.h>
#include <string.h>

/* ---- integers ---- */

char *pd_fmt_u128(unsigned __int128 v, char *buf)
{
    char *end = buf + 40;
    *end = '\0';
    if (v <= UINT64_MAX)
        return pd_u64_digits((uint64_t)v, end);
    /* Split into 19-digit pieces so each fits a uint64_t. */
    const uint64_t p19 = 10000000000000000000ULL;
    while (v > UINT64_MAX) {
        uint64_t low = (uint64_t)(v % p19);
        v /= p19;
        char *start = pd_u64_digits(low, end);
        while (end - start < 19)
            *--start = '0';
        end = start;
    }
    return pd_u64_digits((uint64_t)v, end);
}

char *pd_fmt_i128(__int128 v, char *buf)
{
    unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    char *p = pd_fmt_u128(mag, buf + 1);
    if (v < 0)
        *--p = '-';
    return p;
}

static char *put_word(char *p, const char *w)
{
    size_t n = strlen(w);
    memcpy(p, w, n);
    return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20], *end = tmp + sizeof(tmp), *d = pd_u64_digits(v, end);
    memcpy(p, d, (size_t)(end - d));
    return p + (end - d);
}

static char *put_i64(char *p, int64_t v)
{
    if (v < 0)
        *p++ = '-';
    return put_u64(p, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

static __int128 hugeint_of(duckdb_hugeint h)
{
    return (__int128)(((unsigned __int128)(uint64_t)h.upper << 64) | h.lower);
}

#define INT_WRITER(name, type, put)                                                                \
    static char *name(char *p, const struct pd_coltype *t, const void *data, idx_t row)            \
    {                                                                                              \
        (void)t;                                                                                   \
        return put(p, ((const type *)data)[row]);                                                  \
    }
INT_WRITER(w_i8, int8_t, put_i64)
INT_WRITER(w_i16, int16_t, put_i64)
INT_WRITER(w_i32, int32_t, put_i64)
INT_WRITER(w_i64, int64_t, put_i64)
INT_WRITER(w_u8, uint8_t, put_u64)
INT_WRITER(w_u16, uint16_t, put_u64)
INT_WRITER(w_u32, uint32_t, put_u64)
INT_WRITER(w_u64, uint64_t, put_u64)

static char *w_hugeint(char *p, const struct pd_coltype *t, const void *data, idx_t row)
{
    char tmp[48];
    (void)t;
    return put_word(p, pd_fmt_i128(hugeint_of(((const duckdb_hugeint *)data)[row]), tmp));
}

static char *w_uhugeint(char *p, const struct pd_coltype *t, const void *data, idx_t row)
{
    duckdb_uhugeint h = ((const duckdb_uhugeint *)data)[row];
    char tmp[48];
    (void)t;
    return put_word(p, pd_fmt_u128(((unsigned __int128)h.upper << 64) | h.lower, tmp));
}

static char *w_bool(char *p, const struct pd_coltype *t, const void *data, idx_t row)
{
    (void)t;
    if (((const bool *)data)[row]) {
        memcpy(p, "true", 4);
        return p + 4;
    }
    memcpy(p, "false", 5);
    return p + 5;
}

/* ---- floating point and decimals ---- */

/* NaN and the infinities: JSON has no number for them, text spells them as DuckDB does */
static char *put_nonfinite(char *p, double d, int json)
{
    if (json)
        return put_word(p, isnan(d) ? "\"NaN\"" : d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return put_word(p, isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
}

/* as DuckDB writes a whole float in text: 42.0, so it reads back as a float */
static char *point_zero(char *p, size_t n)
{
    if (!memchr(p, '.', n) && !memchr(p, 'e', n)) {
        memcpy(p + n, ".0", 2);
        n += 2;
    }
    return p + n;
}

/* Each floating type twice: text (42.0, inf) and JSON (42, "Infinity"). */
#define FLOAT_WRITERS(name, type, shortest)                                                        \
    static char *name##_text(char *p, const struct pd_coltype *t, const void *data, idx_t row)     \
    {                                                                                              \
        type v = ((const type *)data)[row];                                                        \
        (void)t;                                                                                   \
        return isfinite(v) ? point_zero(p, shortest(v, p)) : put_nonfinite(p, v, 0);              \
    }                                                                                              \
    static char *name##_json(char *p, const struct pd_coltype *t, const void *data, idx_t row)     \
    {                                                                                              \
        type v = ((const type *)data)[row];                                                        \
        (void)t;                                                                                   \
        return isfinite(v) ? p + shortest(v, p) : put_nonfinite(p, v, 1);                          \
    }
FLOAT_WRITERS(w_double, double, pd_dtoa)
FLOAT_WRITERS(w_float, float, pd_ftoa)

static __int128 decimal_at(const struct pd_coltype *t, const void *data, idx_t row)
{
    switch (t->internal) {
    case DUCKDB_TYPE_SMALLINT:
        return ((const int16_t *)data)[row];
    case DUCKDB_TYPE_INTEGER:
        return ((const int32_t *)data)[row];
    case DUCKDB_TYPE_BIGINT:
        return ((const int64_t *)data)[row];
    default:
        return hugeint_of(((const duckdb_hugeint *)data)[row]);
    }
}

static char *w_decimal(char *p, const struct pd_coltype *t, const void *data, idx_t row)
{
    __int128 v = decimal_at(t, data, row);
    char tmp[48];
    char *digits = pd_fmt_u128(v < 0 ? -(unsigned __int128)v : (unsigned __int128)v, tmp + 4);
    size_t n = strlen(digits), scale = t->scale;

    if (v < 0)
        *p++ = '-';
    if (scale == 0) {
        memcpy(p, digits, n);
        return p + n;
    }
    if (n <= scale) {
        *p++ = '0';
        *p++ = '.';
        memset(p, '0', scale - n);
        p += scale - n;
        memcpy(p, digits, n);
        return p + n;
    }
    memcpy(p, digits, n - scale);
    p += n - scale;
    *p++ = '.';
    memcpy(p, digits + n - scale, scale);
    return p + scale;
}

/* ---- strings ---- */

static char *w_varchar_text(char *p, const struct pd_coltype *t, const void *data, idx_t row)
{
    const char *s;
    uint32_t n;
    (void)t;
    pd_string_at(data, row, &s, &n);
    memcpy(p, s, n);
    return p + n;
}

static char *w_varchar_json(char *p, const struct pd_coltype *t, const void *data, idx_t row)
{
    const char *s;
    uint32_t n;
    (void)t;
    pd_string_at(data, row, &s, &n);
    return pd_json_put_string(p, s, n);
}

static char *put_uuid(char *p, duckdb_hugeint h)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t hi = (uint64_t)h.upper ^ (1ULL << 63), lo = h.lower;
    for (int i = 0; i < 16; i++) {
        uint8_t byte = (uint8_t)(i < 8 ? hi >> (56 - 8 * i) : lo >> (56 - 8 * (i - 8)));
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[byte >> 4];
        *p++ = hex[byte & 15];
    }
    return p;
}

/* ---- dates and times ---- */

char *pd_put_2(char *p, unsigned v)
{
    memcpy(p, pd_digit_pairs + (v % 100) * 2, 2);
    return p + 2;
}

static char *put_ymd(char *p, int32_t days)
{
    /* Civil-from-days (proleptic Gregorian), valid for the whole int32 range. */
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int bc;

    y += m <= 2;
    bc = y <= 0;
    if (bc)
        y = 1 - y; /* year 0 is 1 BC */
    if (y < 10000) {
        p = pd_put_2(p, (unsigned)(y / 100));
        p = pd_put_2(p, (unsigned)(y % 100));
    } else {
        p = put_i64(p, y);
    }
    *p++ = '-';
    p = pd_put_2(p, m);
    *p++ = '-';
    p = pd_put_2(p, d);
    return bc ? put_word(p, " (BC)") : p;
}

char *pd_put_hms(char *p, int64_t units, int digits)
{
    int64_t per_sec = digits == 9 ? 1000000000 : 1000000;
    int64_t secs = units / per_sec, frac = units % per_sec;

    if (secs / 3600 < 100)
        p = pd_put_2(p, (unsigned)(secs / 3600));
    else
        p = put_i64(p, secs / 3600);
    *p++ = ':';
    p = pd_put_2(p, (unsigned)(secs / 60 % 60));
    *p++ = ':';
    p = pd_put_2(p, (unsigned)(secs % 60));
    if (frac) {
        int n = digits;
        *p++ = '.';
        for (int i = digits - 1; i >= 0; i--, frac /= 10)
            p[i] = (char)('0' + frac % 10);
        while (n > 1 && p[n - 1] == '0')
            n--;
        p += n;
    }
    return p;
}

static char *put_timestamp(char *p, int64_t units, int64_t per_day, int digits)
{
    int64_t days = units / per_day, rest = units % per_day;
    if (rest < 0) {
        rest += per_day;
        days--;
    }
    p = put_ymd(p, (int32_t)days);
    *p++ = ' ';
    return pd_put_hms(p, rest, digits);
}

static char *put_date(char *p, int32_t d)
{
    if (d == INT32_MAX || d == -INT32_MAX)
        return put_word(p, d > 0 ? "infinity" : "-infinity");
    return put_ymd(p, d);
}

static char *put_ts(char *p, const struct pd_coltype *t, int64_t u)
{
    if (u == INT64_MAX || u == -INT64_MAX)
        return put_word(p, u > 0 ? "infinity" : "-infinity");
    switch (t->id) {
    case DUCKDB_TYPE_TIMESTAMP_S:
        return put_timestamp(p, u * 1000000, 86400000000LL, 6);
    case DUCKDB_TYPE_TIMESTAMP_MS:
        return put_timestamp(p, u * 1000, 86400000000LL, 6);
    case DUCKDB_TYPE_TIMESTAMP_NS:
        return put_timestamp(p, u, 86400000000000LL, 9);
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        return put_word(put_timestamp(p, u, 86400000000LL, 6), "+00");
    default:
        return put_timestamp(p, u, 86400000000LL, 6);
    }
}

/* Each of these twice: bare for text, in quotes for JSON. */
#define TIME_WRITERS(name, expr)                                                                   \
    static char *name##_text(char *p, const struct pd_coltype *t, const void *data, idx_t row)     \
    {                                                                                              \
        (void)t;                                                                                   \
        return expr;                                                                               \
    }                                                                                              \
    static char *name##_json(char *p, const struct pd_coltype *t, const void *data, idx_t row)     \
    {                                                                                              \
        *p++ = '"';                                                                                \
        p = name##_text(p, t, data, row);                                                          \
        *p++ = '"';                                                                                \
        return p;                                                                                  \
    }
TIME_WRITERS(w_date, put_date(p, ((const int32_t *)data)[row]))
TIME_WRITERS(w_time, pd_put_hms(p, ((const int64_t *)data)[row], 6))
TIME_WRITERS(w_time_ns, pd_put_hms(p, ((const int64_t *)data)[row], 9))
TIME_WRITERS(w_timestamp, put_ts(p, t, ((const int64_t *)data)[row]))
TIME_WRITERS(w_uuid, put_uuid(p, ((const duckdb_hugeint *)data)[row]))

/* ---- choosing ---- */

int pd_scalar_pick(const struct pd_coltype *t, int json, struct pd_scalar_writer *w)
{
    w->string = 0;
    w->room = 48;
    switch (t->id) {
    case DUCKDB_TYPE_BOOLEAN: w->put = w_bool; break;
    case DUCKDB_TYPE_TINYINT: w->put = w_i8; break;
    case DUCKDB_TYPE_SMALLINT: w->put = w_i16; break;
    case DUCKDB_TYPE_INTEGER: w->put = w_i32; break;
    case DUCKDB_TYPE_BIGINT: w->put = w_i64; break;
    case DUCKDB_TYPE_UTINYINT: w->put = w_u8; break;
    case DUCKDB_TYPE_USMALLINT: w->put = w_u16; break;
    case DUCKDB_TYPE_UINTEGER: w->put = w_u32; break;
    case DUCKDB_TYPE_UBIGINT: w->put = w_u64; break;
    case DUCKDB_TYPE_HUGEINT: w->put = w_hugeint; break;
    case DUCKDB_TYPE_UHUGEINT: w->put = w_uhugeint; break;
    case DUCKDB_TYPE_FLOAT: w->put = json ? w_float_json : w_float_text; break;
    case DUCKDB_TYPE_DOUBLE: w->put = json ? w_double_json : w_double_text; break;
    case DUCKDB_TYPE_DECIMAL: w->put = w_decimal; break;
    case DUCKDB_TYPE_DATE: w->put = json ? w_date_json : w_date_text; break;
    case DUCKDB_TYPE_TIME: w->put = json ? w_time_json : w_time_text; break;
    case DUCKDB_TYPE_TIME_NS: w->put = json ? w_time_ns_json : w_time_ns_text; break;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
        w->put = json ? w_timestamp_json : w_timestamp_text;
        break;
    case DUCKDB_TYPE_UUID: w->put = json ? w_uuid_json : w_uuid_text; break;
    case DUCKDB_TYPE_VARCHAR:
        w->put = json ? w_varchar_json : w_varchar_text;
        w->string = 1;
        w->room = json ? 6 : 1;
        break;
    default:
        return -1;
    }
    return 0;
}
