/*
 * notices.h - what the user should be told once a statement ends ("3 values of
 * column x were not dates and were read as NULL"), said by work that runs deep
 * inside DuckDB (a remote scan, on a thread of DuckDB's) and heard by whoever
 * ran the statement. Notices are kept under the DuckDB connection id the work
 * runs for, like cancel callbacks (interrupt.h); pd_query_run takes them after
 * each statement. Thread-safe; at most PD_NOTICES_MAX are kept per connection.
 */
#ifndef PD_NOTICES_H
#define PD_NOTICES_H

#include <duckdb.h>

struct pd_strv;

#define PD_NOTICES_MAX 100

/* Keep a notice for connection conn_id (printf-style). */
void pd_notice_add(idx_t conn_id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Move the notices of conn_id, oldest first, into out. */
void pd_notices_take(idx_t conn_id, struct pd_strv *out);

#endif
