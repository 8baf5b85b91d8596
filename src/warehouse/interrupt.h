/*
 * interrupt.h - stopping a running statement, including the remote work it waits on.
 *
 * duckdb_interrupt only takes effect between two calls of a table function, so a
 * scan blocked on a remote server would never see it. Scans of remote sources
 * register a cancel callback under the DuckDB connection id they run for;
 * pd_interrupt interrupts DuckDB and calls every callback registered for that
 * connection (PQcancel, KILL QUERY, sqlite3_interrupt ...). The same record
 * tells how many rows the work has read, for progress bars. Thread-safe.
 */
#ifndef PD_INTERRUPT_H
#define PD_INTERRUPT_H

#include <duckdb.h>
#include <stdint.h>

typedef void (*pd_cancel_fn)(void *arg);

/*
 * Call fn(arg) when the statement on connection conn_id is interrupted. rows, when
 * not NULL, counts the rows the work has read so far (updated with __atomic
 * stores) for pd_activity_rows. Returns a token (never 0).
 */
uint64_t pd_cancel_register(idx_t conn_id, pd_cancel_fn fn, void *arg, const int64_t *rows);

/* Rows read so far by the registered work of connection conn_id (progress of a long read). */
int64_t pd_activity_rows(idx_t conn_id);

/* Forget a registration; when this returns, its callback is not running and will not run. */
void pd_cancel_unregister(uint64_t token);

/* duckdb_interrupt(conn), then the callbacks registered for it. */
void pd_interrupt(duckdb_connection conn);

/* The id DuckDB gives conn (what table functions see through their client context). */
idx_t pd_connection_id(duckdb_connection conn);

#endif
