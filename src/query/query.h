/*
 * query.h - running SQL against the warehouse: the service behind `sql`, the
 * shell, the API's /query and the agent's run_sql.
 *
 * A struct pd_query runs one SQL text (one or many statements) on a pooled
 * connection and pushes each result through a sink as data chunks. It enforces
 * a time limit with duckdb_interrupt, can be cancelled from any thread (or by a
 * flag a signal handler sets), keeps the first `limit` rows of a result while
 * still counting the rest, and records every statement in the history.
 */
#ifndef PD_QUERY_H
#define PD_QUERY_H

#include <duckdb.h>
#include <signal.h>
#include <stdint.h>

struct pd_err;
struct pd_history;
struct pd_sink;
struct pd_warehouse;

struct pd_query_opts {
    double timeout_s;   /* 0: no limit */
    uint64_t limit;     /* rows of each result passed to the sink; 0: all */
    int last_only;      /* pass only the last statement's result to the sink */
    const volatile sig_atomic_t *interrupt; /* when it turns non-zero the query is cancelled */
    struct pd_history *history;             /* NULL: do not record */
    const char *origin;                     /* recorded with each statement ("cli") */
    /* Values for $1.. (a JSON array) or $name (an object), bound to statements that have
       parameters; NULL: none. Borrowed. */
    const struct json_t *params;
    /* Called about every 250 ms while a statement runs, with DuckDB's estimate (0..100). */
    void (*progress)(void *arg, double percent, uint64_t rows_done, uint64_t rows_total);
    void *progress_arg;
    /* Allow one statement only, and only a read (SELECT, WITH ... SELECT, EXPLAIN,
       DESCRIBE, SHOW), told by DuckDB's statement type; anything else is refused
       before it runs (PD_EINVAL). */
    int read_only;
    /* Called before each statement runs, with its text and type, on the connection
       that will run it; a non-zero return refuses it (err says why). NULL: none. */
    int (*check)(void *arg, duckdb_connection conn, const char *sql, duckdb_statement_type type,
                 struct pd_err *err);
    void *check_arg;
    /* The result of the one read statement becomes this table (already quoted,
       "schema"."name"), replacing it: CREATE OR REPLACE TABLE into AS the
       statement. read_only and check apply to the statement as written. NULL: none. */
    const char *into;
    /* Called after a statement with each notice its work left (values a remote source
       could not give as their type ...; warehouse/notices.h). NULL: they are logged. */
    void (*notice)(void *arg, const char *text);
    /* Called after a statement with each statement a remote source was sent for it
       ("bank.accounts: SELECT ... WHERE ..."), with notice_arg. NULL: not told. */
    void (*remote_sql)(void *arg, const char *text);
    void *notice_arg;
};

struct pd_query_stats {
    int statements;       /* statements executed */
    uint64_t rows;        /* rows of the last statement (produced or changed) */
    double elapsed_s;
    char last_id[40];     /* history id of the last statement */
    duckdb_statement_type last_type;
};

struct pd_query;

/* A runner over wh (borrowed) with opts (copied). */
struct pd_query *pd_query_new(struct pd_warehouse *wh, const struct pd_query_opts *opts);
void pd_query_free(struct pd_query *q);

/*
 * Run sql. Errors: PD_EINVAL when sql holds no statement, PD_ESQL with DuckDB's
 * message (and position) for a failing statement, PD_ETIMEOUT ("query cancelled
 * after N s (timeout)"), PD_ECANCELED, or what the sink returns. Statements
 * before a failing one stay done (as in any SQL shell). stats may be NULL.
 */
int pd_query_run(struct pd_query *q, const char *sql, struct pd_sink *sink,
                 struct pd_query_stats *stats, struct pd_err *err);

/*
 * Run one read statement and write its whole result to path with DuckDB's COPY;
 * the format comes from the extension (.parquet, .csv, .json as one array,
 * .jsonl/.ndjson as lines). *rows gets the number of rows written. Fails with
 * PD_EINVAL for several statements or an unknown extension.
 */
int pd_query_export(struct pd_query *q, const char *sql, const char *path, uint64_t *rows,
                    struct pd_err *err);

/* Cancel the running statement, if any, and skip the rest. Safe from any thread. */
void pd_query_cancel(struct pd_query *q);

/* "SELECT", "INSERT", ... for a statement type. */
const char *pd_statement_type_name(duckdb_statement_type t);

/* 1 for statement types that only read: SELECT, EXPLAIN, PRAGMA-free reads (see .c). */
int pd_statement_is_read_only(duckdb_statement_type t);

#endif
