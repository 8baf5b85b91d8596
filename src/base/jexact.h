/*
 * jexact.h - jansson trees that keep every number exactly.
 *
 * jansson holds an integer only when it fits int64 and any other number as a
 * double, so a UBIGINT of 2^64-1 fails to load ("too big integer") and a
 * DECIMAL(38,10) loses digits. Result documents (query results, board
 * snapshots, agent results) carry such numbers, so they are loaded with
 * pd_json_loadb_exact: a number jansson cannot hold exactly, or one with a
 * fraction or an exponent, becomes a "number text" value that keeps the
 * digits as written; pd_json_dumps_exact writes it back as the same number.
 *
 * A number text is a jansson string beginning with the byte 0xFF, which no
 * valid UTF-8 string holds, so no string that came from JSON or from
 * json_string() can be mistaken for one. Dump trees that may hold number
 * texts with pd_json_dumps_exact, never json_dumps (which refuses them).
 */
#ifndef PD_JEXACT_H
#define PD_JEXACT_H

#include <jansson.h>
#include <stddef.h>

/* json_loadb with exact numbers (flags as jansson's; JSON_ALLOW_NUL is added). */
json_t *pd_json_loadb_exact(const char *text, size_t len, size_t flags, json_error_t *err);

/* The same for a NUL-terminated text. */
json_t *pd_json_loads_exact(const char *text, size_t flags, json_error_t *err);

/*
 * json_dumps for trees that may hold number texts: honours JSON_COMPACT,
 * JSON_INDENT(n), JSON_SORT_KEYS and JSON_REAL_PRECISION(n); any value may be
 * the top one. Returns heap text (never NULL).
 */
char *pd_json_dumps_exact(const json_t *v, size_t flags);

/*
 * A document read from the warehouse holds some documents as JSON text (a
 * string) so that their numbers stay exact: replace obj[key] (pd_json_unembed)
 * or every element of an array (pd_json_unembed_all) that is such a text by
 * its exact parse. Anything else is left as it is.
 */
void pd_json_unembed(json_t *obj, const char *key);
void pd_json_unembed_all(json_t *array);

/* A number text's digits ("123.45000"), or NULL when v is not one. */
const char *pd_json_number_text(const json_t *v);

/* A number text made from digits, which must be a valid JSON number (NULL otherwise). */
json_t *pd_json_number_text_new(const char *digits);

/* 1 for an integer, a real or a number text. */
int pd_json_is_number(const json_t *v);

/* Its value as a double (0 for anything that is not a number). */
double pd_json_number_value(const json_t *v);

/*
 * Its exact text: integers in decimal, reals as jansson writes them, number
 * texts as they are. Appended to out; nothing for a non-number.
 */
struct pd_buf;
void pd_json_number_add(struct pd_buf *out, const json_t *v);

#endif
