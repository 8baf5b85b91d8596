/*
 * scan.c - remote sources as DuckDB table functions.
 *
 *   pd_source_scan('sales', 'orders' [, filter := 'remote SQL'])   what the views read
 *                  [, types := '{"col": "DECIMAL(38,2)"}']         ... with types from values
 *                  [, pushdown := 'filters', row_limit := n]       ... a rewritten query reads
 *   postgres_query('sales', 'select ...')                          pass-through, one per engine
 *
 * Bind opens a connection and describes the table or query (so a table dropped
 * since attach fails here, naming it); init starts the remote read with only the
 * projected columns and registers a cancel callback under the DuckDB connection
 * id, so a timeout or Ctrl-C stops the remote statement too; each call fills one
 * data chunk. One thread per scan: remote reads are sequential anyway.
 *
 * A query's own filters and LIMIT come from its rewrite (pushdown.c) as JSON;
 * bind writes what the remote can take exactly in its SQL (remote_filter.c), and
 * the LIMIT only when every filter went too. Each statement sent is told to the
 * statement's runner as a PD_NOTICE_REMOTE_SQL notice.
 */
#include "sources/sources.h"

#include "base/buf.h"
#include "sources/remote_filter.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "warehouse/interrupt.h"
#include "warehouse/notices.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct scan_fn {
    struct pd_sources *S;
    const struct pd_connector *engine; /* pass-through: the engine; NULL for pd_source_scan */
};

struct bind_data {
    struct pd_source src;
    char *label; /* "sales.orders", or "sales: postgres_query" */
    struct pd_remote *remote;
    struct pd_relation rel;
    char *where;   /* remote SQL: the caller's filter and what was pushed, or NULL */
    int64_t limit; /* rows the remote may stop at (-1: all) */
    int table_scan; /* a table (pd_source_scan), not a pass-through query */
    idx_t conn_id;
    uint64_t cancel_token; /* registered from open to close: a slow connect or describe stops too */
    int64_t rows;          /* read so far, for progress */
    int refs;              /* DuckDB's, and each scan's: a scan must close before the remote */
};

/*
 * What a scan reads: one remote statement on the bind's connection, or, for a
 * large table whose connector can split it, parts read in parallel on
 * connections of their own, all at the snapshot the bind's connection exported.
 */
struct init_data {
    struct bind_data *b;
    struct pd_rscan *scan; /* one read; NULL when read in parts */
    char *sent;            /* the remote statement, when filters or a limit were pushed into it */
    int done;
    idx_t *cols;           /* the projection, for the parts */
    idx_t ncols;
    struct pd_strv parts;  /* each part's condition (remote SQL); none: one read */
    char *snapshot;
    int next_part;         /* the next part to claim (atomic) */
    int parts_left;        /* parts not yet read to their end (atomic) */
};

/* One DuckDB thread's part of a read in parts (local init data). */
struct part_reader {
    struct init_data *d;
    struct pd_remote *remote;
    struct pd_rscan *scan;
    char *sent;
    uint64_t cancel_token;
};

/* err, with the remote statement named when the query's filters made part of it. */
static const char *scan_error(const char *sent, struct pd_err *err)
{
    if (sent) { /* it may be what the filters became that the remote refused */
        struct pd_err was = *err;
        pd_err_clear(err);
        pd_fail(err, was.code, "%s (the remote was sent: %s)", was.msg, sent);
    }
    return err->msg;
}

/* A parameter's text (heap), or NULL when it is NULL or absent; destroys v. */
static char *value_text(duckdb_value v)
{
    char *s = NULL, *out;

    if (!v)
        return NULL;
    if (!duckdb_is_null_value(v))
        s = duckdb_get_varchar(v);
    out = s ? xstrdup(s) : NULL;
    duckdb_free(s);
    duckdb_destroy_value(&v);
    return out;
}

/*
 * DuckDB may destroy the bind data before the init data of a scan that was cut
 * short (a timeout): the remote connection then stays until the scan has closed.
 */
static void bind_data_free(void *p)
{
    struct bind_data *b = p;

    if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    if (b->cancel_token)
        pd_cancel_unregister(b->cancel_token);
    if (b->remote)
        b->src.ops->close(b->remote);
    pd_relation_clear(&b->rel);
    pd_source_free(&b->src);
    free(b->where);
    free(b->label);
    free(b);
}

/*
 * Tell whoever runs the statement how many values of each column did not fit
 * their type and were read as NULL (sources.bad_values), once, at the scan's end.
 */
static void tell_bad_values(struct bind_data *b)
{
    for (size_t i = 0; b->rel.bad && i < b->rel.ncols; i++) {
        int64_t n = __atomic_exchange_n(&b->rel.bad[i], 0, __ATOMIC_ACQ_REL);
        if (n == 0)
            continue;
        pd_notice_add(b->conn_id,
                      "%s: %lld value%s of column %s could not be read as its type and %s read as NULL "
                      "(sources.bad_values: text reads the column as text, error fails the "
                      "query instead)",
                      b->label, (long long)n, n == 1 ? "" : "s", b->rel.cols[i].name,
                      n == 1 ? "was" : "were");
        pd_log(PD_LOG_WARN, "source values read as NULL", "{s:s, s:s, s:I}", "source", b->label,
               "column", b->rel.cols[i].name, "count", (json_int_t)n);
    }
}

/*
 * What the remote is asked beyond the columns: the caller's filter (remote SQL,
 * from the cache and ingest), the query's filters it can take, and the query's
 * LIMIT when every filter went to the remote too.
 */
static void bind_remote_filter(duckdb_bind_info info, struct bind_data *b)
{
    char *filter = value_text(duckdb_bind_get_named_parameter(info, "filter"));
    char *spec = value_text(duckdb_bind_get_named_parameter(info, "pushdown"));
    duckdb_value lim = duckdb_bind_get_named_parameter(info, "row_limit");
    struct pd_buf where = PD_BUF_INIT, pushed = PD_BUF_INIT;
    int all;

    pd_remote_filter(b->src.ops, &b->rel, spec, &pushed, &all);
    if (filter && pushed.len)
        pd_buf_addf(&where, "(%s) AND %s", filter, pushed.ptr);
    else if (filter || pushed.len)
        pd_buf_adds(&where, filter ? filter : pushed.ptr);
    pd_buf_release(&pushed);
    b->limit = -1;
    if (lim && !duckdb_is_null_value(lim) && all)
        b->limit = duckdb_get_int64(lim);
    if (lim)
        duckdb_destroy_value(&lim);
    b->where = where.len ? pd_buf_detach(&where, NULL) : NULL;
    pd_buf_release(&where);
    free(filter);
    free(spec);
}

static void cancel_remote(void *arg)
{
    struct bind_data *b = arg;
    b->src.ops->cancel(b->remote);
}

static void scan_bind(duckdb_bind_info info)
{
    struct scan_fn *fn = duckdb_bind_get_extra_info(info);
    struct bind_data *b = xcalloc(1, sizeof(*b));
    struct pd_err err = PD_ERR_INIT;
    char *name;

    b->refs = 1;
    name = value_text(duckdb_bind_get_parameter(info, 0));
    char *target = value_text(duckdb_bind_get_parameter(info, 1));
    duckdb_client_context ctx;

    duckdb_table_function_get_client_context(info, &ctx);
    b->conn_id = duckdb_client_context_get_connection_id(ctx);
    duckdb_destroy_client_context(&ctx);

    if (!name || !target) {
        pd_fail(&err, PD_EINVAL, "%s: the source name and the %s must not be NULL",
                fn->engine ? fn->engine->query_function : "pd_source_scan",
                fn->engine ? "query" : "table");
        goto fail;
    }
    if (pd_sources_get(fn->S, name, &b->src, &err) != 0)
        goto fail;
    if (!b->src.ops->open) {
        pd_fail(&err, PD_EINVAL, "source %s is a %s source: query its tables as %s.TABLE", name,
                b->src.ops->type, name);
        goto fail;
    }
    if (fn->engine && fn->engine != b->src.ops) {
        pd_fail(&err, PD_EINVAL, "source %s is a %s source, not %s: use %s", name,
                b->src.ops->type, fn->engine->type,
                b->src.ops->query_function ? b->src.ops->query_function : "its views");
        goto fail;
    }
    if (b->src.ops->open(&b->src, &b->remote, &err) != 0)
        goto fail;
    b->cancel_token = pd_cancel_register(b->conn_id, cancel_remote, b, &b->rows);
    b->label = fn->engine ? xasprintf("%s: %s", name, fn->engine->query_function)
                          : xasprintf("%s.%s", name, target);
    b->rel.bad_values = b->src.bad_values;
    if (!fn->engine) { /* the types a view was made with (pd_relation.type_hints) */
        char *types = value_text(duckdb_bind_get_named_parameter(info, "types"));
        b->rel.type_hints = types ? json_loads(types, 0, NULL) : NULL;
        free(types);
    }
    if (b->src.ops->describe(b->remote, fn->engine ? NULL : target, fn->engine ? target : NULL,
                             &b->rel, &err) != 0)
        goto fail;
    b->rel.bad = xcalloc(b->rel.ncols ? b->rel.ncols : 1, sizeof(*b->rel.bad));
    if (b->rel.ncols == 0) {
        pd_fail(&err, PD_EINVAL, "%s.%s has no columns DuckDB can read", name, target);
        goto fail;
    }
    b->table_scan = !fn->engine;
    if (!fn->engine)
        bind_remote_filter(info, b);
    else
        b->limit = -1;
    for (size_t i = 0; i < b->rel.ncols; i++)
        duckdb_bind_add_result_column(info, b->rel.cols[i].name, b->rel.cols[i].type);
    for (size_t i = 0; i < b->rel.warnings.n; i++) {
        pd_log(PD_LOG_WARN, "source type mapping", "{s:s, s:s}", "source", name, "warning",
               b->rel.warnings.v[i]);
        if (!fn->engine)
            pd_sources_warn(fn->S, name, target, b->rel.warnings.v[i]);
    }
    duckdb_bind_set_bind_data(info, b, bind_data_free);
    free(name);
    free(target);
    return;
fail:
    duckdb_bind_set_error(info, err.msg);
    bind_data_free(b);
    free(name);
    free(target);
}

static void init_data_free(void *p)
{
    struct init_data *d = p;

    if (d->scan)
        d->b->src.ops->scan_close(d->scan);
    tell_bad_values(d->b); /* a scan cut short (LIMIT) ends here */
    bind_data_free(d->b);
    free(d->sent);
    free(d->cols);
    pd_strv_clear(&d->parts);
    free(d->snapshot);
    free(d);
}

/* How many parts a large table may be read in: sources.scan_parts, else the cores (at most 8). */
static int max_parts(const struct pd_source *src)
{
    long n = src->scan_parts > 0 ? src->scan_parts : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

/* Tell the statement's runner what the remote was sent (sql --explain-remote). */
static void tell_sent(const struct bind_data *b, const char *sql)
{
    char *told = xasprintf("%s: %s", b->label, sql); /* "sales.orders: SELECT ..." */
    pd_log(PD_LOG_DEBUG, "remote statement", "{s:s, s:s}", "source", b->label, "sql", sql);
    pd_notice_add_kind(b->conn_id, PD_NOTICE_REMOTE_SQL, told);
    free(told);
}

static void scan_init(duckdb_init_info info)
{
    struct bind_data *b = duckdb_init_get_bind_data(info);
    struct init_data *d = xcalloc(1, sizeof(*d));
    struct pd_err err = PD_ERR_INIT;
    idx_t n = duckdb_init_get_column_count(info);

    d->b = b;
    __atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
    d->cols = xcalloc(n ? n : 1, sizeof(*d->cols));
    d->ncols = n;
    for (idx_t i = 0; i < n; i++)
        d->cols[i] = duckdb_init_get_column_index(info, i);
    duckdb_init_set_init_data(info, d, init_data_free);
    if (b->src.ops->split && b->table_scan && b->limit < 0) {
        if (b->src.ops->split(b->remote, &b->rel, max_parts(&b->src), &d->parts, &d->snapshot, &err)) {
            duckdb_init_set_error(info, err.msg);
            return;
        }
        if (d->parts.n >= 2) {
            d->parts_left = (int)d->parts.n;
            duckdb_init_set_max_threads(info, d->parts.n);
            return;
        }
    }
    duckdb_init_set_max_threads(info, 1);
    struct pd_scan_req req = {d->cols, n, b->where, b->limit};
    struct pd_buf sent = PD_BUF_INIT;
    pd_relation_select(&sent, &b->rel, &req, b->src.ops->quote ? b->src.ops->quote : '"');
    if (b->where || b->limit >= 0)
        d->sent = xstrdup(sent.ptr);
    if (b->src.ops->scan(b->remote, &b->rel, &req, &d->scan, &err) != 0) {
        duckdb_init_set_error(info, scan_error(d->sent, &err));
        d->scan = NULL;
    } else {
        tell_sent(b, sent.ptr);
    }
    pd_buf_release(&sent);
}

static void part_close(struct part_reader *p)
{
    if (!p->d)
        return; /* never read */
    const struct pd_connector *ops = p->d->b->src.ops;
    if (p->cancel_token)
        pd_cancel_unregister(p->cancel_token);
    if (p->scan)
        ops->scan_close(p->scan);
    if (p->remote)
        ops->close(p->remote);
    free(p->sent);
    p->cancel_token = 0;
    p->scan = NULL;
    p->remote = NULL;
    p->sent = NULL;
}

static void part_reader_free(void *arg)
{
    struct part_reader *p = arg;
    part_close(p);
    free(p);
}

static void cancel_part(void *arg)
{
    struct part_reader *p = arg;
    p->d->b->src.ops->cancel(p->remote);
}

/* A thread's reader of parts; it learns the scan it belongs to when it first reads. */
static void scan_local_init(duckdb_init_info info)
{
    struct part_reader *p = xcalloc(1, sizeof(*p));
    duckdb_init_set_init_data(info, p, part_reader_free);
}

/* Start reading part i on a connection of its own, at the scan's snapshot. */
static int part_start(struct part_reader *p, size_t i, struct pd_err *err)
{
    struct init_data *d = p->d;
    struct bind_data *b = d->b;
    struct pd_buf where = PD_BUF_INIT, sent = PD_BUF_INIT;
    int rc;

    if (b->where)
        pd_buf_addf(&where, "(%s) AND (%s)", b->where, d->parts.v[i]);
    else
        pd_buf_adds(&where, d->parts.v[i]);
    struct pd_scan_req req = {d->cols, d->ncols, where.ptr, -1};
    pd_relation_select(&sent, &b->rel, &req, b->src.ops->quote ? b->src.ops->quote : '"');
    p->sent = pd_buf_detach(&sent, NULL);
    if ((rc = b->src.ops->open(&b->src, &p->remote, err)) == 0) {
        p->cancel_token = pd_cancel_register(b->conn_id, cancel_part, p, &b->rows);
        if ((rc = b->src.ops->join(p->remote, d->snapshot, err)) == 0 &&
            (rc = b->src.ops->scan(p->remote, &b->rel, &req, &p->scan, err)) == 0)
            tell_sent(b, p->sent);
    }
    pd_buf_release(&where);
    return rc;
}

/* The next rows of a read in parts: this thread's part, then the next unclaimed one. */
static long part_fetch(struct part_reader *p, duckdb_data_chunk out, struct pd_err *err)
{
    struct init_data *d = p->d;

    for (;;) {
        if (!p->scan) {
            int i = __atomic_fetch_add(&d->next_part, 1, __ATOMIC_ACQ_REL);
            if (i >= (int)d->parts.n)
                return 0;
            if (part_start(p, (size_t)i, err) != 0)
                return -1;
        }
        long n = d->b->src.ops->fetch(p->scan, out, err);
        if (n != 0)
            return n;
        part_close(p);
        if (__atomic_sub_fetch(&d->parts_left, 1, __ATOMIC_ACQ_REL) == 0)
            tell_bad_values(d->b); /* the last part to end */
    }
}

static void scan_chunk(duckdb_function_info info, duckdb_data_chunk out)
{
    struct init_data *d = duckdb_function_get_init_data(info);
    struct pd_err err = PD_ERR_INIT;
    long n;

    if (d->parts.n) {
        struct part_reader *p = duckdb_function_get_local_init_data(info);
        p->d = d;
        n = part_fetch(p, out, &err);
        if (n < 0) {
            duckdb_function_set_error(info, scan_error(p->sent, &err));
            return;
        }
    } else {
        if (d->done || !d->scan) {
            duckdb_data_chunk_set_size(out, 0);
            return;
        }
        n = d->b->src.ops->fetch(d->scan, out, &err);
        if (n < 0) {
            duckdb_function_set_error(info, scan_error(d->sent, &err));
            d->done = 1;
            return;
        }
        if (n == 0) {
            d->done = 1;
            tell_bad_values(d->b);
        }
    }
    __atomic_add_fetch(&d->b->rows, n, __ATOMIC_RELAXED);
    duckdb_data_chunk_set_size(out, (idx_t)n);
}

static int register_one(duckdb_connection conn, const char *name, struct scan_fn *fn,
                        struct pd_err *err)
{
    duckdb_table_function tf = duckdb_create_table_function();
    duckdb_logical_type text = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_state st;

    duckdb_table_function_set_name(tf, name);
    duckdb_table_function_add_parameter(tf, text);
    duckdb_table_function_add_parameter(tf, text);
    if (!fn->engine) {
        duckdb_logical_type big = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
        duckdb_table_function_add_named_parameter(tf, "filter", text);
        duckdb_table_function_add_named_parameter(tf, "pushdown", text);
        duckdb_table_function_add_named_parameter(tf, "types", text);
        duckdb_table_function_add_named_parameter(tf, "row_limit", big);
        duckdb_destroy_logical_type(&big);
    }
    duckdb_table_function_set_extra_info(tf, fn, free);
    duckdb_table_function_set_bind(tf, scan_bind);
    duckdb_table_function_set_init(tf, scan_init);
    duckdb_table_function_set_local_init(tf, scan_local_init);
    duckdb_table_function_set_function(tf, scan_chunk);
    duckdb_table_function_supports_projection_pushdown(tf, true);
    st = duckdb_register_table_function(conn, tf);
    duckdb_destroy_table_function(&tf);
    duckdb_destroy_logical_type(&text);
    if (st != DuckDBSuccess)
        return pd_fail(err, PD_EINTERNAL, "cannot register the table function %s", name);
    return 0;
}

int pd_scan_register(struct pd_sources *S, duckdb_connection conn, struct pd_err *err)
{
    struct scan_fn *fn = xcalloc(1, sizeof(*fn));
    const struct pd_connector *c;

    fn->S = S;
    if (register_one(conn, "pd_source_scan", fn, err) != 0)
        return err->code;
    for (size_t i = 0; (c = pd_connector_at(i)) != NULL; i++) {
        if (!c->query_function)
            continue;
        fn = xcalloc(1, sizeof(*fn));
        fn->S = S;
        fn->engine = c;
        if (register_one(conn, c->query_function, fn, err) != 0)
            return err->code;
    }
    return 0;
}
