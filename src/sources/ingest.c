/*
 * ingest.c - recipes: checking them, building the statements, running each as
 * one transaction and recording the run.
 */
#include "sources/ingest.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/strv.h"
#include "base/timeutil.h"
#include "base/yaml.h"
#include "sources/sources.h"
#include "warehouse/interrupt.h"
#include "warehouse/notices.h"
#include "warehouse/warehouse.h"

#include <stdlib.h>
#include <string.h>

enum mode { MODE_REPLACE, MODE_APPEND, MODE_MERGE };
static const char *const mode_names[] = {"replace", "append", "merge"};

struct recipe {
    char *name;
    const json_t *source;  /* string (attached) or object (inline) */
    const char *table, *query, *where, *incremental;
    const char *previous_watermark; /* set while running */
    char *schema, *target; /* target split */
    enum mode mode;
    struct pd_strv keys;
};

static void recipe_clear(struct recipe *r)
{
    free(r->name);
    free(r->schema);
    free(r->target);
    pd_strv_clear(&r->keys);
}

/* Check one recipe object; messages start with "FILE: recipe NAME:". */
static int recipe_parse(const json_t *j, const char *file, const char *default_name,
                        struct recipe *r, struct pd_err *err)
{
    const char *keys[] = {"name", "source", "table", "query", "target", "mode", "merge_keys",
                          "incremental", "where", "description"};
    const char *k, *mode, *target, *dot;
    json_t *v;

    memset(r, 0, sizeof(*r));
    if (!json_is_object(j))
        return pd_fail(err, PD_ECONFIG, "%s: a recipe must be a mapping (key: value)", file);
    r->name = xstrdup(json_string_value(json_object_get(j, "name")) ? json_string_value(
                                                                          json_object_get(j, "name"))
                                                                    : default_name);
    json_object_foreach((json_t *)j, k, v)
    {
        size_t i;
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[i], k); i++)
            ;
        if (i == sizeof(keys) / sizeof(keys[0]))
            return pd_fail(err, PD_ECONFIG, "%s: recipe %s: unknown key '%s'", file, r->name, k);
    }
    r->source = json_object_get(j, "source");
    r->table = json_string_value(json_object_get(j, "table"));
    r->query = json_string_value(json_object_get(j, "query"));
    r->where = json_string_value(json_object_get(j, "where"));
    r->incremental = json_string_value(json_object_get(j, "incremental"));
    mode = json_string_value(json_object_get(j, "mode"));
    target = json_string_value(json_object_get(j, "target"));
    if (!r->source || !(json_is_string(r->source) || json_is_object(r->source)))
        return pd_fail(err, PD_ECONFIG,
                       "%s: recipe %s: 'source' must name an attached source or be a mapping "
                       "with type and its options",
                       file, r->name);
    if (!!r->table == !!r->query)
        return pd_fail(err, PD_ECONFIG, "%s: recipe %s: give exactly one of 'table' or 'query'",
                       file, r->name);
    if (!target)
        return pd_fail(err, PD_ECONFIG, "%s: recipe %s: 'target' is missing", file, r->name);
    dot = strchr(target, '.');
    r->schema = dot ? xstrndup(target, (size_t)(dot - target)) : xstrdup("main");
    r->target = xstrdup(dot ? dot + 1 : target);
    if (pd_name_check("target schema", r->schema, err) || pd_name_check("target", r->target, err))
        return err->code;
    if (!strcmp(r->schema, "_pluto") || !strcmp(r->schema, "_sources") ||
        !strcmp(r->schema, "_duckpipe"))
        return pd_fail(err, PD_ECONFIG, "%s: recipe %s: schema %s is internal", file, r->name,
                       r->schema);
    r->mode = MODE_REPLACE;
    if (mode) {
        size_t i;
        for (i = 0; i < 3 && strcmp(mode_names[i], mode); i++)
            ;
        if (i == 3)
            return pd_fail(err, PD_ECONFIG,
                           "%s: recipe %s: mode '%s' is not replace, append or merge", file,
                           r->name, mode);
        r->mode = (enum mode)i;
    }
    v = json_object_get(j, "merge_keys");
    if (json_is_string(v)) {
        pd_strv_push(&r->keys, json_string_value(v));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item))
                return pd_fail(err, PD_ECONFIG, "%s: recipe %s: merge_keys must be column names",
                               file, r->name);
            pd_strv_push(&r->keys, json_string_value(item));
        }
    }
    if (r->mode == MODE_MERGE && r->keys.n == 0)
        return pd_fail(err, PD_ECONFIG, "%s: recipe %s: mode merge needs merge_keys", file,
                       r->name);
    if (r->mode != MODE_MERGE && r->keys.n)
        return pd_fail(err, PD_ECONFIG, "%s: recipe %s: merge_keys only apply to mode merge",
                       file, r->name);
    if (r->incremental && r->mode == MODE_REPLACE)
        return pd_fail(err, PD_ECONFIG,
                       "%s: recipe %s: incremental needs mode append or merge (replace would "
                       "drop the earlier rows)",
                       file, r->name);
    return 0;
}

static void target_ident(struct pd_buf *sql, const struct recipe *r)
{
    pd_sql_ident(sql, r->schema);
    pd_buf_addc(sql, '.');
    pd_sql_ident(sql, r->target);
}

/* The last successful run's watermark, or NULL. */
static char *last_watermark(duckdb_connection conn, const struct recipe *r)
{
    struct pd_buf sql = PD_BUF_INIT;
    char *wm;

    pd_buf_adds(&sql, "SELECT watermark FROM _sources.ingest_runs WHERE status = 'ok' AND "
                      "watermark IS NOT NULL AND recipe = ");
    pd_sql_literal(&sql, r->name);
    pd_buf_adds(&sql, " AND target IN (");
    pd_buf_addf(&sql, "'%s.%s', '%s'", r->schema, r->target, r->target); /* checked names */
    pd_buf_adds(&sql, ") ORDER BY finished_at DESC LIMIT 1");
    wm = pd_query_text(conn, sql.ptr);
    pd_buf_release(&sql);
    return wm;
}

/*
 * The remote condition: where AND the incremental column at or past the
 * watermark. At, not past: a row that arrived with the very value of the last
 * run's maximum must not be skipped; the rows already loaded with that value are
 * taken out again here (run_body). A merge re-reads rows whose column is NULL too
 * (its keys replace them); an append loads them on its first run only.
 */
static char *remote_condition(const struct recipe *r, const struct pd_source *src,
                              const char *watermark)
{
    struct pd_buf c = PD_BUF_INIT, col = PD_BUF_INIT;

    if (r->where)
        pd_buf_addf(&c, "(%s)", r->where);
    if (r->incremental && watermark) {
        if (c.len)
            pd_buf_adds(&c, " AND ");
        if (src->ops->open)
            pd_remote_ident(&col, r->incremental, src->ops->quote ? src->ops->quote : '"');
        else
            pd_sql_ident(&col, r->incremental);
        pd_buf_addf(&c, "(%s >= ", col.ptr);
        pd_sql_literal(&c, watermark);
        if (r->mode == MODE_MERGE)
            pd_buf_addf(&c, " OR %s IS NULL", col.ptr);
        pd_buf_addc(&c, ')');
    }
    pd_buf_release(&col);
    if (!c.len) {
        pd_buf_release(&c);
        return NULL;
    }
    return pd_buf_detach(&c, NULL);
}

/* Append the FROM item reading the recipe's rows. */
static int reader_sql(struct pd_buf *sql, const struct recipe *r, const struct pd_source *src,
                      const char *cond, struct pd_err *err)
{
    if (src->ops->open && r->table) {
        pd_buf_adds(sql, "pd_source_scan(");
        pd_sql_literal(sql, src->name);
        pd_buf_adds(sql, ", ");
        pd_sql_literal(sql, r->table);
        if (cond) {
            pd_buf_adds(sql, ", filter := ");
            pd_sql_literal(sql, cond);
        }
        pd_buf_addc(sql, ')');
        return 0;
    }
    if (src->ops->open) { /* a query on the remote, filtered there too */
        struct pd_buf q = PD_BUF_INIT;
        if (cond)
            pd_buf_addf(&q, "SELECT * FROM (%s) AS q WHERE %s", r->query, cond);
        else
            pd_buf_adds(&q, r->query);
        pd_buf_addf(sql, "%s(", src->ops->query_function);
        pd_sql_literal(sql, src->name);
        pd_buf_adds(sql, ", ");
        pd_sql_literal(sql, q.ptr);
        pd_buf_addc(sql, ')');
        pd_buf_release(&q);
        return 0;
    }
    /* Native sources: DuckDB reads them; the condition is DuckDB SQL. */
    pd_buf_adds(sql, "(SELECT * FROM ");
    if (r->query) {
        pd_buf_addf(sql, "(%s) AS q", r->query);
    } else if (src->ops->relation(src, r->table, sql, err) != 0) {
        return err->code;
    }
    if (cond)
        pd_buf_addf(sql, " WHERE %s", cond);
    pd_buf_addc(sql, ')');
    return 0;
}

/* What a dry run shows the source would be asked: remote SQL, or DuckDB's for files. */
static char *read_statement(const struct recipe *r, const struct pd_source *src, const char *cond,
                            const char *reader)
{
    struct pd_buf q = PD_BUF_INIT;

    if (src->ops->open && r->table) {
        pd_buf_adds(&q, "SELECT * FROM ");
        pd_remote_ident(&q, r->table, src->ops->quote ? src->ops->quote : '"');
        if (cond)
            pd_buf_addf(&q, " WHERE (%s)", cond);
    } else if (src->ops->open) {
        if (cond)
            pd_buf_addf(&q, "SELECT * FROM (%s) AS q WHERE %s", r->query, cond);
        else
            pd_buf_adds(&q, r->query);
    } else {
        pd_buf_addf(&q, "SELECT * FROM %s", reader);
    }
    return pd_buf_detach(&q, NULL);
}

static int table_exists(duckdb_connection conn, const struct recipe *r)
{
    struct pd_buf sql = PD_BUF_INIT;
    int64_t n;

    pd_buf_adds(&sql, "SELECT count(*)::VARCHAR FROM duckdb_tables() WHERE database_name = "
                      "current_database() AND schema_name = ");
    pd_sql_literal(&sql, r->schema);
    pd_buf_adds(&sql, " AND table_name = ");
    pd_sql_literal(&sql, r->target);
    n = pd_query_count(conn, sql.ptr);
    pd_buf_release(&sql);
    return n > 0;
}

static void key_list(struct pd_buf *sql, const struct recipe *r, const char *prefix)
{
    for (size_t i = 0; i < r->keys.n; i++) {
        if (i)
            pd_buf_adds(sql, ", ");
        pd_buf_adds(sql, prefix);
        pd_sql_ident(sql, r->keys.v[i]);
    }
}

/* Refuse a merge whose keys repeat (or are NULL) in the incoming rows. */
static int check_merge_keys(duckdb_connection conn, const struct recipe *r, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT, keys = PD_BUF_INIT;
    int64_t dups, nulls;

    key_list(&keys, r, "");
    pd_buf_addf(&sql, "SELECT count(*)::VARCHAR FROM (SELECT %s FROM __pd_stage GROUP BY ALL "
                      "HAVING count(*) > 1)",
                keys.ptr);
    dups = pd_query_count(conn, sql.ptr);
    pd_buf_reset(&sql);
    pd_buf_addf(&sql, "SELECT count(*)::VARCHAR FROM __pd_stage WHERE ");
    for (size_t i = 0; i < r->keys.n; i++) {
        pd_buf_adds(&sql, i ? " OR " : "");
        pd_sql_ident(&sql, r->keys.v[i]);
        pd_buf_adds(&sql, " IS NULL");
    }
    nulls = pd_query_count(conn, sql.ptr);
    pd_buf_release(&sql);
    if (dups > 0 || nulls > 0) {
        pd_fail(err, PD_EINVAL,
                "merge keys (%s) are not unique in the incoming data (%lld repeated, %lld "
                "NULL); nothing was written",
                keys.ptr, (long long)dups, (long long)nulls);
        pd_buf_release(&keys);
        return err->code;
    }
    pd_buf_release(&keys);
    return 0;
}

/*
 * An append reads the rows at the last watermark again (remote_condition): take
 * out of the staged rows those the target has already, as a multiset (EXCEPT
 * ALL), so that rows loaded before stay once and new ones with that value come in.
 */
static int drop_loaded_at_mark(duckdb_connection conn, const struct recipe *r, struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT, cols = PD_BUF_INIT, at = PD_BUF_INIT;
    struct pd_strv names = PD_STRV_INIT;
    int rc;

    pd_query_texts(conn,
                   "SELECT column_name FROM duckdb_columns() WHERE database_name = 'temp' AND "
                   "table_name = '__pd_stage' ORDER BY column_index",
                   &names);
    for (size_t i = 0; i < names.n; i++) {
        if (i)
            pd_buf_adds(&cols, ", ");
        pd_sql_ident(&cols, names.v[i]);
    }
    pd_sql_ident(&at, r->incremental);
    pd_buf_adds(&at, " IS NOT DISTINCT FROM ");
    pd_sql_literal(&at, r->previous_watermark);
    pd_buf_addf(&sql,
                "CREATE OR REPLACE TEMP TABLE __pd_stage AS "
                "SELECT %s FROM __pd_stage WHERE NOT (%s) "
                "UNION ALL (SELECT %s FROM __pd_stage WHERE %s EXCEPT ALL SELECT %s FROM ",
                cols.ptr, at.ptr, cols.ptr, at.ptr, cols.ptr);
    target_ident(&sql, r);
    pd_buf_addf(&sql, " WHERE %s)", at.ptr);
    rc = pd_exec(conn, sql.ptr, err);
    pd_strv_clear(&names);
    pd_buf_release(&sql);
    pd_buf_release(&cols);
    pd_buf_release(&at);
    return rc;
}

/* The statements of one recipe, run inside its transaction. Sets rows and watermark. */
static int run_body(duckdb_connection conn, const struct recipe *r, const char *reader,
                    const struct pd_load_opts *lo, struct pd_ingest_result *res,
                    struct pd_err *err)
{
    struct pd_buf sql = PD_BUF_INIT;
    int exists = table_exists(conn, r), staged = r->mode == MODE_MERGE || r->incremental;
    int rc = 0;

    pd_buf_addf(&sql, "CREATE SCHEMA IF NOT EXISTS ");
    pd_sql_ident(&sql, r->schema);
    if ((rc = pd_exec(conn, sql.ptr, err)) != 0)
        goto out;
    pd_buf_reset(&sql);
    if (!staged) {
        int64_t before = 0;
        if (r->mode == MODE_APPEND && exists) {
            pd_buf_adds(&sql, "SELECT count(*)::VARCHAR FROM ");
            target_ident(&sql, r);
            before = pd_query_count(conn, sql.ptr);
            pd_buf_reset(&sql);
            pd_buf_adds(&sql, "INSERT INTO ");
            target_ident(&sql, r);
            pd_buf_addf(&sql, " BY NAME SELECT * FROM %s", reader);
        } else {
            pd_buf_adds(&sql, "CREATE OR REPLACE TABLE ");
            target_ident(&sql, r);
            pd_buf_addf(&sql, " AS SELECT * FROM %s", reader);
        }
        if ((rc = pd_load_exec(conn, sql.ptr, lo, err)) != 0)
            goto out;
        pd_buf_reset(&sql);
        pd_buf_adds(&sql, "SELECT count(*)::VARCHAR FROM ");
        target_ident(&sql, r);
        res->rows = pd_query_count(conn, sql.ptr) - before;
        goto out;
    }
    pd_buf_addf(&sql, "CREATE OR REPLACE TEMP TABLE __pd_stage AS SELECT * FROM %s", reader);
    if ((rc = pd_load_exec(conn, sql.ptr, lo, err)) != 0)
        goto out;
    if (r->mode == MODE_APPEND && exists && r->previous_watermark &&
        (rc = drop_loaded_at_mark(conn, r, err)) != 0)
        goto out;
    res->rows = pd_query_count(conn, "SELECT count(*)::VARCHAR FROM __pd_stage");
    if (r->incremental && !r->previous_watermark) {
        pd_buf_reset(&sql);
        pd_buf_adds(&sql, "SELECT count(*)::VARCHAR FROM __pd_stage WHERE ");
        pd_sql_ident(&sql, r->incremental);
        pd_buf_adds(&sql, " IS NULL");
        res->null_marks = pd_query_count(conn, sql.ptr);
    }
    if (r->mode == MODE_MERGE && (rc = check_merge_keys(conn, r, err)) != 0)
        goto out;
    if (r->incremental) {
        pd_buf_reset(&sql);
        pd_buf_adds(&sql, "SELECT max(");
        pd_sql_ident(&sql, r->incremental);
        pd_buf_adds(&sql, ")::VARCHAR FROM __pd_stage");
        res->watermark = pd_query_text(conn, sql.ptr);
        if (!res->watermark && r->previous_watermark) /* no new rows: the mark stays */
            res->watermark = xstrdup(r->previous_watermark);
    }
    pd_buf_reset(&sql);
    if (!exists) {
        pd_buf_adds(&sql, "CREATE TABLE ");
        target_ident(&sql, r);
        pd_buf_adds(&sql, " AS SELECT * FROM __pd_stage;");
    } else {
        if (r->mode == MODE_MERGE) {
            pd_buf_adds(&sql, "DELETE FROM ");
            target_ident(&sql, r);
            pd_buf_adds(&sql, " WHERE (");
            key_list(&sql, r, "");
            pd_buf_adds(&sql, ") IN (SELECT (");
            key_list(&sql, r, "");
            pd_buf_adds(&sql, ") FROM __pd_stage);\n");
        }
        pd_buf_adds(&sql, "INSERT INTO ");
        target_ident(&sql, r);
        pd_buf_adds(&sql, " BY NAME SELECT * FROM __pd_stage;");
    }
    pd_buf_adds(&sql, "\nDROP TABLE __pd_stage;");
    rc = pd_exec(conn, sql.ptr, err);
out:
    pd_buf_release(&sql);
    return rc;
}

/*
 * A run is on record from its start: a row 'running', written before the
 * recipe's transaction, so that a process killed half-way leaves it (the next
 * process to open the warehouse marks it 'interrupted'); run_finish sets the
 * outcome, inside the transaction when the load succeeded.
 */
static void run_start(duckdb_connection conn, const struct recipe *r, const char *source_name,
                      const struct pd_ingest_result *res, int64_t started_ms)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_err ignored = PD_ERR_INIT;

    pd_buf_adds(&sql, "INSERT INTO _sources.ingest_runs (id, recipe, source, target, mode, "
                      "started_at, status) VALUES (");
    pd_sql_literal(&sql, res->run_id);
    pd_buf_adds(&sql, ", ");
    pd_sql_literal(&sql, r->name);
    pd_buf_adds(&sql, ", ");
    pd_sql_literal(&sql, source_name);
    pd_buf_adds(&sql, ", ");
    pd_sql_literal(&sql, res->target);
    pd_buf_adds(&sql, ", ");
    pd_sql_literal(&sql, mode_names[r->mode]);
    pd_buf_addf(&sql, ", make_timestamptz(%lld), 'running')", (long long)started_ms * 1000);
    pd_exec(conn, sql.ptr, &ignored);
    pd_buf_release(&sql);
}

static void run_finish(duckdb_connection conn, const struct pd_ingest_result *res,
                       const char *status)
{
    struct pd_buf sql = PD_BUF_INIT;
    struct pd_err ignored = PD_ERR_INIT;

    pd_buf_addf(&sql, "UPDATE _sources.ingest_runs SET rows = %lld, finished_at = "
                      "make_timestamptz(%lld), status = ",
                (long long)res->rows, (long long)pd_now_ms() * 1000);
    pd_sql_literal(&sql, status);
    pd_buf_adds(&sql, ", error = ");
    if (res->error)
        pd_sql_literal(&sql, res->error);
    else
        pd_buf_adds(&sql, "NULL");
    pd_buf_adds(&sql, ", watermark = ");
    if (res->watermark)
        pd_sql_literal(&sql, res->watermark);
    else
        pd_buf_adds(&sql, "NULL");
    pd_buf_adds(&sql, " WHERE id = ");
    pd_sql_literal(&sql, res->run_id);
    pd_exec(conn, sql.ptr, &ignored);
    pd_buf_release(&sql);
}

void pd_ingest_mark_interrupted(duckdb_connection conn)
{
    struct pd_err ignored = PD_ERR_INIT;
    pd_exec(conn,
            "UPDATE _sources.ingest_runs SET status = 'interrupted', error = 'the process "
            "running it ended before it finished; the target was left as it was' "
            "WHERE status = 'running'",
            &ignored);
}

/* The source of a recipe: an attached one, or an inline one registered for this run. */
static int recipe_source(struct pd_sources *S, const struct recipe *r, struct pd_source *src,
                         char **temp_name, struct pd_err *err)
{
    const json_t *s = r->source;
    json_t *cfg;
    const char *type, *pw_env, *k;
    json_t *v;
    int rc;

    *temp_name = NULL;
    if (json_is_string(s))
        return pd_sources_get(S, json_string_value(s), src, err);
    type = json_string_value(json_object_get(s, "type"));
    if (!type)
        return pd_fail(err, PD_ECONFIG, "recipe %s: the inline source needs a type", r->name);
    cfg = json_object();
    json_object_foreach((json_t *)s, k, v)
    {
        if (strcmp(k, "type") && strcmp(k, "password_env") && strcmp(k, "password"))
            json_object_set(cfg, k, v);
    }
    if (json_object_get(s, "password")) {
        json_decref(cfg);
        return pd_fail(err, PD_ECONFIG,
                       "recipe %s: do not write a password into a recipe; use password_env: "
                       "VARIABLE",
                       r->name);
    }
    pw_env = json_string_value(json_object_get(s, "password_env"));
    if (pw_env && !getenv(pw_env)) {
        json_decref(cfg);
        return pd_fail(err, PD_ECONFIG, "recipe %s: password_env %s is not set", r->name, pw_env);
    }
    rc = pd_sources_add_temporary(S, type, cfg, pw_env ? getenv(pw_env) : NULL, temp_name, err);
    json_decref(cfg);
    if (rc == 0)
        rc = pd_sources_get(S, *temp_name, src, err);
    return rc;
}

/*
 * What the source's read said (values read as NULL) into res->warnings; an inline
 * source's generated name reads "inline source" there.
 */
static void take_warnings(duckdb_connection conn, const char *temp,
                          struct pd_ingest_result *res)
{
    struct pd_strv said = PD_STRV_INIT;
    size_t n = temp ? strlen(temp) : 0;
    pd_notices_take(pd_connection_id(conn), &said);
    for (size_t i = 0; i < said.n; i++) {
        if (n && !strncmp(said.v[i], temp, n))
            pd_strv_pushf(&res->warnings, "inline source%s", said.v[i] + n);
        else
            pd_strv_push(&res->warnings, said.v[i]);
    }
    pd_strv_clear(&said);
}

static int run_recipe(struct pd_sources *S, struct recipe *r, const struct pd_ingest_opts *o,
                      struct pd_ingest_result *res, struct pd_err *err)
{
    struct pd_source src = {0};
    struct pd_buf reader = PD_BUF_INIT;
    struct pd_load_opts lo = {.label = r->name, .expected_rows = -1, .progress = o->progress,
                              .interrupted = o->interrupted};
    char *temp = NULL, *watermark = NULL, *cond = NULL;
    const char *source_name = json_is_string(r->source) ? json_string_value(r->source) : "inline";
    duckdb_connection conn;
    int64_t started = pd_now_ms();
    double t0 = pd_mono_s();
    int rc, on_record = 0; /* the run's row is written (a failure before the load wrote none) */

    pd_uuid7(res->run_id);
    res->recipe = xstrdup(r->name);
    res->target = xasprintf("%s.%s", r->schema, r->target);
    res->mode = xstrdup(mode_names[r->mode]);
    if ((rc = pd_warehouse_acquire(pd_sources_warehouse(S), &conn, err)) != 0)
        return rc;
    if ((rc = recipe_source(S, r, &src, &temp, err)) != 0)
        goto record;
    if (r->incremental)
        r->previous_watermark = watermark = last_watermark(conn, r);
    cond = remote_condition(r, &src, watermark);
    if ((rc = reader_sql(&reader, r, &src, cond, err)) != 0)
        goto record;
    if (o->dry_run) {
        res->remote_sql = read_statement(r, &src, cond, reader.ptr);
        res->watermark = watermark ? xstrdup(watermark) : NULL;
        goto done;
    }
    if (o->progress && r->table && src.ops->estimate) {
        int64_t bytes;
        struct pd_err ignored = PD_ERR_INIT;
        pd_source_estimate(S, src.name, r->table, &lo.expected_rows, &bytes, &ignored);
    }
    run_start(conn, r, source_name, res, started);
    on_record = 1;
    if ((rc = pd_exec(conn, "BEGIN TRANSACTION", err)) != 0)
        goto record;
    rc = run_body(conn, r, reader.ptr, &lo, res, err);
    take_warnings(conn, temp, res);
    if (rc == 0) {
        res->seconds = pd_mono_s() - t0;
        run_finish(conn, res, "ok");
        rc = pd_exec(conn, "COMMIT", err);
    }
    if (rc != 0) {
        struct pd_err ignored = PD_ERR_INIT;
        pd_exec(conn, "ROLLBACK", &ignored);
        pd_exec(conn, "DROP TABLE IF EXISTS temp.__pd_stage", &ignored);
    }
record:
    if (rc != 0 && !o->dry_run) {
        res->error = xstrdup(err->msg);
        res->rows = 0;
        free(res->watermark);
        res->watermark = NULL;
        res->seconds = pd_mono_s() - t0;
        if (!on_record)
            run_start(conn, r, source_name, res, started);
        run_finish(conn, res, rc == PD_ECANCELED ? "cancelled" : "failed");
        pd_log(PD_LOG_WARN, "ingest failed; target unchanged", "{s:s, s:s, s:s}", "recipe",
               r->name, "target", res->target, "error", err->msg);
    } else if (rc == 0 && !o->dry_run) {
        pd_log(PD_LOG_INFO, "ingest done", "{s:s, s:s, s:I}", "recipe", r->name, "target",
               res->target, "rows", (json_int_t)res->rows);
    }
done:
    pd_warehouse_release(pd_sources_warehouse(S), conn, rc == 0);
    if (temp) {
        pd_sources_remove_temporary(S, temp);
        free(temp);
    }
    pd_source_free(&src);
    pd_buf_release(&reader);
    free(watermark);
    free(cond);
    return rc;
}

/* The file's name without folders and extension: the default recipe name. */
static char *file_stem(const char *path)
{
    const char *base = strrchr(path, '/'), *dot;
    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    return xstrndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

/* Read and check every recipe of a file (*recipes: *count of them, also after a failure). */
static int recipes_load(const char *path, json_t **doc, struct recipe **recipes, size_t *count,
                        struct pd_err *err)
{
    json_t *list;
    char *stem;
    int rc = 0;

    *recipes = NULL;
    *count = 0;
    if ((*doc = pd_yaml_load_json(path, path, err)) == NULL)
        return err->code;
    list = json_is_object(*doc) && json_object_get(*doc, "recipes")
               ? json_object_get(*doc, "recipes")
               : NULL;
    if (list && !json_is_array(list))
        return pd_fail(err, PD_ECONFIG, "%s: 'recipes' must be a list", path);
    if (!list && !json_is_object(*doc))
        return pd_fail(err, PD_ECONFIG,
                       "%s: expected a recipe (a mapping) or a list under recipes:", path);
    *count = list ? json_array_size(list) : 1;
    *recipes = xcalloc(*count ? *count : 1, sizeof(**recipes));
    stem = file_stem(path);
    for (size_t i = 0; rc == 0 && i < *count; i++) {
        char *name = *count > 1 ? xasprintf("%s_%zu", stem, i + 1) : xstrdup(stem);
        rc = recipe_parse(list ? json_array_get(list, i) : *doc, path, name, &(*recipes)[i], err);
        free(name);
    }
    free(stem);
    return rc;
}

static void recipes_free(json_t *doc, struct recipe *recipes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        recipe_clear(&recipes[i]);
    free(recipes);
    json_decref(doc);
}

int pd_ingest_check_file(const char *path, size_t *n, struct pd_err *err)
{
    json_t *doc;
    struct recipe *recipes;
    size_t count;
    int rc = recipes_load(path, &doc, &recipes, &count, err);
    *n = rc == 0 ? count : 0;
    recipes_free(doc, recipes, count);
    return rc;
}

int pd_ingest_file(struct pd_sources *S, const char *path, const struct pd_ingest_opts *o,
                   struct pd_ingest_result **results, size_t *n, struct pd_err *err)
{
    json_t *doc;
    struct recipe *recipes;
    size_t count, i;
    int rc = recipes_load(path, &doc, &recipes, &count, err);

    *results = NULL;
    *n = 0;
    if (rc == 0) {
        *results = xcalloc(count ? count : 1, sizeof(**results));
        for (i = 0; i < count; i++) {
            struct pd_err e = PD_ERR_INIT;
            int r = run_recipe(S, &recipes[i], o, &(*results)[i], &e);
            (*n)++;
            if (r != 0 && rc == 0) {
                rc = pd_fail(err, r, "recipe %s: %s", recipes[i].name, e.msg);
            }
            if (r == PD_ECANCELED)
                break;
        }
    }
    recipes_free(doc, recipes, count);
    return rc;
}

void pd_ingest_results_free(struct pd_ingest_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].recipe);
        free(r[i].target);
        free(r[i].mode);
        free(r[i].watermark);
        free(r[i].error);
        free(r[i].remote_sql);
        pd_strv_clear(&r[i].warnings);
    }
    free(r);
}
