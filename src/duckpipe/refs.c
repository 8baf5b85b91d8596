/*
 * refs.c - what a SQL text reads, found with DuckDB's own parser.
 *
 * json_serialize_sql gives the parse tree as JSON; reading it (treescan.c)
 * yields every BASE_TABLE (schema, table, alias), every read_* table function
 * over a file, and every CTE name (so a CTE is never mistaken for a table). All
 * texts of a project are parsed in one query.
 */
#include "duckpipe/internal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/hmap.h"

#include <ctype.h>
#include <pthread.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

char *dp_lower(const char *s)
{
    char *out = xstrdup(s);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

void dp_refs_clear(struct dp_refs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].catalog);
        free(r->v[i].schema);
        free(r->v[i].table);
        free(r->v[i].alias);
    }
    free(r->v);
    pd_strv_clear(&r->ctes);
    pd_strv_clear(&r->functions);
    memset(r, 0, sizeof(*r));
}

/* A table name DuckDB resolves by a replacement scan: a path or a file with an extension. */
int dp_looks_like_file(const char *name)
{
    static const char *const exts[] = {".csv", ".tsv", ".parquet", ".json", ".jsonl", ".ndjson",
                                       ".gz", ".zst", ".txt"};
    size_t n = strlen(name);
    if (strchr(name, '/'))
        return 1;
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcasecmp(name + n - e, exts[i]) == 0)
            return 1;
    }
    return 0;
}

/* Drop references to CTEs (a schema-less name that a WITH defines). */
static void drop_ctes(struct dp_refs *r)
{
    size_t keep = 0;
    for (size_t i = 0; i < r->n; i++) {
        int is_cte = !r->v[i].is_file && !*r->v[i].schema && !*r->v[i].catalog;
        if (is_cte) {
            is_cte = 0;
            for (size_t c = 0; c < r->ctes.n && !is_cte; c++)
                is_cte = strcasecmp(r->ctes.v[c], r->v[i].table) == 0;
        }
        if (is_cte) {
            free(r->v[i].catalog);
            free(r->v[i].schema);
            free(r->v[i].table);
            free(r->v[i].alias);
        } else {
            r->v[keep++] = r->v[i];
        }
    }
    r->n = keep;
}

static char *parse_error(json_t *doc)
{
    const char *msg = json_string_value(json_object_get(doc, "error_message"));
    return xstrdup(msg ? msg : "the SQL does not parse");
}

static void refs_from_json(const char *text, size_t len, struct dp_refs *out, char **error)
{
    dp_refs_from_tree(text, len, out, error);
    drop_ctes(out);
}

/* Parse n texts in one query (the texts nobody read before). */
static int extract(duckdb_connection conn, const char *const *sqls, size_t n, struct dp_refs *out,
                   char **errors, struct pd_err *err)
{
    duckdb_prepared_statement stmt;
    duckdb_result res;
    int rc = 0;

    if (n == 0)
        return 0;
    if (duckdb_prepare(conn,
                       "SELECT i::BIGINT, json_serialize_sql($1[i]) FROM range(1, len($1) + 1) t(i)",
                       &stmt) == DuckDBError) {
        rc = pd_fail(err, PD_EINTERNAL, "reference extraction: %s", duckdb_prepare_error(stmt));
        duckdb_destroy_prepare(&stmt);
        return rc;
    }
    duckdb_value *items = xmalloc(n * sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = duckdb_create_varchar(sqls[i]);
    duckdb_logical_type vt = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_value list = duckdb_create_list_value(vt, items, n);
    for (size_t i = 0; i < n; i++)
        duckdb_destroy_value(&items[i]);
    free(items);
    duckdb_destroy_logical_type(&vt);
    duckdb_bind_value(stmt, 1, list);
    duckdb_destroy_value(&list);
    if (duckdb_execute_prepared(stmt, &res) == DuckDBError) {
        rc = pd_fail(err, PD_EINTERNAL, "reference extraction: %s", duckdb_result_error(&res));
    } else {
        duckdb_data_chunk chunk;
        while ((chunk = duckdb_fetch_chunk(res)) != NULL) {
            idx_t rows = duckdb_data_chunk_get_size(chunk);
            int64_t *idx = duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0));
            duckdb_string_t *js = duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 1));
            for (idx_t r = 0; r < rows; r++) {
                size_t i = (size_t)idx[r] - 1;
                if (i < n)
                    refs_from_json(duckdb_string_t_data(&js[r]), duckdb_string_t_length(js[r]),
                                   &out[i], &errors[i]);
            }
            duckdb_destroy_data_chunk(&chunk);
        }
    }
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&stmt);
    return rc;
}

/* A share of the texts, parsed on a connection of its own. */
struct part {
    duckdb_database db;
    const char *const *sqls;
    size_t n;
    struct dp_refs *out;
    char **errors;
    struct pd_err err;
    int rc;
    int started; /* on a thread of its own */
    pthread_t thread;
};

static void *extract_part(void *arg)
{
    struct part *pt = arg;
    duckdb_connection conn;
    if (duckdb_connect(pt->db, &conn) == DuckDBError) {
        pt->rc = pd_fail(&pt->err, PD_EINTERNAL, "reference extraction: cannot connect");
        return NULL;
    }
    pt->rc = extract(conn, pt->sqls, pt->n, pt->out, pt->errors, &pt->err);
    duckdb_disconnect(&conn);
    return NULL;
}

#define PART_MIN_TEXTS 1000 /* fewer are parsed on conn alone: a connection costs more */
#define PARTS_MAX 4

/*
 * Parse n texts: one query parses on one core (json_serialize_sql over a
 * range is not split by DuckDB), so a large batch is cut into a share per
 * core, each on its own connection of db, conn taking the first.
 */
static int extract_all(duckdb_connection conn, duckdb_database db, const char *const *sqls,
                       size_t n, struct dp_refs *out, char **errors, struct pd_err *err)
{
    struct part parts[PARTS_MAX];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t k = db && cores > 1 ? (size_t)cores : 1, share;
    int rc = 0;
    if (k > PARTS_MAX)
        k = PARTS_MAX;
    if (k > n / PART_MIN_TEXTS)
        k = n / PART_MIN_TEXTS;
    if (k <= 1)
        return extract(conn, sqls, n, out, errors, err);
    share = n / k;
    for (size_t i = 0; i < k; i++) {
        size_t from = i * share, to = i + 1 == k ? n : from + share;
        parts[i] = (struct part){.db = db, .sqls = sqls + from, .n = to - from,
                                 .out = out + from, .errors = errors + from, .err = PD_ERR_INIT};
        parts[i].started = i > 0 && pthread_create(&parts[i].thread, NULL, extract_part,
                                                   &parts[i]) == 0;
    }
    /* the first share, and any a thread could not take, on conn */
    for (size_t i = 0; i < k; i++)
        if (!parts[i].started)
            parts[i].rc = extract(conn, parts[i].sqls, parts[i].n, parts[i].out, parts[i].errors,
                                  &parts[i].err);
    for (size_t i = 0; i < k; i++) {
        if (parts[i].started)
            pthread_join(parts[i].thread, NULL);
        if (rc == 0 && parts[i].rc != 0) {
            *err = parts[i].err;
            rc = parts[i].rc;
        }
    }
    return rc;
}

/*
 * What each SQL text read, by the text: parsing is the same whatever the
 * catalog holds, so an unchanged project's compile asks DuckDB nothing. Bounded:
 * past REFS_CACHE_MAX_BYTES of texts it starts over.
 */
struct cached_refs {
    struct dp_refs refs;
    char *error;
};

#define REFS_CACHE_MAX_BYTES (64 << 20)

static pthread_mutex_t refs_cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pd_hmap refs_cache;
static size_t refs_cache_bytes;

static void refs_append(struct dp_refs *to, const struct dp_refs *from)
{
    to->v = xrealloc(to->v, (to->n + from->n + 1) * sizeof(*to->v));
    for (size_t i = 0; i < from->n; i++) {
        const struct dp_table_ref *f = &from->v[i];
        struct dp_table_ref *t = &to->v[to->n++];
        t->catalog = xstrdup(f->catalog);
        t->schema = xstrdup(f->schema);
        t->table = xstrdup(f->table);
        t->alias = xstrdup(f->alias);
        t->is_file = f->is_file;
    }
    for (size_t i = 0; i < from->ctes.n; i++)
        pd_strv_push(&to->ctes, from->ctes.v[i]);
    for (size_t i = 0; i < from->functions.n; i++)
        pd_strv_push(&to->functions, from->functions.v[i]);
}

static void cached_refs_free(void *p)
{
    struct cached_refs *c = p;
    dp_refs_clear(&c->refs);
    free(c->error);
    free(c);
}

int dp_refs_extract(duckdb_connection conn, duckdb_database db, const char *const *sqls, size_t n,
                    struct dp_refs *out, char **errors, struct pd_err *err)
{
    size_t *miss = xcalloc(n + 1, sizeof(size_t)), nmiss = 0;
    const char **texts = xcalloc(n + 1, sizeof(char *));
    struct dp_refs *found = xcalloc(n + 1, sizeof(*found));
    char **found_errors = xcalloc(n + 1, sizeof(char *));
    int rc;

    pthread_mutex_lock(&refs_cache_mu);
    for (size_t i = 0; i < n; i++) {
        struct cached_refs *c = pd_hmap_get(&refs_cache, sqls[i]);
        if (c) {
            refs_append(&out[i], &c->refs);
            errors[i] = c->error ? xstrdup(c->error) : NULL;
        } else {
            texts[nmiss] = sqls[i];
            miss[nmiss++] = i;
        }
    }
    pthread_mutex_unlock(&refs_cache_mu);
    rc = extract_all(conn, db, texts, nmiss, found, found_errors, err);
    pthread_mutex_lock(&refs_cache_mu);
    for (size_t k = 0; k < nmiss; k++) {
        size_t i = miss[k];
        refs_append(&out[i], &found[k]);
        errors[i] = found_errors[k];
        if (rc == 0) {
            struct cached_refs *c = xcalloc(1, sizeof(*c)), *old;
            if (refs_cache_bytes > REFS_CACHE_MAX_BYTES) {
                pd_hmap_clear_free(&refs_cache, cached_refs_free);
                refs_cache_bytes = 0;
            }
            c->refs = found[k];
            memset(&found[k], 0, sizeof(found[k]));
            c->error = found_errors[k] ? xstrdup(found_errors[k]) : NULL;
            if ((old = pd_hmap_get(&refs_cache, texts[k])) != NULL)
                cached_refs_free(old); /* two texts alike in one call */
            else
                refs_cache_bytes += strlen(texts[k]) + 64;
            pd_hmap_put(&refs_cache, texts[k], c);
        }
        dp_refs_clear(&found[k]);
    }
    pthread_mutex_unlock(&refs_cache_mu);
    free(found);
    free(found_errors);
    free(texts);
    free(miss);
    return rc;
}

void *dp_parse_json(duckdb_connection conn, const char *sql, struct pd_err *err)
{
    duckdb_prepared_statement stmt;
    duckdb_result res;
    json_t *doc = NULL;

    if (duckdb_prepare(conn, "SELECT json_serialize_sql($1::VARCHAR)", &stmt) == DuckDBError) {
        pd_fail(err, PD_EINTERNAL, "%s", duckdb_prepare_error(stmt));
        duckdb_destroy_prepare(&stmt);
        return NULL;
    }
    duckdb_bind_varchar(stmt, 1, sql);
    if (duckdb_execute_prepared(stmt, &res) == DuckDBError) {
        pd_fail(err, PD_ESQL, "%s", duckdb_result_error(&res));
    } else {
        duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
        if (chunk) {
            duckdb_string_t *js = duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0));
            doc = json_loadb(duckdb_string_t_data(&js[0]), duckdb_string_t_length(js[0]), JSON_DECODE_INT_AS_REAL, NULL);
            duckdb_destroy_data_chunk(&chunk);
        }
        if (doc && json_is_true(json_object_get(doc, "error"))) {
            char *msg = parse_error(doc);
            pd_fail(err, PD_ESQL, "%s", msg);
            free(msg);
            json_decref(doc);
            doc = NULL;
        } else if (!doc) {
            pd_fail(err, PD_EINTERNAL, "cannot read the parse tree");
        }
    }
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&stmt);
    return doc;
}

int dp_sql_reads(duckdb_connection conn, const char *sql, struct dp_sql_reads *out,
                 struct pd_err *err)
{
    struct dp_refs refs = {0};
    char *error = NULL;
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = dp_refs_extract(conn, NULL, &sql, 1, &refs, &error, err)) != 0)
        return rc;
    if (error) {
        rc = pd_fail(err, PD_ESQL, "%s", error);
        free(error);
        dp_refs_clear(&refs);
        return rc;
    }
    for (size_t i = 0; i < refs.n; i++) {
        const struct dp_table_ref *t = &refs.v[i];
        if (t->is_file) {
            pd_strv_push(&out->files, t->table);
        } else {
            char *name = *t->schema ? xasprintf("%s.%s", t->schema, t->table) : xstrdup(t->table);
            char *lower = dp_lower(name);
            pd_strv_push(&out->relations, lower);
            free(lower);
            free(name);
        }
    }
    for (size_t i = 0; i < refs.functions.n; i++)
        pd_strv_push(&out->functions, refs.functions.v[i]);
    dp_refs_clear(&refs);
    return 0;
}

void dp_sql_reads_clear(struct dp_sql_reads *r)
{
    pd_strv_clear(&r->relations);
    pd_strv_clear(&r->functions);
    pd_strv_clear(&r->files);
}
