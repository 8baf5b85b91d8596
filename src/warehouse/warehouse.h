/*
 * warehouse.h - the DuckDB warehouse: open, migrate, settings, a connection pool.
 *
 * One struct pd_warehouse per open database file. Opening applies the internal
 * schemas' migrations (each step once, in a transaction, recorded in
 * _pluto.schema_migrations). When another process holds the file, open fails with
 * PD_ELOCKED and says which pid. Connections are lent out and taken back; the pool
 * is thread-safe. This module runs no user SQL and never prints.
 */
#ifndef PD_WAREHOUSE_H
#define PD_WAREHOUSE_H

#include <duckdb.h>
#include <stdint.h>

#include "base/duck.h"

struct pd_err;
struct pd_warehouse;

struct pd_warehouse_opts {
    const char *path;         /* the .duckdb file (created when missing) */
    long threads;             /* 0: DuckDB's default (all cores) */
    const char *memory_limit; /* NULL or "auto": DuckDB's default */
};

int pd_warehouse_open(struct pd_warehouse **out, const struct pd_warehouse_opts *opts,
                      struct pd_err *err);

/* Close every pooled connection and the database (NULL is fine). Lent connections must be back. */
void pd_warehouse_close(struct pd_warehouse *wh);

/* Lend a connection. Returns 0 and *conn, or PD_EINTERNAL. */
int pd_warehouse_acquire(struct pd_warehouse *wh, duckdb_connection *conn, struct pd_err *err);

/*
 * Take a connection back. Pass reusable = 0 when its session state may be odd
 * (an open transaction, changed settings): it is then closed instead of pooled.
 */
void pd_warehouse_release(struct pd_warehouse *wh, duckdb_connection conn, int reusable);

/*
 * What the query service asks before it runs each statement (the sources: read
 * an expired cached table as cache.on_expired says; push filters to live
 * sources). The hook may refuse the statement (non-zero, err says why) or give
 * the SQL to run instead (*rewritten, heap). One per warehouse; arg must live as
 * long as the warehouse.
 */
typedef int (*pd_statement_hook)(void *arg, duckdb_connection conn, const char *sql,
                                 char **rewritten, struct pd_err *err);
void pd_warehouse_set_statement_hook(struct pd_warehouse *wh, pd_statement_hook fn, void *arg);
/* 0 with *rewritten (heap) or NULL to run sql as written; or why it may not run. */
int pd_warehouse_before_statement(struct pd_warehouse *wh, duckdb_connection conn, const char *sql,
                                  char **rewritten, struct pd_err *err);

/* The database, for code that needs connections of its own beside a lent one. */
duckdb_database pd_warehouse_db(const struct pd_warehouse *wh);

/* The database file's path. */
const char *pd_warehouse_path(const struct pd_warehouse *wh);

/* The highest migration applied. */
int pd_warehouse_schema_version(const struct pd_warehouse *wh);

/* The warehouse's journal for bookkeeping rows (see journal.h). */
struct pd_journal;
struct pd_journal *pd_warehouse_journal(struct pd_warehouse *wh);

/* DuckDB's version string ("v1.4.4"). */
const char *pd_duckdb_version(void);

/*
 * Internal queries with a small answer. pd_query_text: the first column of the
 * first row as text (heap), NULL when there is no row, the value is NULL or the
 * query fails. pd_query_count: that value as a number (0 when NULL or absent).
 * pd_query_texts: the first column of every row, appended to out.
 */
struct pd_strv;
char *pd_query_text(duckdb_connection conn, const char *sql);
int64_t pd_query_count(duckdb_connection conn, const char *sql);
void pd_query_texts(duckdb_connection conn, const char *sql, struct pd_strv *out);

#endif
