/*
 * journal.c - batched bookkeeping rows (see journal.h), and the side file
 * that keeps a short run's last rows out of the write-ahead log.
 */
#include "warehouse/journal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/dtoa.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"
#include "base/timeutil.h"
#include "warehouse/warehouse.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The side file is folded in at close once it is this big (bounds what readers fold). */
#define SPILL_MAX_BYTES (1 << 20)
#define SCHEMA "_pluto"

/* A queued row: its cells' texts live in the same allocation, after the cells. */
struct row {
    char *table;
    size_t n;
    struct pd_jcell cells[];
};

struct rows {
    struct row **v;
    size_t n, cap;
};

struct pd_journal {
    struct pd_warehouse *wh;
    int interval_ms;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    struct rows queued;
    uint64_t added, committed; /* rows queued / written so far */
    int stopping, flushing;
    pthread_t thread;
    char *spill_path;  /* WAREHOUSE.journal; NULL for a warehouse in memory */
    char *wal_path;    /* WAREHOUSE.wal */
    pthread_mutex_t fold_mu; /* one fold at a time */
    int spilled;             /* the side file was there at open and is not folded yet */
};

static struct row *row_new(const char *table, const struct pd_jcell *cells, size_t n)
{
    size_t size = sizeof(struct row) + n * sizeof(struct pd_jcell) + strlen(table) + 1;
    struct row *r;
    char *at;
    for (size_t i = 0; i < n; i++)
        if (cells[i].kind == PD_JTEXT)
            size += strlen(cells[i].text) + 1;
    r = xmalloc(size);
    r->n = n;
    at = (char *)(r->cells + n);
    for (size_t i = 0; i < n; i++) {
        r->cells[i] = cells[i];
        if (cells[i].kind == PD_JTEXT) {
            size_t len = strlen(cells[i].text) + 1;
            r->cells[i].text = memcpy(at, cells[i].text, len);
            at += len;
        }
    }
    r->table = strcpy(at, table);
    return r;
}

static void rows_push(struct rows *rs, struct row *r)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 64;
        rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
    }
    rs->v[rs->n++] = r;
}

static void rows_clear(struct rows *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->v[i]);
    free(rs->v);
    *rs = (struct rows){0};
}

/* ---- appending ----------------------------------------------------------- */

/* An appender open on one table, and its columns' types. */
struct target {
    const char *table;
    duckdb_appender app;
    duckdb_type *types;
    idx_t ncols;
};

static int target_open(duckdb_connection conn, const char *table, struct target *t,
                       struct pd_err *err)
{
    memset(t, 0, sizeof(*t));
    t->table = table;
    if (duckdb_appender_create(conn, SCHEMA, table, &t->app) == DuckDBError) {
        pd_fail(err, PD_ESQL, "%s.%s: %s", SCHEMA, table, duckdb_appender_error(t->app));
        duckdb_appender_destroy(&t->app);
        return -1;
    }
    t->ncols = duckdb_appender_column_count(t->app);
    t->types = xcalloc(t->ncols ? t->ncols : 1, sizeof(*t->types));
    for (idx_t c = 0; c < t->ncols; c++) {
        duckdb_logical_type lt = duckdb_appender_column_type(t->app, c);
        t->types[c] = duckdb_get_type_id(lt);
        duckdb_destroy_logical_type(&lt);
    }
    return 0;
}

/* Close (write what is appended) and free; 0, or -1 with DuckDB's words in err. */
static int target_close(struct target *t, struct pd_err *err)
{
    int rc = 0;
    if (t->app && duckdb_appender_close(t->app) == DuckDBError) {
        if (err)
            pd_fail(err, PD_ESQL, "%s.%s: %s", SCHEMA, t->table, duckdb_appender_error(t->app));
        rc = -1;
    }
    duckdb_appender_destroy(&t->app);
    free(t->types);
    t->types = NULL;
    return rc;
}

static duckdb_state append_cell(duckdb_appender app, duckdb_type col, const struct pd_jcell *c)
{
    switch (c->kind) {
    case PD_JTEXT:
        return duckdb_append_varchar(app, c->text);
    case PD_JDOUBLE:
        return duckdb_append_double(app, c->d);
    case PD_JINT:
        if (col == DUCKDB_TYPE_TIMESTAMP_TZ) {
            duckdb_value v = duckdb_create_timestamp_tz((duckdb_timestamp){c->i * 1000});
            duckdb_state st = duckdb_append_value(app, v);
            duckdb_destroy_value(&v);
            return st;
        }
        return duckdb_append_int64(app, c->i);
    default:
        return duckdb_append_null(app);
    }
}

static int append_row(struct target *t, const struct row *r, struct pd_err *err)
{
    duckdb_state st = DuckDBSuccess;
    if (r->n > t->ncols)
        return pd_fail(err, PD_EINVAL, "%s.%s has %llu columns, the row %zu", SCHEMA, t->table,
                       (unsigned long long)t->ncols, r->n);
    for (idx_t c = 0; c < t->ncols && st == DuckDBSuccess; c++)
        st = c < r->n ? append_cell(t->app, t->types[c], &r->cells[c]) : duckdb_append_default(t->app);
    if (st == DuckDBSuccess)
        st = duckdb_appender_end_row(t->app);
    if (st == DuckDBError)
        return pd_fail(err, PD_ESQL, "%s.%s: %s", SCHEMA, t->table, duckdb_appender_error(t->app));
    return 0;
}

/* Append rows in one transaction on conn; 0, or -1 (rolled back) with why in err. */
static int append_all(duckdb_connection conn, const struct rows *rs, struct pd_err *err)
{
    struct target *ts = NULL;
    size_t nt = 0;
    int rc = pd_exec(conn, "BEGIN TRANSACTION", err);
    for (size_t i = 0; i < rs->n && rc == 0; i++) {
        size_t k;
        for (k = 0; k < nt && strcmp(ts[k].table, rs->v[i]->table) != 0; k++)
            ;
        if (k == nt) {
            ts = xrealloc(ts, (nt + 1) * sizeof(*ts));
            if ((rc = target_open(conn, rs->v[i]->table, &ts[nt], err)) != 0)
                break;
            nt++;
        }
        rc = append_row(&ts[k], rs->v[i], err);
    }
    for (size_t k = 0; k < nt; k++)
        if (target_close(&ts[k], rc ? NULL : err) != 0)
            rc = -1;
    free(ts);
    if (rc == 0)
        rc = pd_exec(conn, "COMMIT", err);
    if (rc != 0)
        pd_exec(conn, "ROLLBACK", NULL);
    return rc;
}

/* Write rows in one transaction; when that fails, one by one (logging what fails). */
static void commit(struct pd_journal *j, const struct rows *rs)
{
    duckdb_connection conn;
    struct pd_err err = PD_ERR_INIT;
    if (rs->n == 0)
        return;
    if (pd_warehouse_acquire(j->wh, &conn, &err) != 0) {
        pd_log(PD_LOG_ERROR, "journal not written", "{s:s, s:I}", "error", err.msg, "rows",
               (json_int_t)rs->n);
        return;
    }
    if (append_all(conn, rs, &err) != 0) {
        for (size_t i = 0; i < rs->n; i++) {
            struct rows one = {.v = &rs->v[i], .n = 1};
            pd_err_clear(&err);
            if (append_all(conn, &one, &err) != 0)
                pd_log(PD_LOG_ERROR, "journal row not written", "{s:s, s:s}", "error", err.msg,
                       "table", rs->v[i]->table);
        }
    }
    pd_warehouse_release(j->wh, conn, 1);
}

/* ---- the side file ------------------------------------------------------- */

/*
 * A short run that wrote nothing but bookkeeping (its WAL is empty) would make
 * DuckDB checkpoint the whole warehouse at close for one history row: a third
 * of `pluto-duck sql "select 1"`. Its last rows go to the side file instead,
 * as records "LENGTH\nROW\n" appended in one write, a row being a JSON array
 * ["table", cell, ...]. They are folded into the warehouse by the next process
 * that commits anything (it checkpoints anyway) and before anything reads
 * them: pd_journal_flush, which readers of history and jobs call, and a
 * statement naming _pluto (pd_query). Records of older versions hold an
 * INSERT statement instead of a row: they are run as they are.
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

static void row_json(struct pd_buf *b, const struct row *r)
{
    pd_buf_addc(b, '[');
    pd_json_add_string(b, r->table, strlen(r->table));
    for (size_t i = 0; i < r->n; i++) {
        const struct pd_jcell *c = &r->cells[i];
        char num[PD_DTOA_SIZE + 2];
        pd_buf_addc(b, ',');
        if (c->kind == PD_JTEXT) {
            pd_json_add_string(b, c->text, strlen(c->text));
        } else if (c->kind == PD_JINT) {
            pd_buf_addf(b, "%" PRId64, c->i);
        } else if (c->kind == PD_JDOUBLE && isfinite(c->d)) {
            size_t len = pd_dtoa(c->d, num);
            if (!strpbrk(num, ".e"))
                memcpy(num + len, ".0", 3); /* read back as a double */
            pd_buf_adds(b, num);
        } else {
            pd_buf_adds(b, "null");
        }
    }
    pd_buf_addc(b, ']');
}

/* A row of the side file; NULL when the text is not one. */
static struct row *row_from_json(const char *text, size_t len)
{
    json_t *a = json_loadb(text, len, 0, NULL), *v;
    struct pd_jcell *cells;
    struct row *r = NULL;
    size_t n, i;
    if (!json_is_array(a) || (n = json_array_size(a)) == 0 || !json_is_string(json_array_get(a, 0))) {
        json_decref(a);
        return NULL;
    }
    cells = xcalloc(n, sizeof(*cells));
    json_array_foreach(a, i, v) {
        if (i == 0)
            continue;
        if (json_is_string(v))
            cells[i - 1] = PD_JCELL_TEXT(json_string_value(v));
        else if (json_is_integer(v))
            cells[i - 1] = PD_JCELL_INT(json_integer_value(v));
        else if (json_is_real(v))
            cells[i - 1] = PD_JCELL_DOUBLE(json_real_value(v));
        else
            cells[i - 1] = PD_JCELL_NULL;
    }
    r = row_new(json_string_value(json_array_get(a, 0)), cells, n - 1);
    free(cells);
    json_decref(a);
    return r;
}

/* Append rows to the side file; 0, or -1 when it could not (they are committed then). */
static int spill(struct pd_journal *j, const struct rows *rs)
{
    struct pd_buf rec = PD_BUF_INIT, row = PD_BUF_INIT;
    int fd, rc = -1;
    for (size_t i = 0; i < rs->n; i++) {
        pd_buf_reset(&row);
        row_json(&row, rs->v[i]);
        pd_buf_addf(&rec, "%zu\n", row.len);
        pd_buf_add(&rec, row.ptr, row.len);
        pd_buf_addc(&rec, '\n');
    }
    fd = open(j->spill_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        rc = write(fd, rec.ptr, rec.len) == (ssize_t)rec.len ? 0 : -1;
        close(fd);
    }
    pd_buf_release(&row);
    pd_buf_release(&rec);
    return rc;
}

/* The side file's rows, and the statements of an older version's records (a torn last
   record, from a killed process, is dropped). */
static void read_spilled(const char *path, struct rows *out, struct pd_strv *statements)
{
    FILE *f = fopen(path, "rbe");
    char head[32];
    size_t len;
    if (f == NULL)
        return;
    while (fgets(head, sizeof(head), f) && sscanf(head, "%zu", &len) == 1 && len < (64u << 20)) {
        char *rec = xmalloc(len + 2);
        struct row *r;
        if (fread(rec, 1, len + 1, f) != len + 1 || rec[len] != '\n') {
            free(rec);
            break;
        }
        rec[len] = '\0';
        if (rec[0] != '[')
            pd_strv_push(statements, rec);
        else if ((r = row_from_json(rec, len)) != NULL)
            rows_push(out, r);
        else
            pd_log(PD_LOG_ERROR, "journal side file row not read", "{s:s}", "row", rec);
        free(rec);
    }
    fclose(f);
}

/* Commit what the side file holds and remove it. */
static void fold(struct pd_journal *j)
{
    struct rows rs = {0};
    struct pd_strv statements = PD_STRV_INIT;
    pthread_mutex_lock(&j->fold_mu);
    if (j->spilled) { /* only a close writes it: what was there at open is all there is */
        read_spilled(j->spill_path, &rs, &statements);
        commit(j, &rs);
        if (statements.n) {
            duckdb_connection conn;
            struct pd_err err = PD_ERR_INIT;
            if (pd_warehouse_acquire(j->wh, &conn, &err) == 0) {
                for (size_t i = 0; i < statements.n; i++, pd_err_clear(&err))
                    if (pd_exec(conn, statements.v[i], &err) != 0)
                        pd_log(PD_LOG_ERROR, "journal statement not written", "{s:s, s:s}",
                               "error", err.msg, "sql", statements.v[i]);
                pd_warehouse_release(j->wh, conn, 1);
            }
        }
        if (unlink(j->spill_path) != 0 && errno != ENOENT)
            pd_log(PD_LOG_ERROR, "journal side file not removed", "{s:s}", "path",
                   j->spill_path);
        j->spilled = 0;
    }
    pthread_mutex_unlock(&j->fold_mu);
    rows_clear(&rs);
    pd_strv_clear(&statements);
}

/* ---- the thread ---------------------------------------------------------- */

static void *run(void *arg)
{
    struct pd_journal *j = arg;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        struct rows batch;
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
        j->queued = (struct rows){0};
        upto = j->added;
        int last = j->stopping;
        pthread_mutex_unlock(&j->mu);
        if (!(last && may_spill(j) && spill(j, &batch) == 0)) {
            fold(j); /* the rows spilled before go first: they are older */
            commit(j, &batch);
        }
        rows_clear(&batch);
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

void pd_journal_add_row(struct pd_journal *j, const char *table, const struct pd_jcell *cells,
                        size_t n)
{
    struct row *r = row_new(table, cells, n);
    pthread_mutex_lock(&j->mu);
    rows_push(&j->queued, r);
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
    rows_clear(&j->queued);
    pthread_cond_destroy(&j->wake);
    pthread_cond_destroy(&j->done);
    pthread_mutex_destroy(&j->mu);
    pthread_mutex_destroy(&j->fold_mu);
    free(j->spill_path);
    free(j->wal_path);
    free(j);
}
