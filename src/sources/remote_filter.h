/*
 * remote_filter.h - a query's filters on one live source table, as the remote's
 * own SQL.
 *
 * The rewrite of a query (pushdown.h) hands pd_source_scan its WHERE's simple
 * conjuncts as a JSON array, one item per conjunct:
 *
 *   {"column": "aid", "op": "=", "family": "number", "values": ["777777"]}
 *
 * op: = <> < <= > >= between in like "is null" "is not null"; family: the
 * column's kind of value as the query saw it (pd_filter_family); values: the
 * constants as DuckDB would compare them, in text (numbers as written, dates
 * 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]', with time zone in UTC).
 */
#ifndef PD_REMOTE_FILTER_H
#define PD_REMOTE_FILTER_H

#include "sources/connector.h"

struct pd_buf;

/* "number", "text", "date", "timestamp", "timestamptz", "boolean", "uuid", or "". */
const char *pd_filter_family(duckdb_type t);

/*
 * Append to where the items of spec (may be NULL) that rel's remote can take
 * exactly, ANDed; *all says whether every item was. Returns how many were.
 */
int pd_remote_filter(const struct pd_connector *c, const struct pd_relation *rel,
                     const char *spec, struct pd_buf *where, int *all);

#endif
