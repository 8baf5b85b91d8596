/*
 * query.c - statement execution with time limits, cancellation, row limits and
 * history (see query.h). Results stream: no result is ever held whole here.
 */
#include "query/query.h"
#include "warehouse/interrupt.h"
#include "warehouse/notices.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/strv.h"
#include "base/ticker.h"
#include "base/timeutil.h"
#include "query/csv_error.h"
#include "query/history.h"
#include "query/sqlsplit.h"
#include "warehouse/encode.h"
#include "warehouse/value.h"
#include "warehouse/journal.h"
#include "warehouse/warehouse.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PROGRESS_EVERY_S 0.25

struct pd_query {
    struct pd_warehouse *wh;
    struct pd_query_opts o;
    pthread_mutex_t mu;
    duckdb_connection conn; /* the connection in use while running, else NULL */
    int canceled, timed_out;
    struct pd_tick tick;       /* watch() while it runs, if there is anything to watch */
    double deadline, next_progress;
};

static const char *const type_names[] = {
    [DUCKDB_STATEMENT_TYPE_INVALID] = "INVALID",   [DUCKDB_STATEMENT_TYPE_SELECT] = "SELECT",
    [DUCKDB_STATEMENT_TYPE_INSERT] = "INSERT",     [DUCKDB_STATEMENT_TYPE_UPDATE] = "UPDATE",
    [DUCKDB_STATEMENT_TYPE_EXPLAIN] = "EXPLAIN",   [DUCKDB_STATEMENT_TYPE_DELETE] = "DELETE",
    [DUCKDB_STATEMENT_TYPE_PREPARE] = "PREPARE",   [DUCKDB_STATEMENT_TYPE_CREATE] = "CREATE",
    [DUCKDB_STATEMENT_TYPE_EXECUTE] = "EXECUTE",   [DUCKDB_STATEMENT_TYPE_ALTER] = "ALTER",
    [DUCKDB_STATEMENT_TYPE_TRANSACTION] = "TRANSACTION",
    [DUCKDB_STATEMENT_TYPE_COPY] = "COPY",         [DUCKDB_STATEMENT_TYPE_ANALYZE] = "ANALYZE",
    [DUCKDB_STATEMENT_TYPE_VARIABLE_SET] = "SET VARIABLE",
    [DUCKDB_STATEMENT_TYPE_CREATE_FUNC] = "CREATE FUNCTION",
    [DUCKDB_STATEMENT_TYPE_DROP] = "DROP",         [DUCKDB_STATEMENT_TYPE_EXPORT] = "EXPORT",
    [DUCKDB_STATEMENT_TYPE_PRAGMA] = "PRAGMA",     [DUCKDB_STATEMENT_TYPE_VACUUM] = "VACUUM",
    [DUCKDB_STATEMENT_TYPE_CALL] = "CALL",         [DUCKDB_STATEMENT_TYPE_SET] = "SET",
    [DUCKDB_STATEMENT_TYPE_LOAD] = "LOAD",         [DUCKDB_STATEMENT_TYPE_RELATION] = "RELATION",
    [DUCKDB_STATEMENT_TYPE_EXTENSION] = "EXTENSION",
    [DUCKDB_STATEMENT_TYPE_LOGICAL_PLAN] = "LOGICAL PLAN",
    [DUCKDB_STATEMENT_TYPE_ATTACH] = "ATTACH",     [DUCKDB_STATEMENT_TYPE_DETACH] = "DETACH",
    [DUCKDB_STATEMENT_TYPE_MULTI] = "MULTI",
};

const char *pd_statement_type_name(duckdb_statement_type t)
{
    if ((size_t)t < sizeof(type_names) / sizeof(type_names[0]) && type_names[t])
        return type_names[t];
    return "UNKNOWN";
}

int pd_statement_is_read_only(duckdb_statement_type t)
{
    return t == DUCKDB_STATEMENT_TYPE_SELECT || t == DUCKDB_STATEMENT_TYPE_EXPLAIN;
}

struct pd_query *pd_query_new(struct pd_warehouse *wh, const struct pd_query_opts *opts)
{
    struct pd_query *q = xcalloc(1, sizeof(*q));
    q->wh = wh;
    if (opts)
        q->o = *opts;
    if (q->o.origin == NULL)
        q->o.origin = "cli";
    pthread_mutex_init(&q->mu, NULL);
    return q;
}

void pd_query_free(struct pd_query *q)
{
    if (q == NULL)
        return;
    pthread_mutex_destroy(&q->mu);
    free(q);
}

void pd_query_cancel(struct pd_query *q)
{
    pthread_mutex_lock(&q->mu);
    q->canceled = 1;
    if (q->conn)
        pd_interrupt(q->conn);
    pthread_mutex_unlock(&q->mu);
}

/*
 * On the ticker's thread while the query runs: cancel, timeout, progress. The
 * progress callback is called without q->mu (it takes the job registry's lock,
 * which a cancel holds while taking q->mu); q and its connection outlive the
 * tick (pd_ticker_remove waits for it).
 */
static void watch(void *arg)
{
    struct pd_query *q = arg;
    duckdb_connection conn;
    int report = 0;
    pthread_mutex_lock(&q->mu);
    conn = q->conn;
    if (q->o.interrupt && *q->o.interrupt)
        q->canceled = 1;
    if (q->deadline && pd_mono_s() >= q->deadline && !q->canceled)
        q->timed_out = 1;
    /* Repeat the interrupt each tick: one sent between two statements is not kept. */
    if ((q->canceled || q->timed_out) && conn)
        pd_interrupt(conn);
    if (q->o.progress && conn && pd_mono_s() >= q->next_progress) {
        q->next_progress = pd_mono_s() + PROGRESS_EVERY_S;
        report = 1;
    }
    pthread_mutex_unlock(&q->mu);
    if (report) {
        duckdb_query_progress_type p = duckdb_query_progress(conn);
        if (p.percentage >= 0)
            q->o.progress(q->o.progress_arg, p.percentage, p.rows_processed,
                          p.total_rows_to_process);
    }
}

/* What to tell the user when a statement stopped: timeout and cancel beat DuckDB's words. */
static int stop_error(struct pd_query *q, const char *duck_msg, struct pd_err *err,
                      const char **status)
{
    int timed_out, canceled;
    pthread_mutex_lock(&q->mu);
    timed_out = q->timed_out;
    canceled = q->canceled;
    pthread_mutex_unlock(&q->mu);
    if (timed_out) {
        *status = "timeout";
        return pd_fail(err, PD_ETIMEOUT, "query cancelled after %g s (timeout)", q->o.timeout_s);
    }
    if (canceled) {
        *status = "cancelled";
        return pd_fail(err, PD_ECANCELED, "cancelled");
    }
    *status = "error";
    /* A view over a source whose remote table changed shape: say how to fix it. */
    if (strstr(duck_msg, "Contents of view were altered"))
        return pd_fail(err, PD_ESQL,
                       "%s\n(if the view reads a source, its remote table changed, or "
                       "sources.bad_values was set to or from text: run pluto-duck source "
                       "refresh NAME)",
                       duck_msg);
    char *located = pd_csv_error_physical_line(duck_msg); /* the line an editor shows */
    int rc = pd_fail(err, PD_ESQL, "%s", located ? located : duck_msg);
    free(located);
    return rc;
}

static int stopping(struct pd_query *q)
{
    int s;
    pthread_mutex_lock(&q->mu);
    s = q->canceled || q->timed_out || (q->o.interrupt && *q->o.interrupt);
    if (q->o.interrupt && *q->o.interrupt)
        q->canceled = 1;
    pthread_mutex_unlock(&q->mu);
    return s;
}

static void record(struct pd_query *q, const char *id, const char *sql, const char *type,
                   int64_t started_ms, double t0, int64_t rows, const char *status,
                   const char *error)
{
    struct pd_history_entry e = {
        .id = id,
        .sql = sql,
        .statement_type = type,
        .started_ms = started_ms,
        .duration_ms = (pd_mono_s() - t0) * 1000.0,
        .rows = rows,
        .status = status,
        .error = error,
        .origin = q->o.origin,
    };
    if (q->o.history)
        pd_history_record(q->o.history, &e);
    pd_log(error ? PD_LOG_WARN : PD_LOG_INFO, error ? "statement failed" : "statement done",
           "{s:s, s:s, s:s, s:f, s:I}", "query_id", id, "status", status, "statement_type",
           type ? type : "", "duration_ms", e.duration_ms, "rows", (json_int_t)rows);
}

/* Bind one JSON value to parameter i (1-based). */
static duckdb_state bind_json(duckdb_prepared_statement stmt, idx_t i, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return duckdb_bind_null(stmt, i);
    case JSON_TRUE:
    case JSON_FALSE:
        return duckdb_bind_boolean(stmt, i, json_is_true(v));
    case JSON_INTEGER:
        return duckdb_bind_int64(stmt, i, json_integer_value(v));
    case JSON_REAL:
        return duckdb_bind_double(stmt, i, json_real_value(v));
    case JSON_STRING:
        return duckdb_bind_varchar_length(stmt, i, json_string_value(v), json_string_length(v));
    default: {
        char *text = pd_json_dumps_exact(v, JSON_COMPACT);
        duckdb_state st = duckdb_bind_varchar(stmt, i, text);
        free(text);
        return st;
    }
    }
}

/* Bind q->o.params to the statement's parameters ($1.. from an array, $name from an object). */
static int bind_params(struct pd_query *q, duckdb_prepared_statement stmt, struct pd_err *err)
{
    const json_t *params = q->o.params;
    idx_t n = duckdb_nparams(stmt);
    for (idx_t i = 1; i <= n; i++) {
        const char *name = duckdb_parameter_name(stmt, i);
        const json_t *v = NULL;
        if (json_is_array(params))
            v = json_array_get(params, i - 1);
        else if (json_is_object(params) && name)
            v = json_object_get(params, name);
        if (v == NULL) {
            int rc = pd_fail(err, PD_EINVAL, "parameter $%s has no value (give it in params)",
                             name ? name : "?");
            duckdb_free((void *)name);
            return rc;
        }
        if (bind_json(stmt, i, v) == DuckDBError) {
            int rc = pd_fail(err, PD_EINVAL, "parameter $%s: cannot bind the value given",
                             name ? name : "?");
            duckdb_free((void *)name);
            return rc;
        }
        duckdb_free((void *)name);
    }
    return 0;
}

/*
 * Execute one prepared statement, streaming its result into sink (when not
 * NULL). Sets *rows. Returns 0, or an error with *status set.
 */
static int run_one(struct pd_query *q, duckdb_prepared_statement stmt, const char *stype,
                   struct pd_sink *sink, uint64_t *rows, double t0, struct pd_err *err,
                   const char **status)
{
    duckdb_pending_result pending;
    duckdb_result res;
    struct pd_result_end end = {0};
    int rc = 0;

    if (duckdb_nparams(stmt) > 0 && (rc = bind_params(q, stmt, err)) != 0) {
        *status = "error";
        return rc;
    }
    if (duckdb_pending_prepared_streaming(stmt, &pending) == DuckDBError) {
        rc = stop_error(q, duckdb_pending_error(pending), err, status);
        duckdb_destroy_pending(&pending);
        return rc;
    }
    if (duckdb_execute_pending(pending, &res) == DuckDBError) {
        rc = stop_error(q, duckdb_result_error(&res), err, status);
        duckdb_destroy_result(&res);
        duckdb_destroy_pending(&pending);
        return rc;
    }
    duckdb_destroy_pending(&pending);

    rc = pd_sink_result(sink, &res, stype, q->o.limit, t0, &end, err);
    if (rc == PD_ESQL) {
        char msg[PD_ERR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        pd_err_clear(err);
        rc = stop_error(q, msg, err, status);
    }
    if (rc && *status == NULL)
        *status = "error";
    *rows = end.rows_total;
    duckdb_destroy_result(&res);
    return rc;
}

/* Run read statement text (checked) as CREATE OR REPLACE TABLE q->o.into AS text. */
static int run_into(struct pd_query *q, duckdb_connection conn, const char *text,
                    duckdb_statement_type t, uint64_t *rows, double t0, struct pd_err *err,
                    const char **status)
{
    struct pd_buf ctas = PD_BUF_INIT;
    struct pd_sql_piece *pieces = NULL;
    duckdb_prepared_statement stmt = NULL;
    int rc;
    if (!pd_statement_is_read_only(t) || pd_sql_split(text, &pieces) != 1) {
        free(pieces);
        *status = "refused";
        return pd_fail(err, PD_EINVAL, "only a query (SELECT ...) can become a table, got %s",
                       pd_statement_type_name(t));
    }
    pd_buf_addf(&ctas, "CREATE OR REPLACE TABLE %s AS (\n", q->o.into);
    pd_buf_add(&ctas, text + pieces[0].start, pieces[0].len);
    pd_buf_adds(&ctas, "\n)");
    free(pieces);
    if (duckdb_prepare(conn, ctas.ptr, &stmt) == DuckDBError)
        rc = stop_error(q, duckdb_prepare_error(stmt), err, status);
    else
        rc = run_one(q, stmt, "CREATE", NULL, rows, t0, err, status);
    duckdb_destroy_prepare(&stmt);
    if (rc == 0) { /* the rows of the new table, not of CREATE's own result */
        pd_buf_reset(&ctas);
        pd_buf_addf(&ctas, "SELECT count(*) FROM %s", q->o.into);
        *rows = (uint64_t)pd_query_count(conn, ctas.ptr);
    }
    pd_buf_release(&ctas);
    return rc;
}

/*
 * Prepare statement i of ext (text) as the warehouse's hook makes it (filters
 * pushed to live sources; *rewritten keeps that SQL), else as written. A rewrite
 * DuckDB cannot prepare is dropped for the statement as written. Fails with the
 * hook's refusal (err) or DuckDB's (*stmt's error).
 */
static int prepare(struct pd_query *q, duckdb_connection conn, duckdb_extracted_statements ext,
                   idx_t i, const char *text, char **rewritten, duckdb_prepared_statement *stmt,
                   struct pd_err *err, const char **status)
{
    int rc = pd_warehouse_before_statement(q->wh, conn, text, rewritten, err);
    if (rc != 0) {
        *status = "refused";
        return rc;
    }
    if (*rewritten) {
        if (duckdb_prepare(conn, *rewritten, stmt) == DuckDBSuccess)
            return 0;
        pd_log(PD_LOG_WARN, "pushdown rewrite not used", "{s:s, s:s}", "sql", *rewritten, "error",
               duckdb_prepare_error(*stmt));
        duckdb_destroy_prepare(stmt);
        free(*rewritten);
        *rewritten = NULL;
    }
    if (duckdb_prepare_extracted_statement(conn, ext, i, stmt) == DuckDBError)
        return stop_error(q, duckdb_prepare_error(*stmt), err, status);
    return 0;
}

/*
 * Pass on what the statement's work left to be said (notices.h); leftovers of
 * work no query ran (a cache refresh on this pooled connection) only go to the log.
 */
static void tell(struct pd_query *q, duckdb_connection conn, int leftovers)
{
    struct pd_strv said = PD_STRV_INIT, sent = PD_STRV_INIT;
    pd_notices_take_kind(pd_connection_id(conn), PD_NOTICE_REMOTE_SQL, &sent);
    for (size_t i = 0; q->o.remote_sql && !leftovers && i < sent.n; i++)
        q->o.remote_sql(q->o.notice_arg, sent.v[i]);
    pd_strv_clear(&sent);
    pd_notices_take(pd_connection_id(conn), &said);
    for (size_t i = 0; i < said.n; i++) {
        if (q->o.notice && !leftovers)
            q->o.notice(q->o.notice_arg, said.v[i]);
        else
            pd_log(PD_LOG_WARN, "statement notice", "{s:s, s:s}", "origin",
                   q->o.origin ? q->o.origin : "", "notice", said.v[i]);
    }
    pd_strv_clear(&said);
}

int pd_query_run(struct pd_query *q, const char *sql, struct pd_sink *sink,
                 struct pd_query_stats *stats, struct pd_err *err)
{
    struct pd_query_stats local;
    duckdb_connection conn;
    duckdb_extracted_statements ext = NULL;
    struct pd_sql_piece *pieces = NULL;
    size_t n_pieces;
    idx_t n;
    int watching, reusable = 1, rc;
    double t_all = pd_mono_s();

    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    /* bookkeeping rows not committed yet (queued, or in the journal's side file) are read */
    if (strcasestr(sql, "_pluto") && pd_warehouse_journal(q->wh))
        pd_journal_flush(pd_warehouse_journal(q->wh));
    if ((rc = pd_warehouse_acquire(q->wh, &conn, err)) != 0)
        return rc;
    tell(q, conn, 1);
    pthread_mutex_lock(&q->mu);
    q->conn = conn;
    q->canceled = q->timed_out = 0;
    q->deadline = q->o.timeout_s > 0 ? pd_mono_s() + q->o.timeout_s : 0;
    q->next_progress = pd_mono_s() + PROGRESS_EVERY_S;
    pthread_mutex_unlock(&q->mu);
    watching = q->o.timeout_s > 0 || q->o.interrupt || q->o.progress;
    if (watching) {
        q->tick.fn = watch;
        q->tick.arg = q;
        pd_ticker_add(&q->tick);
    }

    n_pieces = pd_sql_split(sql, &pieces);
    n = duckdb_extract_statements(conn, sql, &ext);
    if (n == 0) {
        const char *msg = duckdb_extract_statements_error(ext);
        if (msg) {
            char id[PD_UUID_LEN + 1];
            pd_uuid7(id);
            rc = pd_fail(err, PD_ESQL, "%s", msg);
            record(q, id, sql, NULL, pd_now_ms(), pd_mono_s(), -1, "error", msg);
            snprintf(stats->last_id, sizeof(stats->last_id), "%s", id);
        } else {
            rc = pd_fail(err, PD_EINVAL,
                         "no SQL statement to run (the text is empty or only comments)");
        }
    }
    if (n > 1 && q->o.read_only)
        rc = pd_fail(err, PD_EINVAL, "only one statement is allowed here, got %llu",
                     (unsigned long long)n);
    for (idx_t i = 0; i < n && rc == 0; i++) {
        duckdb_prepared_statement stmt = NULL;
        char id[PD_UUID_LEN + 1], *rewritten = NULL;
        const char *status = NULL, *stype = NULL;
        char *text = n_pieces == n ? xstrndup(sql + pieces[i].start, pieces[i].len) : xstrdup(sql);
        int64_t started = pd_now_ms();
        double t0 = pd_mono_s();
        uint64_t rows = 0;
        struct pd_sink *to = !q->o.last_only || i + 1 == n ? sink : NULL;

        pd_uuid7(id);
        if (stopping(q)) {
            rc = stop_error(q, "", err, &status);
        } else if ((rc = prepare(q, conn, ext, i, text, &rewritten, &stmt, err, &status)) != 0) {
            /* said */
        } else {
            duckdb_statement_type t = duckdb_prepared_statement_type(stmt);
            stype = pd_statement_type_name(t);
            stats->last_type = t;
            if (t == DUCKDB_STATEMENT_TYPE_TRANSACTION || t == DUCKDB_STATEMENT_TYPE_SET ||
                t == DUCKDB_STATEMENT_TYPE_ATTACH || t == DUCKDB_STATEMENT_TYPE_DETACH ||
                t == DUCKDB_STATEMENT_TYPE_PRAGMA)
                reusable = 0;
            if (q->o.read_only && !pd_statement_is_read_only(t)) {
                rc = pd_fail(err, PD_EINVAL,
                             "only a read-only statement (SELECT, WITH ... SELECT, EXPLAIN, "
                             "DESCRIBE, SHOW) is allowed here, got %s", stype);
                status = "refused";
            } else if (q->o.check && (rc = q->o.check(q->o.check_arg, conn, text, t, err)) != 0) {
                status = "refused";
            } else if (q->o.into) {
                rc = run_into(q, conn, rewritten ? rewritten : text, t, &rows, t0, err, &status);
            } else {
                rc = run_one(q, stmt, stype, to, &rows, t0, err, &status);
            }
        }
        duckdb_destroy_prepare(&stmt);
        free(rewritten);
        tell(q, conn, 0);
        record(q, id, text, stype, started, t0, rc ? -1 : (int64_t)rows, rc ? status : "ok",
               rc ? (err && err->code ? err->msg : pd_err_name(rc)) : NULL);
        free(text);
        snprintf(stats->last_id, sizeof(stats->last_id), "%s", id);
        stats->rows = rows;
        if (rc == 0)
            stats->statements++;
    }
    duckdb_destroy_extracted(&ext);
    free(pieces);

    if (watching)
        pd_ticker_remove(&q->tick);
    pthread_mutex_lock(&q->mu);
    q->conn = NULL;
    pthread_mutex_unlock(&q->mu);
    /* A failed statement inside an explicit transaction leaves it aborted: do not pool that. */
    pd_warehouse_release(q->wh, conn, reusable && rc == 0);
    stats->elapsed_s = pd_mono_s() - t_all;
    return rc;
}

/*
 * The select list that makes a result fit Parquet without loss (*out; NULL
 * when it fits as it is). DuckDB's writer turns HUGEINT and UHUGEINT into DOUBLE
 * (digits lost), drops a TIMETZ's offset (a different instant) and fails the
 * whole file on a negative INTERVAL; so they are written as DECIMAL(38,0) (a
 * value beyond 38 digits fails the cast, with the value), the same instant in
 * UTC, and INTERVAL's text (which casts back exactly).
 */
static int parquet_columns(struct pd_query *q, const char *stmt_sql, char **out,
                           struct pd_err *err)
{
    duckdb_connection conn;
    duckdb_prepared_statement stmt = NULL;
    struct pd_buf cols = PD_BUF_INIT;
    int changed = 0, rc;
    *out = NULL;
    if ((rc = pd_warehouse_acquire(q->wh, &conn, err)) != 0)
        return rc;
    if (duckdb_prepare(conn, stmt_sql, &stmt) == DuckDBSuccess) {
        idx_t n = duckdb_prepared_statement_column_count(stmt);
        for (idx_t i = 0; i < n; i++) {
            duckdb_type t = duckdb_prepared_statement_column_type(stmt, i);
            char *name = (char *)duckdb_prepared_statement_column_name(stmt, i); /* ours to free */
            const char *pre = "", *post = "";
            if (t == DUCKDB_TYPE_HUGEINT || t == DUCKDB_TYPE_UHUGEINT)
                pre = "CAST(", post = " AS DECIMAL(38,0))";
            else if (t == DUCKDB_TYPE_TIME_TZ)
                pre = "CAST(CAST((DATE '1970-01-01' + ", post = ") AT TIME ZONE 'UTC' AS TIME) AS TIMETZ)";
            else if (t == DUCKDB_TYPE_INTERVAL)
                pre = "CAST(", post = " AS VARCHAR)";
            changed |= *pre != '\0';
            pd_buf_addf(&cols, "%s%s#%llu%s AS ", i ? ", " : "", pre, (unsigned long long)i + 1, post);
            pd_sql_ident(&cols, name ? name : "");
            duckdb_free(name);
        }
    } /* a statement that does not prepare fails in COPY, with DuckDB's message */
    duckdb_destroy_prepare(&stmt);
    pd_warehouse_release(q->wh, conn, 1);
    if (changed)
        *out = pd_buf_detach(&cols, NULL);
    pd_buf_release(&cols);
    return 0;
}

/* Replace *sql by the warehouse hook's rewrite of it, if any; or why it may not run. */
static int rewrite_query(struct pd_query *q, char **sql, struct pd_err *err)
{
    duckdb_connection conn;
    char *rewritten;
    int rc;

    if ((rc = pd_warehouse_acquire(q->wh, &conn, err)) != 0)
        return rc;
    rc = pd_warehouse_before_statement(q->wh, conn, *sql, &rewritten, err);
    pd_warehouse_release(q->wh, conn, 1);
    if (rewritten) {
        free(*sql);
        *sql = rewritten;
    }
    return rc;
}

int pd_query_export(struct pd_query *q, const char *sql, const char *path, uint64_t *rows,
                    struct pd_err *err)
{
    static const struct {
        const char *ext, *options;
    } formats[] = {
        {".parquet", "FORMAT parquet"}, {".csv", "FORMAT csv, HEADER true"},
        {".json", "FORMAT json, ARRAY true"}, {".jsonl", "FORMAT json"},
        {".ndjson", "FORMAT json"},
    };
    const char *ext = strrchr(path, '.'), *options = NULL;
    struct pd_sql_piece *pieces;
    struct pd_query_stats stats;
    struct pd_buf copy = PD_BUF_INIT;
    char *stmt, *columns = NULL;
    size_t n;
    int rc;

    for (size_t i = 0; ext && i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcasecmp(ext, formats[i].ext) == 0)
            options = formats[i].options;
    if (options == NULL)
        return pd_fail(err, PD_EINVAL,
                       "cannot tell the format of '%s': use a .parquet, .csv, .json or .jsonl file",
                       path);
    n = pd_sql_split(sql, &pieces);
    if (n != 1) {
        free(pieces);
        return pd_fail(err, PD_EINVAL, n ? "--output takes exactly one statement, got %zu"
                                         : "no SQL statement to run (the text is empty or only comments)",
                       n);
    }
    stmt = xstrndup(sql + pieces[0].start, pieces[0].len);
    free(pieces);
    rc = rewrite_query(q, &stmt, err); /* COPY's query is checked and pushed as a query's */
    if (rc == 0)
        rc = strcasecmp(ext, ".parquet") == 0 ? parquet_columns(q, stmt, &columns, err) : 0;
    if (rc == 0) {
        /* written aside and renamed: a failure half-way leaves no file, or the old one
           (a device or pipe is written as it is) */
        struct stat st;
        int aside = stat(path, &st) != 0 || S_ISREG(st.st_mode);
        char *partial = aside ? xasprintf("%s.partial", path) : xstrdup(path);
        if (columns)
            pd_buf_addf(&copy, "COPY (SELECT %s FROM (\n%s\n) AS pd_result) TO ", columns, stmt);
        else
            pd_buf_addf(&copy, "COPY (\n%s\n) TO ", stmt);
        pd_sql_literal(&copy, partial);
        pd_buf_addf(&copy, " (%s)", options);
        rc = pd_query_run(q, copy.ptr, NULL, &stats, err);
        *rows = stats.rows;
        if (aside && rc == 0 && rename(partial, path) != 0)
            rc = pd_fail(err, PD_EIO, "cannot write '%s': %s", path, strerror(errno));
        if (aside && rc != 0)
            unlink(partial);
        free(partial);
        if (rc && columns && err && strstr(err->msg, "to DECIMAL(38,0)")) {
            pd_err_clear(err);
            rc = pd_fail(err, PD_EINVAL,
                         "a HUGEINT or UHUGEINT value has more than 38 digits, the most a Parquet "
                         "decimal holds: cast the column to VARCHAR to write it as text");
        }
    }
    free(columns);
    free(stmt);
    pd_buf_release(&copy);
    return rc;
}
