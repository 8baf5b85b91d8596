/*
 * pushdown.h - a query's filters and LIMIT on live source tables, sent to the
 * remote: the rewrite the query service runs before DuckDB plans a statement.
 *
 *   select * from bank.accounts where aid = 7 limit 5
 *   -> select * from pd_source_scan('bank', 'accounts',
 *          pushdown := '[{"column":"aid","op":"=",...}]', row_limit := 5) AS accounts
 *      where aid = 7 limit 5
 *
 * Only conjuncts comparing one column with constants (= <> < <= > >= IN BETWEEN
 * IS [NOT] NULL, LIKE 'prefix%') are handed on, and the scan writes only those
 * its remote can take exactly (remote_filter.h); the WHERE stays as it was.
 */
#ifndef PD_PUSHDOWN_H
#define PD_PUSHDOWN_H

#include <duckdb.h>

struct pd_sources;

/*
 * The rewritten statement (heap), or NULL to run sql as written (it reads no
 * live source, has nothing to push, or is not one SELECT). arg: struct pd_sources.
 * Runs short queries of its own on conn (parsing, evaluating constants).
 */
char *pd_pushdown_rewrite(void *arg, duckdb_connection conn, const char *sql);

#endif
