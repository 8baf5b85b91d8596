/*
 * alloc.h - allocation that cannot fail, and the assertion for broken invariants.
 *
 * Out of memory is not an error callers can handle usefully, so these wrappers
 * abort with a message (like git's xmalloc). PD_BUG() marks a state the code
 * believes impossible; it aborts with file and line.
 */
#ifndef PD_ALLOC_H
#define PD_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* printf into a fresh heap string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

_Noreturn void pd_bug_(const char *file, int line, const char *what);
#define PD_BUG(what) pd_bug_(__FILE__, __LINE__, what)

#endif
