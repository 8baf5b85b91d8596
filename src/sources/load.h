/*
 * load.h - running one long statement that reads a source (cache, ingest),
 * with progress and cancellation.
 *
 * The statement runs on the calling thread; a watcher thread reports the rows
 * read so far (the remote scans count them, see warehouse/interrupt.h) and
 * interrupts it, remote work included, when *interrupted becomes set.
 */
#ifndef PD_LOAD_H
#define PD_LOAD_H

#include <duckdb.h>
#include <signal.h>
#include <stdint.h>

struct pd_err;

/* Called about four times a second: rows read so far, total expected (-1: unknown). */
typedef void (*pd_progress_fn)(const char *label, int64_t rows, int64_t total, double elapsed_s);

struct pd_load_opts {
    const char *label;                   /* shown with the progress ("sales.orders") */
    int64_t expected_rows;               /* -1 when unknown */
    pd_progress_fn progress;             /* NULL: none */
    volatile sig_atomic_t *interrupted;  /* NULL: not interruptible */
};

/* Run sql (no result wanted) on conn. PD_ECANCELED when interrupted, PD_ESQL with DuckDB's words. */
int pd_load_exec(duckdb_connection conn, const char *sql, const struct pd_load_opts *o,
                 struct pd_err *err);

/*
 * The same for several statements as one transaction: BEGIN; sql COMMIT. On
 * failure it rolls back, so the warehouse is as it was.
 */
int pd_load_atomic(duckdb_connection conn, const char *sql, const struct pd_load_opts *o,
                   struct pd_err *err);

#endif
