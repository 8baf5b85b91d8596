/*
 * conn_mysql.c - MySQL and MariaDB through MariaDB Connector/C (libmariadb).
 *
 * Tables and pass-through queries are described from the prepared statement's
 * result metadata (nothing runs); scans stream rows with mysql_use_result, so
 * the client holds one row at a time. Integers keep their width and
 * signedness, DECIMAL(p<=38) stays exact, DATETIME is TIMESTAMP, TIMESTAMP is
 * TIMESTAMP WITH TIME ZONE (the session runs in UTC), binary strings are BLOB,
 * ENUM/SET/JSON are VARCHAR. A cancel opens a second connection and sends KILL
 * QUERY for the scan's thread.
 */
#include "sources/connector.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/dynlib.h"
#include "base/err.h"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdlib.h>
#include <string.h>

/* libmariadb is loaded when a source of this kind is first used (base/dynlib.h). */
#define PD_MY_FUNCS(X) X(mysql_close) X(mysql_errno) X(mysql_error) X(mysql_fetch_fields) \
    X(mysql_fetch_lengths) X(mysql_fetch_row) X(mysql_free_result) X(mysql_init) \
    X(mysql_num_fields) X(mysql_options) X(mysql_query) X(mysql_real_connect) \
    X(mysql_real_escape_string) X(mysql_real_query) X(mysql_stmt_close) X(mysql_stmt_errno) \
    X(mysql_stmt_error) X(mysql_stmt_init) X(mysql_stmt_prepare) \
    X(mysql_stmt_result_metadata) X(mysql_store_result) X(mysql_thread_id) \
    X(mysql_use_result)
PD_DYNLIB_TABLE(pd_my, PD_MY_FUNCS);
PD_DYNLIB_DEFINE(pd_my, PD_MY_FUNCS, PD_SONAME_MYSQL, "libmariadb3")

enum kind { K_INT, K_UINT, K_FLOAT, K_DOUBLE, K_DECIMAL, K_TEXT, K_BLOB, K_DATE, K_DATETIME,
            K_TIME, K_BIT };

struct pd_remote {
    MYSQL *db;
    const struct pd_source *src;
    char *label;
    unsigned long thread_id;
};

struct pd_rscan {
    struct pd_remote *r;
    MYSQL_RES *res;
    struct pd_projection proj;
    int finished;
};

/* mysql://user[:password]@host[:port]/database */
static int configure(json_t *config, char **secret, struct pd_err *err)
{
    const char *dsn = pd_cfg_str(config, "dsn"), *p, *at, *slash, *colon;
    char *userinfo, *hostport;
    struct pd_buf shown = PD_BUF_INIT;

    if (!dsn)
        return pd_fail(err, PD_EUSAGE, "a mysql source needs --dsn 'mysql://USER@HOST:PORT/DB'");
    if (strncmp(dsn, "mysql://", 8) && strncmp(dsn, "mariadb://", 10))
        return pd_fail(err, PD_EINVAL, "invalid --dsn: it must start with mysql:// or mariadb://");
    p = strstr(dsn, "://") + 3;
    at = strrchr(p, '@');
    slash = strchr(at ? at : p, '/');
    if (!at || !slash || !slash[1])
        return pd_fail(err, PD_EINVAL, "invalid --dsn: expected mysql://USER@HOST[:PORT]/DATABASE");
    userinfo = xstrndup(p, (size_t)(at - p));
    hostport = xstrndup(at + 1, (size_t)(slash - at - 1));
    if ((colon = strchr(userinfo, ':')) != NULL) {
        free(*secret);
        *secret = xstrdup(colon + 1);
        userinfo[colon - userinfo] = 0;
    }
    json_object_set_new(config, "user", json_string(userinfo));
    if ((colon = strrchr(hostport, ':')) != NULL) {
        json_object_set_new(config, "port", json_integer(atoi(colon + 1)));
        hostport[colon - hostport] = 0;
    }
    json_object_set_new(config, "host", json_string(*hostport ? hostport : "127.0.0.1"));
    json_object_set_new(config, "database", json_string(slash + 1));
    pd_buf_addf(&shown, "mysql://%s@%s", userinfo, at + 1);
    json_object_set_new(config, "dsn", json_string(shown.ptr));
    pd_buf_release(&shown);
    free(userinfo);
    free(hostport);
    return 0;
}

static MYSQL *connect_db(const struct pd_source *src, struct pd_err *err, const char *label)
{
    if (pd_my_load(err) != 0)
        return NULL;
    MYSQL *db = pd_my.mysql_init(NULL);
    unsigned int timeout = (unsigned int)src->connect_timeout_s;
    json_t *port = json_object_get(src->config, "port");

    pd_my.mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    pd_my.mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    pd_my.mysql_options(db, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    pd_my.mysql_options(db, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION READ ONLY"); /* only ever read */
    if (!pd_my.mysql_real_connect(db, pd_cfg_str(src->config, "host"), pd_cfg_str(src->config, "user"),
                            src->secret, pd_cfg_str(src->config, "database"),
                            port ? (unsigned)json_integer_value(port) : 3306, NULL, 0)) {
        unsigned e = pd_my.mysql_errno(db);
        pd_fail(err, PD_EINVAL, "cannot connect to %s: %s%s", label, pd_my.mysql_error(db),
                e == ER_ACCESS_DENIED_ERROR ? " (authentication failed: check the user and "
                                              "password; re-attach to store a new one)"
                                            : "");
        pd_my.mysql_close(db);
        return NULL;
    }
    return db;
}

static int my_open(const struct pd_source *src, struct pd_remote **out, struct pd_err *err)
{
    struct pd_remote *r = xcalloc(1, sizeof(*r));

    r->label = xasprintf("mysql source %s", src->name);
    if (!(r->db = connect_db(src, err, r->label))) {
        free(r->label);
        free(r);
        return err->code;
    }
    r->src = src;
    r->thread_id = pd_my.mysql_thread_id(r->db);
    *out = r;
    return 0;
}

static void my_close(struct pd_remote *r)
{
    pd_my.mysql_close(r->db);
    free(r->label);
    free(r);
}

/* KILL QUERY from a second connection: the first one is busy streaming. */
static void my_cancel(struct pd_remote *r)
{
    struct pd_err ignored = PD_ERR_INIT;
    MYSQL *db = connect_db(r->src, &ignored, r->label);
    char sql[64];

    if (!db)
        return;
    snprintf(sql, sizeof(sql), "KILL QUERY %lu", r->thread_id);
    pd_my.mysql_query(db, sql);
    pd_my.mysql_close(db);
}

static int my_error(struct pd_remote *r, const char *what, struct pd_err *err)
{
    return pd_fail(err, PD_EINVAL, "%s: %s: %s", r->label, what, pd_my.mysql_error(r->db));
}

static int my_list(struct pd_remote *r, struct pd_strv *out, struct pd_err *err)
{
    MYSQL_RES *res;
    MYSQL_ROW row;

    if (pd_my.mysql_query(r->db, "SELECT table_name FROM information_schema.tables "
                           "WHERE table_schema = DATABASE() ORDER BY 1") != 0 ||
        !(res = pd_my.mysql_store_result(r->db)))
        return my_error(r, "cannot list tables", err);
    while ((row = pd_my.mysql_fetch_row(res)) != NULL)
        pd_strv_push(out, row[0]);
    pd_my.mysql_free_result(res);
    return 0;
}

/*
 * The filters a field may be pushed with. Text compares by its collation, which
 * may fold case and pad: = and LIKE then keep more rows, never fewer, but <> and
 * ranges could keep fewer. A zero date is read as NULL, so IS NULL stays local.
 */
static unsigned push_of(const MYSQL_FIELD *f, int k)
{
    switch (k) {
    case K_INT:
    case K_UINT:
        return f->type == MYSQL_TYPE_YEAR ? PD_PUSH_NOTNULL : PD_PUSH_ORDERED | PD_PUSH_NULL;
    case K_DECIMAL: return PD_PUSH_ORDERED | PD_PUSH_NULL;
    case K_DATE:
    case K_DATETIME: return PD_PUSH_ORDERED;
    case K_TEXT:
        if (f->type == MYSQL_TYPE_ENUM || f->type == MYSQL_TYPE_SET || f->type == MYSQL_TYPE_JSON)
            return PD_PUSH_NOTNULL;
        return PD_PUSH_EQ | PD_PUSH_LIKE | PD_PUSH_NULL | PD_PUSH_NOTNULL;
    default: return PD_PUSH_NOTNULL;
    }
}

/* Map one result field to a DuckDB type. */
static void map_field(struct pd_relation *rel, const MYSQL_FIELD *f)
{
    int uns = (f->flags & UNSIGNED_FLAG) != 0, binary = f->charsetnr == 63;
    duckdb_type t;
    int k, aux = 0;

    switch (f->type) {
    case MYSQL_TYPE_TINY: k = uns ? K_UINT : K_INT, t = uns ? DUCKDB_TYPE_UTINYINT : DUCKDB_TYPE_TINYINT; break;
    case MYSQL_TYPE_SHORT: k = uns ? K_UINT : K_INT, t = uns ? DUCKDB_TYPE_USMALLINT : DUCKDB_TYPE_SMALLINT; break;
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG: k = uns ? K_UINT : K_INT, t = uns ? DUCKDB_TYPE_UINTEGER : DUCKDB_TYPE_INTEGER; break;
    case MYSQL_TYPE_LONGLONG: k = uns ? K_UINT : K_INT, t = uns ? DUCKDB_TYPE_UBIGINT : DUCKDB_TYPE_BIGINT; break;
    case MYSQL_TYPE_YEAR: k = K_INT, t = DUCKDB_TYPE_SMALLINT; break;
    case MYSQL_TYPE_FLOAT: k = K_FLOAT, t = DUCKDB_TYPE_FLOAT; break;
    case MYSQL_TYPE_DOUBLE: k = K_DOUBLE, t = DUCKDB_TYPE_DOUBLE; break;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: {
        int scale = (int)f->decimals;
        int prec = (int)f->length - (scale > 0) - !uns;
        if (prec >= 1 && prec <= 38 && scale <= prec) {
            pd_relation_add(rel, f->name, duckdb_create_decimal_type((uint8_t)prec, (uint8_t)scale),
                            K_DECIMAL, scale, NULL);
            rel->cols[rel->ncols - 1].push = push_of(f, K_DECIMAL);
            return;
        }
        pd_strv_pushf(&rel->warnings, "column %s: decimal(%d,%d) does not fit DECIMAL; read as DOUBLE",
                      f->name, prec, scale);
        k = K_DOUBLE, t = DUCKDB_TYPE_DOUBLE;
        break;
    }
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: k = K_DATE, t = DUCKDB_TYPE_DATE; break;
    case MYSQL_TYPE_DATETIME: k = K_DATETIME, t = DUCKDB_TYPE_TIMESTAMP; break;
    case MYSQL_TYPE_TIMESTAMP: k = K_DATETIME, t = DUCKDB_TYPE_TIMESTAMP_TZ; break;
    case MYSQL_TYPE_TIME: k = K_TIME, t = DUCKDB_TYPE_INTERVAL; break; /* -838:59:59 .. 838:59:59 */
    case MYSQL_TYPE_BIT: k = K_BIT, t = DUCKDB_TYPE_UBIGINT; break;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
        k = binary ? K_BLOB : K_TEXT, t = binary ? DUCKDB_TYPE_BLOB : DUCKDB_TYPE_VARCHAR;
        break;
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
    case MYSQL_TYPE_JSON: k = K_TEXT, t = DUCKDB_TYPE_VARCHAR; break;
    case MYSQL_TYPE_GEOMETRY:
        pd_strv_pushf(&rel->warnings, "column %s: geometry read as BLOB (its WKB bytes)", f->name);
        k = K_BLOB, t = DUCKDB_TYPE_BLOB;
        break;
    default:
        pd_strv_pushf(&rel->warnings, "column %s: MySQL type %d read as VARCHAR", f->name,
                      (int)f->type);
        k = K_TEXT, t = DUCKDB_TYPE_VARCHAR;
    }
    /* sources.bad_values = text: dates and times (zero dates, values out of range) as written */
    if (rel->bad_values == PD_BAD_TEXT && (k == K_DATE || k == K_DATETIME || k == K_TIME))
        k = K_TEXT, t = DUCKDB_TYPE_VARCHAR;
    pd_relation_add(rel, f->name, duckdb_create_logical_type(t), k, aux, NULL);
    rel->cols[rel->ncols - 1].push = push_of(f, k);
}

static int my_describe(struct pd_remote *r, const char *table, const char *query,
                       struct pd_relation *rel, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    MYSQL_STMT *st = pd_my.mysql_stmt_init(r->db);
    MYSQL_RES *meta = NULL;
    int rc = 0;

    if (table) {
        pd_remote_ident(&sql, table, '`');
        rel->from = xstrdup(sql.ptr);
        pd_buf_reset(&sql);
        pd_buf_addf(&sql, "SELECT * FROM %s", rel->from);
    } else {
        rel->from = xasprintf("(%s) AS q", query);
        pd_buf_adds(&sql, query);
    }
    if (pd_my.mysql_stmt_prepare(st, sql.ptr, sql.len) != 0) {
        if (table && pd_my.mysql_stmt_errno(st) == ER_NO_SUCH_TABLE)
            rc = pd_fail(err, PD_ENOTFOUND,
                         "table %s no longer exists in %s (run: pluto-duck source refresh)",
                         table, r->label);
        else
            rc = pd_fail(err, PD_EINVAL, "%s: %s", r->label, pd_my.mysql_stmt_error(st));
    } else if (!(meta = pd_my.mysql_stmt_result_metadata(st))) {
        rc = pd_fail(err, PD_EINVAL, "%s: the statement returns no rows", r->label);
    } else {
        MYSQL_FIELD *f = pd_my.mysql_fetch_fields(meta);
        for (unsigned i = 0; i < pd_my.mysql_num_fields(meta); i++)
            map_field(rel, &f[i]);
        pd_my.mysql_free_result(meta);
    }
    pd_my.mysql_stmt_close(st);
    pd_buf_release(&sql);
    return rc;
}

static int my_scan(struct pd_remote *r, const struct pd_relation *rel, const struct pd_scan_req *req,
                   struct pd_rscan **out, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_rscan *s;

    pd_relation_select(&sql, rel, req, '`');
    if (pd_my.mysql_real_query(r->db, sql.ptr, sql.len) != 0) {
        pd_buf_release(&sql);
        return my_error(r, "query failed", err);
    }
    pd_buf_release(&sql);
    s = xcalloc(1, sizeof(*s));
    if (!(s->res = pd_my.mysql_use_result(r->db))) {
        free(s);
        return my_error(r, "query failed", err);
    }
    s->r = r;
    pd_projection_init(&s->proj, rel, req->cols, req->ncols);
    *out = s;
    return 0;
}

/* "-123.45" into an integer scaled by 10^scale. */
static int parse_decimal(const char *p, unsigned long len, int scale, __int128 *out)
{
    __int128 acc = 0;
    int neg = 0, frac = -1;

    for (unsigned long i = 0; i < len; i++) {
        char c = p[i];
        if (c == '-' && i == 0)
            neg = 1;
        else if (c == '.' && frac < 0)
            frac = 0;
        else if (c >= '0' && c <= '9') {
            if (frac >= 0 && frac++ >= scale)
                continue;
            acc = acc * 10 + (c - '0');
        } else
            return -1;
    }
    for (int f = frac < 0 ? 0 : frac; f < scale; f++)
        acc *= 10;
    *out = neg ? -acc : acc;
    return 0;
}

/* A value that does not fit its column: NULL (counted) or an error, as sources.bad_values says. */
static int bad_value(struct pd_err *err, const struct pd_relation *rel, const struct pd_rcol *c,
                     duckdb_vector v, idx_t row, const char *p, unsigned long len)
{
    pd_fail(err, PD_EINVAL,
            "column %s: cannot read MySQL value '%.*s' (sources.bad_values = null reads it as "
            "NULL, text reads the column as text; or cast it in mysql_query)",
            c->name, (int)(len > 40 ? 40 : len), p);
    return pd_bad_value(rel, (size_t)(c - rel->cols), v, row, err);
}

static int put(const struct pd_relation *rel, const struct pd_rcol *c, duckdb_vector v,
               idx_t row, const char *p, unsigned long len, struct pd_err *err)
{
    void *data = duckdb_vector_get_data(v);
    char tmp[64];
    int64_t x;

    if (len < sizeof(tmp) && c->kind != K_TEXT && c->kind != K_BLOB) {
        memcpy(tmp, p, len);
        tmp[len] = 0;
        p = tmp;
    }
    switch (c->kind) {
    case K_INT:
    case K_UINT: {
        duckdb_type t = duckdb_get_type_id(c->type);
        int64_t i = c->kind == K_INT ? strtoll(p, NULL, 10) : (int64_t)strtoull(p, NULL, 10);
        switch (t) {
        case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_UTINYINT: ((int8_t *)data)[row] = (int8_t)i; break;
        case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_USMALLINT: ((int16_t *)data)[row] = (int16_t)i; break;
        case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_UINTEGER: ((int32_t *)data)[row] = (int32_t)i; break;
        default: ((int64_t *)data)[row] = i;
        }
        return 0;
    }
    case K_FLOAT: ((float *)data)[row] = strtof(p, NULL); return 0;
    case K_DOUBLE: ((double *)data)[row] = strtod(p, NULL); return 0;
    case K_DECIMAL: {
        __int128 d;
        duckdb_type it;
        if (parse_decimal(p, len, c->aux, &d) != 0)
            return bad_value(err, rel, c, v, row, p, len);
        it = duckdb_decimal_internal_type(c->type);
        if (it == DUCKDB_TYPE_SMALLINT) ((int16_t *)data)[row] = (int16_t)d;
        else if (it == DUCKDB_TYPE_INTEGER) ((int32_t *)data)[row] = (int32_t)d;
        else if (it == DUCKDB_TYPE_BIGINT) ((int64_t *)data)[row] = (int64_t)d;
        else ((duckdb_hugeint *)data)[row] = (duckdb_hugeint){(uint64_t)d, (int64_t)(d >> 64)};
        return 0;
    }
    case K_DATE:
    case K_DATETIME:
        if (strncmp(p, "0000-00-00", 10) == 0) { /* MySQL's zero date has no meaning: NULL */
            pd_null_counted(rel, (size_t)(c - rel->cols), v, row);
            return 0;
        }
        if (pd_parse_datetime(p, len, c->kind == K_DATE, &x) != 0)
            return bad_value(err, rel, c, v, row, p, len);
        if (c->kind == K_DATE)
            ((int32_t *)data)[row] = (int32_t)x;
        else
            ((int64_t *)data)[row] = x;
        return 0;
    case K_TIME: { /* a duration, as MySQL's TIME is: [-]H:MM:SS[.ffffff] */
        int h, m, neg = p[0] == '-';
        double s;
        int64_t us;
        if (sscanf(p + neg, "%d:%d:%lf", &h, &m, &s) != 3 || h < 0 || m < 0 || m > 59 ||
            s < 0 || s >= 60)
            return bad_value(err, rel, c, v, row, p, len);
        us = ((int64_t)h * 3600 + m * 60) * 1000000 + (int64_t)(s * 1e6 + 0.5);
        ((duckdb_interval *)data)[row] = (duckdb_interval){0, 0, neg ? -us : us};
        return 0;
    }
    case K_BIT: {
        uint64_t b = 0;
        for (unsigned long i = 0; i < len; i++)
            b = (b << 8) | (unsigned char)p[i];
        ((uint64_t *)data)[row] = b;
        return 0;
    }
    default:
        pd_vec_str(v, row, p, len);
        return 0;
    }
}

static long my_fetch(struct pd_rscan *s, duckdb_data_chunk out, struct pd_err *err)
{
    idx_t cap = duckdb_vector_size(), n = 0;
    MYSQL_ROW row;

    while (n < cap && !s->finished) {
        unsigned long *lens;
        unsigned field = 0;
        if (!(row = pd_my.mysql_fetch_row(s->res))) {
            s->finished = 1;
            if (pd_my.mysql_errno(s->r->db)) {
                pd_fail(err, pd_my.mysql_errno(s->r->db) == ER_QUERY_INTERRUPTED ? PD_ECANCELED : PD_EINVAL,
                        "%s: reading failed: %s", s->r->label, pd_my.mysql_error(s->r->db));
                return -1;
            }
            break;
        }
        lens = pd_my.mysql_fetch_lengths(s->res);
        for (idx_t j = 0; j < s->proj.ncols; j++) {
            duckdb_vector v = duckdb_data_chunk_get_vector(out, j);
            const struct pd_rcol *c = pd_projection_column(&s->proj, v, j, n);
            if (!c)
                continue;
            if (!row[field])
                pd_vec_null(v, n);
            else if (put(s->proj.rel, c, v, n, row[field], lens[field], err) != 0)
                return -1;
            field++;
        }
        n++;
        s->proj.row++;
    }
    return (long)n;
}

static void my_scan_close(struct pd_rscan *s)
{
    if (!s->finished)
        my_cancel(s->r); /* otherwise freeing the result would read every remaining row */
    pd_my.mysql_free_result(s->res);
    pd_projection_clear(&s->proj);
    free(s);
}

static int my_estimate(struct pd_remote *r, const char *table, int64_t *rows, int64_t *bytes,
                       struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    MYSQL_RES *res;
    MYSQL_ROW row;
    char *esc = xmalloc(strlen(table) * 2 + 1);
    int rc = 0;

    pd_my.mysql_real_escape_string(r->db, esc, table, strlen(table));
    pd_buf_addf(&sql,
                "SELECT table_rows, data_length + index_length FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = '%s'",
                esc);
    if (pd_my.mysql_query(r->db, sql.ptr) != 0 || !(res = pd_my.mysql_store_result(r->db))) {
        rc = my_error(r, "cannot estimate", err);
    } else {
        if ((row = pd_my.mysql_fetch_row(res)) != NULL) {
            *rows = row[0] ? atoll(row[0]) : -1;
            *bytes = row[1] ? atoll(row[1]) : -1;
        } else {
            rc = pd_fail(err, PD_ENOTFOUND, "no table %s in %s", table, r->label);
        }
        pd_my.mysql_free_result(res);
    }
    free(esc);
    pd_buf_release(&sql);
    return rc;
}

const struct pd_connector pd_conn_mysql = {
    .type = "mysql",
    .summary = "a MySQL or MariaDB database (MariaDB Connector/C; streamed rows)",
    .options = "--dsn mysql://USER@HOST:PORT/DB [--password-stdin]",
    .quote = '`',
    .dialect = PD_DIALECT_MYSQL,
    .password_env = "MYSQL_PWD",
    .configure = configure,
    .query_function = "mysql_query",
    .open = my_open,
    .list_tables = my_list,
    .describe = my_describe,
    .scan = my_scan,
    .fetch = my_fetch,
    .scan_close = my_scan_close,
    .cancel = my_cancel,
    .estimate = my_estimate,
    .close = my_close,
};
