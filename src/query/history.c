/*
 * history.c - statement records in _pluto.query_history and daily JSONL files
 * (see history.h).
 */
#include "query/history.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "query/query.h"
#include "warehouse/warehouse.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pd_history {
    struct pd_warehouse *wh;
    char *dir;
    pthread_mutex_t mu;
    duckdb_connection conn;
    duckdb_prepared_statement insert;
};

static const char insert_sql[] =
    "INSERT INTO _pluto.query_history "
    "(id, sql, statement_type, started_at, duration_ms, rows, status, error, origin) "
    "VALUES ($1, $2, $3, to_timestamp($4::DOUBLE / 1000.0), $5, $6, $7, $8, $9)";

struct pd_history *pd_history_open(struct pd_warehouse *wh, const char *artifacts_dir)
{
    struct pd_history *h = xcalloc(1, sizeof(*h));
    h->wh = wh;
    h->dir = xstrdup(artifacts_dir);
    pthread_mutex_init(&h->mu, NULL);
    return h;
}

void pd_history_close(struct pd_history *h)
{
    if (h == NULL)
        return;
    if (h->insert)
        duckdb_destroy_prepare(&h->insert);
    if (h->conn)
        pd_warehouse_release(h->wh, h->conn, 1);
    pthread_mutex_destroy(&h->mu);
    free(h->dir);
    free(h);
}

static void bind_text(duckdb_prepared_statement s, idx_t i, const char *v)
{
    if (v)
        duckdb_bind_varchar(s, i, v);
    else
        duckdb_bind_null(s, i);
}

static void record_table(struct pd_history *h, const struct pd_history_entry *e)
{
    duckdb_result res;

    if (h->conn == NULL) {
        struct pd_err err = PD_ERR_INIT;
        if (pd_warehouse_acquire(h->wh, &h->conn, &err) != 0) {
            pd_log(PD_LOG_ERROR, "query history not recorded", "{s:s}", "error", err.msg);
            return;
        }
        if (duckdb_prepare(h->conn, insert_sql, &h->insert) == DuckDBError) {
            pd_log(PD_LOG_ERROR, "query history not recorded", "{s:s}", "error",
                   duckdb_prepare_error(h->insert));
            duckdb_destroy_prepare(&h->insert);
            h->insert = NULL;
            return;
        }
    }
    if (h->insert == NULL)
        return;
    duckdb_clear_bindings(h->insert);
    bind_text(h->insert, 1, e->id);
    bind_text(h->insert, 2, e->sql);
    bind_text(h->insert, 3, e->statement_type);
    duckdb_bind_int64(h->insert, 4, e->started_ms);
    duckdb_bind_double(h->insert, 5, e->duration_ms);
    if (e->rows >= 0)
        duckdb_bind_int64(h->insert, 6, e->rows);
    else
        duckdb_bind_null(h->insert, 6);
    bind_text(h->insert, 7, e->status);
    bind_text(h->insert, 8, e->error);
    bind_text(h->insert, 9, e->origin);
    if (duckdb_execute_prepared(h->insert, &res) == DuckDBError)
        pd_log(PD_LOG_ERROR, "query history not recorded", "{s:s}", "error",
               duckdb_result_error(&res));
    duckdb_destroy_result(&res);
}

static void json_field(struct pd_buf *b, const char *key, const char *v)
{
    pd_buf_addf(b, ",\"%s\":", key);
    pd_json_add_nullable(b, v);
}

static void record_file(struct pd_history *h, const struct pd_history_entry *e)
{
    struct pd_buf line = PD_BUF_INIT;
    char day[16], ts[40], file[32];
    char *path;
    int fd;

    pd_time_date(e->started_ms, day, sizeof(day));
    snprintf(file, sizeof(file), "%s.jsonl", day);
    path = pd_path_join(h->dir, file);
    pd_buf_adds(&line, "{\"id\":");
    pd_json_add_string(&line, e->id, strlen(e->id));
    json_field(&line, "sql", e->sql);
    json_field(&line, "statement_type", e->statement_type);
    json_field(&line, "started_at", pd_time_iso(e->started_ms, ts, sizeof(ts)));
    pd_buf_addf(&line, ",\"duration_ms\":%.3f", e->duration_ms);
    if (e->rows >= 0)
        pd_buf_addf(&line, ",\"rows\":%lld", (long long)e->rows);
    else
        pd_buf_adds(&line, ",\"rows\":null");
    json_field(&line, "status", e->status);
    json_field(&line, "error", e->error);
    json_field(&line, "origin", e->origin);
    pd_buf_adds(&line, "}\n");
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, line.ptr, line.len) != (ssize_t)line.len)
        pd_log(PD_LOG_ERROR, "query history file not written", "{s:s}", "path", path);
    if (fd >= 0)
        close(fd);
    free(path);
    pd_buf_release(&line);
}

void pd_history_record(struct pd_history *h, const struct pd_history_entry *e)
{
    pthread_mutex_lock(&h->mu);
    record_table(h, e);
    record_file(h, e);
    pthread_mutex_unlock(&h->mu);
}

int pd_history_list(struct pd_warehouse *wh, long limit, int failed_only, struct pd_sink *sink,
                    struct pd_err *err)
{
    struct pd_query_opts o = {.origin = "history"};
    struct pd_query *q;
    char *sql;
    int rc;

    if (limit <= 0)
        return pd_fail(err, PD_EINVAL, "--limit must be a positive number");
    sql = xasprintf("SELECT id, started_at, round(duration_ms, 1) AS duration_ms, status, rows, "
                    "statement_type, sql, error FROM _pluto.query_history %s "
                    "ORDER BY started_at DESC, id DESC LIMIT %ld",
                    failed_only ? "WHERE status <> 'ok'" : "", limit);
    q = pd_query_new(wh, &o);
    rc = pd_query_run(q, sql, sink, NULL, err);
    pd_query_free(q);
    free(sql);
    return rc;
}
