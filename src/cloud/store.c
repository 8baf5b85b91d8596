/*
 * store.c - the PostgreSQL connection pool, queries, transactions and rows as
 * JSON (see store.h).
 */
#include "cloud/store.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timeutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cl_store {
    char *dsn;
    int size;
    struct cl_db *dbs;
    int *out;            /* dbs[i] is borrowed */
    pthread_mutex_t mu;
    pthread_cond_t freed;
};

/* Type OIDs of pg_type that rows map to JSON other than as text. */
enum {
    OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_JSON = 114,
    OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184,
    OID_NUMERIC = 1700, OID_JSONB = 3802,
};

/* Notices (a table that exists already) are not for the terminal. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *connect_db(const char *dsn)
{
    /* The DSN first: the settings after it are ours whatever it says. */
    const char *keys[] = {"dbname", "application_name", "connect_timeout", "options", NULL};
    const char *vals[] = {dsn, "pluto-cloud", "5",
                          "-c TimeZone=UTC -c DateStyle=ISO,YMD -c statement_timeout=30000 "
                          "-c idle_in_transaction_session_timeout=60000",
                          NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

int cl_store_open(struct cl_store **out, const char *dsn, int size, struct pd_err *err)
{
    struct cl_store *s;
    struct cl_db *db;
    *out = NULL;
    s = xcalloc(1, sizeof(*s));
    s->dsn = xstrdup(dsn);
    s->size = size > 0 ? size : 8;
    s->dbs = xcalloc((size_t)s->size, sizeof(*s->dbs));
    s->out = xcalloc((size_t)s->size, sizeof(*s->out));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->freed, NULL);
    if ((db = cl_db_get(s, err)) == NULL) {
        cl_store_close(s);
        return err->code;
    }
    cl_db_put(s, db);
    *out = s;
    return 0;
}

void cl_store_close(struct cl_store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->size; i++)
        if (s->dbs[i].conn)
            PQfinish(s->dbs[i].conn);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->freed);
    free(s->dbs);
    free(s->out);
    free(s->dsn);
    free(s);
}

/* A connection that works, connecting or reconnecting as needed; 0 or PD_EUNAVAIL. */
static int ready(struct cl_store *s, struct cl_db *db, struct pd_err *err)
{
    if (db->conn && !db->broken && PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    if (db->conn)
        PQfinish(db->conn);
    db->conn = connect_db(s->dsn);
    db->broken = 0;
    db->in_tx = 0;
    if (PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    pd_log(PD_LOG_WARN, "database unavailable", "{s:s}", "error", PQerrorMessage(db->conn));
    db->broken = 1;
    return pd_fail(err, PD_EUNAVAIL, "the database is unavailable; try again shortly");
}

struct cl_db *cl_db_get(struct cl_store *s, struct pd_err *err)
{
    struct cl_db *db = NULL;
    int i;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        for (i = 0; i < s->size && s->out[i]; i++)
            ;
        if (i < s->size)
            break;
        pthread_cond_wait(&s->freed, &s->mu);
    }
    s->out[i] = 1;
    db = &s->dbs[i];
    pthread_mutex_unlock(&s->mu);
    if (ready(s, db, err) != 0) {
        cl_db_put(s, db);
        return NULL;
    }
    return db;
}

void cl_db_put(struct cl_store *s, struct cl_db *db)
{
    if (db == NULL)
        return;
    if (db->in_tx)
        cl_db_rollback(db);
    pthread_mutex_lock(&s->mu);
    s->out[db - s->dbs] = 0;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->mu);
}

/* Is this SQLSTATE one of a lost or closing connection? */
static int state_unavailable(const char *state)
{
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
           strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

/* A failed result as an error code (see store.h); frees res. */
static int result_error(struct cl_db *db, PGresult *res, struct pd_err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
    int rc;
    if (state == NULL || PQstatus(db->conn) != CONNECTION_OK || state_unavailable(state)) {
        db->broken = 1;
        pd_log(PD_LOG_WARN, "database connection lost", "{s:s}", "error", msg);
        rc = pd_fail(err, PD_EUNAVAIL, "the database is unavailable; try again shortly");
    } else if (strcmp(state, "23505") == 0) {
        rc = pd_fail(err, PD_EEXIST, "already exists (%s)", constraint ? constraint : "unique");
    } else if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) {
        rc = pd_fail(err, PD_EINVAL, "refused by the database (%s)",
                     constraint ? constraint : state);
    } else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        rc = pd_fail(err, PD_ELOCKED, "a concurrent change got in the way; try again");
    } else if (strcmp(state, "57014") == 0) {
        rc = pd_fail(err, PD_ETIMEOUT, "the database took too long");
    } else {
        pd_log(PD_LOG_ERROR, "database error", "{s:s, s:s}", "sqlstate", state, "error", msg);
        rc = pd_fail(err, PD_EINTERNAL, "internal error (the server log has the detail)");
    }
    PQclear(res);
    return rc;
}

PGresult *cl_db_exec(struct cl_db *db, const char *sql, int n, const char *const *params,
                     struct pd_err *err)
{
    PGresult *res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    result_error(db, res, err);
    return NULL;
}

int cl_db_run(struct cl_db *db, const char *sql, int n, const char *const *params,
              struct pd_err *err)
{
    PGresult *res = cl_db_exec(db, sql, n, params, err);
    if (res == NULL)
        return err->code;
    PQclear(res);
    return 0;
}

int cl_db_begin(struct cl_db *db, struct pd_err *err)
{
    int rc = cl_db_run(db, "BEGIN", 0, NULL, err);
    db->in_tx = rc == 0;
    return rc;
}

int cl_db_commit(struct cl_db *db, struct pd_err *err)
{
    int rc = cl_db_run(db, "COMMIT", 0, NULL, err);
    db->in_tx = 0;
    return rc;
}

void cl_db_rollback(struct cl_db *db)
{
    struct pd_err ignored = PD_ERR_INIT;
    if (!db->broken)
        cl_db_run(db, "ROLLBACK", 0, NULL, &ignored);
    db->in_tx = 0;
}

int cl_store_tx(struct cl_store *s, cl_tx_fn fn, void *arg, struct pd_err *err)
{
    for (int attempt = 0;; attempt++) {
        struct pd_err e = PD_ERR_INIT;
        struct cl_db *db = cl_db_get(s, &e);
        int rc;
        if (db == NULL)
            return pd_fail(err, e.code, "%s", e.msg);
        if ((rc = cl_db_begin(db, &e)) == 0 && (rc = fn(db, arg, &e)) == 0)
            rc = cl_db_commit(db, &e);
        if (rc != 0)
            cl_db_rollback(db);
        cl_db_put(s, db);
        if (rc == PD_ELOCKED && attempt < 4) {
            usleep((useconds_t)(5000 << attempt));
            continue;
        }
        if (rc != 0)
            pd_fail(err, e.code, "%s", e.msg);
        return rc;
    }
}

int cl_store_read(struct cl_store *s, cl_tx_fn fn, void *arg, struct pd_err *err)
{
    struct cl_db *db = cl_db_get(s, err);
    int rc;
    if (db == NULL)
        return err->code;
    rc = fn(db, arg, err);
    cl_db_put(s, db);
    return rc;
}

json_t *cl_db_select(struct cl_db *db, const char *columns, const char *rest, int one,
                     const char *what, int n, const char *const *params, struct pd_err *err)
{
    char *sql = rest ? xasprintf("%s %s", columns, rest) : NULL;
    PGresult *res = cl_db_exec(db, sql ? sql : columns, n, params, err);
    json_t *out = NULL;
    free(sql);
    if (res == NULL)
        return NULL;
    if (!one)
        out = cl_rows_json(res);
    else if (PQntuples(res))
        out = cl_row_json(res, 0);
    else
        pd_fail(err, PD_ENOTFOUND, "no %s", what);
    PQclear(res);
    return out;
}

long cl_db_changed(struct cl_db *db, const char *sql, int n, const char *const *params,
                   struct pd_err *err)
{
    PGresult *res = cl_db_exec(db, sql, n, params, err);
    long changed;
    if (res == NULL)
        return -1;
    changed = atol(PQcmdTuples(res));
    PQclear(res);
    return changed;
}

/* ---- rows as JSON --------------------------------------------------------- */

/* "2026-12-03 17:49:11.123456+00" (ISO DateStyle, UTC) as RFC 3339. */
static json_t *timestamp_json(const char *v)
{
    char text[64];
    size_t n = strlen(v);
    if (n >= sizeof(text) - 2)
        return json_string(v);
    memcpy(text, v, n + 1);
    if (n > 10 && text[10] == ' ')
        text[10] = 'T';
    if (n > 3 && strcmp(text + n - 3, "+00") == 0)
        strcpy(text + n - 3, "Z");
    else if (strchr(text + 10, '+') == NULL && strchr(text + 11, '-') == NULL)
        strcat(text, "Z");
    return json_string(text);
}

json_t *cl_row_json(const PGresult *res, int i)
{
    json_t *o = json_object();
    for (int c = 0; c < PQnfields(res); c++) {
        const char *name = PQfname(res, c), *v;
        json_t *val;
        if (PQgetisnull(res, i, c)) {
            json_object_set_new(o, name, json_null());
            continue;
        }
        v = PQgetvalue(res, i, c);
        switch (PQftype(res, c)) {
        case OID_BOOL: val = json_boolean(v[0] == 't'); break;
        case OID_INT2:
        case OID_INT4:
        case OID_INT8: val = json_integer(strtoll(v, NULL, 10)); break;
        case OID_FLOAT4:
        case OID_FLOAT8:
        case OID_NUMERIC: val = json_real(strtod(v, NULL)); break;
        case OID_JSON:
        case OID_JSONB: val = json_loads(v, JSON_DECODE_ANY, NULL); break;
        case OID_TIMESTAMP:
        case OID_TIMESTAMPTZ: val = timestamp_json(v); break;
        default: val = json_string(v); break;
        }
        json_object_set_new(o, name, val ? val : json_string(v));
    }
    return o;
}

json_t *cl_rows_json(const PGresult *res)
{
    json_t *a = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(a, cl_row_json(res, i));
    return a;
}

const char *cl_val(const PGresult *res, int i, const char *col)
{
    int c = PQfnumber(res, col);
    if (c < 0)
        PD_BUG("cl_val: no such column");
    return PQgetisnull(res, i, c) ? "" : PQgetvalue(res, i, c);
}
