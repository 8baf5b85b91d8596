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

/*
 * What a notice is: a warning for the user, or a statement a remote source was
 * sent on the statement's behalf (`sql --explain-remote` shows them).
 */
enum pd_notice_kind { PD_NOTICE_WARNING, PD_NOTICE_REMOTE_SQL };

/* Keep a warning for connection conn_id (printf-style). */
void pd_notice_add(idx_t conn_id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep a notice of kind for connection conn_id. */
void pd_notice_add_kind(idx_t conn_id, enum pd_notice_kind kind, const char *text);

/* Move the notices of kind for conn_id, oldest first, into out. */
void pd_notices_take_kind(idx_t conn_id, enum pd_notice_kind kind, struct pd_strv *out);

/* Move the warnings of conn_id, oldest first, into out. */
void pd_notices_take(idx_t conn_id, struct pd_strv *out);

#endif
