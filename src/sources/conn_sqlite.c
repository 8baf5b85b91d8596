/*
 * conn_sqlite.c - SQLite files through libsqlite3, opened read-only.
 *
 * SQLite columns have declared types but hold any value; the declared type picks
 * the DuckDB type (INT -> BIGINT, REAL/FLOAT/DOUBLE -> DOUBLE, TEXT/CHAR/CLOB ->
 * VARCHAR, BLOB -> BLOB, BOOL -> BOOLEAN, DATE, DATETIME/TIMESTAMP -> TIMESTAMP;
 * anything else VARCHAR of its text, with a warning). A value that does not fit
 * its column's type is an error naming the column, never silently changed.
 */
#include "sources/connector.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum kind { K_INT, K_REAL, K_TEXT, K_BLOB, K_BOOL, K_DATE, K_TIMESTAMP };

struct pd_remote {
    sqlite3 *db;
    char *path;
};

struct pd_rscan {
    struct pd_remote *r;
    sqlite3_stmt *st;
    struct pd_projection proj;
    int finished; /* stepping past the end would start the statement again */
};

static int configure(json_t *config, char **secret, struct pd_err *err)
{
    (void)secret;
    return pd_cfg_existing_file(config, "sqlite", "SQLite", err);
}

static int sqlite_error(struct pd_err *err, sqlite3 *db, const char *what, const char *path)
{
    return pd_fail(err, PD_EINVAL, "SQLite %s (%s): %s", what, path, db ? sqlite3_errmsg(db) : "");
}

static int sl_open(const struct pd_source *src, struct pd_remote **out, struct pd_err *err)
{
    struct pd_remote *r = xcalloc(1, sizeof(*r));
    const char *path = pd_cfg_str(src->config, "path");
    int rc = 0;

    r->path = xstrdup(path ? path : "");
    if (access(r->path, R_OK) != 0)
        rc = pd_fail(err, PD_ENOTFOUND, "SQLite file %s does not exist or cannot be read", r->path);
    else if (sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
             SQLITE_OK)
        rc = sqlite_error(err, r->db, "cannot open", r->path);
    if (rc != 0) {
        sqlite3_close(r->db);
        free(r->path);
        free(r);
        return rc;
    }
    sqlite3_busy_timeout(r->db, (int)(src->connect_timeout_s * 1000));
    *out = r;
    return 0;
}

static void sl_close(struct pd_remote *r)
{
    sqlite3_close(r->db);
    free(r->path);
    free(r);
}

static void sl_cancel(struct pd_remote *r)
{
    sqlite3_interrupt(r->db);
}

static int sl_list(struct pd_remote *r, struct pd_strv *out, struct pd_err *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(r->db,
                           "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
                           "AND name NOT LIKE 'sqlite_%' ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlite_error(err, r->db, "cannot list tables", r->path);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        pd_strv_push(out, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sqlite_error(err, r->db, "cannot list tables", r->path);
    return 0;
}

/* The DuckDB type for a declared SQLite type. */
static enum kind kind_of(const char *decl, duckdb_type *t)
{
    if (!decl || !*decl) {
        *t = DUCKDB_TYPE_VARCHAR;
        return K_TEXT;
    }
    if (strcasestr(decl, "INT")) {
        *t = DUCKDB_TYPE_BIGINT;
        return K_INT;
    }
    if (strcasestr(decl, "CHAR") || strcasestr(decl, "CLOB") || strcasestr(decl, "TEXT")) {
        *t = DUCKDB_TYPE_VARCHAR;
        return K_TEXT;
    }
    if (strcasestr(decl, "BLOB")) {
        *t = DUCKDB_TYPE_BLOB;
        return K_BLOB;
    }
    if (strcasestr(decl, "REAL") || strcasestr(decl, "FLOA") || strcasestr(decl, "DOUB") ||
        strcasestr(decl, "NUMERIC") || strcasestr(decl, "DECIMAL")) {
        *t = DUCKDB_TYPE_DOUBLE;
        return K_REAL;
    }
    if (strcasestr(decl, "BOOL")) {
        *t = DUCKDB_TYPE_BOOLEAN;
        return K_BOOL;
    }
    if (strcasestr(decl, "DATETIME") || strcasestr(decl, "TIMESTAMP")) {
        *t = DUCKDB_TYPE_TIMESTAMP;
        return K_TIMESTAMP;
    }
    if (strcasestr(decl, "DATE")) {
        *t = DUCKDB_TYPE_DATE;
        return K_DATE;
    }
    *t = DUCKDB_TYPE_INVALID;
    return K_TEXT;
}

/*
 * The filters a declared column may be pushed with. SQLite keeps any value in any
 * column: one that does not fit (text in an INTEGER column) is read as NULL and
 * fails every comparison here as there, but IS NULL would differ. Text may be
 * declared COLLATE NOCASE, which only = and LIKE survive; dates are free text.
 */
static unsigned push_of(enum kind k, const char *decl)
{
    if (!decl)
        return 0; /* an expression: no column to filter */
    if (k == K_INT)
        return PD_PUSH_ORDERED;
    if (k == K_TEXT && (strcasestr(decl, "CHAR") || strcasestr(decl, "CLOB") ||
                        strcasestr(decl, "TEXT"))) /* text affinity: text compares as text */
        return PD_PUSH_EQ | PD_PUSH_LIKE | PD_PUSH_NULL | PD_PUSH_NOTNULL;
    return PD_PUSH_NOTNULL;
}

static int sl_describe(struct pd_remote *r, const char *table, const char *query,
                       struct pd_relation *rel, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    sqlite3_stmt *st;
    int rc = 0;

    if (table) {
        pd_remote_ident(&sql, table, '"');
        rel->from = pd_buf_detach(&sql, NULL);
        pd_buf_addf(&sql, "SELECT * FROM %s", rel->from);
    } else {
        pd_buf_addf(&sql, "(%s) AS q", query);
        rel->from = pd_buf_detach(&sql, NULL);
        pd_buf_adds(&sql, query);
    }
    if (sqlite3_prepare_v2(r->db, sql.ptr, -1, &st, NULL) != SQLITE_OK) {
        if (table && strstr(sqlite3_errmsg(r->db), "no such table"))
            rc = pd_fail(err, PD_ENOTFOUND,
                         "table %s no longer exists in %s (run: pluto-duck source refresh)",
                         table, r->path);
        else
            rc = sqlite_error(err, r->db, table ? "cannot read table" : "query failed", r->path);
        pd_buf_release(&sql);
        return rc;
    }
    /* Expressions have no declared type: the first row's values tell (NULL: VARCHAR). */
    int stepped = 0;
    for (int i = 0; i < sqlite3_column_count(st) && !stepped; i++)
        if (!sqlite3_column_decltype(st, i))
            stepped = sqlite3_step(st) == SQLITE_ROW;
    for (int i = 0; i < sqlite3_column_count(st); i++) {
        const char *decl = sqlite3_column_decltype(st, i);
        duckdb_type t;
        enum kind k = kind_of(decl, &t);
        if (!decl && stepped) {
            static const char *const by_value[] = {NULL, "INTEGER", "REAL", "TEXT", "BLOB"};
            int vt = sqlite3_column_type(st, i);
            k = kind_of(vt >= 1 && vt <= 4 ? by_value[vt] : "TEXT", &t);
        }
        if (t == DUCKDB_TYPE_INVALID) {
            pd_strv_pushf(&rel->warnings, "column %s: SQLite type %s read as VARCHAR",
                          sqlite3_column_name(st, i), decl);
            t = DUCKDB_TYPE_VARCHAR;
        } else if (rel->bad_values == PD_BAD_TEXT &&
                   (k == K_BOOL || k == K_DATE || k == K_TIMESTAMP)) {
            /* types SQLite does not have, only names of: read them as written (a number
               that is not one still becomes NULL, counted) */
            k = K_TEXT;
            t = DUCKDB_TYPE_VARCHAR;
        }
        pd_relation_add(rel, sqlite3_column_name(st, i), duckdb_create_logical_type(t), k, 0,
                        NULL);
        rel->cols[rel->ncols - 1].push = push_of(k, decl);
    }
    sqlite3_finalize(st);
    pd_buf_release(&sql);
    return 0;
}

static int sl_scan(struct pd_remote *r, const struct pd_relation *rel, const struct pd_scan_req *req,
                   struct pd_rscan **out, struct pd_err *err)
{
    struct pd_rscan *s = xcalloc(1, sizeof(*s));
    struct pd_buf sql = PD_BUF_INIT;

    pd_relation_select(&sql, rel, req, '"');
    if (sqlite3_prepare_v2(r->db, sql.ptr, -1, &s->st, NULL) != SQLITE_OK) {
        sqlite_error(err, r->db, "query failed", r->path);
        pd_buf_release(&sql);
        free(s);
        return err->code;
    }
    pd_buf_release(&sql);
    s->r = r;
    pd_projection_init(&s->proj, rel, req->cols, req->ncols);
    *out = s;
    return 0;
}

/*
 * A value that is not what its column declares: as sources.bad_values says, NULL
 * (counted) or an error naming it.
 */
static int mismatch(struct pd_err *err, const struct pd_relation *rel, const struct pd_rcol *c,
                    sqlite3_stmt *st, int i, duckdb_vector v, idx_t out_row, int64_t row,
                    const char *want)
{
    const char *text = (const char *)sqlite3_column_text(st, i);
    pd_fail(err, PD_EINVAL,
            "column %s, row %lld: SQLite value '%.40s' is not %s (sources.bad_values = null "
            "reads it as NULL, text reads the column as text; or cast it with sqlite_query)",
            c->name, (long long)row + 1, text ? text : "", want);
    return pd_bad_value(rel, (size_t)(c - rel->cols), v, out_row, err);
}

/* Write column i of the current row into v at out_row. */
static int put_value(const struct pd_relation *rel, const struct pd_rcol *c, sqlite3_stmt *st,
                     int i, duckdb_vector v, idx_t out_row, int64_t row, struct pd_err *err)
{
    int type = sqlite3_column_type(st, i);
    void *data = duckdb_vector_get_data(v);
    int64_t x;

    if (type == SQLITE_NULL) {
        pd_vec_null(v, out_row);
        return 0;
    }
    switch (c->kind) {
    case K_INT:
        if (type == SQLITE_FLOAT) {
            double d = sqlite3_column_double(st, i);
            if (d != (double)(int64_t)d)
                return mismatch(err, rel, c, st, i, v, out_row, row, "an integer");
        } else if (type != SQLITE_INTEGER) {
            char *end;
            const char *t = (const char *)sqlite3_column_text(st, i);
            strtoll(t, &end, 10);
            if (end == t || *end)
                return mismatch(err, rel, c, st, i, v, out_row, row, "an integer");
        }
        ((int64_t *)data)[out_row] = sqlite3_column_int64(st, i);
        return 0;
    case K_REAL:
        if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
            char *end;
            const char *t = (const char *)sqlite3_column_text(st, i);
            strtod(t, &end);
            if (end == t || *end)
                return mismatch(err, rel, c, st, i, v, out_row, row, "a number");
        }
        ((double *)data)[out_row] = sqlite3_column_double(st, i);
        return 0;
    case K_BOOL:
        if (type != SQLITE_INTEGER)
            return mismatch(err, rel, c, st, i, v, out_row, row, "a boolean (0 or 1)");
        ((bool *)data)[out_row] = sqlite3_column_int64(st, i) != 0;
        return 0;
    case K_DATE:
    case K_TIMESTAMP:
        if (type == SQLITE_INTEGER && c->kind == K_TIMESTAMP) {
            x = sqlite3_column_int64(st, i) * 1000000; /* unix seconds */
        } else if (type != SQLITE_TEXT ||
                   pd_parse_datetime((const char *)sqlite3_column_text(st, i),
                                     (size_t)sqlite3_column_bytes(st, i), c->kind == K_DATE,
                                     &x) != 0) {
            return mismatch(err, rel, c, st, i, v, out_row, row, c->kind == K_DATE ? "a date" : "a timestamp");
        }
        if (c->kind == K_DATE)
            ((int32_t *)data)[out_row] = (int32_t)x;
        else
            ((int64_t *)data)[out_row] = x;
        return 0;
    case K_BLOB:
        pd_vec_str(v, out_row, sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
        return 0;
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        pd_vec_str(v, out_row, t, (size_t)sqlite3_column_bytes(st, i));
        return 0;
    }
    }
}

static long sl_fetch(struct pd_rscan *s, duckdb_data_chunk out, struct pd_err *err)
{
    idx_t cap = duckdb_vector_size(), n = 0;
    int rc = SQLITE_ROW;

    if (s->finished)
        return 0;
    while (n < cap && (rc = sqlite3_step(s->st)) == SQLITE_ROW) {
        int remote_col = 0;
        for (idx_t j = 0; j < s->proj.ncols; j++) {
            duckdb_vector v = duckdb_data_chunk_get_vector(out, j);
            const struct pd_rcol *c = pd_projection_column(&s->proj, v, j, n);
            if (c && put_value(s->proj.rel, c, s->st, remote_col++, v, n, s->proj.row, err))
                return -1;
        }
        n++;
        s->proj.row++;
    }
    if (rc != SQLITE_ROW)
        s->finished = 1;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        if (rc == SQLITE_INTERRUPT)
            pd_fail(err, PD_ECANCELED, "SQLite read interrupted");
        else
            sqlite_error(err, s->r->db, "read failed", s->r->path);
        return -1;
    }
    return (long)n;
}

static void sl_scan_close(struct pd_rscan *s)
{
    sqlite3_finalize(s->st);
    pd_projection_clear(&s->proj);
    free(s);
}

static int sl_estimate(struct pd_remote *r, const char *table, int64_t *rows, int64_t *bytes,
                       struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    sqlite3_stmt *st;
    int rc = 0;

    pd_buf_adds(&sql, "SELECT count(*) FROM ");
    pd_remote_ident(&sql, table, '"');
    if (sqlite3_prepare_v2(r->db, sql.ptr, -1, &st, NULL) != SQLITE_OK) {
        rc = strstr(sqlite3_errmsg(r->db), "no such table")
                 ? pd_fail(err, PD_ENOTFOUND, "no table %s in %s", table, r->path)
                 : sqlite_error(err, r->db, "cannot count rows", r->path);
    } else {
        if (sqlite3_step(st) == SQLITE_ROW)
            *rows = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    *bytes = -1;
    pd_buf_release(&sql);
    return rc;
}

const struct pd_connector pd_conn_sqlite = {
    .type = "sqlite",
    .summary = "a SQLite database file (read-only)",
    .options = "--path FILE",
    .configure = configure,
    .dialect = PD_DIALECT_SQLITE,
    .query_function = "sqlite_query",
    .open = sl_open,
    .list_tables = sl_list,
    .describe = sl_describe,
    .scan = sl_scan,
    .fetch = sl_fetch,
    .scan_close = sl_scan_close,
    .cancel = sl_cancel,
    .estimate = sl_estimate,
    .close = sl_close,
};
