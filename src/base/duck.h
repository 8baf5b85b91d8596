/*
 * duck.h - small DuckDB helpers every layer uses: run internal DDL, quote names
 * and literals for generated SQL, read text out of a chunk. Nothing here runs
 * user input; nothing prints.
 */
#ifndef PD_DUCK_H
#define PD_DUCK_H

#include <duckdb.h>

struct pd_buf;
struct pd_err;

/*
 * Run one SQL text with no result wanted (internal DDL). Returns 0 or PD_ESQL with
 * DuckDB's message. For generated statements only: never user input.
 */
int pd_exec(duckdb_connection conn, const char *sql, struct pd_err *err);

/*
 * Run one internal statement with vals bound as $1.. (NULL binds NULL): user
 * text goes in as values, never into the SQL. res may be NULL; when set, the
 * caller destroys it on success. Errors are PD_EINTERNAL with DuckDB's message.
 */
int pd_exec_params(duckdb_connection conn, const char *sql, const char *const *vals, int n,
                   duckdb_result *res, struct pd_err *err);

/* The first value of the first row of such a statement as text (heap), or NULL. */
char *pd_query_value_params(duckdb_connection conn, const char *sql, const char *const *vals,
                            int n, int *rc, struct pd_err *err);

/* Append s as a quoted SQL identifier ("a""b") or string literal ('it''s'). */
void pd_sql_ident(struct pd_buf *out, const char *s);
void pd_sql_literal(struct pd_buf *out, const char *s);

/* Column col of row in a chunk of VARCHARs as text (heap), NULL for a NULL. */
char *pd_chunk_text(duckdb_data_chunk chunk, idx_t col, idx_t row);

/*
 * Check a name of a source, table, analysis or board: ^[A-Za-z_][A-Za-z0-9_]{0,62}$.
 * 0, or PD_EINVAL saying "invalid WHAT name 'NAME': ...".
 */
int pd_name_check(const char *what, const char *name, struct pd_err *err);

#endif
