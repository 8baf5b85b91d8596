/*
 * json.h - the small pieces of JSON writing used on hot paths (result encoders,
 * log lines) where building a jansson tree per value would cost too much.
 * DOM work (requests, config, events) uses jansson directly.
 */
#ifndef PD_JSON_H
#define PD_JSON_H

#include <stddef.h>

struct pd_buf;

/*
 * Append s[0..n) as a quoted JSON string. Control characters, quotes and
 * backslashes are escaped; invalid UTF-8 bytes become U+FFFD so the output is
 * always valid JSON.
 */
void pd_json_add_string(struct pd_buf *out, const char *s, size_t n);

/* The same written at o, which has room for 6 * n + 2 bytes; returns the end. */
char *pd_json_put_string(char *o, const char *s, size_t n);

/* The length of the longest prefix of s[0..n) that is valid UTF-8 (n: all of it). */
size_t pd_utf8_valid_prefix(const char *s, size_t n);

/* Append the NUL-terminated s as a JSON string, or null when s is NULL. */
void pd_json_add_nullable(struct pd_buf *out, const char *s);

#endif
