/*
 * run.c - executing a plan: each step materialized in its own transaction
 * together with its run_history row and run_state, so a failed step leaves the
 * warehouse as it was (and is then recorded as failed in a transaction of its
 * own). A watcher thread interrupts the running statement on timeout or cancel.
 */
#include "duckpipe/internal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/path.h"
#include "base/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------- watching for timeout and cancel ---------- */

struct watch {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const struct dp_env *env;
    double deadline; /* pd_mono_s() time, 0: none */
    int stop;
    int fired;       /* PD_ETIMEOUT or PD_ECANCELED once the statement was interrupted */
};

static void *watch_main(void *arg)
{
    struct watch *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec ts = pd_abstime_in_ms(50);
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        if (w->stop || w->fired)
            continue;
        int cancel = w->env->cancel && *w->env->cancel;
        int late = w->deadline > 0 && pd_mono_s() > w->deadline;
        if (cancel || late) {
            w->fired = cancel ? PD_ECANCELED : PD_ETIMEOUT;
            if (w->env->interrupt)
                w->env->interrupt(w->env->conn);
            else
                duckdb_interrupt(w->env->conn);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void watch_start(struct watch *w, const struct dp_env *env)
{
    memset(w, 0, sizeof(*w));
    w->env = env;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_create(&w->thread, NULL, watch_main, w);
}

static void watch_arm(struct watch *w, double timeout_s)
{
    pthread_mutex_lock(&w->mu);
    w->deadline = timeout_s > 0 ? pd_mono_s() + timeout_s : 0;
    w->fired = 0;
    pthread_mutex_unlock(&w->mu);
}

static int watch_fired(struct watch *w)
{
    pthread_mutex_lock(&w->mu);
    int f = w->fired;
    w->deadline = 0;
    pthread_mutex_unlock(&w->mu);
    return f;
}

static void watch_stop(struct watch *w)
{
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

/* ---------- statements ---------- */

/* Run sql with binds; *rows gets the rows changed (when asked). */
static int exec_bound(duckdb_connection conn, const char *sql, const struct dp_binds *binds,
                      int64_t *rows, struct pd_err *err)
{
    duckdb_prepared_statement stmt;
    duckdb_result res;
    int rc = 0;

    if (duckdb_prepare(conn, sql, &stmt) == DuckDBError) {
        rc = pd_fail(err, PD_ESQL, "%s", duckdb_prepare_error(stmt));
        duckdb_destroy_prepare(&stmt);
        return rc;
    }
    if (binds && (rc = dp_params_bind(binds, stmt, err)) != 0) {
        duckdb_destroy_prepare(&stmt);
        return rc;
    }
    if (duckdb_execute_prepared(stmt, &res) == DuckDBError) {
        rc = pd_fail(err, PD_ESQL, "%s", duckdb_result_error(&res));
    } else if (rows && duckdb_result_return_type(res) != DUCKDB_RESULT_TYPE_QUERY_RESULT &&
               duckdb_column_count(&res) == 1 && duckdb_column_type(&res, 0) == DUCKDB_TYPE_BIGINT) {
        /* INSERT and COPY report changed rows, CREATE TABLE AS a Count column */
        duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
        *rows = 0;
        if (chunk) {
            *rows = ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0)))[0];
            duckdb_destroy_data_chunk(&chunk);
        }
    }
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&stmt);
    return rc;
}

static void qualified(struct pd_buf *b, const char *schema, const char *name)
{
    pd_sql_ident(b, schema);
    pd_buf_addc(b, '.');
    pd_sql_ident(b, name);
}

/* What schema.name is now: 0 nothing, 1 a table, 2 a view. A table is found by name (no scan of the catalog). */
static int existing_kind(duckdb_connection conn, const char *schema, const char *name)
{
    duckdb_prepared_statement stmt;
    duckdb_result res;
    duckdb_table_description table = NULL;
    int kind = 0;
    if (duckdb_table_description_create_ext(conn, NULL, schema, name, &table) == DuckDBSuccess)
        kind = 1;
    duckdb_table_description_destroy(&table);
    if (kind)
        return kind;
    if (duckdb_prepare(conn,
                       "SELECT 2 FROM duckdb_views() WHERE database_name = current_database() "
                       "AND schema_name ILIKE $1 AND view_name ILIKE $2",
                       &stmt) == DuckDBSuccess) {
        duckdb_bind_varchar(stmt, 1, schema);
        duckdb_bind_varchar(stmt, 2, name);
        if (duckdb_execute_prepared(stmt, &res) == DuckDBSuccess) {
            duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
            if (chunk) {
                if (duckdb_data_chunk_get_size(chunk) > 0)
                    kind = ((int32_t *)duckdb_vector_get_data(
                        duckdb_data_chunk_get_vector(chunk, 0)))[0];
                duckdb_destroy_data_chunk(&chunk);
            }
        }
        duckdb_destroy_result(&res);
    }
    duckdb_destroy_prepare(&stmt);
    return kind;
}

static int drop_existing(duckdb_connection conn, const char *schema, const char *name,
                         struct pd_err *err)
{
    int kind = existing_kind(conn, schema, name);
    if (!kind)
        return 0;
    struct pd_buf b = PD_BUF_INIT;
    pd_buf_adds(&b, kind == 2 ? "DROP VIEW " : "DROP TABLE ");
    qualified(&b, schema, name);
    int rc = pd_exec(conn, b.ptr, err);
    pd_buf_release(&b);
    return rc;
}

/* Build schema.name from sql aside, then swap it in. */
static int build_table(duckdb_connection conn, const char *schema, const char *name,
                       const char *sql, const struct dp_binds *binds, int64_t *rows,
                       struct pd_err *err)
{
    char *aside = xasprintf("__dp_new_%s", name);
    struct pd_buf b = PD_BUF_INIT;
    int rc;

    pd_buf_adds(&b, "CREATE OR REPLACE TABLE ");
    qualified(&b, schema, aside);
    pd_buf_addf(&b, " AS\n%s", sql);
    rc = exec_bound(conn, b.ptr, binds, rows, err);
    if (!rc)
        rc = drop_existing(conn, schema, name, err);
    if (!rc) {
        pd_buf_reset(&b);
        pd_buf_adds(&b, "ALTER TABLE ");
        qualified(&b, schema, aside);
        pd_buf_adds(&b, " RENAME TO ");
        pd_sql_ident(&b, name);
        rc = pd_exec(conn, b.ptr, err);
    }
    pd_buf_release(&b);
    free(aside);
    return rc;
}

static int run_incremental(duckdb_connection conn, const char *schema, const struct dp_step *s,
                           int64_t *rows, struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT;
    int rc;

    pd_buf_addf(&b, "CREATE OR REPLACE TEMP TABLE \"__dp_inc\" AS\n%s", s->sql_incremental);
    rc = exec_bound(conn, b.ptr, &s->binds_inc, NULL, err);
    if (!rc) {
        pd_buf_reset(&b);
        pd_buf_adds(&b, "DELETE FROM ");
        qualified(&b, schema, s->a->id);
        pd_buf_adds(&b, " AS t USING \"__dp_inc\" AS n WHERE ");
        const char *k = s->a->unique_key;
        int first = 1;
        while (*k) {
            const char *comma = strchr(k, ',');
            size_t len = comma ? (size_t)(comma - k) : strlen(k);
            while (len && (*k == ' ')) {
                k++;
                len--;
            }
            while (len && k[len - 1] == ' ')
                len--;
            char *col = xstrndup(k, len);
            pd_buf_adds(&b, first ? "" : " AND ");
            pd_buf_adds(&b, "t.");
            pd_sql_ident(&b, col);
            pd_buf_adds(&b, " IS NOT DISTINCT FROM n.");
            pd_sql_ident(&b, col);
            free(col);
            first = 0;
            k = comma ? comma + 1 : k + strlen(k);
        }
        rc = pd_exec(conn, b.ptr, err);
    }
    if (!rc) {
        pd_buf_reset(&b);
        pd_buf_adds(&b, "INSERT INTO ");
        qualified(&b, schema, s->a->id);
        pd_buf_adds(&b, " BY NAME SELECT * FROM \"__dp_inc\"");
        rc = exec_bound(conn, b.ptr, NULL, rows, err);
    }
    pd_exec(conn, "DROP TABLE IF EXISTS temp.\"__dp_inc\"", NULL);
    pd_buf_release(&b);
    return rc;
}

/* parquet: write the file aside (renamed after commit), and a view over it. */
static int run_parquet(duckdb_connection conn, const char *schema, const struct dp_step *s,
                       const char *tmp_path, const char *abs_path, int64_t *rows,
                       struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT;
    int rc;
    char *dir = pd_path_dirname(abs_path);
    if (access(dir, W_OK) != 0) {
        rc = pd_fail(err, PD_EIO, "cannot write %s: %s", s->a->path, strerror(errno));
        free(dir);
        return rc;
    }
    free(dir);
    pd_buf_addf(&b, "COPY (\n%s\n) TO ", s->sql);
    pd_sql_literal(&b, tmp_path);
    pd_buf_adds(&b, " (FORMAT parquet)");
    rc = exec_bound(conn, b.ptr, &s->binds, rows, err);
    if (!rc)
        rc = drop_existing(conn, schema, s->a->id, err);
    if (!rc) {
        pd_buf_reset(&b);
        pd_buf_adds(&b, "CREATE VIEW ");
        qualified(&b, schema, s->a->id);
        pd_buf_adds(&b, " AS SELECT * FROM read_parquet(");
        pd_sql_literal(&b, abs_path);
        pd_buf_adds(&b, ")");
        /* the view is bound when created, so the file must be in place first */
        if (rename(tmp_path, abs_path) != 0)
            rc = pd_fail(err, PD_EIO, "cannot write %s: %s", abs_path, strerror(errno));
        if (!rc)
            rc = pd_exec(conn, b.ptr, err);
    }
    pd_buf_release(&b);
    return rc;
}

/*
 * A parquet analysis's path: a relative one is in the folder of the analysis
 * files (where sql_file is read too), whoever runs it and from wherever.
 */
static char *output_path(const struct dp_project *p, const char *path)
{
    if (path[0] == '/' || p->dir == NULL)
        return xstrdup(path);
    return pd_path_join(p->dir, path);
}

static int materialize(const struct dp_plan *plan, const struct dp_step *s, duckdb_connection conn,
                       const char *parquet_tmp, const char *parquet_abs, int64_t *rows,
                       struct pd_err *err)
{
    const char *schema = s->a->schema ? s->a->schema : plan->project->schema;
    struct pd_buf b = PD_BUF_INIT;
    int rc = 0, kind;

    *rows = -1;
    switch (s->a->materialize) {
    case DP_VIEW:
        if ((rc = drop_existing(conn, schema, s->a->id, err)) != 0)
            break;
        pd_buf_adds(&b, "CREATE VIEW ");
        qualified(&b, schema, s->a->id);
        pd_buf_addf(&b, " AS\n%s", s->sql);
        rc = exec_bound(conn, b.ptr, NULL, NULL, err);
        break;
    case DP_TABLE:
        rc = build_table(conn, schema, s->a->id, s->sql, &s->binds, rows, err);
        break;
    case DP_APPEND:
        kind = existing_kind(conn, schema, s->a->id);
        if (kind != 1) {
            rc = build_table(conn, schema, s->a->id, s->sql, &s->binds, rows, err);
            break;
        }
        pd_buf_adds(&b, "INSERT INTO ");
        qualified(&b, schema, s->a->id);
        pd_buf_addf(&b, " BY NAME\n%s", s->sql);
        rc = exec_bound(conn, b.ptr, &s->binds, rows, err);
        break;
    case DP_INCREMENTAL:
        kind = existing_kind(conn, schema, s->a->id);
        if (kind != 1 || plan->full_refresh)
            rc = build_table(conn, schema, s->a->id, s->sql, &s->binds, rows, err);
        else
            rc = run_incremental(conn, schema, s, rows, err);
        break;
    case DP_PARQUET:
        rc = run_parquet(conn, schema, s, parquet_tmp, parquet_abs, rows, err);
        break;
    case DP_EPHEMERAL:
        break;
    }
    pd_buf_release(&b);
    return rc;
}

/* ---------- recording ---------- */

static const char *const status_names[] = {"pending", "ok", "failed", "skipped", "cancelled"};

/* The run's bookkeeping statements, each prepared once per run (at first use). */
enum { REC_HISTORY, REC_UPDATE_OK, REC_UPDATE_FAILED, REC_INSERT_OK, REC_INSERT_FAILED, REC_COUNT };

struct recorder {
    duckdb_connection conn;
    duckdb_prepared_statement stmt[REC_COUNT];
};

static void recorder_close(struct recorder *rec)
{
    for (int i = 0; i < REC_COUNT; i++)
        if (rec->stmt[i])
            duckdb_destroy_prepare(&rec->stmt[i]);
}

/*
 * Run statement which (sql), binding values (NULL pointers bind NULL; 'n' in
 * kinds: an int64, 'N' one or NULL when < 0); *changed (when given) gets the
 * rows it changed.
 */
static int exec_values(struct recorder *rec, int which, const char *sql, const char *const *texts,
                       const int64_t *nums, const char *kinds, int64_t *changed,
                       struct pd_err *err)
{
    duckdb_prepared_statement stmt = rec->stmt[which];
    duckdb_result res;
    int rc = 0;
    if (stmt == NULL) {
        if (duckdb_prepare(rec->conn, sql, &stmt) == DuckDBError) {
            rc = pd_fail(err, PD_EINTERNAL, "recording the run: %s", duckdb_prepare_error(stmt));
            duckdb_destroy_prepare(&stmt);
            return rc;
        }
        rec->stmt[which] = stmt;
    }
    duckdb_clear_bindings(stmt);
    for (idx_t i = 0; kinds[i]; i++) {
        if (kinds[i] == 'n')
            duckdb_bind_int64(stmt, i + 1, nums[i]);
        else if (kinds[i] == 'N' && nums[i] < 0)
            duckdb_bind_null(stmt, i + 1);
        else if (kinds[i] == 'N')
            duckdb_bind_int64(stmt, i + 1, nums[i]);
        else if (texts[i])
            duckdb_bind_varchar(stmt, i + 1, texts[i]);
        else
            duckdb_bind_null(stmt, i + 1);
    }
    if (duckdb_execute_prepared(stmt, &res) == DuckDBError)
        rc = pd_fail(err, PD_EINTERNAL, "recording the run: %s", duckdb_result_error(&res));
    else if (changed)
        *changed = (int64_t)duckdb_rows_changed(&res);
    duckdb_destroy_result(&res);
    return rc;
}

static int record(struct recorder *rec, const struct dp_plan *plan, const char *run_id,
                  const struct dp_step *s, const struct dp_step_result *r, int64_t started_ms,
                  int64_t finished_ms, struct pd_err *err)
{
    const char *status = status_names[r->status];
    char duration[32];
    int ok = r->status == DP_S_OK, rc;

    snprintf(duration, sizeof(duration), "%.3f", r->seconds * 1000.0);
    {
        const char *t[] = {run_id, plan->project->name, s->a->id, NULL, NULL, status, NULL,
                           r->error, duration, plan->args_json ? plan->args_json : "{}", r->reason};
        const int64_t n[] = {0, 0, 0, started_ms, finished_ms, 0, r->rows, 0, 0, 0, 0};
        rc = exec_values(rec, REC_HISTORY,
                         "INSERT INTO _duckpipe.run_history (run_id, project, analysis, started_at, "
                         "finished_at, status, rows, error, duration_ms, params, reason) VALUES "
                         "($1, $2, $3, to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0), $6, $7, "
                         "$8, $9::DOUBLE, $10, $11)",
                         t, n, "sssnnsNssss", NULL, err);
    }
    if (rc || r->status == DP_S_SKIPPED)
        return rc; /* a skipped step keeps its state */
    {
        /* an UPDATE, then an INSERT for a first run: DuckDB's ON CONFLICT DO UPDATE took ms */
        const char *t[] = {plan->project->name, s->a->id, run_id, status, NULL,
                           ok ? NULL : r->error, ok ? s->hash : NULL, NULL};
        const int64_t n[] = {0, 0, 0, 0, finished_ms, 0, 0, r->rows};
        int64_t changed = 0;
        rc = ok ? exec_values(rec, REC_UPDATE_OK,
                              "UPDATE _duckpipe.run_state SET last_run_id = $3, last_status = $4, "
                              "last_success_at = to_timestamp($5 / 1000.0), last_error = $6, "
                              "success_hash = $7, rows = $8 WHERE project = $1 AND analysis = $2",
                              t, n, "ssssnssN", &changed, err)
                : exec_values(rec, REC_UPDATE_FAILED,
                              "UPDATE _duckpipe.run_state SET last_run_id = $3, last_status = $4, "
                              "last_failure_at = to_timestamp($5 / 1000.0), last_error = $6 "
                              "WHERE project = $1 AND analysis = $2",
                              t, n, "ssssns", &changed, err);
        if (rc == 0 && changed == 0)
            rc = exec_values(
                rec, ok ? REC_INSERT_OK : REC_INSERT_FAILED,
                ok ? "INSERT INTO _duckpipe.run_state (project, analysis, last_run_id, last_status, "
                     "last_success_at, last_error, success_hash, rows) VALUES ($1, $2, $3, $4, "
                     "to_timestamp($5 / 1000.0), $6, $7, $8)"
                   : "INSERT INTO _duckpipe.run_state (project, analysis, last_run_id, last_status, "
                     "last_failure_at, last_error, success_hash, rows) VALUES ($1, $2, $3, $4, "
                     "to_timestamp($5 / 1000.0), $6, $7, $8)",
                t, n, "ssssnssN", NULL, err);
    }
    return rc;
}

/* ---------- the run ---------- */

static void args_json(struct dp_plan *plan)
{
    struct pd_buf b = PD_BUF_INIT;
    pd_buf_addc(&b, '{');
    for (size_t i = 0; i < plan->args.names.n; i++) {
        pd_buf_addf(&b, "%s\"", i ? "," : "");
        for (const char *p = plan->args.names.v[i]; *p; p++)
            pd_buf_addc(&b, *p);
        pd_buf_adds(&b, "\":\"");
        for (const char *p = plan->args.values.v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                pd_buf_addc(&b, '\\');
            if ((unsigned char)*p >= 0x20)
                pd_buf_addc(&b, *p);
        }
        pd_buf_addc(&b, '"');
    }
    pd_buf_addc(&b, '}');
    free(plan->args_json);
    plan->args_json = pd_buf_detach(&b, NULL);
}

static int upstream_failed(const struct dp_plan *plan, const struct dp_step *s,
                           const struct dp_step_result *results)
{
    for (size_t k = 0; k < s->nups; k++) {
        size_t u = s->ups[k];
        if (results[u].status == DP_S_FAILED || results[u].status == DP_S_CANCELLED ||
            (results[u].status == DP_S_SKIPPED && results[u].error))
            return 1;
        if (plan->steps[u].a->materialize == DP_EPHEMERAL &&
            upstream_failed(plan, &plan->steps[u], results))
            return 1;
    }
    return 0;
}

static int run_step(const struct dp_plan *plan, const struct dp_step *s, const struct dp_env *env,
                    struct watch *w, struct recorder *rec, const struct dp_run_opts *o, const char *run_id,
                    struct dp_step_result *r, struct pd_err *err)
{
    duckdb_connection conn = env->conn;
    struct pd_err e = PD_ERR_INIT;
    int64_t started = pd_now_ms();
    double t0 = pd_mono_s();
    char *tmp = NULL, *abs = NULL;
    int rc;

    pd_log(PD_LOG_INFO, "analysis step started", "{s:s, s:s, s:s, s:s, s:s}", "run_id", run_id,
           "project", plan->project->name, "analysis", s->a->id, "asset_id", s->a->id, "reason",
           r->reason);
    if (s->param_error) {
        rc = pd_fail(&e, PD_EINVAL, "%s", s->param_error);
    } else {
        if (s->a->materialize == DP_PARQUET) {
            abs = output_path(plan->project, s->a->path);
            tmp = xasprintf("%s.tmp-%s", abs, run_id);
        }
        watch_arm(w, o->timeout_s);
        rc = pd_exec(conn, "BEGIN TRANSACTION", &e);
        if (!rc)
            rc = materialize(plan, s, conn, tmp, abs, &r->rows, &e);
        int fired = watch_fired(w);
        if (fired) {
            pd_err_clear(&e);
            rc = fired == PD_ETIMEOUT
                     ? pd_fail(&e, PD_ETIMEOUT, "timed out after %g s (--timeout)", o->timeout_s)
                     : pd_fail(&e, PD_ECANCELED, "cancelled");
        }
        r->seconds = pd_mono_s() - t0;
        r->status = rc ? (rc == PD_ECANCELED ? DP_S_CANCELLED : DP_S_FAILED) : DP_S_OK;
        if (!rc) {
            r->status = DP_S_OK;
            rc = record(rec, plan, run_id, s, r, started, pd_now_ms(), &e);
        }
        if (!rc)
            rc = pd_exec(conn, "COMMIT", &e);
        if (rc)
            pd_exec(conn, "ROLLBACK", NULL);
        if (tmp)
            unlink(tmp);
    }
    r->seconds = pd_mono_s() - t0;
    if (rc) {
        struct pd_err ignore = PD_ERR_INIT;
        r->status = rc == PD_ECANCELED ? DP_S_CANCELLED : DP_S_FAILED;
        r->rows = -1;
        r->error = xstrdup(e.msg);
        if (pd_exec(conn, "BEGIN TRANSACTION", &ignore) == 0 &&
            record(rec, plan, run_id, s, r, started, pd_now_ms(), &ignore) == 0)
            pd_exec(conn, "COMMIT", &ignore);
        else
            pd_exec(conn, "ROLLBACK", NULL);
        pd_fail(err, rc, "analysis %s (%s): %s", s->a->id, s->a->file ? s->a->file : "no file",
                e.msg);
    }
    pd_log(rc ? PD_LOG_WARN : PD_LOG_INFO, rc ? "analysis step failed" : "analysis step done",
           "{s:s, s:s, s:s, s:s, s:I, s:f, s:s?}", "run_id", run_id, "analysis", s->a->id,
           "asset_id", s->a->id, "status",
           rc ? "failed" : "ok", "rows", (json_int_t)r->rows, "duration_ms", r->seconds * 1000,
           "error", r->error);
    free(tmp);
    free(abs);
    return rc;
}

/* A project's schema exists from its first run on. */
static int ensure_schema(duckdb_connection conn, const char *schema, struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT;
    int rc;
    pd_buf_adds(&b, "CREATE SCHEMA IF NOT EXISTS ");
    pd_sql_ident(&b, schema);
    rc = pd_exec(conn, b.ptr, err);
    pd_buf_release(&b);
    return rc;
}

/*
 * Runs go one at a time in a process (which holds the warehouse): two at once
 * conflicted in DuckDB - on creating the project's schema, on replacing the same
 * table, on a run state row both inserted - and both failed.
 */
static pthread_mutex_t one_run = PTHREAD_MUTEX_INITIALIZER;

static int run_locked(const struct dp_plan *plan, const struct dp_env *env,
                      const struct dp_run_opts *o, struct dp_run_result *out, struct pd_err *err)
{
    struct dp_run_opts none = {0};
    struct watch w;
    struct recorder rec = {.conn = env->conn};
    size_t total = 0, done = 0;
    int rc = 0, stopped = 0;

    if (!o)
        o = &none;
    memset(out, 0, sizeof(*out));
    if (o->run_id && strlen(o->run_id) < sizeof(out->run_id))
        snprintf(out->run_id, sizeof(out->run_id), "%s", o->run_id);
    else
        pd_uuid7(out->run_id);
    out->steps = xcalloc(plan->n + 1, sizeof(*out->steps));
    out->n = plan->n;
    args_json((struct dp_plan *)plan);
    for (size_t i = 0; i < plan->n; i++)
        total += plan->steps[i].selected && plan->steps[i].run;
    pd_log(PD_LOG_INFO, "analysis run started", "{s:s, s:s, s:I}", "run_id", out->run_id,
           "project", plan->project->name, "steps", (json_int_t)total);
    if (total && (rc = ensure_schema(env->conn, plan->project->schema, err)) != 0)
        return rc;
    watch_start(&w, env);
    for (size_t i = 0; i < plan->n; i++) {
        const struct dp_step *s = &plan->steps[i];
        struct dp_step_result *r = &out->steps[i];
        r->id = s->a->id;
        r->rows = -1;
        r->reason = dp_reason_text(s->reason);
        if (!s->selected || !s->run) {
            r->status = DP_S_PENDING;
            continue;
        }
        if (stopped || upstream_failed(plan, s, out->steps)) {
            r->status = DP_S_SKIPPED;
            r->reason = dp_reason_text(DP_R_UPSTREAM_FAILED);
            if (upstream_failed(plan, s, out->steps)) {
                struct pd_err ignore = PD_ERR_INIT;
                r->error = xstrdup("upstream failed");
                if (pd_exec(env->conn, "BEGIN TRANSACTION", &ignore) == 0 &&
                    record(&rec, plan, out->run_id, s, r, pd_now_ms(), pd_now_ms(), &ignore) == 0)
                    pd_exec(env->conn, "COMMIT", &ignore);
                else
                    pd_exec(env->conn, "ROLLBACK", NULL);
            } else {
                r->reason = "run stopped";
            }
            out->skipped++;
            if (o->on_step)
                o->on_step(o->arg, s, ++done, total, r);
            continue;
        }
        if (o->on_step)
            o->on_step(o->arg, s, done + 1, total, NULL);
        int step_rc = run_step(plan, s, env, &w, &rec, o, out->run_id, r, rc ? NULL : err);
        done++;
        if (o->on_step)
            o->on_step(o->arg, s, done, total, r);
        if (step_rc) {
            out->failed++;
            if (!rc)
                rc = step_rc;
            if (step_rc == PD_ECANCELED || step_rc == PD_ETIMEOUT || !o->continue_on_failure)
                stopped = step_rc == PD_ECANCELED || !o->continue_on_failure;
        } else {
            out->ok++;
        }
    }
    watch_stop(&w);
    recorder_close(&rec);
    pd_log(rc ? PD_LOG_WARN : PD_LOG_INFO, "analysis run finished", "{s:s, s:i, s:i, s:i}",
           "run_id", out->run_id, "ok", out->ok, "failed", out->failed, "skipped", out->skipped);
    return rc;
}

int dp_run(const struct dp_plan *plan, const struct dp_env *env, const struct dp_run_opts *o,
           struct dp_run_result *out, struct pd_err *err)
{
    int rc;
    pthread_mutex_lock(&one_run);
    rc = run_locked(plan, env, o, out, err);
    pthread_mutex_unlock(&one_run);
    return rc;
}

void dp_run_result_clear(struct dp_run_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->steps[i].error);
    free(r->steps);
    memset(r, 0, sizeof(*r));
}

int dp_preview(const struct dp_plan *plan, const struct dp_step *step, const struct dp_env *env,
               long limit, duckdb_result *res, struct pd_err *err)
{
    duckdb_prepared_statement stmt;
    struct pd_buf b = PD_BUF_INIT;
    struct watch w;
    int rc = 0;

    (void)plan;
    if (step->param_error)
        return pd_fail(err, PD_EINVAL, "%s", step->param_error);
    pd_buf_addf(&b, "SELECT * FROM (\n%s\n) LIMIT %ld", step->sql, limit > 0 ? limit : 100);
    if (duckdb_prepare(env->conn, b.ptr, &stmt) == DuckDBError) {
        rc = pd_fail(err, PD_ESQL, "analysis %s (%s): %s", step->a->id,
                     step->a->file ? step->a->file : "no file", duckdb_prepare_error(stmt));
    } else if ((rc = dp_params_bind(&step->binds, stmt, err)) == 0) {
        watch_start(&w, env);
        watch_arm(&w, 0);
        if (duckdb_execute_prepared(stmt, res) == DuckDBError) {
            int fired = watch_fired(&w);
            rc = fired ? pd_fail(err, fired, "cancelled")
                       : pd_fail(err, PD_ESQL, "analysis %s (%s): %s", step->a->id,
                                 step->a->file ? step->a->file : "no file", duckdb_result_error(res));
            duckdb_destroy_result(res);
        }
        watch_stop(&w);
    }
    duckdb_destroy_prepare(&stmt);
    pd_buf_release(&b);
    return rc;
}

const char *dp_step_status_name(enum dp_step_status s)
{
    static const char *const names[] = {"pending", "ok", "failed", "skipped", "cancelled"};
    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
