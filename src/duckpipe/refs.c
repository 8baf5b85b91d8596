/*
 * refs.c - what a SQL text reads, found with DuckDB's own parser.
 *
 * json_serialize_sql gives the parse tree as JSON; walking it yields every
 * BASE_TABLE (schema, table, alias), every read_* table function over a file,
 * and every CTE name (so a CTE is never mistaken for a table). All texts of a
 * project are parsed in one query.
 */
#include "duckpipe/internal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void add_ref(struct dp_refs *r, const char *catalog, const char *schema, const char *table,
                    const char *alias, int is_file)
{
    r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
    r->v[r->n].catalog = xstrdup(catalog);
    r->v[r->n].schema = xstrdup(schema);
    r->v[r->n].table = xstrdup(table);
    r->v[r->n].alias = xstrdup(alias);
    r->v[r->n].is_file = is_file;
    r->n++;
}

/* A table name DuckDB resolves by a replacement scan: a path or a file with an extension. */
static int looks_like_file(const char *name)
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

static void walk(json_t *node, struct dp_refs *r)
{
    if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) walk(v, r);
        return;
    }
    if (!json_is_object(node))
        return;
    const char *type = json_string_value(json_object_get(node, "type"));
    if (type && strcmp(type, "BASE_TABLE") == 0) {
        const char *table = str_of(node, "table_name"), *schema = str_of(node, "schema_name");
        add_ref(r, str_of(node, "catalog_name"), schema, table, str_of(node, "alias"),
                !*schema && looks_like_file(table));
        return;
    }
    if (type && strcmp(type, "SHOW_REF") == 0 && *str_of(node, "table_name"))
        add_ref(r, str_of(node, "catalog_name"), str_of(node, "schema_name"),
                str_of(node, "table_name"), "", 0); /* SHOW TABLES and the like */
    if (type && strcmp(type, "TABLE_FUNCTION") == 0) {
        json_t *fn = json_object_get(node, "function");
        const char *name = str_of(fn, "function_name");
        json_t *first = json_array_get(json_object_get(fn, "children"), 0);
        json_t *value = json_object_get(json_object_get(first, "value"), "value");
        char *lower = dp_lower(name);
        if (!pd_strv_has(&r->functions, lower))
            pd_strv_push(&r->functions, lower);
        free(lower);
        if ((strncmp(name, "read_", 5) == 0 || strcmp(name, "parquet_scan") == 0) &&
            json_is_string(value))
            add_ref(r, "", "", json_string_value(value), str_of(node, "alias"), 1);
    }
    json_t *ctes = json_object_get(json_object_get(node, "cte_map"), "map");
    if (ctes) {
        size_t i;
        json_t *c;
        json_array_foreach(ctes, i, c)
        {
            const char *key = json_string_value(json_object_get(c, "key"));
            if (key && !pd_strv_has(&r->ctes, key))
                pd_strv_push(&r->ctes, key);
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach(node, k, v)
    {
        if (json_is_object(v) || json_is_array(v))
            walk(v, r);
    }
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
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &je);
    if (!doc) {
        *error = xasprintf("cannot read the parse tree: %s", je.text);
        return;
    }
    if (json_is_true(json_object_get(doc, "error")))
        *error = parse_error(doc);
    else
        walk(json_object_get(doc, "statements"), out);
    drop_ctes(out);
    json_decref(doc);
}

int dp_refs_extract(duckdb_connection conn, const char *const *sqls, size_t n,
                    struct dp_refs *out, char **errors, struct pd_err *err)
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
    if ((rc = dp_refs_extract(conn, &sql, 1, &refs, &error, err)) != 0)
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
