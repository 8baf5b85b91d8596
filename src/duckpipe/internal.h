/*
 * internal.h - what the duckpipe modules share and the public header does not show.
 */
#ifndef DP_INTERNAL_H
#define DP_INTERNAL_H

#include "duckpipe/duckpipe.h"

struct pd_hmap;

/* A value for a parameter: the run's argument, else the default, else NULL. */
const char *dp_arg_get(const struct dp_args *args, const char *name);

/*
 * Replace each :name of the declared parameters in sql by $n (lists by one $n
 * per element, an empty list by NULL; dates and timestamps wrapped in CAST),
 * appending the values to binds. Quotes and comments are
 * skipped; '::' casts and ':=' are not parameters. A :name that is not declared
 * is an error, as is a value of the wrong type. A required parameter without a
 * value sets *param_error instead (the step cannot run, but compiles).
 */
int dp_params_rewrite(const char *sql, const struct dp_param *const *decl, size_t ndecl,
                      const struct dp_args *args, struct dp_binds *binds, char **param_error,
                      struct pd_buf *out, struct pd_err *err);

/* Bind values to a prepared statement. */
int dp_params_bind(const struct dp_binds *binds, duckdb_prepared_statement stmt,
                   struct pd_err *err);
void dp_binds_clear(struct dp_binds *b);

/* Check text is a valid value of type t (0 or PD_EINVAL naming the parameter). */
int dp_param_value_check(const char *name, enum dp_ptype t, const char *text, struct pd_err *err);

/* One relation read by a statement, as DuckDB's parser saw it. */
struct dp_table_ref {
    char *catalog, *schema, *table; /* schema "" when not written */
    char *alias;
    int is_file;                     /* a file path (replacement scan or read_* function) */
};

struct dp_refs {
    struct dp_table_ref *v;
    size_t n;
    struct pd_strv ctes;
    struct pd_strv functions; /* every table function called (lower case) */
};

void dp_refs_clear(struct dp_refs *r);

/*
 * Parse each of n SQL texts with json_serialize_sql (in one query; a large
 * batch split over the cores, on connections of db when it is given) and
 * collect the relations each reads (CTE names excluded). errors[i] is set
 * (heap) for a text DuckDB cannot parse.
 */
int dp_refs_extract(duckdb_connection conn, duckdb_database db, const char *const *sqls, size_t n,
                    struct dp_refs *out, char **errors, struct pd_err *err);

/* The parse tree of one SELECT as jansson JSON (NULL + err when it does not parse). */
void *dp_parse_json(duckdb_connection conn, const char *sql, struct pd_err *err);

/*
 * The relations, CTE names and table functions of one json_serialize_sql text
 * (treescan.c), added to out; -1 with *error (heap) when DuckDB could not parse
 * the SQL or the text is not its tree.
 */
int dp_refs_from_tree(const char *text, size_t len, struct dp_refs *out, char **error);

/* 1 for a table name DuckDB resolves by a replacement scan: a path or a data file's name. */
int dp_looks_like_file(const char *name);

/* Lower-case copy. */
char *dp_lower(const char *s);

#endif
