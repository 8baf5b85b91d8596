/*
 * sqltree.h - a statement as DuckDB's parse tree (json_serialize_sql), changed
 * as JSON and turned back into SQL (json_deserialize_sql), both built into
 * DuckDB and run on the caller's connection. Only a single SELECT has a tree.
 */
#ifndef PD_SQLTREE_H
#define PD_SQLTREE_H

#include <duckdb.h>
#include <jansson.h>

/* The tree of sql when it is one SELECT statement, or NULL. */
json_t *pd_sqltree_parse(duckdb_connection conn, const char *sql);

/* The SQL of a tree (heap), or NULL when DuckDB cannot write it. */
char *pd_sqltree_sql(duckdb_connection conn, const json_t *tree);

#endif
