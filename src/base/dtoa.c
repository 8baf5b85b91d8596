/*
 * dtoa.c - shortest round-trip text of doubles and floats (see dtoa.h).
 *
 * Schubfach in brief: a finite x = c * 2^q rounds back from any decimal inside
 * its rounding interval [c - 1/2, c + 1/2] * 2^q (the lower half-width is 1/4
 * at a power of two; the ends count when c is even, as strtod rounds ties to
 * even). With k = floor(log10(2^q)), one 126-bit multiplication by 10^-k gives
 * the interval's ends and x itself scaled by 10^-k, in quarter units, exactly
 * enough to decide: if one number with one digit fewer (a multiple of ten) lies
 * inside, it is the answer; otherwise the one of s, s + 1 (the candidates next
 * to x) inside, or the closer of the two. The table of 10^-k is made at build
 * time by cmake/gen_pow10.c.
 */
#include "base/dtoa.h"

#include <stdint.h>
#include <string.h>

#include "pow10_table.h"

const char pd_digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                  "31323334353637383940414243444546474849505152535455565758596061"
                                  "62636465666768697071727374757677787980818283848586878889909192"
                                  "93949596979899";

char *pd_u64_digits(uint64_t v, char *end)
{
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--end = pd_digit_pairs[i + 1];
        *--end = pd_digit_pairs[i];
    }
    if (v >= 10) {
        *--end = pd_digit_pairs[v * 2 + 1];
        *--end = pd_digit_pairs[v * 2];
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

/* A binary format: its significand and exponent bits, and the smallest subnormal's exponent. */
struct binary {
    int precision; /* significand bits with the hidden one: 53, 24 */
    int exp_bits;  /* 11, 8 */
    int q_min;     /* exponent of the smallest subnormal: -1074, -149 */
};

static const struct binary binary64 = {53, 11, -1074};
static const struct binary binary32 = {24, 8, -149};

/* floor(q * log10(2)), floor(q * log10(2) + log10(3/4)), floor(e * log2(10)): checked by the generator */
static int flog10pow2(int q) { return (int)((int64_t)q * 661971961083LL >> 41); }
static int flog10three_quarters_pow2(int q) { return (int)(((int64_t)q * 661971961083LL - 274743187321LL) >> 41); }
static int flog2pow10(int e) { return (int)((int64_t)e * 913124641741LL >> 38); }

/* floor(g * cp / 2^127), with the lowest bit set when the division was not exact */
static uint64_t round_to_odd(const uint64_t g[2], uint64_t cp)
{
    const uint64_t mask63 = 0x7fffffffffffffffu;
    unsigned __int128 lo = (unsigned __int128)g[1] * cp, hi = (unsigned __int128)g[0] * cp;
    uint64_t z = ((uint64_t)hi >> 1) + (uint64_t)(lo >> 64);
    uint64_t v = (uint64_t)(hi >> 64) + (z >> 63);
    return v | (((z & mask63) + mask63) >> 63);
}

/* The shortest decimal f * 10^e that reads back as c * 2^q (see the top of the file). */
static void shortest(const struct binary *b, uint64_t c, int q, uint64_t *f, int *e)
{
    uint64_t c_min = (uint64_t)1 << (b->precision - 1);
    int k, h, out;
    uint64_t cb, cbl, cbr, vb, vbl, vbr, s, t;
    const uint64_t *g;

    out = (int)(c & 1);
    cb = c << 2;
    cbr = cb + 2;
    if (c != c_min || q == b->q_min) {
        cbl = cb - 2;
        k = flog10pow2(q);
    } else { /* a power of two: the interval below is half as wide */
        cbl = cb - 1;
        k = flog10three_quarters_pow2(q);
    }
    h = q + flog2pow10(-k) + 2;
    g = pd_pow10_g[k - PD_POW10_K_MIN];
    vb = round_to_odd(g, cb << h);
    vbl = round_to_odd(g, cbl << h);
    vbr = round_to_odd(g, cbr << h);
    *e = k;
    s = vb >> 2;
    if (s >= 10) { /* one digit fewer fits: the shortest has it */
        uint64_t sp10 = s / 10 * 10, tp10 = sp10 + 10;
        int u_in = vbl + out <= sp10 << 2, w_in = (tp10 << 2) + out <= vbr;
        if (u_in != w_in) {
            *f = u_in ? sp10 : tp10;
            return;
        }
        if (u_in) { /* both (tiny subnormals): the closer; vb is odd unless exact, so == is a tie */
            int64_t cmp = (int64_t)(vb - ((sp10 + 5) << 2));
            *f = cmp < 0 || (cmp == 0 && (sp10 / 10 & 1) == 0) ? sp10 : tp10;
            return;
        }
    }
    t = s + 1;
    int u_in = vbl + out <= s << 2, w_in = (t << 2) + out <= vbr;
    if (u_in != w_in) {
        *f = u_in ? s : t;
        return;
    }
    int64_t cmp = (int64_t)(vb - ((s + t) << 1)); /* x against the midpoint of s and t */
    *f = cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : t;
}

/* Lay out f * 10^e (f > 0) as DuckDB does; return the length. */
static size_t layout(char *buf, int negative, uint64_t f, int e)
{
    char tmp[24], *end = tmp + sizeof(tmp), *d;
    char *p = buf;
    int n, x;

    while (f % 10 == 0) {
        f /= 10;
        e++;
    }
    d = pd_u64_digits(f, end);
    n = (int)(end - d);
    x = n - 1 + e; /* the first digit's power of ten */
    if (negative)
        *p++ = '-';
    if (x >= -4 && x < 16) {
        if (e >= 0) {
            memcpy(p, d, (size_t)n);
            p += n;
            memset(p, '0', (size_t)e);
            p += e;
        } else if (x >= 0) {
            memcpy(p, d, (size_t)x + 1);
            p += x + 1;
            *p++ = '.';
            memcpy(p, d + x + 1, (size_t)(n - x - 1));
            p += n - x - 1;
        } else {
            *p++ = '0';
            *p++ = '.';
            memset(p, '0', (size_t)(-x - 1));
            p += -x - 1;
            memcpy(p, d, (size_t)n);
            p += n;
        }
    } else {
        *p++ = d[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)n - 1);
            p += n - 1;
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        x = x < 0 ? -x : x;
        if (x < 10)
            *p++ = '0';
        char xd[8], *xe = xd + sizeof(xd), *xs = pd_u64_digits((uint64_t)x, xe);
        memcpy(p, xs, (size_t)(xe - xs));
        p += xe - xs;
    }
    *p = '\0';
    return (size_t)(p - buf);
}

/* Split the bits of a finite number and write it. */
static size_t format(const struct binary *b, uint64_t bits, char *buf)
{
    int frac_bits = b->precision - 1;
    int negative = (int)(bits >> (frac_bits + b->exp_bits) & 1);
    uint64_t t = bits & (((uint64_t)1 << frac_bits) - 1);
    int bq = (int)(bits >> frac_bits & ((1u << b->exp_bits) - 1));
    uint64_t f;
    int e;

    if (bq == 0 && t == 0) {
        memcpy(buf, negative ? "-0" : "0", negative ? 3 : 2);
        return (size_t)(negative + 1);
    }
    if (bq == 0) { /* subnormal: t * 2^q_min */
        shortest(b, t, b->q_min, &f, &e);
        return layout(buf, negative, f, e);
    }
    uint64_t c = t | (uint64_t)1 << frac_bits;
    int q = bq + b->q_min - 1;
    if (q <= 0 && -q < b->precision && (c & (((uint64_t)1 << -q) - 1)) == 0)
        return layout(buf, negative, c >> -q, 0); /* a whole number: its digits */
    shortest(b, c, q, &f, &e);
    return layout(buf, negative, f, e);
}

size_t pd_dtoa(double d, char *buf)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    return format(&binary64, bits, buf);
}

size_t pd_ftoa(float f, char *buf)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof(bits));
    return format(&binary32, bits, buf);
}
