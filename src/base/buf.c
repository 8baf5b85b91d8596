/*
 * buf.c - growable capped strings (see buf.h).
 */
#include "base/buf.h"

#include "base/alloc.h"
#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char pd_buf_empty_[1];

void pd_buf_init(struct pd_buf *b, size_t max)
{
    b->ptr = pd_buf_empty_;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void pd_buf_release(struct pd_buf *b)
{
    if (b->cap)
        free(b->ptr);
    pd_buf_init(b, b->max);
}

void pd_buf_reset(struct pd_buf *b)
{
    pd_buf_truncate(b, 0);
}

char *pd_buf_detach(struct pd_buf *b, size_t *len)
{
    char *p = b->cap ? b->ptr : xstrdup("");
    if (len)
        *len = b->len;
    pd_buf_init(b, b->max);
    return p;
}

int pd_buf_grow(struct pd_buf *b, size_t n)
{
    size_t want;

    if (b->max && (n > b->max || b->len > b->max - n))
        return PD_ETOOBIG;
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    if (want < b->cap * 2)
        want = b->cap * 2;
    if (want < 64)
        want = 64;
    if (b->cap) {
        b->ptr = xrealloc(b->ptr, want);
    } else {
        b->ptr = xmalloc(want);
        b->ptr[0] = '\0';
    }
    b->cap = want;
    return 0;
}

int pd_buf_add(struct pd_buf *b, const void *data, size_t n)
{
    if (pd_buf_grow(b, n))
        return PD_ETOOBIG;
    memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

int pd_buf_adds(struct pd_buf *b, const char *s)
{
    return pd_buf_add(b, s, strlen(s));
}

int pd_buf_addc(struct pd_buf *b, char c)
{
    return pd_buf_add(b, &c, 1);
}

int pd_buf_vaddf(struct pd_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(b->ptr + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return PD_EINVAL;
    if (b->cap == 0 || (size_t)n >= b->cap - b->len) {
        if (pd_buf_grow(b, (size_t)n))
            return PD_ETOOBIG;
        vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
    }
    b->len += (size_t)n;
    return 0;
}

int pd_buf_addf(struct pd_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = pd_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void pd_buf_truncate(struct pd_buf *b, size_t n)
{
    if (n > b->len)
        PD_BUG("pd_buf_truncate past the end");
    b->len = n;
    if (b->cap)
        b->ptr[n] = '\0';
}

int pd_buf_read_file(struct pd_buf *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    int rc = 0;

    if (f == NULL)
        return PD_EIO;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if ((rc = pd_buf_add(b, chunk, n)) != 0)
            break;
    }
    if (rc == 0 && ferror(f)) {
        rc = PD_EIO;
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    return rc;
}
