/*
 * conn_postgres.c - PostgreSQL through libpq.
 *
 * Scans run `COPY (SELECT <projected columns> FROM t [WHERE ...]) TO STDOUT
 * (FORMAT binary)` and decode each row's fields straight into DuckDB vectors:
 * no text parsing, nothing buffered beyond one row. Types map exactly where
 * DuckDB has the type (integers, float, numeric(p<=38,s) as DECIMAL, text,
 * bool, date, time, timestamp[tz], interval, uuid, json[b], bytea as BLOB,
 * arrays as LIST, a LIST of LISTs for a column declared int[][]); enums are
 * read as text; numeric without a
 * fitting precision is cast to float8 on the server and anything else to text,
 * each with a warning. The password never leaves the secret store except into
 * PQconnectdbParams.
 */
#include "sources/connector.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/dynlib.h"
#include "base/err.h"

#include <libpq-fe.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* libpq is loaded when a source of this kind is first used (base/dynlib.h). */
#define PD_PQ_FUNCS(X) X(PQcancel) X(PQclear) X(PQconnectdbParams) X(PQconninfoFree) \
    X(PQconninfoParse) X(PQdescribePrepared) X(PQerrorMessage) X(PQexec) X(PQexecParams) \
    X(PQfinish) X(PQfmod) X(PQfname) X(PQfreeCancel) X(PQfreemem) X(PQftype) X(PQgetCancel) \
    X(PQgetCopyData) X(PQgetResult) X(PQgetisnull) X(PQgetvalue) X(PQnfields) X(PQntuples) \
    X(PQprepare) X(PQresultStatus) X(PQserverVersion) X(PQsetClientEncoding) X(PQstatus)
PD_DYNLIB_TABLE(pd_pq, PD_PQ_FUNCS);
PD_DYNLIB_DEFINE(pd_pq, PD_PQ_FUNCS, PD_SONAME_PQ, "libpq5")

/* Builtin type OIDs (pg_type.dat). */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21,
    OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26, OID_JSON = 114, OID_FLOAT4 = 700,
    OID_FLOAT8 = 701, OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIME = 1083,
    OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_INTERVAL = 1186, OID_NUMERIC = 1700,
    OID_UUID = 2950, OID_JSONB = 3802, OID_MONEY = 790,
};

/* How a field is decoded. */
enum kind {
    K_BOOL, K_INT2, K_INT4, K_INT8, K_OID, K_FLOAT4, K_FLOAT8, K_NUMERIC, K_TEXT, K_JSONB,
    K_BYTEA, K_DATE, K_TIME, K_TIMESTAMP, K_INTERVAL, K_UUID, K_ARRAY, K_MONEY,
};

/* PostgreSQL counts days and microseconds from 2000-01-01, DuckDB from 1970-01-01. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US INT64_C(946684800000000)

struct pd_remote {
    PGconn *conn;
    PGcancel *cancel;
    char *schema;
    char *label; /* "postgres source NAME" for messages */
    int money_scale; /* digits of money's minor unit (-1: not asked yet) */
};

/*
 * A scan has a reader thread that pulls COPY messages off the connection in
 * batches of up to BATCH_MSGS (one row each) while DuckDB's thread decodes the
 * previous batch: receiving and decoding overlap. At most QUEUE_BATCHES wait,
 * so memory stays bounded however big the table.
 */
#define BATCH_MSGS 2048
#define QUEUE_BATCHES 4

struct batch {
    char *msg[BATCH_MSGS];
    int len[BATCH_MSGS];
    int n;
};

struct pd_rscan {
    struct pd_remote *r;
    struct pd_projection proj;
    int header_seen, finished;

    pthread_t reader;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *queue[QUEUE_BATCHES];
    int head, count;
    int eof, stop;    /* the reader is done / the scan is closing */
    char error[512];  /* why the reader stopped, "" when the COPY ended well */
};

static uint16_t be16(const char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return __builtin_bswap16(v);
}

static uint32_t be32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}

static uint64_t be64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

/* The libpq message without its trailing newline. */
static const char *pq_message(PGconn *conn)
{
    static __thread char msg[512];
    size_t n;

    snprintf(msg, sizeof(msg), "%s", conn ? pd_pq.PQerrorMessage(conn) : "out of memory");
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = 0;
    return msg;
}

/*
 * Parse the DSN with libpq, move a password out of it into *secret, and keep the
 * other settings as an object of libpq keywords.
 */
static int configure(json_t *config, char **secret, struct pd_err *err)
{
    const char *dsn = pd_cfg_str(config, "dsn");
    PQconninfoOption *opts, *o;
    char *perr = NULL;
    json_t *conninfo = json_object();
    struct pd_buf shown = PD_BUF_INIT;

    if (!dsn)
        return pd_fail(err, PD_EUSAGE,
                       "a postgres source needs --dsn 'postgresql://USER@HOST:PORT/DB'");
    if (pd_pq_load(err) != 0)
        return err->code;
    if (!(opts = pd_pq.PQconninfoParse(dsn, &perr))) {
        pd_fail(err, PD_EINVAL, "invalid --dsn: %s", perr ? perr : "cannot parse it");
        pd_pq.PQfreemem(perr);
        json_decref(conninfo);
        return err->code;
    }
    for (o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp(o->keyword, "password") == 0) {
            free(*secret);
            *secret = xstrdup(o->val);
            continue;
        }
        json_object_set_new(conninfo, o->keyword, json_string(o->val));
        pd_buf_addf(&shown, "%s%s=%s", shown.len ? " " : "", o->keyword, o->val);
    }
    pd_pq.PQconninfoFree(opts);
    json_object_set_new(config, "conninfo", conninfo);
    json_object_set_new(config, "dsn", json_string(shown.len ? shown.ptr : ""));
    if (!json_object_get(config, "schema"))
        json_object_set_new(config, "schema", json_string("public"));
    pd_buf_release(&shown);
    return 0;
}

static int pg_open(const struct pd_source *src, struct pd_remote **out, struct pd_err *err)
{
    json_t *conninfo = json_object_get(src->config, "conninfo");
    const char *keys[64], *vals[64];
    char timeout[32];
    const char *k;
    json_t *v;
    size_t n = 0;
    struct pd_remote *r;

    if (pd_pq_load(err) != 0)
        return err->code;
    json_object_foreach(conninfo, k, v)
    {
        if (n < 56 && json_is_string(v) && strcmp(k, "options") != 0) {
            keys[n] = k;
            vals[n++] = json_string_value(v);
        }
    }
    snprintf(timeout, sizeof(timeout), "%ld", src->connect_timeout_s);
    keys[n] = "connect_timeout", vals[n++] = timeout;
    keys[n] = "client_encoding", vals[n++] = "UTF8";
    keys[n] = "application_name", vals[n++] = "pluto-duck";
    keys[n] = "options", vals[n++] = "-c default_transaction_read_only=on"; /* only ever read */
    if (src->secret)
        keys[n] = "password", vals[n++] = src->secret;
    keys[n] = NULL, vals[n] = NULL;

    r = xcalloc(1, sizeof(*r));
    r->money_scale = -1;
    r->label = xasprintf("postgres source %s", src->name);
    r->schema = xstrdup(pd_cfg_str(src->config, "schema") ? pd_cfg_str(src->config, "schema")
                                                          : "public");
    r->conn = pd_pq.PQconnectdbParams(keys, vals, 0);
    if (!r->conn || pd_pq.PQstatus(r->conn) != CONNECTION_OK) {
        const char *msg = pq_message(r->conn);
        pd_fail(err, PD_EINVAL, "cannot connect to %s: %s%s", r->label, msg,
                strstr(msg, "authentication failed") || strstr(msg, "password")
                    ? " (check the user and password; re-attach to store a new one)"
                    : "");
        pd_pq.PQfinish(r->conn);
        free(r->label);
        free(r->schema);
        free(r);
        return err->code;
    }
    pd_pq.PQsetClientEncoding(r->conn, "UTF8");
    r->cancel = pd_pq.PQgetCancel(r->conn);
    *out = r;
    return 0;
}

static void pg_close(struct pd_remote *r)
{
    pd_pq.PQfreeCancel(r->cancel);
    pd_pq.PQfinish(r->conn);
    free(r->schema);
    free(r->label);
    free(r);
}

static void pg_cancel(struct pd_remote *r)
{
    char buf[256];
    if (r->cancel)
        pd_pq.PQcancel(r->cancel, buf, sizeof(buf));
}

/* Run a query with text parameters; PGRES_TUPLES_OK or an error naming what failed. */
static PGresult *query(struct pd_remote *r, const char *sql, int nparams, const char *const *params,
                       const char *what, struct pd_err *err)
{
    PGresult *res = pd_pq.PQexecParams(r->conn, sql, nparams, NULL, params, NULL, NULL, 0);

    if (pd_pq.PQresultStatus(res) != PGRES_TUPLES_OK) {
        pd_fail(err, PD_EINVAL, "%s: %s: %s", r->label, what, pq_message(r->conn));
        pd_pq.PQclear(res);
        return NULL;
    }
    return res;
}

/* Run a statement with no rows (BEGIN, SET): 0, or err saying what failed. */
static int command(struct pd_remote *r, const char *sql, const char *what, struct pd_err *err)
{
    PGresult *res = pd_pq.PQexec(r->conn, sql);
    int rc = 0;

    if (pd_pq.PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pd_fail(err, PD_EINVAL, "%s: %s: %s", r->label, what, pq_message(r->conn));
    pd_pq.PQclear(res);
    return rc;
}

static int pg_list(struct pd_remote *r, struct pd_strv *out, struct pd_err *err)
{
    const char *params[] = {r->schema};
    PGresult *res = query(r,
                          "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                          "c.relnamespace WHERE n.nspname = $1 AND c.relkind IN "
                          "('r','v','m','p','f') AND NOT c.relispartition ORDER BY 1",
                          1, params, "cannot list tables", err);
    if (!res)
        return err->code;
    for (int i = 0; i < pd_pq.PQntuples(res); i++)
        pd_strv_push(out, pd_pq.PQgetvalue(res, i, 0));
    pd_pq.PQclear(res);
    return 0;
}

/*
 * The scalar kind and DuckDB type of a builtin OID; -1 when there is none.
 * hint: the type chosen for a numeric without precision from its values (see
 * numeric_hints), or NULL; money_scale: the digits of a money's minor unit (-1:
 * unknown). *as_text: read the column as its exact text instead.
 */
static int scalar_kind(unsigned oid, int typmod, const char *hint, int money_scale,
                       duckdb_logical_type *type, int *aux, struct pd_strv *warnings,
                       const char *col, int *as_text)
{
    duckdb_type t;
    int k;

    *as_text = 0;
    *aux = 0;
    switch (oid) {
    case OID_BOOL: k = K_BOOL, t = DUCKDB_TYPE_BOOLEAN; break;
    case OID_INT2: k = K_INT2, t = DUCKDB_TYPE_SMALLINT; break;
    case OID_INT4: k = K_INT4, t = DUCKDB_TYPE_INTEGER; break;
    case OID_INT8: k = K_INT8, t = DUCKDB_TYPE_BIGINT; break;
    case OID_OID: k = K_OID, t = DUCKDB_TYPE_UINTEGER; break;
    case OID_FLOAT4: k = K_FLOAT4, t = DUCKDB_TYPE_FLOAT; break;
    case OID_FLOAT8: k = K_FLOAT8, t = DUCKDB_TYPE_DOUBLE; break;
    case OID_TEXT: case OID_VARCHAR: case OID_BPCHAR: case OID_NAME: case OID_CHAR: case OID_JSON:
        k = K_TEXT, t = DUCKDB_TYPE_VARCHAR; break;
    case OID_JSONB: k = K_JSONB, t = DUCKDB_TYPE_VARCHAR; break;
    case OID_BYTEA: k = K_BYTEA, t = DUCKDB_TYPE_BLOB; break;
    case OID_DATE: k = K_DATE, t = DUCKDB_TYPE_DATE; break;
    case OID_TIME: k = K_TIME, t = DUCKDB_TYPE_TIME; break;
    case OID_TIMESTAMP: k = K_TIMESTAMP, t = DUCKDB_TYPE_TIMESTAMP; break;
    case OID_TIMESTAMPTZ: k = K_TIMESTAMP, t = DUCKDB_TYPE_TIMESTAMP_TZ; break;
    case OID_INTERVAL: k = K_INTERVAL, t = DUCKDB_TYPE_INTERVAL; break;
    case OID_UUID: k = K_UUID, t = DUCKDB_TYPE_UUID; break;
    case OID_NUMERIC: {
        int p = typmod >= 4 ? ((typmod - 4) >> 16) & 0xffff : -1;
        int s = typmod >= 4 ? (typmod - 4) & 0xffff : -1, hs;
        if (s > 1000)
            s -= 2048; /* a negative scale is stored in 11 bits */
        if (p < 0 && hint && sscanf(hint, "DECIMAL(38,%d)", &hs) == 1 && hs >= 0 && hs <= 38) {
            p = 38; /* its values as they were when the source was attached or refreshed */
            s = hs;
        }
        if (p >= 1 && p <= 38 && s >= 0 && s <= p) {
            *aux = s;
            *type = duckdb_create_decimal_type((uint8_t)p, (uint8_t)s);
            return K_NUMERIC;
        }
        if (p < 0 && !hint)
            pd_strv_pushf(warnings,
                          "column %s: numeric without precision read as exact text (cast it "
                          "to numeric(P,S) in the query for a DECIMAL)",
                          col);
        else if (p >= 0)
            pd_strv_pushf(warnings,
                          "column %s: numeric(%d,%d) does not fit DECIMAL; read as exact text",
                          col, p, s);
        *as_text = 1;
        k = K_TEXT, t = DUCKDB_TYPE_VARCHAR;
        break;
    }
    case OID_MONEY:
        if (money_scale < 0)
            return -1;
        *aux = money_scale;
        *type = duckdb_create_decimal_type(19, (uint8_t)money_scale);
        return K_MONEY;
    default:
        return -1;
    }
    *type = duckdb_create_logical_type(t);
    return k;
}

/*
 * The filters a column of builtin type oid (read as kind k) may be pushed with.
 * Text ranges are pushed with COLLATE "C" (remote_filter.c): byte order, as
 * DuckDB's. A NaN numeric is read as NULL, so IS NULL stays local there.
 */
static unsigned push_of(unsigned oid, int k)
{
    switch (k) {
    case K_BOOL:
    case K_UUID: return PD_PUSH_EQ | PD_PUSH_NE | PD_PUSH_NULL | PD_PUSH_NOTNULL;
    case K_INT2:
    case K_INT4:
    case K_INT8:
    case K_OID:
    case K_DATE:
    case K_TIMESTAMP: return PD_PUSH_ORDERED | PD_PUSH_NULL;
    case K_NUMERIC: return PD_PUSH_ORDERED;
    case K_TEXT:
        if (oid == OID_TEXT || oid == OID_VARCHAR)
            return PD_PUSH_ORDERED | PD_PUSH_LIKE | PD_PUSH_NULL;
        if (oid == OID_BPCHAR || oid == OID_NAME || oid == OID_CHAR)
            return PD_PUSH_EQ | PD_PUSH_NULL | PD_PUSH_NOTNULL;
        return PD_PUSH_NOTNULL;
    default: return PD_PUSH_NOTNULL;
    }
}

/* A remote column before mapping: name, type OID, typmod, and pg_type facts. */
struct pgcol {
    const char *name;
    unsigned oid;
    int typmod;
    char typtype;      /* 'b' base, 'e' enum, 'd' domain ... */
    unsigned elem;     /* array element type, 0 when not an array */
    int ndims;         /* an array column's declared dimensions (tables; 1 when unknown) */
    unsigned basetype; /* a domain's base type */
    const char *typname;
};

/*
 * Add one column to rel: its DuckDB type, decoder and the expression the remote
 * reads it with. money_scale: the digits of a money's minor unit (-1: unknown).
 */
static void map_column(struct pd_relation *rel, const struct pgcol *c, int qualified,
                       int money_scale)
{
    struct pd_buf expr = PD_BUF_INIT;
    duckdb_logical_type type = NULL;
    unsigned oid = c->typtype == 'd' && c->basetype ? c->basetype : c->oid;
    const char *hint = json_string_value(json_object_get(rel->type_hints, c->name));
    int aux, as_text, k;

    if (qualified)
        pd_buf_adds(&expr, "q.");
    pd_remote_ident(&expr, c->name, '"');
    if (c->elem && c->typtype != 'd') {
        duckdb_logical_type et;
        int ek = scalar_kind(c->elem, c->typmod, NULL, money_scale, &et, &aux, &rel->warnings,
                             c->name, &as_text);
        if (ek >= 0 && rel->bad_values == PD_BAD_TEXT) { /* any number of dimensions, as text */
            duckdb_destroy_logical_type(&et);
            ek = -1;
        } else if (ek >= 0 && !as_text) {
            type = duckdb_create_list_type(et);
            duckdb_destroy_logical_type(&et);
            int dims = c->ndims > 1 && c->ndims <= 6 ? c->ndims : 1;
            for (int d = 1; d < dims; d++) { /* int[][] is a LIST of LISTs */
                duckdb_logical_type inner = type;
                type = duckdb_create_list_type(inner);
                duckdb_destroy_logical_type(&inner);
            }
            pd_relation_add(rel, c->name, type, K_ARRAY, ek | (aux << 8) | (dims << 16), NULL);
            pd_buf_release(&expr);
            return;
        }
        if (ek >= 0)
            duckdb_destroy_logical_type(&et);
        pd_strv_pushf(&rel->warnings, "column %s: array of %s read as VARCHAR", c->name,
                      c->typname);
        pd_buf_adds(&expr, "::text");
        pd_relation_add(rel, c->name, duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR), K_TEXT, 0,
                        expr.ptr);
        pd_buf_release(&expr);
        return;
    }
    k = c->typtype == 'e' ? -1
                          : scalar_kind(oid, c->typmod, hint, money_scale, &type, &aux,
                                        &rel->warnings, c->name, &as_text);
    if (k < 0) {
        if (c->typtype != 'e')
            pd_strv_pushf(&rel->warnings, "column %s: type %s read as VARCHAR (its text form)",
                          c->name, c->typname);
        pd_buf_adds(&expr, "::text");
        pd_relation_add(rel, c->name, duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR), K_TEXT, 0,
                        expr.ptr);
    } else {
        if (as_text)
            pd_buf_adds(&expr, "::text");
        pd_relation_add(rel, c->name, type, k, aux, as_text || qualified ? expr.ptr : NULL);
        if (!as_text && !qualified)
            rel->cols[rel->ncols - 1].push = push_of(oid, k);
    }
    pd_buf_release(&expr);
}

/* Whether a column is a numeric without precision (itself, not an array of them). */
static int free_numeric(const struct pgcol *c)
{
    unsigned oid = c->typtype == 'd' && c->basetype ? c->basetype : c->oid;
    return oid == OID_NUMERIC && c->typmod < 4 && !(c->elem && c->typtype != 'd');
}

/*
 * The type each numeric without precision of table gets, from its values now:
 * DECIMAL(38,S) with S the most decimal places any value has, when the largest
 * value's digits fit beside them; else VARCHAR (the exact text). Added to
 * rel->type_hints for the columns it has none for. One aggregate over the table.
 */
static int numeric_hints(struct pd_remote *r, const char *from, const struct pgcol *cols, int n,
                         struct pd_relation *rel, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    int any = 0;
    PGresult *res;

    pd_buf_adds(&sql, "SELECT ");
    for (int i = 0; i < n; i++) {
        if (!free_numeric(&cols[i]) || json_object_get(rel->type_hints, cols[i].name))
            continue;
        struct pd_buf id = PD_BUF_INIT;
        pd_remote_ident(&id, cols[i].name, '"');
        pd_buf_addf(&sql,
                    "%smax(scale(%s)), max(length(trunc(abs(%s))::text)) FILTER (WHERE %s::text "
                    "NOT IN ('NaN', 'Infinity', '-Infinity')), bool_or(%s::text IN ('NaN', "
                    "'Infinity', '-Infinity'))",
                    any++ ? ", " : "", id.ptr, id.ptr, id.ptr, id.ptr);
        pd_buf_release(&id);
    }
    if (!any) {
        pd_buf_release(&sql);
        return 0;
    }
    pd_buf_addf(&sql, " FROM %s WHERE true", from);
    res = query(r, sql.ptr, 0, NULL, "cannot read the scale of numeric columns", err);
    pd_buf_release(&sql);
    if (!res)
        return err->code;
    if (!rel->type_hints)
        rel->type_hints = json_object();
    for (int i = 0, f = 0; i < n; i++) {
        if (!free_numeric(&cols[i]) || json_object_get(rel->type_hints, cols[i].name))
            continue;
        int scale = pd_pq.PQgetisnull(res, 0, f) ? 10 : atoi(pd_pq.PQgetvalue(res, 0, f)); /* no rows yet */
        int digits = pd_pq.PQgetisnull(res, 0, f + 1) ? 1 : atoi(pd_pq.PQgetvalue(res, 0, f + 1));
        int special = !pd_pq.PQgetisnull(res, 0, f + 2) && pd_pq.PQgetvalue(res, 0, f + 2)[0] == 't';
        f += 3;
        if (!special && scale <= 38 && digits + scale <= 38) {
            json_object_set_new(rel->type_hints, cols[i].name, json_sprintf("DECIMAL(38,%d)", scale));
            pd_strv_pushf(&rel->warnings,
                          "column %s: numeric without precision read as DECIMAL(38,%d), the "
                          "most decimal places its values have now (source refresh looks again)",
                          cols[i].name, scale);
        } else {
            json_object_set_new(rel->type_hints, cols[i].name, json_string("VARCHAR"));
            pd_strv_pushf(&rel->warnings,
                          "column %s: numeric without precision read as exact text: %s",
                          cols[i].name,
                          special ? "it holds NaN or Infinity, which DECIMAL has not"
                                  : "its values have more digits than DECIMAL holds");
        }
    }
    pd_pq.PQclear(res);
    return 0;
}

/* The digits of money's minor unit on this server (lc_monetary), asked once per connection. */
static int money_scale(struct pd_remote *r, const struct pgcol *cols, int n)
{
    struct pd_err ignored = PD_ERR_INIT;
    PGresult *res;
    int any = 0;

    for (int i = 0; i < n; i++)
        any |= cols[i].oid == OID_MONEY || (cols[i].typtype == 'd' && cols[i].basetype == OID_MONEY);
    if (!any || r->money_scale >= 0)
        return r->money_scale;
    res = query(r, "SELECT scale('1'::money::numeric)", 0, NULL, "cannot read money's scale",
                &ignored);
    if (res && pd_pq.PQntuples(res) == 1)
        r->money_scale = atoi(pd_pq.PQgetvalue(res, 0, 0));
    pd_pq.PQclear(res);
    return r->money_scale;
}

/* Fill the pg_type facts of cols[0..n) in one round trip. */
static int resolve_types(struct pd_remote *r, struct pgcol *cols, int n, PGresult **keep,
                         struct pd_err *err)
{
    struct pd_buf oids = PD_BUF_INIT;
    const char *params[1];
    PGresult *res;

    pd_buf_addc(&oids, '{');
    for (int i = 0; i < n; i++)
        pd_buf_addf(&oids, "%s%u", i ? "," : "", cols[i].oid);
    pd_buf_addc(&oids, '}');
    params[0] = oids.ptr;
    res = query(r,
                "SELECT oid, typtype, CASE WHEN typcategory = 'A' THEN typelem ELSE 0 END, typbasetype, "
                "format_type(oid, NULL) FROM pg_type WHERE oid = ANY($1::oid[])",
                1, params, "cannot read column types", err);
    pd_buf_release(&oids);
    if (!res)
        return err->code;
    for (int i = 0; i < n; i++) {
        cols[i].typtype = 'b';
        cols[i].typname = "unknown";
        for (int j = 0; j < pd_pq.PQntuples(res); j++) {
            if ((unsigned)strtoul(pd_pq.PQgetvalue(res, j, 0), NULL, 10) != cols[i].oid)
                continue;
            cols[i].typtype = pd_pq.PQgetvalue(res, j, 1)[0];
            cols[i].elem = (unsigned)strtoul(pd_pq.PQgetvalue(res, j, 2), NULL, 10);
            cols[i].basetype = (unsigned)strtoul(pd_pq.PQgetvalue(res, j, 3), NULL, 10);
            cols[i].typname = pd_pq.PQgetvalue(res, j, 4);
        }
    }
    *keep = res;
    return 0;
}

static int describe_table(struct pd_remote *r, const char *table, struct pd_relation *rel,
                          struct pd_err *err)
{
    struct pd_buf from = PD_BUF_INIT;
    const char *params[1];
    PGresult *res, *types = NULL;
    struct pgcol *cols;
    int n, rc = 0;

    pd_remote_ident(&from, r->schema, '"');
    pd_buf_addc(&from, '.');
    pd_remote_ident(&from, table, '"');
    params[0] = from.ptr;
    res = query(r,
                "SELECT a.attname, a.atttypid, a.atttypmod, a.attndims FROM pg_attribute a "
                "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attnum",
                1, params, "cannot describe a table", err);
    if (!res) {
        pd_buf_release(&from);
        return err->code;
    }
    if ((n = pd_pq.PQntuples(res)) == 0) {
        pd_pq.PQclear(res);
        pd_buf_release(&from);
        return pd_fail(err, PD_ENOTFOUND,
                       "table %s.%s no longer exists in %s (run: pluto-duck source refresh)",
                       r->schema, table, r->label);
    }
    cols = xcalloc((size_t)n, sizeof(*cols));
    for (int i = 0; i < n; i++) {
        cols[i].name = pd_pq.PQgetvalue(res, i, 0);
        cols[i].oid = (unsigned)strtoul(pd_pq.PQgetvalue(res, i, 1), NULL, 10);
        cols[i].typmod = atoi(pd_pq.PQgetvalue(res, i, 2));
        cols[i].ndims = atoi(pd_pq.PQgetvalue(res, i, 3));
    }
    if ((rc = resolve_types(r, cols, n, &types, err)) == 0 &&
        (rc = numeric_hints(r, from.ptr, cols, n, rel, err)) == 0) {
        int ms = money_scale(r, cols, n);
        for (int i = 0; i < n; i++)
            map_column(rel, &cols[i], 0, ms);
        rel->from = pd_buf_detach(&from, NULL);
    }
    free(cols);
    pd_pq.PQclear(types);
    pd_pq.PQclear(res);
    pd_buf_release(&from);
    return rc;
}

static int describe_query(struct pd_remote *r, const char *sql, struct pd_relation *rel,
                          struct pd_err *err)
{
    PGresult *res = pd_pq.PQprepare(r->conn, "", sql, 0, NULL), *types = NULL;
    struct pgcol *cols;
    int n, rc = 0;

    if (pd_pq.PQresultStatus(res) != PGRES_COMMAND_OK) {
        pd_pq.PQclear(res);
        return pd_fail(err, PD_EINVAL, "%s: %s", r->label, pq_message(r->conn));
    }
    pd_pq.PQclear(res);
    res = pd_pq.PQdescribePrepared(r->conn, "");
    if (pd_pq.PQresultStatus(res) != PGRES_COMMAND_OK) {
        pd_pq.PQclear(res);
        return pd_fail(err, PD_EINVAL, "%s: %s", r->label, pq_message(r->conn));
    }
    n = pd_pq.PQnfields(res);
    cols = xcalloc((size_t)(n ? n : 1), sizeof(*cols));
    for (int i = 0; i < n; i++) {
        cols[i].name = pd_pq.PQfname(res, i);
        cols[i].oid = pd_pq.PQftype(res, i);
        cols[i].typmod = pd_pq.PQfmod(res, i);
        for (int j = 0; j < i; j++)
            if (strcmp(cols[j].name, cols[i].name) == 0)
                rc = pd_fail(err, PD_EINVAL,
                             "the query returns two columns named %s: give them distinct names "
                             "with AS",
                             cols[i].name);
    }
    if (rc == 0 && n > 0 && (rc = resolve_types(r, cols, n, &types, err)) == 0) {
        int ms = money_scale(r, cols, n);
        for (int i = 0; i < n; i++)
            map_column(rel, &cols[i], 1, ms);
    }
    if (rc == 0)
        rel->from = xasprintf("(%s) AS q", sql);
    free(cols);
    pd_pq.PQclear(types);
    pd_pq.PQclear(res);
    return rc;
}

static int pg_describe(struct pd_remote *r, const char *table, const char *sql,
                       struct pd_relation *rel, struct pd_err *err)
{
    return table ? describe_table(r, table, rel, err) : describe_query(r, sql, rel, err);
}

static void batch_free(struct batch *b)
{
    for (int i = 0; i < b->n; i++)
        pd_pq.PQfreemem(b->msg[i]);
    free(b);
}

/* Hand a batch to the decoder; returns 0 when the scan is closing instead. */
static int enqueue(struct pd_rscan *s, struct batch *b)
{
    pthread_mutex_lock(&s->mu);
    while (s->count == QUEUE_BATCHES && !s->stop)
        pthread_cond_wait(&s->cv, &s->mu);
    if (s->stop) {
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    s->queue[(s->head + s->count++) % QUEUE_BATCHES] = b;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 1;
}

static void *reader_main(void *arg)
{
    struct pd_rscan *s = arg;
    PGconn *conn = s->r->conn;
    int len = 0;

    while (len >= 0) {
        struct batch *b = xmalloc(sizeof(*b));
        b->n = 0;
        while (b->n < BATCH_MSGS && (len = pd_pq.PQgetCopyData(conn, &b->msg[b->n], 0)) >= 0)
            b->len[b->n++] = len;
        if (!enqueue(s, b)) { /* closing early: the server was cancelled; drain to the end */
            char *buf;
            batch_free(b);
            while ((len = pd_pq.PQgetCopyData(conn, &buf, 0)) >= 0)
                pd_pq.PQfreemem(buf);
            break;
        }
    }
    /* The COPY's outcome (or why it broke off). */
    if (len == -2)
        snprintf(s->error, sizeof(s->error), "the connection failed while reading: %s",
                 pq_message(conn));
    for (PGresult *res; (res = pd_pq.PQgetResult(conn)) != NULL; pd_pq.PQclear(res))
        if (pd_pq.PQresultStatus(res) != PGRES_COMMAND_OK && !s->error[0])
            snprintf(s->error, sizeof(s->error), "%s", pq_message(conn));
    pthread_mutex_lock(&s->mu);
    s->eof = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/*
 * Pages per part of a parallel read: a table of fewer than two parts' worth (about
 * 64 MB) is read in one, where starting more connections costs more than it saves.
 */
#define PART_PAGES 8192

static int pg_split(struct pd_remote *r, const struct pd_relation *rel, int max_parts,
                    struct pd_strv *parts, char **snapshot, struct pd_err *err)
{
    const char *params[1] = {rel->from};
    PGresult *res;
    long long pages;
    int n;

    *snapshot = NULL;
    if (pd_pq.PQserverVersion(r->conn) < 140000 || max_parts < 2) /* TID range scans: 14 */
        return 0;
    res = query(r,
                "SELECT pg_relation_size(c.oid) / current_setting('block_size')::bigint FROM "
                "pg_class c WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'm')",
                1, params, "cannot read the table's size", err);
    if (!res)
        return err->code;
    pages = pd_pq.PQntuples(res) == 1 ? atoll(pd_pq.PQgetvalue(res, 0, 0)) : 0;
    pd_pq.PQclear(res);
    n = (int)(pages / PART_PAGES < max_parts ? pages / PART_PAGES : max_parts);
    if (n < 2)
        return 0;
    if (command(r, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "cannot start a snapshot",
                err) != 0)
        return err->code;
    if (!(res = query(r, "SELECT pg_export_snapshot()", 0, NULL, "cannot export a snapshot",
                      err)))
        return err->code;
    *snapshot = xstrdup(pd_pq.PQgetvalue(res, 0, 0));
    pd_pq.PQclear(res);
    for (int i = 0; i < n; i++) { /* the first and last parts are open-ended: the table grows */
        long long lo = pages * i / n, hi = pages * (i + 1) / n;
        if (i == 0)
            pd_strv_pushf(parts, "ctid < '(%lld,0)'::tid", hi);
        else if (i == n - 1)
            pd_strv_pushf(parts, "ctid >= '(%lld,0)'::tid", lo);
        else
            pd_strv_pushf(parts, "ctid >= '(%lld,0)'::tid AND ctid < '(%lld,0)'::tid", lo, hi);
    }
    return 0;
}

static int pg_join(struct pd_remote *part, const char *snapshot, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    int rc;

    if (strspn(snapshot, "0123456789ABCDEFabcdef-") != strlen(snapshot))
        return pd_fail(err, PD_EINTERNAL, "%s: unexpected snapshot name", part->label);
    pd_buf_addf(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                      "SET TRANSACTION SNAPSHOT '%s'", snapshot); /* checked above */
    rc = command(part, sql.ptr, "cannot read at the scan's snapshot", err);
    pd_buf_release(&sql);
    return rc;
}

static int pg_scan(struct pd_remote *r, const struct pd_relation *rel, const struct pd_scan_req *req,
                   struct pd_rscan **out, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_rscan *s;
    PGresult *res;

    pd_buf_adds(&sql, "COPY (");
    pd_relation_select(&sql, rel, req, '"');
    pd_buf_adds(&sql, ") TO STDOUT (FORMAT binary)");
    res = pd_pq.PQexec(r->conn, sql.ptr);
    pd_buf_release(&sql);
    if (pd_pq.PQresultStatus(res) != PGRES_COPY_OUT) {
        pd_pq.PQclear(res);
        return pd_fail(err, PD_EINVAL, "%s: %s", r->label, pq_message(r->conn));
    }
    pd_pq.PQclear(res);
    s = xcalloc(1, sizeof(*s));
    s->r = r;
    pd_projection_init(&s->proj, rel, req->cols, req->ncols);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->reader, NULL, reader_main, s) != 0)
        PD_BUG("cannot start a thread");
    *out = s;
    return 0;
}

/*
 * Scaled integer of a binary numeric (base-10000 digits) for DECIMAL(38, scale)
 * or narrower: -1 for NaN and the infinities, -2 for a value with more decimal
 * places than scale or more than 38 digits (never rounded, never cut).
 */
static int numeric_value(const char *p, int32_t len, int scale, __int128 *out)
{
    int16_t ndigits, weight;
    uint16_t sign;
    __int128 acc = 0, limit = 1;

    if (len < 8)
        return -1;
    ndigits = (int16_t)be16(p);
    weight = (int16_t)be16(p + 2);
    sign = be16(p + 4);
    if (sign == 0xC000 || sign == 0xD000 || sign == 0xF000 || len < 8 + 2 * ndigits)
        return -1; /* NaN, +-Infinity */
    for (int k = 0; k < 38; k++)
        limit *= 10;
    for (int i = 0; i < ndigits; i++) {
        int d = be16(p + 8 + 2 * i), exp10 = 4 * (weight - i) + scale;
        __int128 f = 1;
        if (d == 0)
            continue;
        if (exp10 >= 38)
            return -2;
        if (exp10 >= 0) {
            for (int k = 0; k < exp10; k++)
                f *= 10;
            acc += d * f;
            if (acc >= limit)
                return -2;
        } else {
            for (int k = 0; k < -exp10 && k < 4; k++)
                f *= 10;
            if (exp10 <= -4 || d % f != 0)
                return -2; /* digits past the scale */
            acc += d / f;
        }
    }
    *out = sign == 0x4000 ? -acc : acc;
    return 0;
}

static void put_decimal(duckdb_vector v, idx_t row, __int128 x)
{
    duckdb_logical_type t = duckdb_vector_get_column_type(v);
    void *data = duckdb_vector_get_data(v);

    switch (duckdb_decimal_internal_type(t)) {
    case DUCKDB_TYPE_SMALLINT: ((int16_t *)data)[row] = (int16_t)x; break;
    case DUCKDB_TYPE_INTEGER: ((int32_t *)data)[row] = (int32_t)x; break;
    case DUCKDB_TYPE_BIGINT: ((int64_t *)data)[row] = (int64_t)x; break;
    default:
        ((duckdb_hugeint *)data)[row] =
            (duckdb_hugeint){(uint64_t)x, (int64_t)(x >> 64)};
    }
    duckdb_destroy_logical_type(&t);
}

static int put(int kind, int aux, duckdb_vector v, idx_t row, const char *p, int32_t len,
               const char *col, struct pd_err *err);

/*
 * The elements of dimension d of an array (dims[d] of them) into list vector v
 * at row, each a list of dimension d + 1 or, at the last, an element; *q walks
 * the array's elements in row-major order.
 */
static int put_level(int aux, duckdb_vector v, idx_t row, const int32_t *dims, int d, int nd,
                     const char **q, const char *end, const char *col, struct pd_err *err)
{
    duckdb_list_entry *entries = duckdb_vector_get_data(v);
    idx_t base = duckdb_list_vector_get_size(v);
    int32_t n = dims[d];
    duckdb_vector child;

    duckdb_list_vector_reserve(v, base + (idx_t)n);
    duckdb_list_vector_set_size(v, base + (idx_t)n);
    child = duckdb_list_vector_get_child(v);
    for (int32_t i = 0; i < n; i++) {
        if (d + 1 < nd) {
            int rc = put_level(aux, child, base + (idx_t)i, dims, d + 1, nd, q, end, col, err);
            if (rc)
                return rc;
            continue;
        }
        if (*q + 4 > end)
            return pd_fail(err, PD_EINTERNAL, "column %s: malformed array", col);
        int32_t elen = (int32_t)be32(*q);
        *q += 4;
        if (elen < 0)
            pd_vec_null(child, base + (idx_t)i);
        else if (*q + elen > end)
            return pd_fail(err, PD_EINTERNAL, "column %s: malformed array", col);
        else if (put(aux & 0xff, (aux >> 8) & 0xff, child, base + (idx_t)i, *q, elen, col, err))
            return err->code;
        if (elen > 0)
            *q += elen;
    }
    entries[row] = (duckdb_list_entry){base, (uint64_t)n};
    return 0;
}

/*
 * An array into a LIST vector (a LIST of LISTs for a column declared with more
 * dimensions). A value of other dimensions than the column's (PostgreSQL lets an
 * int[] hold a matrix) does not fit: 1, err saying so.
 */
static int put_array(int aux, duckdb_vector v, idx_t row, const char *p, int32_t len,
                     const char *col, struct pd_err *err)
{
    int nd = aux >> 16 ? aux >> 16 : 1;
    int32_t ndim, dims[6];
    const char *q, *end = p + len;

    if (len < 12)
        return pd_fail(err, PD_EINTERNAL, "column %s: malformed array", col);
    ndim = (int32_t)be32(p);
    if (ndim == 0) { /* '{}': empty at the top */
        duckdb_list_entry *entries = duckdb_vector_get_data(v);
        entries[row] = (duckdb_list_entry){duckdb_list_vector_get_size(v), 0};
        return 0;
    }
    if (ndim != nd) {
        pd_fail(err, PD_EINVAL,
                "column %s holds a %d-dimensional array where the column has %d (sources."
                "bad_values = null reads it as NULL, text reads the column as text; or cast it "
                "to text in postgres_query)",
                col, ndim, nd);
        return 1;
    }
    if (len < 12 + 8 * ndim)
        return pd_fail(err, PD_EINTERNAL, "column %s: malformed array", col);
    for (int d = 0; d < ndim; d++)
        dims[d] = (int32_t)be32(p + 12 + 8 * d);
    q = p + 12 + 8 * ndim;
    return put_level(aux, v, row, dims, 0, ndim, &q, end, col, err);
}

/* Decode one non-NULL field of the given kind into v[row]. */
static int put(int kind, int aux, duckdb_vector v, idx_t row, const char *p, int32_t len,
               const char *col, struct pd_err *err)
{
    void *data = duckdb_vector_get_data(v);

    switch (kind) {
    case K_BOOL: ((bool *)data)[row] = p[0] != 0; return 0;
    case K_INT2: ((int16_t *)data)[row] = (int16_t)be16(p); return 0;
    case K_INT4: ((int32_t *)data)[row] = (int32_t)be32(p); return 0;
    case K_OID: ((uint32_t *)data)[row] = be32(p); return 0;
    case K_INT8: ((int64_t *)data)[row] = (int64_t)be64(p); return 0;
    case K_FLOAT4: {
        uint32_t b = be32(p);
        memcpy((float *)data + row, &b, 4);
        return 0;
    }
    case K_FLOAT8: {
        uint64_t b = be64(p);
        memcpy((double *)data + row, &b, 8);
        return 0;
    }
    case K_NUMERIC: {
        __int128 x;
        int r = numeric_value(p, len, aux, &x);
        if (r == -1)
            return pd_fail(err, PD_EINVAL, "column %s: NaN or Infinity has no DECIMAL", col), 1;
        if (r == -2)
            return pd_fail(err, PD_EINVAL,
                           "column %s: a value with more digits than DECIMAL(38,%d) holds (run "
                           "pluto-duck source refresh to fit the column to its values again)",
                           col, aux), 1;
        put_decimal(v, row, x);
        return 0;
    }
    case K_MONEY: put_decimal(v, row, (__int128)(int64_t)be64(p)); return 0; /* in cents */
    case K_TEXT: case K_BYTEA: pd_vec_str(v, row, p, (size_t)len); return 0;
    case K_JSONB: pd_vec_str(v, row, p + 1, (size_t)(len - 1)); return 0; /* version byte */
    case K_DATE: {
        int32_t d = (int32_t)be32(p);
        ((int32_t *)data)[row] = d == INT32_MAX ? INT32_MAX
                                 : d == INT32_MIN ? -INT32_MAX
                                                  : d + PG_EPOCH_DAYS;
        return 0;
    }
    case K_TIME: ((int64_t *)data)[row] = (int64_t)be64(p); return 0;
    case K_TIMESTAMP: {
        int64_t t = (int64_t)be64(p);
        ((int64_t *)data)[row] = t == INT64_MAX ? INT64_MAX
                                 : t == INT64_MIN ? -INT64_MAX
                                                  : t + PG_EPOCH_US;
        return 0;
    }
    case K_INTERVAL:
        ((duckdb_interval *)data)[row] =
            (duckdb_interval){(int32_t)be32(p + 12), (int32_t)be32(p + 8), (int64_t)be64(p)};
        return 0;
    case K_UUID:
        ((duckdb_hugeint *)data)[row] =
            (duckdb_hugeint){be64(p + 8), (int64_t)(be64(p) ^ (UINT64_C(1) << 63))};
        return 0;
    case K_ARRAY: return put_array(aux, v, row, p, len, col, err);
    }
    return pd_fail(err, PD_EINTERNAL, "column %s: no decoder", col);
}

/* Decode one tuple at p (n bytes) into row out_row; returns bytes used or -1. */
static long put_tuple(struct pd_rscan *s, duckdb_data_chunk out, idx_t out_row, const char *p,
                      long n, struct pd_err *err)
{
    const char *start = p, *end = p + n;
    int16_t nfields;
    idx_t field = 0;

    nfields = (int16_t)be16(p);
    p += 2;
    for (idx_t j = 0; j < s->proj.ncols; j++) {
        duckdb_vector v = duckdb_data_chunk_get_vector(out, j);
        const struct pd_rcol *c = pd_projection_column(&s->proj, v, j, out_row);
        int32_t len;
        if (!c)
            continue;
        if ((int)field >= nfields || p + 4 > end)
            return pd_fail(err, PD_EINTERNAL, "malformed COPY row from the server"), -1;
        len = (int32_t)be32(p);
        p += 4;
        field++;
        if (len < 0) {
            pd_vec_null(v, out_row);
            continue;
        }
        if (p + len > end)
            return pd_fail(err, PD_EINTERNAL, "malformed COPY row from the server"), -1;
        switch (put(c->kind, c->aux, v, out_row, p, len, c->name, err)) {
        case 0: break;
        case 1: /* a value that does not fit its column */
            if (pd_bad_value(s->proj.rel, (size_t)(c - s->proj.rel->cols), v, out_row, err) == 0)
                break;
            /* fall through */
        default: return -1;
        }
        p += len;
    }
    if (field == 0 && nfields > 0) { /* only the placeholder constant was selected */
        for (int16_t i = 0; i < nfields; i++) {
            int32_t len = (int32_t)be32(p);
            p += 4 + (len > 0 ? len : 0);
        }
    }
    return p - start;
}

static const char copy_signature[11] = "PGCOPY\n\377\r\n";

/* Decode one COPY message (the first one starts with the header); rows go to out from *n. */
static int decode_message(struct pd_rscan *s, duckdb_data_chunk out, idx_t *n, const char *p,
                          long left, struct pd_err *err)
{
    if (!s->header_seen) {
        uint32_t ext;
        if (left < 19 || memcmp(p, copy_signature, 11) != 0)
            return pd_fail(err, PD_EINTERNAL, "unexpected COPY header from the server");
        ext = be32(p + 15);
        p += 19 + ext;
        left -= 19 + (long)ext;
        s->header_seen = 1;
    }
    while (left >= 2) {
        long used;
        if ((int16_t)be16(p) == -1) /* trailer */
            return 0;
        if (*n >= duckdb_vector_size())
            return pd_fail(err, PD_EINTERNAL, "COPY message holds more rows than expected");
        if ((used = put_tuple(s, out, *n, p, left, err)) < 0)
            return err->code;
        p += used;
        left -= used;
        (*n)++;
        s->proj.row++;
    }
    return 0;
}

static long pg_fetch(struct pd_rscan *s, duckdb_data_chunk out, struct pd_err *err)
{
    struct batch *b = NULL;
    idx_t n = 0;
    int rc = 0;

    pthread_mutex_lock(&s->mu);
    while (!s->count && !s->eof)
        pthread_cond_wait(&s->cv, &s->mu);
    if (s->count) {
        b = s->queue[s->head];
        s->head = (s->head + 1) % QUEUE_BATCHES;
        s->count--;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    if (!b) { /* the reader is done and everything was decoded */
        s->finished = 1;
        if (s->error[0])
            return pd_fail(err, PD_EINVAL, "%s: %s", s->r->label, s->error), -1;
        return 0;
    }
    for (int i = 0; rc == 0 && i < b->n; i++)
        rc = decode_message(s, out, &n, b->msg[i], b->len[i], err);
    batch_free(b);
    if (rc != 0)
        return -1;
    if (n == 0) /* a batch with only the header or trailer: go on */
        return pg_fetch(s, out, err);
    return (long)n;
}

static void pg_scan_close(struct pd_rscan *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    if (!s->eof) /* stopped early (LIMIT, error): stop the server so the reader returns */
        pg_cancel(s->r);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->reader, NULL);
    while (s->count) {
        batch_free(s->queue[s->head]);
        s->head = (s->head + 1) % QUEUE_BATCHES;
        s->count--;
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pd_projection_clear(&s->proj);
    free(s);
}

static int pg_estimate(struct pd_remote *r, const char *table, int64_t *rows, int64_t *bytes,
                       struct pd_err *err)
{
    struct pd_buf name = PD_BUF_INIT;
    const char *params[1];
    PGresult *res;

    pd_remote_ident(&name, r->schema, '"');
    pd_buf_addc(&name, '.');
    pd_remote_ident(&name, table, '"');
    params[0] = name.ptr;
    res = query(r,
                "SELECT c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
                "WHERE c.oid = to_regclass($1)",
                1, params, "cannot estimate", err);
    if (res && pd_pq.PQntuples(res) == 0) {
        pd_pq.PQclear(res);
        res = NULL;
        pd_fail(err, PD_ENOTFOUND, "no table %s.%s in %s", r->schema, table, r->label);
    }
    if (!res) {
        pd_buf_release(&name);
        return err->code;
    }
    *rows = atoll(pd_pq.PQgetvalue(res, 0, 0));
    *bytes = atoll(pd_pq.PQgetvalue(res, 0, 1));
    pd_pq.PQclear(res);
    if (*rows < 0) { /* never analysed: count */
        struct pd_buf sql = PD_BUF_INIT;
        pd_buf_addf(&sql, "SELECT count(*) FROM %s", name.ptr);
        if ((res = query(r, sql.ptr, 0, NULL, "cannot count rows", err)) != NULL) {
            *rows = atoll(pd_pq.PQgetvalue(res, 0, 0));
            pd_pq.PQclear(res);
        }
        pd_buf_release(&sql);
    }
    pd_buf_release(&name);
    return 0;
}

const struct pd_connector pd_conn_postgres = {
    .type = "postgres",
    .summary = "a PostgreSQL database (libpq; binary COPY)",
    .options = "--dsn URL [--schema SCHEMA] [--password-stdin]",
    .password_env = "PGPASSWORD",
    .configure = configure,
    .dialect = PD_DIALECT_POSTGRES,
    .types_from_values = 1,
    .query_function = "postgres_query",
    .open = pg_open,
    .list_tables = pg_list,
    .describe = pg_describe,
    .scan = pg_scan,
    .split = pg_split,
    .join = pg_join,
    .fetch = pg_fetch,
    .scan_close = pg_scan_close,
    .cancel = pg_cancel,
    .estimate = pg_estimate,
    .close = pg_close,
};
