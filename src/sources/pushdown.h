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
#include <jansson.h>

struct pd_sources;

/*
 * Rewrite tree (a SELECT's, sqltree.h) in place: each live view with something
 * to push becomes its scan. Returns 1 when it changed anything. Runs short
 * queries of its own on conn (evaluating constants, reading the catalog).
 */
int pd_pushdown_apply(struct pd_sources *S, duckdb_connection conn, json_t *tree);

#endif
