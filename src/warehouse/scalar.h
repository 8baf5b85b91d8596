/*
 * scalar.h - the text of one scalar cell, written straight into memory.
 *
 * The result encoders pick a writer per column once (pd_scalar_pick) and call
 * it for every row of every chunk with no growth check: the caller has made
 * room for pd_scalar_room() bytes. value.c writes single cells with the same
 * writers, so a value reads the same in every format.
 *
 * Two styles: text (what a table or CSV shows: 42.0, 2024-01-02, bare strings)
 * and JSON (numbers bare, NaN and infinities and dates and strings quoted,
 * strings escaped). NULLs are the caller's: a writer never sees one.
 */
#ifndef PD_SCALAR_H
#define PD_SCALAR_H

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

struct pd_coltype;

typedef char *(*pd_scalar_put)(char *p, const struct pd_coltype *t, const void *data, idx_t row);

struct pd_scalar_writer {
    pd_scalar_put put;
    size_t room;   /* bytes a value can take; for a string, bytes per byte of it (then + 2) */
    int string;    /* 1: the value is a duckdb_string_t and takes room * length + 2 */
};

/* The writer of a column's values, or -1 for a type without one (nested, BLOB, INTERVAL...). */
int pd_scalar_pick(const struct pd_coltype *t, int json, struct pd_scalar_writer *w);

/* Bytes the value at row takes at most. */
static inline size_t pd_scalar_room(const struct pd_scalar_writer *w, const void *data, idx_t row)
{
    return w->string ? w->room * ((const duckdb_string_t *)data)[row].value.inlined.length + 2
                     : w->room;
}

/* A VARCHAR or BLOB value's bytes. */
static inline void pd_string_at(const void *data, idx_t row, const char **p, uint32_t *len)
{
    const duckdb_string_t *s = (const duckdb_string_t *)data + row;
    *len = s->value.inlined.length;
    *p = *len <= 12 ? s->value.inlined.inlined : s->value.pointer.ptr;
}

/* Exact decimal text of 128-bit integers. buf needs 41 bytes; returns the start. */
char *pd_fmt_i128(__int128 v, char *buf);
char *pd_fmt_u128(unsigned __int128 v, char *buf);

/* Raw pieces value.c builds other types from; each returns the end. */
char *pd_put_hms(char *p, int64_t units, int digits); /* HH:MM:SS[.frac]: 6 micros, 9 nanos; 30 bytes */
char *pd_put_2(char *p, unsigned v);                  /* two digits */

#endif
