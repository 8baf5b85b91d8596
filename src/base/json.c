/*
 * json.c - JSON string escaping (see json.h).
 */
#include "base/json.h"

#include "base/buf.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not valid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

size_t pd_utf8_valid_prefix(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, len;
    while (i < n && (len = utf8_seq(p + i, n - i)) != 0)
        i += len;
    return i;
}

char *pd_json_put_string(char *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    *o++ = '"';
    while (p < end) {
        const unsigned char *run = p;
        /* Copy the longest stretch that needs no escaping in one go. */
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p == end)
            break;
        unsigned char c = *p;
        if (c >= 0x80) {
            size_t len = utf8_seq(p, (size_t)(end - p));
            if (len) {
                memcpy(o, p, len);
                o += len;
                p += len;
            } else {
                memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD: 3 bytes for 1, within the 6 allowed */
                o += 3;
                p++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
        p++;
    }
    *o++ = '"';
    return o;
}

void pd_json_add_string(struct pd_buf *out, const char *s, size_t n)
{
    if (pd_buf_grow(out, 6 * n + 2) == 0)
        pd_buf_set_end(out, pd_json_put_string(out->ptr + out->len, s, n));
}

void pd_json_add_nullable(struct pd_buf *out, const char *s)
{
    if (s)
        pd_json_add_string(out, s, strlen(s));
    else
        pd_buf_adds(out, "null");
}
