/*
 * journal.c - batched bookkeeping writes (see journal.h), and the side file
 * that keeps a short run's last rows out of the write-ahead log.
 */
#include "warehouse/journal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strv.h"
#include "base/timeutil.h"
#include "warehouse/warehouse.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The side file is folded in at close once it is this big (bounds what readers fold). */
#define SPILL_MAX_BYTES (1 << 20)

struct pd_journal {
    struct pd_warehouse *wh;
    int interval_ms;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    struct pd_strv queued;
    uint64_t added, committed; /* statements queued / written so far */
    int stopping, flushing;
    pthread_t thread;
    char *spill_path;  /* WAREHOUSE.journal; NULL for a warehouse in memory */
    char *wal_path;    /* WAREHOUSE.wal */
    pthread_mutex_t fold_mu; /* one fold at a time */
    int spilled;             /* the side file was there at open and is not folded yet */
};

/* The rows queued for one "INSERT INTO t (...) VALUES " prefix. */
struct rows_for {
    const char *prefix; /* in the first statement of the group */
    size_t len;
    struct pd_buf rows;
};

static void emit_groups(struct pd_buf *out, struct rows_for *g, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        pd_buf_add(out, g[i].prefix, g[i].len);
        pd_buf_add(out, g[i].rows.ptr, g[i].rows.len);
        pd_buf_adds(out, ";\n");
        pd_buf_release(&g[i].rows);
    }
    *n = 0;
}

/*
 * The statements as one script. Every "INSERT INTO t (...) VALUES (...)" into
 * the same table and columns becomes one row of a single INSERT, so DuckDB
 * parses and plans each table's rows once: the journal's statements are
 * appends to logs, whose order across tables does not matter (the rows of one
 * table keep theirs). Any other statement is a barrier: what came before it is
 * written before it.
 */
static void batch_sql(struct pd_buf *out, const struct pd_strv *stmts)
{
    struct rows_for *g = xcalloc(stmts->n ? stmts->n : 1, sizeof(*g));
    size_t n = 0;
    for (size_t i = 0; i < stmts->n; i++) {
        const char *s = stmts->v[i], *values = strstr(s, " VALUES (");
        size_t len = values ? (size_t)(values - s) + 8 : 0, k;
        if (!values) {
            emit_groups(out, g, &n);
            pd_buf_adds(out, s);
            pd_buf_adds(out, ";\n");
            continue;
        }
        for (k = 0; k < n && !(g[k].len == len && strncmp(g[k].prefix, s, len) == 0); k++)
            ;
        if (k == n) {
            g[n].prefix = s;
            g[n].len = len;
            g[n].rows = (struct pd_buf)PD_BUF_INIT;
            n++;
        } else {
            pd_buf_adds(&g[k].rows, ", ");
        }
        pd_buf_adds(&g[k].rows, s + len);
    }
    emit_groups(out, g, &n);
    free(g);
}

/* Write stmts in one transaction; when that fails, one by one (logging what fails). */
static void commit(struct pd_journal *j, const struct pd_strv *stmts)
{
    duckdb_connection conn;
    struct pd_err err = PD_ERR_INIT;
    struct pd_buf sql = PD_BUF_INIT;
    if (pd_warehouse_acquire(j->wh, &conn, &err) != 0) {
        pd_log(PD_LOG_ERROR, "journal not written", "{s:s, s:I}", "error", err.msg, "statements",
               (json_int_t)stmts->n);
        return;
    }
    pd_buf_adds(&sql, "BEGIN TRANSACTION;\n");
    batch_sql(&sql, stmts);
    pd_buf_adds(&sql, "COMMIT;");
    if (pd_exec(conn, sql.ptr, &err) != 0) {
        pd_exec(conn, "ROLLBACK", NULL);
        for (size_t i = 0; i < stmts->n; i++) {
            pd_err_clear(&err);
            if (pd_exec(conn, stmts->v[i], &err) != 0)
                pd_log(PD_LOG_ERROR, "journal statement not written", "{s:s, s:s}", "error",
                       err.msg, "sql", stmts->v[i]);
        }
    }
    pd_buf_release(&sql);
    pd_warehouse_release(j->wh, conn, 1);
}

/*
 * A short run that wrote nothing but bookkeeping (its WAL is empty) would make
 * DuckDB checkpoint the whole warehouse at close for one history row: a third
 * of `pluto-duck sql "select 1"`. Its last rows go to the side file instead,
 * as records "LENGTH\nSTATEMENT\n" appended in one write. They are folded into
 * the warehouse by the next process that commits anything (it checkpoints
 * anyway) and before anything reads them: pd_journal_flush, which readers of
 * history and jobs call, and a statement naming _pluto (pd_query).
 */
static int may_spill(const struct pd_journal *j)
{
    struct stat st;
    if (j->spill_path == NULL)
        return 0;
    if (stat(j->wal_path, &st) == 0 && st.st_size > 0)
        return 0; /* it checkpoints anyway: fold and commit */
    return stat(j->spill_path, &st) != 0 || st.st_size < SPILL_MAX_BYTES;
}

/* Append stmts to the side file; 0, or -1 when it could not (they are committed then). */
static int spill(struct pd_journal *j, const struct pd_strv *stmts)
{
    struct pd_buf rec = PD_BUF_INIT;
    int fd, rc = -1;
    for (size_t i = 0; i < stmts->n; i++)
        pd_buf_addf(&rec, "%zu\n%s\n", strlen(stmts->v[i]), stmts->v[i]);
    fd = open(j->spill_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        rc = write(fd, rec.ptr, rec.len) == (ssize_t)rec.len ? 0 : -1;
        close(fd);
    }
    pd_buf_release(&rec);
    return rc;
}

/* The statements of the side file (a torn last record, from a killed process, is dropped). */
static void read_spilled(const char *path, struct pd_strv *out)
{
    FILE *f = fopen(path, "rbe");
    char head[32];
    size_t len;
    if (f == NULL)
        return;
    while (fgets(head, sizeof(head), f) && sscanf(head, "%zu", &len) == 1 && len < (64u << 20)) {
        char *stmt = xmalloc(len + 2);
        if (fread(stmt, 1, len + 1, f) != len + 1 || stmt[len] != '\n') {
            free(stmt);
            break;
        }
        stmt[len] = '\0';
        pd_strv_push(out, stmt);
        free(stmt);
    }
    fclose(f);
}

static void commit(struct pd_journal *j, const struct pd_strv *stmts);

/* Commit what the side file holds and remove it. */
static void fold(struct pd_journal *j)
{
    struct pd_strv stmts = {0};
    pthread_mutex_lock(&j->fold_mu);
    if (j->spilled) { /* only a close writes it: what was there at open is all there is */
        read_spilled(j->spill_path, &stmts);
        if (stmts.n)
            commit(j, &stmts);
        if (unlink(j->spill_path) != 0 && errno != ENOENT)
            pd_log(PD_LOG_ERROR, "journal side file not removed", "{s:s}", "path",
                   j->spill_path);
        j->spilled = 0;
    }
    pthread_mutex_unlock(&j->fold_mu);
    pd_strv_clear(&stmts);
}

static void *run(void *arg)
{
    struct pd_journal *j = arg;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        struct pd_strv batch;
        uint64_t upto;
        if (j->queued.n == 0) {
            if (j->stopping)
                break;
            struct timespec ts = pd_abstime_in_ms(j->interval_ms);
            pthread_cond_timedwait(&j->wake, &j->mu, &ts);
            continue;
        }
        /* Wait out the interval unless someone is waiting for the rows. */
        if (!j->flushing && !j->stopping) {
            struct timespec ts = pd_abstime_in_ms(j->interval_ms);
            pthread_cond_timedwait(&j->wake, &j->mu, &ts);
        }
        batch = j->queued;
        j->queued = (struct pd_strv){0};
        upto = j->added;
        int last = j->stopping;
        pthread_mutex_unlock(&j->mu);
        if (!(last && may_spill(j) && spill(j, &batch) == 0)) {
            fold(j); /* the rows spilled before go first: they are older */
            commit(j, &batch);
        }
        pd_strv_clear(&batch);
        pthread_mutex_lock(&j->mu);
        j->committed = upto;
        pthread_cond_broadcast(&j->done);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

struct pd_journal *pd_journal_new(struct pd_warehouse *wh, int interval_ms)
{
    struct pd_journal *j = xcalloc(1, sizeof(*j));
    const char *path = pd_warehouse_path(wh);
    j->wh = wh;
    j->interval_ms = interval_ms;
    if (path && *path && strcmp(path, ":memory:") != 0) {
        j->spill_path = xasprintf("%s.journal", path);
        j->wal_path = xasprintf("%s.wal", path);
        j->spilled = access(j->spill_path, F_OK) == 0;
    }
    pthread_mutex_init(&j->fold_mu, NULL);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->wake, NULL);
    pthread_cond_init(&j->done, NULL);
    if (pthread_create(&j->thread, NULL, run, j) != 0) {
        pd_log(PD_LOG_ERROR, "journal thread not started", "{}");
        abort();
    }
    return j;
}

void pd_journal_add(struct pd_journal *j, const char *sql)
{
    pthread_mutex_lock(&j->mu);
    pd_strv_push(&j->queued, sql);
    j->added++;
    pthread_mutex_unlock(&j->mu);
}

void pd_journal_flush(struct pd_journal *j)
{
    pthread_mutex_lock(&j->mu);
    uint64_t want = j->added;
    while (j->committed < want) {
        j->flushing++;
        pthread_cond_signal(&j->wake);
        pthread_cond_wait(&j->done, &j->mu);
        j->flushing--;
    }
    pthread_mutex_unlock(&j->mu);
    fold(j);
}

void pd_journal_free(struct pd_journal *j)
{
    if (j == NULL)
        return;
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    pd_strv_clear(&j->queued);
    pthread_cond_destroy(&j->wake);
    pthread_cond_destroy(&j->done);
    pthread_mutex_destroy(&j->mu);
    pthread_mutex_destroy(&j->fold_mu);
    free(j->spill_path);
    free(j->wal_path);
    free(j);
}
