/*
 * catalog.h - what is in the warehouse: tables and their columns, as the
 * shell's .tables/.schema and (later) the agent's list_tables/describe_table
 * see it. Internal schemas (_pluto, _sources, _duckpipe) are never listed.
 */
#ifndef PD_CATALOG_H
#define PD_CATALOG_H

struct pd_err;
struct pd_query;
struct pd_sink;

/* 1 when schema is one of the internal ones (_pluto, _sources, _duckpipe; any case). */
int pd_schema_is_internal(const char *schema);

/* Rows: schema, name, type (BASE TABLE or VIEW), ordered by schema and name. */
int pd_catalog_tables(struct pd_query *q, struct pd_sink *sink, struct pd_err *err);

/*
 * Rows: schema, table, column, type, nullable, default — for one table
 * ("t" or "schema.t"), or for all tables when table is NULL. PD_ENOTFOUND
 * when a named table does not exist.
 */
int pd_catalog_columns(struct pd_query *q, const char *table, struct pd_sink *sink,
                       struct pd_err *err);

#endif
