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
#include "base/duck.h"
#include "warehouse/journal.h"
#include "warehouse/warehouse.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pd_history {
    struct pd_warehouse *wh;
    char *dir;
    pthread_mutex_t mu; /* one line at a time into the day's file */
    int fd;             /* the day's file, open for appending; -1 before the first line */
    char day[16];       /* its day */
};

struct pd_history *pd_history_open(struct pd_warehouse *wh, const char *artifacts_dir)
{
    struct pd_history *h = xcalloc(1, sizeof(*h));
    h->wh = wh;
    h->dir = xstrdup(artifacts_dir);
    h->fd = -1;
    pthread_mutex_init(&h->mu, NULL);
    return h;
}

void pd_history_close(struct pd_history *h)
{
    if (h == NULL)
        return;
    if (h->fd >= 0)
        close(h->fd);
    pthread_mutex_destroy(&h->mu);
    free(h->dir);
    free(h);
}

/* The row goes into the warehouse's journal: committed with others in a batch. */
static void record_table(struct pd_history *h, const struct pd_history_entry *e)
{
    const struct pd_jcell row[] = {
        PD_JCELL_TEXT(e->id),
        PD_JCELL_TEXT(e->sql),
        PD_JCELL_TEXT(e->statement_type),
        PD_JCELL_INT(e->started_ms),
        PD_JCELL_DOUBLE(e->duration_ms),
        e->rows >= 0 ? PD_JCELL_INT(e->rows) : PD_JCELL_NULL,
        PD_JCELL_TEXT(e->status),
        PD_JCELL_TEXT(e->error),
        PD_JCELL_TEXT(e->origin),
    };
    pd_journal_add_row(pd_warehouse_journal(h->wh), "query_history", row,
                       sizeof(row) / sizeof(row[0]));
}

static void json_field(struct pd_buf *b, const char *key, const char *v)
{
    pd_buf_addf(b, ",\"%s\":", key);
    pd_json_add_nullable(b, v);
}

/* The line goes to the day's file, kept open until the day changes (h->mu held). */
static void record_file(struct pd_history *h, const struct pd_history_entry *e)
{
    struct pd_buf line = PD_BUF_INIT;
    char day[16], ts[40];
    struct stat st;

    pd_time_date(e->started_ms, day, sizeof(day));
    /* a new day, or the file was removed under us */
    if (h->fd < 0 || strcmp(day, h->day) != 0 || fstat(h->fd, &st) != 0 || st.st_nlink == 0) {
        char file[32], *path;
        if (h->fd >= 0)
            close(h->fd);
        snprintf(file, sizeof(file), "%s.jsonl", day);
        path = pd_path_join(h->dir, file);
        h->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (h->fd < 0)
            pd_log(PD_LOG_ERROR, "query history file not written", "{s:s}", "path", path);
        snprintf(h->day, sizeof(h->day), "%s", day);
        free(path);
    }
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
    if (h->fd >= 0 && write(h->fd, line.ptr, line.len) != (ssize_t)line.len)
        pd_log(PD_LOG_ERROR, "query history file not written", "{s:s}", "day", day);
    pd_buf_release(&line);
}

void pd_history_record(struct pd_history *h, const struct pd_history_entry *e)
{
    record_table(h, e);
    pthread_mutex_lock(&h->mu);
    record_file(h, e);
    pthread_mutex_unlock(&h->mu);
}

int pd_history_list(struct pd_warehouse *wh, long limit, int failed_only, const char *contains,
                    struct pd_sink *sink, struct pd_err *err)
{
    struct pd_query_opts o = {.origin = "history"};
    struct pd_query *q;
    json_t *params = NULL;
    char *sql;
    int rc;

    if (limit <= 0)
        return pd_fail(err, PD_EINVAL, "--limit must be a positive number");
    pd_journal_flush(pd_warehouse_journal(wh)); /* every statement so far */
    if (contains && *contains) { /* a value, never SQL: its % and _ match themselves */
        struct pd_buf like = PD_BUF_INIT;
        pd_buf_addc(&like, '%');
        for (const char *p = contains; *p; p++) {
            if (*p == '%' || *p == '_' || *p == '\\')
                pd_buf_addc(&like, '\\');
            pd_buf_addc(&like, *p);
        }
        pd_buf_addc(&like, '%');
        params = json_pack("[s]", like.ptr);
        pd_buf_release(&like);
        o.params = params;
    }
    sql = xasprintf("SELECT id, started_at, round(duration_ms, 1) AS duration_ms, status, rows, "
                    "statement_type, sql, error FROM _pluto.query_history WHERE %s AND %s "
                    "ORDER BY started_at DESC, id DESC LIMIT %ld",
                    failed_only ? "status <> 'ok'" : "true",
                    params ? "sql ILIKE $1 ESCAPE '\\'" : "true", limit);
    q = pd_query_new(wh, &o);
    rc = pd_query_run(q, sql, sink, NULL, err);
    pd_query_free(q);
    json_decref(params);
    free(sql);
    return rc;
}
