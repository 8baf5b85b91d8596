/*
 * cache.c - copies of source tables in schema cache, and their registry.
 */
#include "sources/cache.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "query/query.h"
#include "sources/sources.h"
#include "warehouse/interrupt.h"
#include "warehouse/notices.h"
#include "warehouse/warehouse.h"

#include <stdlib.h>
#include <strings.h>
#include <string.h>

/* Caching pays when a table is read often and is big enough that the remote is slow. */
#define CACHE_MIN_ROWS 10000

static int has_view(duckdb_connection conn, const char *schema, const char *table)
{
    struct pd_buf sql = PD_BUF_INIT;
    int64_t n;

    pd_buf_adds(&sql, "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database()"
                      " AND schema_name = ");
    pd_sql_literal(&sql, schema);
    pd_buf_adds(&sql, " AND view_name = ");
    pd_sql_literal(&sql, table);
    n = pd_query_count(conn, sql.ptr);
    pd_buf_release(&sql);
    return n > 0;
}

/* Append the SQL reading source.table filtered by where, on the remote when it is one. */
static void source_reader(struct pd_buf *sql, const struct pd_source *src, const char *table,
                          const char *where)
{
    if (src->ops->open) {
        pd_buf_adds(sql, "pd_source_scan(");
        pd_sql_literal(sql, src->name);
        pd_buf_adds(sql, ", ");
        pd_sql_literal(sql, table);
        if (where) {
            pd_buf_adds(sql, ", filter := ");
            pd_sql_literal(sql, where);
        }
        pd_buf_addc(sql, ')');
    } else {
        pd_buf_adds(sql, "(SELECT * FROM ");
        pd_sql_ident(sql, src->name);
        pd_buf_addc(sql, '.');
        pd_sql_ident(sql, table);
        if (where)
            pd_buf_addf(sql, " WHERE (%s)", where);
        pd_buf_adds(sql, ")");
    }
}

static int64_t expected_rows(struct pd_sources *S, const struct pd_source *src, const char *table)
{
    struct pd_err ignored = PD_ERR_INIT;
    int64_t rows = -1, bytes;

    if (src->ops->estimate)
        pd_source_estimate(S, src->name, table, &rows, &bytes, &ignored);
    return rows;
}

void pd_cache_result_clear(struct pd_cache_result *r)
{
    free(r->local);
    pd_strv_clear(&r->warnings);
    memset(r, 0, sizeof(*r));
}

int pd_cache_create(struct pd_sources *S, const struct pd_cache_req *req,
                    struct pd_cache_result *res, struct pd_err *err)
{
    struct pd_source src = {0};
    struct pd_buf sql = PD_BUF_INIT, label = PD_BUF_INIT;
    struct pd_load_opts lo = {.expected_rows = -1, .progress = req->progress,
                              .interrupted = req->interrupted};
    duckdb_connection conn;
    double ttl = 0, start = pd_mono_s();
    char *local;
    int rc;

    memset(res, 0, sizeof(*res));
    local = req->local ? xstrdup(req->local) : xasprintf("%s_%s", req->source, req->table);
    if ((rc = pd_name_check("cached table", local, err)) != 0) {
        free(local);
        return rc;
    }
    if (req->ttl && (pd_duration_parse(req->ttl, &ttl) != 0 || ttl <= 0)) {
        free(local);
        return pd_fail(err, PD_EUSAGE, "--ttl '%s' is not a duration such as 30m, 24h or 7d",
                       req->ttl);
    }
    if ((rc = pd_sources_get(S, req->source, &src, err)) != 0) {
        free(local);
        return rc;
    }
    if ((rc = pd_warehouse_acquire(pd_sources_warehouse(S), &conn, err)) != 0)
        goto out;
    if (!has_view(conn, req->source, req->table)) {
        rc = pd_fail(err, PD_ENOTFOUND,
                     "source %s has no table %s (see: pluto-duck source tables %s)", req->source,
                     req->table, req->source);
        goto release;
    }
    pd_buf_addf(&label, "%s.%s", req->source, req->table);
    lo.label = label.ptr;
    if (req->progress)
        lo.expected_rows = expected_rows(S, &src, req->table);

    if ((rc = pd_exec(conn, "BEGIN TRANSACTION", err)) != 0)
        goto release;
    pd_buf_adds(&sql, "CREATE OR REPLACE TABLE cache.");
    pd_sql_ident(&sql, local);
    pd_buf_adds(&sql, " AS SELECT * FROM ");
    source_reader(&sql, &src, req->table, req->where);
    rc = pd_load_exec(conn, sql.ptr, &lo, err);
    pd_notices_take(pd_connection_id(conn), &res->warnings); /* what the copy's reads said */
    if (rc == 0) {
        pd_buf_reset(&sql);
        pd_buf_adds(&sql, "SELECT count(*) FROM cache.");
        pd_sql_ident(&sql, local);
        res->rows = pd_query_count(conn, sql.ptr);
        pd_buf_reset(&sql);
        pd_buf_adds(&sql, "DELETE FROM _sources.cached_tables WHERE local_name = ");
        pd_sql_literal(&sql, local);
        pd_buf_adds(&sql, "; INSERT INTO _sources.cached_tables VALUES (");
        pd_sql_literal(&sql, local);
        pd_buf_adds(&sql, ", ");
        pd_sql_literal(&sql, req->source);
        pd_buf_adds(&sql, ", ");
        pd_sql_literal(&sql, req->table);
        pd_buf_adds(&sql, ", ");
        if (req->where)
            pd_sql_literal(&sql, req->where);
        else
            pd_buf_adds(&sql, "NULL");
        pd_buf_addf(&sql, ", %lld, now(), ", (long long)res->rows);
        if (ttl > 0)
            pd_buf_addf(&sql, "now() + to_microseconds(%lld)", (long long)(ttl * 1e6));
        else
            pd_buf_adds(&sql, "NULL");
        pd_buf_adds(&sql, "); COMMIT;");
        rc = pd_exec(conn, sql.ptr, err);
    }
    if (rc != 0) {
        struct pd_err ignored = PD_ERR_INIT;
        pd_exec(conn, "ROLLBACK", &ignored);
        pd_log(PD_LOG_WARN, "cache failed; previous copy kept", "{s:s, s:s}", "table", local,
               "error", err->msg);
    } else {
        res->seconds = pd_mono_s() - start;
        pd_log(PD_LOG_INFO, "table cached", "{s:s, s:s, s:I}", "source", label.ptr, "table",
               local, "rows", (json_int_t)res->rows);
    }
release:
    pd_warehouse_release(pd_sources_warehouse(S), conn, rc == 0);
out:
    pd_source_free(&src);
    pd_buf_release(&sql);
    pd_buf_release(&label);
    if (rc == 0)
        res->local = local;
    else
        free(local);
    return rc;
}

/* Read one registry row's text fields: source, source_table, filter, ttl seconds. */
struct cached {
    char *source, *table, *filter;
    int64_t ttl_s;
};

static int cached_get(duckdb_connection conn, const char *local, struct cached *c,
                      struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    duckdb_result res;
    duckdb_data_chunk chunk = NULL;
    int rc = 0;

    memset(c, 0, sizeof(*c));
    pd_buf_adds(&sql, "SELECT source, source_table, filter, "
                      "coalesce(epoch(expires_at - cached_at), -1)::BIGINT::VARCHAR "
                      "FROM _sources.cached_tables WHERE local_name = ");
    pd_sql_literal(&sql, local);
    if (duckdb_query(conn, sql.ptr, &res) != DuckDBSuccess ||
        !(chunk = duckdb_fetch_chunk(res)) || duckdb_data_chunk_get_size(chunk) == 0) {
        rc = pd_fail(err, PD_ENOTFOUND, "no cached table named '%s' (see: pluto-duck cache list)",
                     local);
    } else {
        char *ttl = pd_chunk_text(chunk, 3, 0);
        c->source = pd_chunk_text(chunk, 0, 0);
        c->table = pd_chunk_text(chunk, 1, 0);
        c->filter = pd_chunk_text(chunk, 2, 0);
        c->ttl_s = ttl ? atoll(ttl) : -1;
        free(ttl);
    }
    if (chunk)
        duckdb_destroy_data_chunk(&chunk);
    duckdb_destroy_result(&res);
    pd_buf_release(&sql);
    return rc;
}

static void cached_free(struct cached *c)
{
    free(c->source);
    free(c->table);
    free(c->filter);
}

int pd_cache_refresh(struct pd_sources *S, const char *local, pd_progress_fn progress,
                     volatile sig_atomic_t *interrupted, struct pd_cache_result *res,
                     struct pd_err *err)
{
    struct cached c;
    duckdb_connection conn;
    char ttl[32];
    int rc;

    if ((rc = pd_warehouse_acquire(pd_sources_warehouse(S), &conn, err)) != 0)
        return rc;
    rc = cached_get(conn, local, &c, err);
    pd_warehouse_release(pd_sources_warehouse(S), conn, 1);
    if (rc == 0) {
        struct pd_cache_req req = {c.source, c.table, local, c.filter, NULL, progress,
                                   interrupted};
        if (c.ttl_s > 0) {
            snprintf(ttl, sizeof(ttl), "%llds", (long long)c.ttl_s);
            req.ttl = ttl;
        }
        rc = pd_cache_create(S, &req, res, err);
    }
    cached_free(&c);
    return rc;
}

static int drop_sql(struct pd_buf *sql, const char *local)
{
    pd_buf_adds(sql, "DROP TABLE IF EXISTS cache.");
    pd_sql_ident(sql, local);
    pd_buf_adds(sql, "; DELETE FROM _sources.cached_tables WHERE local_name = ");
    pd_sql_literal(sql, local);
    pd_buf_adds(sql, ";\n");
    return 0;
}

int pd_cache_drop(struct pd_sources *S, const char *local, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_load_opts lo = {.label = "cache drop", .expected_rows = -1};
    struct cached c;
    duckdb_connection conn;
    int rc;

    if ((rc = pd_warehouse_acquire(pd_sources_warehouse(S), &conn, err)) != 0)
        return rc;
    if ((rc = cached_get(conn, local, &c, err)) == 0) {
        drop_sql(&sql, local);
        rc = pd_load_atomic(conn, sql.ptr, &lo, err);
        cached_free(&c);
    }
    pd_warehouse_release(pd_sources_warehouse(S), conn, rc == 0);
    pd_buf_release(&sql);
    return rc;
}

int pd_cache_cleanup(struct pd_sources *S, int *dropped, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_load_opts lo = {.label = "cache cleanup", .expected_rows = -1};
    struct pd_strv expired = PD_STRV_INIT;
    duckdb_connection conn;
    int rc;

    *dropped = 0;
    if ((rc = pd_warehouse_acquire(pd_sources_warehouse(S), &conn, err)) != 0)
        return rc;
    pd_query_texts(conn, "SELECT local_name FROM _sources.cached_tables WHERE expires_at <= now()",
                   &expired);
    for (size_t i = 0; i < expired.n; i++)
        drop_sql(&sql, expired.v[i]);
    if (expired.n && (rc = pd_load_atomic(conn, sql.ptr, &lo, err)) == 0)
        *dropped = (int)expired.n;
    pd_warehouse_release(pd_sources_warehouse(S), conn, rc == 0);
    pd_strv_clear(&expired);
    pd_buf_release(&sql);
    return rc;
}

int pd_cache_list(struct pd_sources *S, struct pd_sink *sink, struct pd_err *err)
{
    struct pd_query_opts o = {.origin = "cache"};
    struct pd_query *q = pd_query_new(pd_sources_warehouse(S), &o);
    int rc = pd_query_run(q,
                          "SELECT 'cache.' || local_name AS \"table\", source, source_table, "
                          "filter, rows, cached_at, expires_at, "
                          "coalesce(expires_at <= now(), false) AS expired "
                          "FROM _sources.cached_tables ORDER BY local_name",
                          sink, NULL, err);
    pd_query_free(q);
    return rc;
}

int pd_cache_estimate(struct pd_sources *S, const char *source, const char *table,
                      struct pd_cache_estimate *out, struct pd_err *err)
{
    int rc = pd_source_estimate(S, source, table, &out->rows, &out->bytes, err);

    if (rc != 0)
        return rc;
    if (out->rows < 0) {
        out->recommend = 0;
        out->reason = "the remote gives no estimate";
    } else if (out->rows < CACHE_MIN_ROWS) {
        out->recommend = 0;
        out->reason = "small: reading it live is quick";
    } else {
        out->recommend = 1;
        out->reason = "large: a local copy avoids reading it over the network each time";
    }
    return 0;
}

/* The names X of every cache.X the tree reads (a BASE_TABLE in schema cache), into out. */
static void cache_reads(const json_t *v, struct pd_strv *out)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            cache_reads(json_array_get(v, i), out);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *type = json_string_value(json_object_get(v, "type"));
    const char *schema = json_string_value(json_object_get(v, "schema_name"));
    const char *table = json_string_value(json_object_get(v, "table_name"));
    if (type && !strcmp(type, "BASE_TABLE") && schema && table && !strcasecmp(schema, "cache") &&
        !pd_strv_has(out, table))
        pd_strv_push(out, table);
    const char *k;
    json_t *child;
    json_object_foreach((json_t *)v, k, child) cache_reads(child, out);
}

int pd_cache_check_reads(struct pd_sources *S, duckdb_connection conn, const json_t *tree,
                         enum pd_on_expired policy, struct pd_err *err)
{
    struct pd_strv names = PD_STRV_INIT;
    int rc = 0;

    cache_reads(tree, &names);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        struct pd_buf sql = PD_BUF_INIT;
        char *ago, *local;
        pd_buf_adds(&sql, "SELECT local_name || ' ' || CAST(date_trunc('second', now() - "
                          "expires_at) AS VARCHAR) FROM _sources.cached_tables WHERE "
                          "expires_at <= now() AND lower(local_name) = lower(");
        pd_sql_literal(&sql, names.v[i]);
        pd_buf_addc(&sql, ')');
        ago = pd_query_text(conn, sql.ptr);
        pd_buf_release(&sql);
        if (!ago)
            continue; /* not a copy, or still fresh */
        local = xstrndup(ago, strcspn(ago, " "));
        const char *since = ago + strlen(local) + 1;
        if (policy == PD_EXPIRED_ERROR) {
            rc = pd_fail(err, PD_EINVAL,
                         "cache.%s expired %s ago (run: pluto-duck cache refresh %s, or "
                         "set cache.on_expired to warn or refresh)",
                         local, since, local);
        } else if (policy == PD_EXPIRED_REFRESH) {
            struct pd_cache_result res = {0};
            rc = pd_cache_refresh(S, local, NULL, NULL, &res, err);
            if (rc == 0)
                pd_notice_add(pd_connection_id(conn),
                              "cache.%s had expired %s ago and was copied again first (%lld rows)",
                              local, since, (long long)res.rows);
            else
                pd_err_prefix(err, "cache.%s expired and could not be copied again: ", local);
            pd_cache_result_clear(&res);
        } else {
            pd_notice_add(pd_connection_id(conn),
                          "cache.%s expired %s ago: these rows may be out of date (run: "
                          "pluto-duck cache refresh %s; cache.on_expired can refresh "
                          "or refuse instead)",
                          local, since, local);
        }
        free(local);
        free(ago);
    }
    pd_strv_clear(&names);
    return rc;
}
