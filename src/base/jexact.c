/*
 * jexact.c - exact numbers in jansson trees (see jexact.h).
 *
 * Loading is a rewrite and a walk: the text is copied with every number that
 * jansson cannot hold exactly turned into the string "\u0000N<digits>" (and
 * every genuine string that begins with \u0000 marked "\u0000S..." so it
 * cannot be taken for one), jansson parses that, and the walk turns those
 * strings into number texts (and the marked ones back). Dumping is our own
 * writer, since jansson's would refuse a number text.
 */
#include "base/jexact.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_MARK '\xff'

/* ---- numbers ------------------------------------------------------------- */

/* Length of the JSON number at p (0 when there is none): -?int frac? exp? */
static size_t number_len(const char *p, const char *end, int *integral)
{
    const char *s = p;
    *integral = 1;
    if (s < end && *s == '-')
        s++;
    if (s == end || *s < '0' || *s > '9')
        return 0;
    if (*s == '0')
        s++;
    else
        while (s < end && *s >= '0' && *s <= '9')
            s++;
    if (s < end && *s == '.') {
        const char *f = ++s;
        while (s < end && *s >= '0' && *s <= '9')
            s++;
        if (s == f)
            return 0;
        *integral = 0;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        const char *e;
        s++;
        if (s < end && (*s == '+' || *s == '-'))
            s++;
        e = s;
        while (s < end && *s >= '0' && *s <= '9')
            s++;
        if (s == e)
            return 0;
        *integral = 0;
    }
    return (size_t)(s - p);
}

/* Does the integer text fit int64? */
static int fits_int64(const char *p, size_t n)
{
    char tmp[32];
    if (n >= sizeof(tmp))
        return 0;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    errno = 0;
    (void)strtoll(tmp, NULL, 10);
    return errno == 0;
}

const char *pd_json_number_text(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || s[0] != NUMBER_MARK || json_string_length(v) < 2)
        return NULL;
    return s + 1;
}

json_t *pd_json_number_text_new(const char *digits)
{
    size_t n = strlen(digits);
    int integral;
    char *s;
    json_t *v;
    if (n == 0 || number_len(digits, digits + n, &integral) != n)
        return NULL;
    s = xmalloc(n + 2);
    s[0] = NUMBER_MARK;
    memcpy(s + 1, digits, n + 1);
    v = json_stringn_nocheck(s, n + 1);
    free(s);
    return v;
}

int pd_json_is_number(const json_t *v)
{
    return json_is_number(v) || pd_json_number_text(v) != NULL;
}

double pd_json_number_value(const json_t *v)
{
    const char *t = pd_json_number_text(v);
    if (t)
        return strtod(t, NULL);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* d in the fewest digits that read back as d (at most precision), as JavaScript writes it. */
static void add_real(struct pd_buf *out, double d, int precision)
{
    char tmp[64];
    if (!isfinite(d)) {
        pd_buf_adds(out, "null");
        return;
    }
    for (int p = precision < 15 ? precision : 15; p <= precision; p++) {
        snprintf(tmp, sizeof(tmp), "%.*g", p, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    pd_buf_adds(out, tmp);
    if (strpbrk(tmp, ".en") == NULL)
        pd_buf_adds(out, ".0");
}

void pd_json_number_add(struct pd_buf *out, const json_t *v)
{
    const char *t = pd_json_number_text(v);
    if (t)
        pd_buf_adds(out, t);
    else if (json_is_integer(v))
        pd_buf_addf(out, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        add_real(out, json_real_value(v), 17);
}

/* ---- loading -------------------------------------------------------------- */

/* Copy text, rewriting numbers jansson cannot hold exactly as marked strings. */
static void rewrite(struct pd_buf *out, const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        if (*p == '"') {
            const char *s = p + 1;
            while (s < end && *s != '"')
                s += *s == '\\' && s + 1 < end ? 2 : 1;
            if (s < end)
                s++;
            if (end - p >= 7 && memcmp(p + 1, "\\u0000", 6) == 0) {
                pd_buf_adds(out, "\"\\u0000S");
                pd_buf_add(out, p + 1, (size_t)(s - p - 1));
            } else {
                pd_buf_add(out, p, (size_t)(s - p));
            }
            p = s;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            int integral;
            size_t n = number_len(p, end, &integral);
            if (n == 0) { /* not a number: jansson says why */
                pd_buf_addc(out, *p++);
                continue;
            }
            if (integral && fits_int64(p, n)) {
                pd_buf_add(out, p, n);
            } else {
                pd_buf_adds(out, "\"\\u0000N");
                pd_buf_add(out, p, n);
                pd_buf_addc(out, '"');
            }
            p += n;
        } else {
            pd_buf_addc(out, *p++);
        }
    }
}

/* A string the rewrite made, as it must be: a number text, the string unmarked, or NULL. */
static json_t *unmark(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (s == NULL || n < 2 || s[0] != '\0')
        return NULL;
    if (s[1] == 'N') {
        char *digits = xstrndup(s + 2, n - 2);
        json_t *num = pd_json_number_text_new(digits);
        free(digits);
        return num;
    }
    if (s[1] == 'S')
        return json_stringn(s + 2, n - 2);
    return NULL;
}

static void walk(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *e, *r;
        void *it;
        json_object_foreach_safe(v, it, k, e) {
            if ((r = unmark(e)) != NULL)
                json_object_set_new(v, k, r);
            else
                walk(e);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *e = json_array_get(v, i), *r;
            if ((r = unmark(e)) != NULL)
                json_array_set_new(v, i, r);
            else
                walk(e);
        }
    }
}

json_t *pd_json_loadb_exact(const char *text, size_t len, size_t flags, json_error_t *err)
{
    struct pd_buf b = PD_BUF_INIT;
    json_t *v, *r;
    rewrite(&b, text, len);
    v = json_loadb(b.ptr, b.len, flags | JSON_ALLOW_NUL, err);
    pd_buf_release(&b);
    if (v && (r = unmark(v)) != NULL) { /* a lone number or string (JSON_DECODE_ANY) */
        json_decref(v);
        return r;
    }
    walk(v);
    return v;
}

json_t *pd_json_loads_exact(const char *text, size_t flags, json_error_t *err)
{
    return pd_json_loadb_exact(text, strlen(text), flags, err);
}

static json_t *parsed_text(const json_t *v)
{
    if (!json_is_string(v) || pd_json_number_text(v))
        return NULL;
    return pd_json_loadb_exact(json_string_value(v), json_string_length(v), JSON_DECODE_ANY,
                               NULL);
}

void pd_json_unembed(json_t *obj, const char *key)
{
    json_t *v = parsed_text(json_object_get(obj, key));
    if (v)
        json_object_set_new(obj, key, v);
}

void pd_json_unembed_all(json_t *array)
{
    for (size_t i = 0; i < json_array_size(array); i++) {
        json_t *v = parsed_text(json_array_get(array, i));
        if (v)
            json_array_set_new(array, i, v);
    }
}

/* ---- dumping -------------------------------------------------------------- */

struct dump {
    struct pd_buf *out;
    int indent, compact, sort, precision;
};

static void newline(const struct dump *d, int depth)
{
    if (d->indent == 0)
        return;
    pd_buf_addc(d->out, '\n');
    for (int i = 0; i < depth * d->indent; i++)
        pd_buf_addc(d->out, ' ');
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void dump(const struct dump *d, const json_t *v, int depth)
{
    const char *sep = d->compact || d->indent ? "," : ", ", *colon = d->compact ? ":" : ": ";
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) keys[i++] = k;
        if (d->sort)
            qsort(keys, n, sizeof(*keys), cmp_keys);
        pd_buf_addc(d->out, '{');
        for (i = 0; i < n; i++) {
            if (i)
                pd_buf_adds(d->out, sep);
            newline(d, depth + 1);
            pd_json_add_string(d->out, keys[i], strlen(keys[i]));
            pd_buf_adds(d->out, colon);
            dump(d, json_object_get(v, keys[i]), depth + 1);
        }
        if (n)
            newline(d, depth);
        pd_buf_addc(d->out, '}');
        free(keys);
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        pd_buf_addc(d->out, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                pd_buf_adds(d->out, sep);
            newline(d, depth + 1);
            dump(d, json_array_get(v, i), depth + 1);
        }
        if (n)
            newline(d, depth);
        pd_buf_addc(d->out, ']');
        break;
    }
    case JSON_STRING:
        if (pd_json_number_text(v))
            pd_buf_adds(d->out, pd_json_number_text(v));
        else
            pd_json_add_string(d->out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        pd_buf_addf(d->out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        add_real(d->out, json_real_value(v), d->precision);
        break;
    case JSON_TRUE: pd_buf_adds(d->out, "true"); break;
    case JSON_FALSE: pd_buf_adds(d->out, "false"); break;
    case JSON_NULL: pd_buf_adds(d->out, "null"); break;
    }
}

char *pd_json_dumps_exact(const json_t *v, size_t flags)
{
    struct pd_buf b = PD_BUF_INIT;
    struct dump d = {&b, (int)(flags & 0x1F), (flags & JSON_COMPACT) != 0,
                     (flags & JSON_SORT_KEYS) != 0, (int)((flags >> 11) & 0x1F)};
    if (d.precision == 0)
        d.precision = 17;
    if (v == NULL)
        pd_buf_adds(&b, "null");
    else
        dump(&d, v, 0);
    return pd_buf_detach(&b, NULL);
}
