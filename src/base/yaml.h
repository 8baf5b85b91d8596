/*
 * yaml.h - reading YAML files (libfyaml) with errors that point at file:line.
 */
#ifndef PD_YAML_H
#define PD_YAML_H

struct pd_err;

/*
 * Called for each leaf of the mapping tree: key is the dotted path ("log.level"),
 * value the scalar text (NULL when the leaf is a sequence or an empty mapping),
 * line the 1-based line of the value. Return 0 to go on, or an error code to stop.
 */
typedef int (*pd_yaml_leaf_fn)(void *ctx, const char *key, const char *value, int line,
                               struct pd_err *err);

/*
 * Parse the YAML file at path and call fn for each leaf. label names the file
 * in messages ("config.yaml"). An empty file has no leaves. Syntax errors fail
 * with PD_ECONFIG and "LABEL:LINE: what is wrong"; a missing file with PD_ENOTFOUND.
 */
int pd_yaml_walk_file(const char *path, const char *label, pd_yaml_leaf_fn fn, void *ctx,
                      struct pd_err *err);

/* The same for YAML text in memory. */
int pd_yaml_walk_string(const char *text, const char *label, pd_yaml_leaf_fn fn, void *ctx,
                        struct pd_err *err);

/*
 * Append value to out as a YAML scalar: plain when that reads back as the same
 * string, double-quoted with escapes otherwise.
 */
struct pd_buf;
void pd_yaml_quote(struct pd_buf *out, const char *value);

/*
 * Load a whole YAML file as JSON (mappings -> objects, sequences -> arrays,
 * scalars -> strings, empty -> null). NULL with PD_ENOTFOUND or PD_ECONFIG
 * ("LABEL:LINE: what is wrong"). For documents with lists, such as recipes.
 */
#include <jansson.h>
json_t *pd_yaml_load_json(const char *path, const char *label, struct pd_err *err);

/* The same for YAML text in memory. */
json_t *pd_yaml_load_json_string(const char *text, const char *label, struct pd_err *err);

/*
 * The same for the flat YAML Pluto Duck writes (yaml_simple.c), read without
 * libfyaml; NULL for any other text (pd_yaml_load_json_string tries this first).
 */
json_t *pd_yaml_load_simple(const char *text);

/* The same through libfyaml only (the fuzz target compares the two readers). */
json_t *pd_yaml_load_libfyaml(const char *text, const char *label, struct pd_err *err);

#endif
