/*
 * config.h - settings: what keys exist, their effective values and where each came from.
 *
 * Precedence, lowest first: built-in defaults < HOME/config.yaml < the project's
 * .plutoduck file (found in the working directory or a parent) < environment
 * PLUTO_DUCK_<KEY> < command-line flags. The home itself comes from --home,
 * PLUTO_DUCK_HOME, .plutoduck's `home:` (relative to that file), or ~/.pluto-duck.
 * Invalid values fail the load with "file:line: what is expected"; unknown keys in
 * a file only warn. This module never prints: warnings are kept for the caller.
 */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <stddef.h>

struct pd_err;
struct pd_config;

/* A key=value given on the command line (--home, --set KEY=VALUE, ...). */
struct pd_config_override {
    const char *key;
    const char *value;
    const char *flag; /* how it was spelled, for "where it came from": "--home" */
};

struct pd_config_load_opts {
    const char *cwd; /* where to look for .plutoduck; NULL: the process's cwd */
    const struct pd_config_override *overrides;
    size_t n_overrides;
    int keep_on_error; /* on failure still hand back what was resolved (home, defaults) */
};

/* A known key, for listings and help. */
struct pd_config_key {
    const char *name;     /* "warehouse.threads" */
    const char *def;      /* default value as text */
    const char *expected; /* what a valid value looks like, for messages */
    const char *help;     /* one sentence */
    int secret;           /* shown as *** by config list/get */
};

/* The known keys, in display order. */
size_t pd_config_key_count(void);
const struct pd_config_key *pd_config_key_at(size_t i);

/*
 * Load the effective configuration. On success *out is owned by the caller
 * (pd_config_free). On failure *out is NULL, unless opts->keep_on_error: then it
 * holds the home and whatever was valid so far (for `doctor`).
 */
int pd_config_load(struct pd_config **out, const struct pd_config_load_opts *opts,
                   struct pd_err *err);
void pd_config_free(struct pd_config *c);

/* The resolved data home (absolute when it could be made so). */
const char *pd_config_home(const struct pd_config *c);

/* Path of HOME/config.yaml (whether or not it exists). */
const char *pd_config_file(const struct pd_config *c);

/* Effective value of key, or NULL when the key is unknown. Valid while c lives. */
const char *pd_config_get(const struct pd_config *c, const char *key);

/* Where the value came from: "default", "/h/config.yaml:7", "env PLUTO_DUCK_X", "flag --home". */
const char *pd_config_origin(const struct pd_config *c, const char *key);

/* Typed views of keys already validated at load (an unknown key is a bug). */
long pd_config_int(const struct pd_config *c, const char *key);
double pd_config_seconds(const struct pd_config *c, const char *key);

/* Warnings gathered while loading (unknown keys, ignored settings). */
size_t pd_config_warning_count(const struct pd_config *c);
const char *pd_config_warning(const struct pd_config *c, size_t i);

/* Check that value is valid for key. Returns 0, or PD_EINVAL with what is expected. */
int pd_config_check(const char *key, const char *value, struct pd_err *err);

/*
 * Set key to value in the home's config.yaml, keeping the rest of the file
 * (comments included) as it is; the file is replaced atomically. Fails with
 * PD_ENOTFOUND for an unknown key, PD_EINVAL for an invalid value.
 */
int pd_config_set(const struct pd_config *c, const char *key, const char *value,
                  struct pd_err *err);

/* Write the commented default config.yaml to path unless a file is there already. */
int pd_config_write_default(const char *path, struct pd_err *err);

#endif
