/*
 * sources.c - the source registry (_sources.attached) and the schema of views
 * each attached source gets.
 *
 * The process keeps the attached sources in memory (loaded at open, with their
 * secrets read back from the store) because the scan table function looks them
 * up while DuckDB binds a query, when it cannot run SQL of its own.
 */
#include "sources/sources.h"
#include "sources/ingest.h"
#include "sources/cache.h"
#include "sources/pushdown.h"
#include "sources/sqltree.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "query/query.h"
#include "sources/load.h"
#include "sources/secrets.h"
#include "warehouse/warehouse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct pd_sources {
    struct pd_warehouse *wh;
    char *home;
    long connect_timeout_s;
    int scan_parts; /* sources.scan_parts: 0 for the cores */
    enum pd_bad_values bad_values;
    int pushdown; /* sources.pushdown: queries' filters go to the remote */
    enum pd_on_expired on_expired; /* cache.on_expired */
    pthread_mutex_t mu;
    /* Attach, refresh and detach run one at a time: they share collect below, and DuckDB
       refuses two catalog changes to one schema at once (a write-write conflict). */
    pthread_mutex_t changes;
    struct pd_source *v; /* attached (or in error), in memory */
    size_t n;
    struct pd_strv *collect;    /* where binding views reports lossy type mappings, or NULL */
    const char *collect_source; /* ... of this source */
};

/* Schemas a source may not take. */
static const char *const reserved[] = {"main", "cache", "analysis", "information_schema",
                                       "pg_catalog", "temp", "system", "memory",
                                       "_pluto", "_sources", "_duckpipe"};

void pd_attach_report_clear(struct pd_attach_report *r)
{
    pd_strv_clear(&r->tables);
    pd_strv_clear(&r->added);
    pd_strv_clear(&r->dropped);
    pd_strv_clear(&r->warnings);
}

static void source_copy(struct pd_source *dst, const struct pd_source *src)
{
    dst->name = xstrdup(src->name);
    dst->ops = src->ops;
    dst->config = json_deep_copy(src->config);
    dst->secret = src->secret ? xstrdup(src->secret) : NULL;
    dst->connect_timeout_s = src->connect_timeout_s;
    dst->scan_parts = src->scan_parts;
    dst->bad_values = src->bad_values;
    dst->home = xstrdup(src->home);
}

void pd_source_free(struct pd_source *src)
{
    free(src->name);
    json_decref(src->config);
    if (src->secret) {
        memset(src->secret, 0, strlen(src->secret));
        free(src->secret);
    }
    free(src->home);
    memset(src, 0, sizeof(*src));
}

/* What every source takes from the settings (sources.*) and the data home. */
static void apply_settings(const struct pd_sources *S, struct pd_source *src)
{
    src->home = xstrdup(S->home);
    src->connect_timeout_s = S->connect_timeout_s;
    src->bad_values = S->bad_values;
    src->scan_parts = S->scan_parts;
}

static struct pd_source *find_locked(struct pd_sources *S, const char *name)
{
    for (size_t i = 0; i < S->n; i++)
        if (strcmp(S->v[i].name, name) == 0)
            return &S->v[i];
    return NULL;
}

int pd_sources_get(struct pd_sources *S, const char *name, struct pd_source *out,
                   struct pd_err *err)
{
    struct pd_source *s;
    int rc = 0;

    pthread_mutex_lock(&S->mu);
    if ((s = find_locked(S, name)) != NULL)
        source_copy(out, s);
    else
        rc = pd_fail(err, PD_ENOTFOUND, "no source named '%s' (see: pluto-duck source list)", name);
    pthread_mutex_unlock(&S->mu);
    return rc;
}

int pd_sources_is_remote(struct pd_sources *S, const char *name, char **source)
{
    int found = 0;
    pthread_mutex_lock(&S->mu);
    for (size_t i = 0; i < S->n && !found; i++) {
        if (S->v[i].ops->open && strcasecmp(S->v[i].name, name) == 0) {
            *source = xstrdup(S->v[i].name);
            found = 1;
        }
    }
    pthread_mutex_unlock(&S->mu);
    return found;
}

static void remember(struct pd_sources *S, const struct pd_source *src)
{
    pthread_mutex_lock(&S->mu);
    S->v = xrealloc(S->v, (S->n + 1) * sizeof(*S->v));
    source_copy(&S->v[S->n++], src);
    pthread_mutex_unlock(&S->mu);
}

static void forget(struct pd_sources *S, const char *name)
{
    pthread_mutex_lock(&S->mu);
    for (size_t i = 0; i < S->n; i++) {
        if (strcmp(S->v[i].name, name) == 0) {
            pd_source_free(&S->v[i]);
            S->v[i] = S->v[--S->n];
            break;
        }
    }
    pthread_mutex_unlock(&S->mu);
}

struct pd_warehouse *pd_sources_warehouse(struct pd_sources *S)
{
    return S->wh;
}

static char *secret_key(const char *name)
{
    return xasprintf("source.%s", name);
}

/* Fill src from a registry row's parts. */
static int source_init(struct pd_sources *S, struct pd_source *src, const char *name,
                       const char *type, const char *config_json, struct pd_err *err)
{
    json_error_t jerr;
    char *key;

    memset(src, 0, sizeof(*src));
    src->ops = pd_connector_find(type);
    if (!src->ops)
        return pd_fail(err, PD_EINVAL, "source %s has an unknown type '%s'", name, type);
    src->config = json_loads(config_json, 0, &jerr);
    if (!src->config)
        return pd_fail(err, PD_EINTERNAL, "source %s: stored config is not JSON: %s", name,
                       jerr.text);
    src->name = xstrdup(name);
    apply_settings(S, src);
    key = secret_key(name);
    src->secret = pd_secret_get(S->home, key);
    free(key);
    return 0;
}

static int load_registry(struct pd_sources *S, duckdb_connection conn, struct pd_err *err)
{
    duckdb_result res;
    duckdb_data_chunk chunk;

    if (duckdb_query(conn,
                     "SELECT name, type, config::VARCHAR FROM _sources.attached "
                     "WHERE status <> 'detached' ORDER BY name",
                     &res) != DuckDBSuccess) {
        pd_fail(err, PD_EINTERNAL, "cannot read the source registry: %s", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return err->code;
    }
    while ((chunk = duckdb_fetch_chunk(res)) != NULL) {
        idx_t n = duckdb_data_chunk_get_size(chunk);
        for (idx_t r = 0; r < n; r++) {
            char *name = pd_chunk_text(chunk, 0, r), *type = pd_chunk_text(chunk, 1, r);
            char *cfg = pd_chunk_text(chunk, 2, r);
            struct pd_source src;
            struct pd_err e = PD_ERR_INIT;
            if (source_init(S, &src, name, type, cfg, &e) == 0) {
                if (src.ops->load && src.ops->load(&src, conn, 0, &e) != 0)
                    pd_log(PD_LOG_WARN, "source unavailable", "{s:s, s:s}", "source", name,
                           "error", e.msg);
                remember(S, &src);
            } else {
                pd_log(PD_LOG_WARN, "source skipped", "{s:s, s:s}", "source", name, "error",
                       e.msg);
            }
            pd_source_free(&src);
            free(name);
            free(type);
            free(cfg);
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&res);
    return 0;
}

/* Whether sql names an attached remote source at all (the cheap test before parsing). */
static int mentions_remote(struct pd_sources *S, const char *sql)
{
    int found = 0;
    pthread_mutex_lock(&S->mu);
    for (size_t i = 0; i < S->n && !found; i++)
        found = S->v[i].ops->open && strcasestr(sql, S->v[i].name) != NULL;
    pthread_mutex_unlock(&S->mu);
    return found;
}

/*
 * The warehouse's statement hook: a query reading an expired cached table is
 * told so, refreshes it first or fails (cache.on_expired); one reading live
 * source tables gets its filters pushed to them (pushdown.h).
 */
static int before_statement(void *arg, duckdb_connection conn, const char *sql, char **rewritten,
                            struct pd_err *err)
{
    struct pd_sources *S = arg;
    int remote = S->pushdown && mentions_remote(S, sql), cached = strcasestr(sql, "cache") != NULL;
    json_t *tree;
    int rc = 0;

    if ((!remote && !cached) || !(tree = pd_sqltree_parse(conn, sql)))
        return 0;
    if (cached)
        rc = pd_cache_check_reads(S, conn, tree, S->on_expired, err);
    if (rc == 0 && remote && pd_pushdown_apply(S, conn, tree)) {
        *rewritten = pd_sqltree_sql(conn, tree);
        if (*rewritten)
            pd_log(PD_LOG_DEBUG, "filters pushed to sources", "{s:s}", "sql", *rewritten);
    }
    json_decref(tree);
    return rc;
}

int pd_sources_open(struct pd_warehouse *wh, const struct pd_config *cfg, struct pd_sources **out,
                    struct pd_err *err)
{
    struct pd_sources *S = xcalloc(1, sizeof(*S));
    duckdb_connection conn;
    int rc;

    S->wh = wh;
    S->home = xstrdup(pd_config_home(cfg));
    S->connect_timeout_s = (long)(pd_config_seconds(cfg, "sources.connect_timeout") + 0.5);
    S->scan_parts = (int)pd_config_int(cfg, "sources.scan_parts");
    if (S->connect_timeout_s < 1)
        S->connect_timeout_s = 1;
    {
        const char *bad = pd_config_get(cfg, "sources.bad_values");
        S->bad_values = bad && strcmp(bad, "error") == 0  ? PD_BAD_ERROR
                        : bad && strcmp(bad, "text") == 0 ? PD_BAD_TEXT
                                                          : PD_BAD_NULL;
    }
    {
        const char *push = pd_config_get(cfg, "sources.pushdown");
        const char *expired = pd_config_get(cfg, "cache.on_expired");
        S->pushdown = !push || strcmp(push, "false") != 0;
        S->on_expired = expired && !strcmp(expired, "refresh") ? PD_EXPIRED_REFRESH
                        : expired && !strcmp(expired, "error") ? PD_EXPIRED_ERROR
                                                               : PD_EXPIRED_WARN;
    }
    pthread_mutex_init(&S->mu, NULL);
    pthread_mutex_init(&S->changes, NULL);
    *out = S;
    if ((rc = pd_warehouse_acquire(wh, &conn, err)) != 0)
        return rc;
    rc = pd_scan_register(S, conn, err);
    if (rc == 0)
        rc = load_registry(S, conn, err);
    if (rc == 0)
        pd_ingest_mark_interrupted(conn); /* runs a process left half-way */
    pd_warehouse_release(wh, conn, 1);
    if (rc == 0)
        pd_warehouse_set_statement_hook(wh, before_statement, S);
    return rc;
}

void pd_sources_close(struct pd_sources *S)
{
    if (!S)
        return;
    for (size_t i = 0; i < S->n; i++)
        pd_source_free(&S->v[i]);
    free(S->v);
    free(S->home);
    pthread_mutex_destroy(&S->mu);
    pthread_mutex_destroy(&S->changes);
    free(S);
}

/* The tables a source has now, sorted. */
static int list_remote(const struct pd_source *src, duckdb_connection conn, struct pd_strv *tables,
                       struct pd_err *err)
{
    struct pd_remote *r;
    int rc;

    if (!src->ops->open) {
        rc = src->ops->tables(src, conn, tables, err);
    } else if ((rc = src->ops->open(src, &r, err)) == 0) {
        rc = src->ops->list_tables(r, tables, err);
        src->ops->close(r);
    }
    pd_strv_sort(tables);
    return rc;
}

void pd_sources_warn(struct pd_sources *S, const char *source, const char *table,
                     const char *warning)
{
    pthread_mutex_lock(&S->mu);
    if (S->collect && strcmp(S->collect_source, source) == 0)
        pd_strv_pushf(S->collect, "%s.%s: %s", source, table, warning);
    pthread_mutex_unlock(&S->mu);
}

/* Keep the type-mapping warnings of source's views in into while they are (re)created. */
static void collect_warnings(struct pd_sources *S, const char *source, struct pd_strv *into)
{
    pthread_mutex_lock(&S->mu);
    S->collect = into;
    S->collect_source = source;
    pthread_mutex_unlock(&S->mu);
}

/*
 * The types a remote's describe chose from the values of each table (a
 * PostgreSQL numeric without precision): {table: {column: type}} into *out, or
 * NULL when the connector chooses none. Describes every table once.
 */
static int value_types(const struct pd_source *src, const struct pd_strv *tables, json_t **out,
                       struct pd_strv *warnings, struct pd_err *err)
{
    struct pd_remote *r;
    int rc;

    *out = NULL;
    if (!src->ops->types_from_values || (rc = src->ops->open(src, &r, err)) != 0)
        return src->ops->types_from_values ? err->code : 0;
    *out = json_object();
    for (size_t i = 0; rc == 0 && i < tables->n; i++) {
        struct pd_relation rel = {.bad_values = src->bad_values};
        rc = src->ops->describe(r, tables->v[i], NULL, &rel, err);
        if (rc == 0 && json_object_size(rel.type_hints)) {
            json_object_set(*out, tables->v[i], rel.type_hints);
            for (size_t k = 0; k < rel.warnings.n; k++) /* what the choice was, once */
                if (strstr(rel.warnings.v[k], "numeric without precision read as"))
                    pd_strv_pushf(warnings, "%s.%s: %s", src->name, tables->v[i],
                                  rel.warnings.v[k]);
        }
        pd_relation_clear(&rel);
    }
    src->ops->close(r);
    return rc;
}

/* SQL creating schema name and a view per table (inside the caller's transaction); hints:
   value_types's choices, passed to the scan as types. */
static int build_views_sql(const struct pd_source *src, const struct pd_strv *tables,
                           const json_t *hints, struct pd_buf *sql, struct pd_err *err)
{
    pd_buf_adds(sql, "CREATE SCHEMA ");
    pd_sql_ident(sql, src->name);
    pd_buf_adds(sql, ";\n");
    for (size_t i = 0; i < tables->n; i++) {
        pd_buf_adds(sql, "CREATE VIEW ");
        pd_sql_ident(sql, src->name);
        pd_buf_addc(sql, '.');
        pd_sql_ident(sql, tables->v[i]);
        pd_buf_adds(sql, " AS SELECT * FROM ");
        if (src->ops->relation) {
            if (src->ops->relation(src, tables->v[i], sql, err) != 0)
                return err->code;
        } else {
            json_t *types = json_object_get(hints, tables->v[i]);
            pd_buf_adds(sql, "pd_source_scan(");
            pd_sql_literal(sql, src->name);
            pd_buf_adds(sql, ", ");
            pd_sql_literal(sql, tables->v[i]);
            if (types) {
                char *text = json_dumps(types, JSON_COMPACT | JSON_SORT_KEYS);
                pd_buf_adds(sql, ", types := ");
                pd_sql_literal(sql, text);
                free(text);
            }
            pd_buf_addc(sql, ')');
        }
        pd_buf_adds(sql, ";\n");
    }
    return 0;
}

/* Run sql in one transaction; roll back on failure. */
static int exec_atomic(duckdb_connection conn, const char *what, const char *sql,
                       struct pd_err *err)
{
    struct pd_load_opts o = {.label = what, .expected_rows = -1};
    return pd_load_atomic(conn, sql, &o, err);
}

/* The registry status of name ("attached", "error", "detached"; heap), or NULL when unknown. */
static char *registry_status(duckdb_connection conn, const char *name)
{
    struct pd_buf sql = PD_BUF_INIT;
    char *status;

    pd_buf_adds(&sql, "SELECT status FROM _sources.attached WHERE name = ");
    pd_sql_literal(&sql, name);
    status = pd_query_text(conn, sql.ptr);
    pd_buf_release(&sql);
    return status;
}

static int schema_exists(duckdb_connection conn, const char *name)
{
    struct pd_buf sql = PD_BUF_INIT;
    int64_t n;

    pd_buf_adds(&sql, "SELECT count(*) FROM duckdb_schemas() WHERE database_name = "
                      "current_database() AND schema_name = ");
    pd_sql_literal(&sql, name);
    n = pd_query_count(conn, sql.ptr);
    pd_buf_release(&sql);
    return n > 0;
}

static int check_new_name(duckdb_connection conn, const char *name, struct pd_err *err)
{
    char *status;
    int attached;

    if (pd_name_check("source", name, err) != 0)
        return err->code;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return pd_fail(err, PD_EINVAL, "'%s' is reserved: choose another source name", name);
    status = registry_status(conn, name);
    attached = status && strcmp(status, "detached") != 0;
    free(status);
    if (attached)
        return pd_fail(err, PD_EEXIST,
                       "a source named '%s' is already attached (detach it first, or pick "
                       "another name)",
                       name);
    if (schema_exists(conn, name))
        return pd_fail(err, PD_EEXIST,
                       "the warehouse already has a schema named '%s': pick another source name",
                       name);
    return 0;
}

static void registry_upsert_sql(struct pd_buf *sql, const struct pd_source *src,
                                const char *description)
{
    char *cfg = pd_json_dumps_exact(src->config, JSON_COMPACT | JSON_SORT_KEYS);

    pd_buf_adds(sql, "DELETE FROM _sources.attached WHERE name = ");
    pd_sql_literal(sql, src->name);
    pd_buf_adds(sql, ";\nINSERT INTO _sources.attached (name, type, config, status, description) "
                     "VALUES (");
    pd_sql_literal(sql, src->name);
    pd_buf_adds(sql, ", ");
    pd_sql_literal(sql, src->ops->type);
    pd_buf_adds(sql, ", ");
    pd_sql_literal(sql, cfg);
    pd_buf_adds(sql, ", 'attached', ");
    if (description)
        pd_sql_literal(sql, description);
    else
        pd_buf_adds(sql, "NULL");
    pd_buf_adds(sql, ");\n");
    free(cfg);
}

/*
 * Make src from an attach request and reach it: the connector's checks, the
 * secret (given, in the DSN, or the client's variable), loading a native
 * source (*loaded), and the list of its tables.
 */
static int reach(struct pd_sources *S, duckdb_connection conn, const struct pd_attach_req *req,
                 struct pd_source *src, int *loaded, struct pd_strv *tables, struct pd_err *err)
{
    char *secret = NULL;
    int rc;
    if (!(src->ops = pd_connector_find(req->type)))
        return pd_fail(err, PD_EINVAL, "unknown source type '%s' (one of: %s)", req->type,
                       pd_connector_names());
    src->name = xstrdup(req->name);
    apply_settings(S, src);
    src->config = json_deep_copy(req->config);
    if ((rc = src->ops->configure(src->config, &secret, err)) != 0) {
        free(secret);
        return rc;
    }
    if (req->secret) {
        free(secret);
        secret = xstrdup(req->secret);
    } else if (!secret && src->ops->password_env && getenv(src->ops->password_env)) {
        secret = xstrdup(getenv(src->ops->password_env)); /* PGPASSWORD, MYSQL_PWD */
    }
    src->secret = secret;
    if (src->ops->load) {
        if ((rc = src->ops->load(src, conn, 1, err)) != 0)
            return rc;
        *loaded = 1;
    }
    return list_remote(src, conn, tables, err);
}

int pd_source_test(struct pd_sources *S, const struct pd_attach_req *req, struct pd_strv *tables,
                   struct pd_err *err)
{
    struct pd_source src = {0};
    struct pd_attach_req probe = *req;
    duckdb_connection conn;
    int rc, loaded = 0;
    if (probe.name == NULL)
        probe.name = "new_source"; /* only named in messages: never registered, never a view */
    if ((rc = pd_warehouse_acquire(S->wh, &conn, err)) != 0)
        return rc;
    rc = reach(S, conn, &probe, &src, &loaded, tables, err);
    if (loaded && src.ops->unload)
        src.ops->unload(&src, conn);
    pd_warehouse_release(S->wh, conn, 1);
    pd_source_free(&src);
    return rc;
}

static int attach_one(struct pd_sources *S, const struct pd_attach_req *req,
                      struct pd_attach_report *rep, struct pd_err *err)
{
    struct pd_source src = {0};
    struct pd_buf sql = PD_BUF_INIT;
    duckdb_connection conn;
    json_t *hints = NULL;
    char *secret = NULL, *key = secret_key(req->name);
    int rc, loaded = 0, remembered = 0;

    if ((rc = pd_warehouse_acquire(S->wh, &conn, err)) != 0) {
        free(key);
        return rc;
    }
    if ((rc = check_new_name(conn, req->name, err)) != 0)
        goto out;
    if ((rc = reach(S, conn, req, &src, &loaded, &rep->tables, err)) != 0)
        goto out;
    if (src.secret && (rc = pd_secret_put(S->home, key, src.secret, err)) != 0)
        goto out;
    remember(S, &src); /* the views' binding looks the source up */
    remembered = 1;
    if ((rc = value_types(&src, &rep->tables, &hints, &rep->warnings, err)) != 0 ||
        (rc = build_views_sql(&src, &rep->tables, hints, &sql, err)) != 0)
        goto out;
    registry_upsert_sql(&sql, &src, req->description);
    collect_warnings(S, src.name, &rep->warnings);
    rc = exec_atomic(conn, "attach", sql.ptr, err);
    collect_warnings(S, NULL, NULL);
    if (rc == 0)
        pd_log(PD_LOG_INFO, "source attached", "{s:s, s:s, s:i}", "source", src.name, "type",
               src.ops->type, "tables", (int)rep->tables.n);
out:
    if (rc != 0) {
        if (remembered)
            forget(S, req->name);
        if (src.secret)
            pd_secret_delete(S->home, key);
        if (loaded && src.ops->unload)
            src.ops->unload(&src, conn);
    }
    pd_warehouse_release(S->wh, conn, rc == 0);
    pd_source_free(&src);
    json_decref(hints);
    free(secret);
    free(key);
    pd_buf_release(&sql);
    return rc;
}

/* The views schema name has now. */
static void current_views(duckdb_connection conn, const char *name, struct pd_strv *out)
{
    struct pd_buf sql = PD_BUF_INIT;

    pd_buf_adds(&sql, "SELECT view_name FROM duckdb_views() WHERE database_name = "
                      "current_database() AND schema_name = ");
    pd_sql_literal(&sql, name);
    pd_query_texts(conn, sql.ptr, out);
    pd_buf_release(&sql);
}

static void mark_error(duckdb_connection conn, const char *name, const char *msg)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_err ignored = PD_ERR_INIT;

    pd_buf_adds(&sql, "UPDATE _sources.attached SET status = 'error', error = ");
    pd_sql_literal(&sql, msg);
    pd_buf_adds(&sql, ", updated_at = now() WHERE name = ");
    pd_sql_literal(&sql, name);
    pd_exec(conn, sql.ptr, &ignored);
    pd_buf_release(&sql);
}

static int refresh_one(struct pd_sources *S, const char *name, struct pd_attach_report *rep,
                       struct pd_err *err)
{
    struct pd_source src = {0};
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_strv before = PD_STRV_INIT;
    duckdb_connection conn;
    json_t *hints = NULL;
    int rc;

    if ((rc = pd_sources_get(S, name, &src, err)) != 0)
        return rc;
    if ((rc = pd_warehouse_acquire(S->wh, &conn, err)) != 0)
        goto out_src;
    current_views(conn, name, &before);
    if (src.ops->load) {
        if (src.ops->unload)
            src.ops->unload(&src, conn);
        rc = src.ops->load(&src, conn, 1, err);
    }
    if (rc == 0)
        rc = list_remote(&src, conn, &rep->tables, err);
    if (rc != 0) {
        mark_error(conn, name, err->msg);
        goto out;
    }
    for (size_t i = 0; i < rep->tables.n; i++)
        if (!pd_strv_has(&before, rep->tables.v[i]))
            pd_strv_push(&rep->added, rep->tables.v[i]);
    for (size_t i = 0; i < before.n; i++)
        if (!pd_strv_has(&rep->tables, before.v[i]))
            pd_strv_push(&rep->dropped, before.v[i]);
    pd_buf_adds(&sql, "DROP SCHEMA IF EXISTS ");
    pd_sql_ident(&sql, name);
    pd_buf_adds(&sql, " CASCADE;\n");
    if ((rc = value_types(&src, &rep->tables, &hints, &rep->warnings, err)) != 0 ||
        (rc = build_views_sql(&src, &rep->tables, hints, &sql, err)) != 0)
        goto out;
    pd_buf_adds(&sql, "UPDATE _sources.attached SET status = 'attached', error = NULL, "
                      "updated_at = now() WHERE name = ");
    pd_sql_literal(&sql, name);
    pd_buf_adds(&sql, ";\n");
    collect_warnings(S, name, &rep->warnings);
    rc = exec_atomic(conn, "refresh", sql.ptr, err);
    collect_warnings(S, NULL, NULL);
    if (rc != 0)
        mark_error(conn, name, err->msg);
    else
        pd_log(PD_LOG_INFO, "source refreshed", "{s:s, s:i, s:i}", "source", name, "added",
               (int)rep->added.n, "dropped", (int)rep->dropped.n);
out:
    pd_warehouse_release(S->wh, conn, rc == 0);
out_src:
    pd_strv_clear(&before);
    json_decref(hints);
    pd_source_free(&src);
    pd_buf_release(&sql);
    return rc;
}

static int detach_one(struct pd_sources *S, const char *name, struct pd_err *err)
{
    struct pd_source src = {0};
    struct pd_buf sql = PD_BUF_INIT;
    duckdb_connection conn;
    char *key;
    int rc;

    if ((rc = pd_sources_get(S, name, &src, err)) != 0)
        return rc;
    if ((rc = pd_warehouse_acquire(S->wh, &conn, err)) != 0)
        goto out_src;
    pd_buf_adds(&sql, "DROP SCHEMA IF EXISTS ");
    pd_sql_ident(&sql, name);
    pd_buf_adds(&sql, " CASCADE;\nUPDATE _sources.attached SET status = 'detached', error = NULL, "
                      "updated_at = now() WHERE name = ");
    pd_sql_literal(&sql, name);
    pd_buf_adds(&sql, ";\n");
    rc = exec_atomic(conn, "detach", sql.ptr, err);
    if (rc == 0) {
        if (src.ops->unload)
            src.ops->unload(&src, conn);
        forget(S, name);
        key = secret_key(name);
        pd_secret_delete(S->home, key);
        free(key);
        pd_log(PD_LOG_INFO, "source detached", "{s:s}", "source", name);
    }
    pd_warehouse_release(S->wh, conn, rc == 0);
out_src:
    pd_source_free(&src);
    pd_buf_release(&sql);
    return rc;
}

int pd_source_attach(struct pd_sources *S, const struct pd_attach_req *req,
                     struct pd_attach_report *rep, struct pd_err *err)
{
    int rc;
    pthread_mutex_lock(&S->changes);
    rc = attach_one(S, req, rep, err);
    pthread_mutex_unlock(&S->changes);
    return rc;
}

int pd_source_refresh(struct pd_sources *S, const char *name, struct pd_attach_report *rep,
                      struct pd_err *err)
{
    int rc;
    pthread_mutex_lock(&S->changes);
    rc = refresh_one(S, name, rep, err);
    pthread_mutex_unlock(&S->changes);
    return rc;
}

int pd_source_detach(struct pd_sources *S, const char *name, struct pd_err *err)
{
    int rc;
    pthread_mutex_lock(&S->changes);
    rc = detach_one(S, name, err);
    pthread_mutex_unlock(&S->changes);
    return rc;
}

static int run_listing(struct pd_sources *S, const char *sql, struct pd_sink *sink,
                       struct pd_err *err)
{
    struct pd_query_opts o = {.origin = "sources"};
    struct pd_query *q = pd_query_new(S->wh, &o);
    int rc = pd_query_run(q, sql, sink, NULL, err);
    pd_query_free(q);
    return rc;
}

int pd_source_list(struct pd_sources *S, int all, struct pd_sink *sink, struct pd_err *err)
{
    char *sql = xasprintf(
        "SELECT a.name, a.type, a.status, "
        "(SELECT count(*) FROM duckdb_views() v WHERE v.database_name = current_database() "
        " AND v.schema_name = a.name) AS tables, a.description, a.error, "
        "a.created_at, a.updated_at FROM _sources.attached a %s ORDER BY a.name",
        all ? "" : "WHERE a.status <> 'detached'");
    int rc = run_listing(S, sql, sink, err);
    free(sql);
    return rc;
}

static int require_known(struct pd_sources *S, const char *name, struct pd_err *err)
{
    struct pd_source src = {0};
    int rc = pd_sources_get(S, name, &src, err);
    pd_source_free(&src);
    return rc;
}

int pd_source_show(struct pd_sources *S, const char *name, struct pd_sink *sink,
                   struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    int rc;

    if ((rc = require_known(S, name, err)) != 0)
        return rc;
    pd_buf_adds(&sql, "SELECT name, type, status, config, description, error, created_at, "
                      "updated_at FROM _sources.attached WHERE name = ");
    pd_sql_literal(&sql, name);
    rc = run_listing(S, sql.ptr, sink, err);
    pd_buf_release(&sql);
    return rc;
}

int pd_source_tables(struct pd_sources *S, const char *name, struct pd_sink *sink,
                     struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    int rc;

    if ((rc = require_known(S, name, err)) != 0)
        return rc;
    pd_buf_adds(&sql, "SELECT table_name AS \"table\", count(*) AS columns, "
                      "string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)"
                      " AS schema FROM information_schema.columns WHERE table_catalog = "
                      "current_database() AND table_schema = ");
    pd_sql_literal(&sql, name);
    pd_buf_adds(&sql, " GROUP BY table_name ORDER BY table_name");
    rc = run_listing(S, sql.ptr, sink, err);
    pd_buf_release(&sql);
    return rc;
}

int pd_source_estimate(struct pd_sources *S, const char *name, const char *table, int64_t *rows,
                       int64_t *bytes, struct pd_err *err)
{
    struct pd_source src = {0};
    struct pd_remote *r;
    int rc;

    *rows = *bytes = -1;
    if ((rc = pd_sources_get(S, name, &src, err)) != 0)
        return rc;
    if (!src.ops->estimate) {
        rc = pd_fail(err, PD_EINVAL, "a %s source has no remote statistics to estimate from",
                     src.ops->type);
    } else if ((rc = src.ops->open(&src, &r, err)) == 0) {
        rc = src.ops->estimate(r, table, rows, bytes, err);
        src.ops->close(r);
    }
    pd_source_free(&src);
    return rc;
}

int pd_sources_add_temporary(struct pd_sources *S, const char *type, json_t *config,
                             const char *secret, char **name, struct pd_err *err)
{
    static int counter;
    struct pd_source src = {0};
    duckdb_connection conn;
    char *found = NULL;
    int rc;

    if (!(src.ops = pd_connector_find(type)))
        return pd_fail(err, PD_EINVAL, "unknown source type '%s' (one of: %s)", type,
                       pd_connector_names());
    src.name = xasprintf("__pd_inline_%d_%d", (int)getpid(), ++counter);
    apply_settings(S, &src);
    src.config = json_deep_copy(config);
    if ((rc = src.ops->configure(src.config, &found, err)) == 0) {
        src.secret = secret ? xstrdup(secret) : found;
        found = secret ? found : NULL;
        if (src.ops->load && (rc = pd_warehouse_acquire(S->wh, &conn, err)) == 0) {
            rc = src.ops->load(&src, conn, 1, err);
            pd_warehouse_release(S->wh, conn, 1);
        }
    }
    if (rc == 0) {
        remember(S, &src);
        *name = xstrdup(src.name);
    }
    free(found);
    pd_source_free(&src);
    return rc;
}

void pd_sources_remove_temporary(struct pd_sources *S, const char *name)
{
    struct pd_source src = {0};
    struct pd_err ignored = PD_ERR_INIT;
    duckdb_connection conn;

    if (pd_sources_get(S, name, &src, &ignored) != 0)
        return;
    if (src.ops->unload && pd_warehouse_acquire(S->wh, &conn, &ignored) == 0) {
        src.ops->unload(&src, conn);
        pd_warehouse_release(S->wh, conn, 1);
    }
    forget(S, name);
    pd_source_free(&src);
}
