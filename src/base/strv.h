/*
 * strv.h - a growable array of owned strings (table names, warnings).
 */
#ifndef PD_STRV_H
#define PD_STRV_H

#include <stddef.h>

struct pd_strv {
    char **v;
    size_t n, cap;
};

#define PD_STRV_INIT {NULL, 0, 0}

/* Append a copy of s. */
void pd_strv_push(struct pd_strv *sv, const char *s);

/* Append a formatted string. */
void pd_strv_pushf(struct pd_strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when s is in sv. */
int pd_strv_has(const struct pd_strv *sv, const char *s);

/* Sort in byte order. */
void pd_strv_sort(struct pd_strv *sv);

/* Free every string and the array; sv is empty again. */
void pd_strv_clear(struct pd_strv *sv);

#endif
