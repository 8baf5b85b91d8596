/*
 * buf.h - growable byte strings with a size cap.
 *
 * A struct pd_buf is never NULL and always NUL-terminated, so buf.ptr can be
 * handed to any C string function at any time (git strbuf). Every append checks
 * the cap given at init (curl dynbuf): past it the append does nothing and
 * returns PD_ETOOBIG, which keeps a hostile input from eating all memory.
 */
#ifndef PD_BUF_H
#define PD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct pd_buf {
    char *ptr;  /* the bytes, NUL-terminated; points at a shared "" until the first append */
    size_t len; /* bytes in use, not counting the NUL */
    size_t cap; /* bytes allocated (0 while ptr is the shared "") */
    size_t max; /* largest len allowed; 0 means no limit */
};

extern char pd_buf_empty_[];
#define PD_BUF_INIT {.ptr = pd_buf_empty_, .len = 0, .cap = 0, .max = 0}

/* Initialise an empty buffer that may grow to max bytes (0: unlimited). */
void pd_buf_init(struct pd_buf *b, size_t max);

/* Free the memory and leave b empty and reusable. */
void pd_buf_release(struct pd_buf *b);

/* Make the content empty, keeping the memory. */
void pd_buf_reset(struct pd_buf *b);

/* Hand the content to the caller (who frees it) and leave b empty. */
char *pd_buf_detach(struct pd_buf *b, size_t *len);

/* Make room for n more bytes. Returns 0 or PD_ETOOBIG. */
int pd_buf_grow(struct pd_buf *b, size_t n);

/* Append bytes, a string, a char, or printf output. Each returns 0 or PD_ETOOBIG. */
int pd_buf_add(struct pd_buf *b, const void *data, size_t n);
int pd_buf_adds(struct pd_buf *b, const char *s);
int pd_buf_addc(struct pd_buf *b, char c);
int pd_buf_addf(struct pd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pd_buf_vaddf(struct pd_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* After writing straight into the room pd_buf_grow made: the content ends at end. */
static inline void pd_buf_set_end(struct pd_buf *b, char *end)
{
    b->len = (size_t)(end - b->ptr);
    b->ptr[b->len] = '\0';
}

/* Set the length to n (n <= len), keeping the NUL terminator in place. */
void pd_buf_truncate(struct pd_buf *b, size_t n);

/* Read a whole file into b (appending). Returns 0, PD_ETOOBIG, or PD_EIO with errno set. */
int pd_buf_read_file(struct pd_buf *b, const char *path);

#endif
