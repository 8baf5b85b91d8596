/*
 * lineage.c - the table-level graph of a plan (JSON, Graphviz DOT, Mermaid) and
 * column-level lineage read from the SELECT list of each analysis.
 *
 * Column lineage walks DuckDB's parse tree: the FROM clause gives each alias
 * its relation, and every column reference inside an output expression names
 * the input column it reads. Unqualified names in a join are resolved against
 * the relations' columns in the warehouse; a column found nowhere is listed
 * as "?.column".
 */
#include "duckpipe/internal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dp_graph_format_parse(const char *s, enum dp_graph_format *f)
{
    if (!strcmp(s, "json"))
        *f = DP_GRAPH_JSON;
    else if (!strcmp(s, "dot"))
        *f = DP_GRAPH_DOT;
    else if (!strcmp(s, "mermaid"))
        *f = DP_GRAPH_MERMAID;
    else
        return PD_EINVAL;
    return 0;
}

/* ---------- column lineage ---------- */

struct rel {
    char *alias; /* lower case */
    char *label; /* schema.table, or the CTE / subquery name */
    char *schema, *table; /* for a warehouse relation; NULL otherwise */
};

struct rels {
    struct rel *v;
    size_t n;
};

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void rel_add(struct rels *rs, const char *alias, const char *label, const char *schema,
                    const char *table)
{
    rs->v = xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
    rs->v[rs->n].alias = dp_lower(alias);
    rs->v[rs->n].label = xstrdup(label);
    rs->v[rs->n].schema = schema ? xstrdup(schema) : NULL;
    rs->v[rs->n].table = table ? xstrdup(table) : NULL;
    rs->n++;
}

static void rels_clear(struct rels *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->v[i].alias);
        free(rs->v[i].label);
        free(rs->v[i].schema);
        free(rs->v[i].table);
    }
    free(rs->v);
}

static void collect_from(json_t *t, struct rels *rs)
{
    const char *type = jstr(t, "type");
    if (!strcmp(type, "JOIN")) {
        collect_from(json_object_get(t, "left"), rs);
        collect_from(json_object_get(t, "right"), rs);
    } else if (!strcmp(type, "BASE_TABLE")) {
        const char *schema = jstr(t, "schema_name"), *table = jstr(t, "table_name");
        const char *alias = *jstr(t, "alias") ? jstr(t, "alias") : table;
        char *label = xasprintf("%s.%s", *schema ? schema : "main", table);
        rel_add(rs, alias, label, *schema ? schema : "main", table);
        free(label);
    } else if (!strcmp(type, "SUBQUERY") || !strcmp(type, "TABLE_FUNCTION")) {
        const char *alias = jstr(t, "alias");
        rel_add(rs, *alias ? alias : "(subquery)", *alias ? alias : "(subquery)", NULL, NULL);
    }
}

static int has_column(duckdb_connection conn, const struct rel *r, const char *col)
{
    duckdb_prepared_statement stmt;
    duckdb_result res;
    int found = 0;
    if (!r->schema)
        return 0;
    if (duckdb_prepare(conn,
                       "SELECT count(*) FROM duckdb_columns() WHERE lower(schema_name) = lower($1) "
                       "AND lower(table_name) = lower($2) AND lower(column_name) = lower($3)",
                       &stmt) == DuckDBSuccess) {
        duckdb_bind_varchar(stmt, 1, r->schema);
        duckdb_bind_varchar(stmt, 2, r->table);
        duckdb_bind_varchar(stmt, 3, col);
        if (duckdb_execute_prepared(stmt, &res) == DuckDBSuccess) {
            duckdb_data_chunk c = duckdb_fetch_chunk(res);
            if (c) {
                found = ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(c, 0)))[0] > 0;
                duckdb_destroy_data_chunk(&c);
            }
        }
        duckdb_destroy_result(&res);
    }
    duckdb_destroy_prepare(&stmt);
    return found;
}

static void add_source(struct pd_strv *out, const char *s)
{
    if (!pd_strv_has(out, s))
        pd_strv_push(out, s);
}

static void column_refs(json_t *e, const struct rels *rs, duckdb_connection conn,
                        struct pd_strv *out)
{
    if (json_is_array(e)) {
        size_t i;
        json_t *v;
        json_array_foreach(e, i, v) column_refs(v, rs, conn, out);
        return;
    }
    if (!json_is_object(e))
        return;
    const char *cls = jstr(e, "class");
    if (!strcmp(cls, "COLUMN_REF")) {
        json_t *names = json_object_get(e, "column_names");
        size_t n = json_array_size(names);
        const char *col = json_string_value(json_array_get(names, n - 1));
        const struct rel *hit = NULL;
        if (n >= 2) {
            const char *q = json_string_value(json_array_get(names, n - 2));
            for (size_t i = 0; i < rs->n && !hit; i++)
                if (!strcasecmp(rs->v[i].alias, q))
                    hit = &rs->v[i];
        } else if (rs->n == 1) {
            hit = &rs->v[0];
        } else {
            for (size_t i = 0; i < rs->n && !hit; i++)
                if (has_column(conn, &rs->v[i], col))
                    hit = &rs->v[i];
        }
        char *s = xasprintf("%s.%s", hit ? hit->label : "?", col ? col : "?");
        add_source(out, s);
        free(s);
        return;
    }
    if (!strcmp(cls, "STAR")) {
        const char *rel = jstr(e, "relation_name");
        for (size_t i = 0; i < rs->n; i++)
            if (!*rel || !strcasecmp(rs->v[i].alias, rel)) {
                char *s = xasprintf("%s.*", rs->v[i].label);
                add_source(out, s);
                free(s);
            }
        return;
    }
    if (!strcmp(cls, "SUBQUERY"))
        return; /* a scalar subquery reads its own FROM */
    const char *k;
    json_t *v;
    json_object_foreach(e, k, v)
    {
        if (json_is_object(v) || json_is_array(v))
            column_refs(v, rs, conn, out);
    }
}

/* Output column names as DuckDB binds them (when the query binds now). */
static void bound_names(duckdb_connection conn, const struct dp_step *step, struct pd_strv *out)
{
    duckdb_prepared_statement stmt;
    if (duckdb_prepare(conn, step->sql, &stmt) == DuckDBSuccess) {
        idx_t n = duckdb_prepared_statement_column_count(stmt);
        for (idx_t i = 0; i < n; i++) {
            const char *name = duckdb_prepared_statement_column_name(stmt, i);
            pd_strv_push(out, name ? name : "");
            duckdb_free((void *)name);
        }
    }
    duckdb_destroy_prepare(&stmt);
}

/* One output column and what it is made of. */
struct out_col {
    char *name; /* as written, or NULL: from the bound names */
    struct pd_strv srcs;
};

struct out_cols {
    struct out_col *v;
    size_t n;
};

static struct out_col *out_add(struct out_cols *oc, const char *name)
{
    oc->v = xrealloc(oc->v, (oc->n + 1) * sizeof(*oc->v));
    oc->v[oc->n] = (struct out_col){name && *name ? xstrdup(name) : NULL, PD_STRV_INIT};
    return &oc->v[oc->n++];
}

/* The columns of warehouse relation r, in order, into out (none when it is not one). */
static void rel_columns(duckdb_connection conn, const struct rel *r, struct pd_strv *out)
{
    duckdb_prepared_statement stmt;
    duckdb_result res;
    if (!r->schema ||
        duckdb_prepare(conn,
                       "SELECT column_name FROM duckdb_columns() WHERE database_name = "
                       "current_database() AND lower(schema_name) = lower($1) AND "
                       "lower(table_name) = lower($2) ORDER BY column_index",
                       &stmt) != DuckDBSuccess) {
        if (r->schema)
            duckdb_destroy_prepare(&stmt);
        return;
    }
    duckdb_bind_varchar(stmt, 1, r->schema);
    duckdb_bind_varchar(stmt, 2, r->table);
    if (duckdb_execute_prepared(stmt, &res) == DuckDBSuccess) {
        duckdb_data_chunk c;
        while ((c = duckdb_fetch_chunk(res)) != NULL) {
            for (idx_t i = 0; i < duckdb_data_chunk_get_size(c); i++) {
                char *name = pd_chunk_text(c, 0, i);
                if (name)
                    pd_strv_push(out, name);
                free(name);
            }
            duckdb_destroy_data_chunk(&c);
        }
    }
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&stmt);
}

/* Whether name is in a STAR's EXCLUDE list. */
static int excluded(json_t *star, const char *name)
{
    json_t *ex = json_object_get(star, "exclude_list");
    for (size_t i = 0; i < json_array_size(ex); i++) {
        json_t *item = json_array_get(ex, i);
        const char *x = json_is_string(item) ? json_string_value(item) : NULL;
        if (!x && json_is_object(item)) { /* newer DuckDB: a qualified name */
            json_t *parts = json_object_get(item, "column_names");
            x = json_string_value(json_array_get(parts, json_array_size(parts) - 1));
            if (!x)
                x = jstr(item, "name");
        }
        if (x && !strcasecmp(x, name))
            return 1;
    }
    return 0;
}

/* A * (or t.*) as the real columns of each relation it covers; t.* for a subquery. */
static void expand_star(json_t *star, const struct rels *rs, duckdb_connection conn,
                        struct out_cols *oc)
{
    const char *rel = jstr(star, "relation_name");
    for (size_t i = 0; i < rs->n; i++) {
        struct pd_strv cols = PD_STRV_INIT;
        if (*rel && strcasecmp(rs->v[i].alias, rel))
            continue;
        rel_columns(conn, &rs->v[i], &cols);
        if (cols.n == 0) {
            char *s = xasprintf("%s.*", rs->v[i].label);
            pd_strv_push(&out_add(oc, NULL)->srcs, s);
            free(s);
        }
        for (size_t k = 0; k < cols.n; k++) {
            if (excluded(star, cols.v[k]))
                continue;
            char *s = xasprintf("%s.%s", rs->v[i].label, cols.v[k]);
            pd_strv_push(&out_add(oc, cols.v[k])->srcs, s);
            free(s);
        }
        pd_strv_clear(&cols);
    }
}

int dp_column_lineage(const struct dp_step *step, const struct dp_env *env, struct pd_buf *out,
                      struct pd_err *err)
{
    json_t *doc = dp_parse_json(env->conn, step->sql, err);
    struct pd_strv names = {0};
    struct rels rs = {0};
    struct out_cols oc = {0};

    if (!doc)
        return err->code;
    json_t *node = json_object_get(json_array_get(json_object_get(doc, "statements"), 0), "node");
    json_t *list = json_object_get(node, "select_list");
    collect_from(json_object_get(node, "from_table"), &rs);
    bound_names(env->conn, step, &names);
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *e = json_array_get(list, i);
        if (!strcmp(jstr(e, "class"), "STAR") && !json_is_true(json_object_get(e, "columns"))) {
            expand_star(e, &rs, env->conn, &oc);
            continue;
        }
        const char *name = jstr(e, "alias");
        if (!*name && !strcmp(jstr(e, "class"), "COLUMN_REF")) {
            json_t *cn = json_object_get(e, "column_names");
            name = json_string_value(json_array_get(cn, json_array_size(cn) - 1));
        }
        column_refs(e, &rs, env->conn, &out_add(&oc, name)->srcs);
    }
    pd_buf_addc(out, '{');
    for (size_t i = 0; i < oc.n; i++) {
        char fallback[32];
        const char *name = oc.v[i].name;
        if (names.n == oc.n && names.v[i][0])
            name = names.v[i]; /* as DuckDB binds them: x_1 for a repeated x ... */
        if (!name) {
            snprintf(fallback, sizeof(fallback), "column%zu", i + 1);
            name = fallback;
        }
        pd_buf_adds(out, i ? "," : "");
        pd_json_add_string(out, name, strlen(name));
        pd_buf_adds(out, ":[");
        for (size_t k = 0; k < oc.v[i].srcs.n; k++) {
            pd_buf_adds(out, k ? "," : "");
            pd_json_add_string(out, oc.v[i].srcs.v[k], strlen(oc.v[i].srcs.v[k]));
        }
        pd_buf_addc(out, ']');
        free(oc.v[i].name);
        pd_strv_clear(&oc.v[i].srcs);
    }
    pd_buf_addc(out, '}');
    free(oc.v);
    rels_clear(&rs);
    pd_strv_clear(&names);
    json_decref(doc);
    return 0;
}

/* ---------- the table-level graph ---------- */

static void mark_up(const struct dp_plan *plan, size_t i, char *keep)
{
    keep[i] = 1;
    for (size_t k = 0; k < plan->steps[i].nups; k++)
        if (!keep[plan->steps[i].ups[k]])
            mark_up(plan, plan->steps[i].ups[k], keep);
}

static void mark_down(const struct dp_plan *plan, size_t i, char *keep)
{
    keep[i] = 1;
    for (size_t j = 0; j < plan->n; j++)
        for (size_t k = 0; k < plan->steps[j].nups; k++)
            if (plan->steps[j].ups[k] == i && !keep[j])
                mark_down(plan, j, keep);
}

struct graph {
    struct pd_strv nodes; /* keys */
    struct pd_strv kinds;
    struct pd_strv from, to;
};

static size_t node_index(struct graph *g, const char *key, const char *kind)
{
    for (size_t i = 0; i < g->nodes.n; i++)
        if (!strcmp(g->nodes.v[i], key))
            return i;
    pd_strv_push(&g->nodes, key);
    pd_strv_push(&g->kinds, kind);
    return g->nodes.n - 1;
}

static int edge_has(const struct graph *g, const char *from, const char *to)
{
    for (size_t i = 0; i < g->from.n; i++)
        if (!strcmp(g->from.v[i], from) && !strcmp(g->to.v[i], to))
            return 1;
    return 0;
}

static const char *node_name(const char *key)
{
    const char *c = strchr(key, ':');
    return c ? c + 1 : key;
}

static void mermaid_label(struct pd_buf *b, const char *s)
{
    for (; *s; s++)
        if (*s == '"')
            pd_buf_adds(b, "#quot;");
        else
            pd_buf_addc(b, *s);
}

int dp_lineage(const struct dp_plan *plan, const struct dp_env *env, const char *focus,
               enum dp_graph_format fmt, struct pd_buf *out, struct pd_err *err)
{
    char *keep = xcalloc(plan->n + 1, 1);
    struct graph g = {0};
    int rc = 0;

    if (focus) {
        struct dp_step *s = dp_plan_find(plan, focus);
        if (!s) {
            free(keep);
            return pd_fail(err, PD_ENOTFOUND, "no analysis '%s' in project %s", focus,
                           plan->project->name);
        }
        size_t i = (size_t)(s - plan->steps);
        mark_up(plan, i, keep);
        mark_down(plan, i, keep);
    } else {
        memset(keep, 1, plan->n);
    }
    for (size_t i = 0; i < plan->n; i++) {
        const struct dp_step *s = &plan->steps[i];
        if (!keep[i])
            continue;
        char *key = xasprintf("analysis:%s", s->a->id);
        node_index(&g, key, "analysis");
        for (size_t k = 0; k < s->ninputs; k++) {
            const struct dp_input *in = &s->inputs[k];
            node_index(&g, in->key, dp_rel_kind_name(in->kind));
            pd_strv_push(&g.from, in->key);
            pd_strv_push(&g.to, key);
            if (in->origin) { /* a cached copy: back to the table it copies */
                size_t before = g.nodes.n;
                node_index(&g, in->origin, "source");
                if (g.nodes.n > before || !edge_has(&g, in->origin, in->key)) {
                    pd_strv_push(&g.from, in->origin);
                    pd_strv_push(&g.to, in->key);
                }
            }
        }
        free(key);
    }
    if (fmt == DP_GRAPH_JSON) {
        pd_buf_adds(out, "{\"project\":");
        pd_json_add_string(out, plan->project->name, strlen(plan->project->name));
        pd_buf_adds(out, ",\"nodes\":[");
        for (size_t i = 0; i < g.nodes.n; i++) {
            const char *name = node_name(g.nodes.v[i]);
            pd_buf_adds(out, i ? ",{\"id\":" : "{\"id\":");
            pd_json_add_string(out, g.nodes.v[i], strlen(g.nodes.v[i]));
            pd_buf_addf(out, ",\"kind\":\"%s\",\"name\":", g.kinds.v[i]);
            pd_json_add_string(out, name, strlen(name));
            const struct dp_step *s =
                !strcmp(g.kinds.v[i], "analysis") ? dp_plan_find(plan, name) : NULL;
            if (s) {
                pd_buf_addf(out, ",\"materialize\":\"%s\",\"columns\":",
                            dp_materialize_name(s->a->materialize));
                struct pd_err ce = PD_ERR_INIT;
                size_t mark = out->len;
                if (dp_column_lineage(s, env, out, &ce) != 0) {
                    pd_buf_truncate(out, mark);
                    pd_buf_adds(out, "null");
                }
            }
            pd_buf_addc(out, '}');
        }
        pd_buf_adds(out, "],\"edges\":[");
        for (size_t i = 0; i < g.from.n; i++) {
            pd_buf_adds(out, i ? ",{\"from\":" : "{\"from\":");
            pd_json_add_string(out, g.from.v[i], strlen(g.from.v[i]));
            pd_buf_adds(out, ",\"to\":");
            pd_json_add_string(out, g.to.v[i], strlen(g.to.v[i]));
            pd_buf_addc(out, '}');
        }
        pd_buf_adds(out, "]}\n");
    } else if (fmt == DP_GRAPH_DOT) {
        pd_buf_adds(out, "digraph lineage {\n  rankdir=LR;\n  node [shape=box];\n");
        for (size_t i = 0; i < g.nodes.n; i++) {
            pd_buf_addf(out, "  \"%s\" [label=\"%s\\n(%s)\"%s];\n", g.nodes.v[i],
                        node_name(g.nodes.v[i]), g.kinds.v[i],
                        strcmp(g.kinds.v[i], "analysis") ? ", style=rounded" : "");
        }
        for (size_t i = 0; i < g.from.n; i++)
            pd_buf_addf(out, "  \"%s\" -> \"%s\";\n", g.from.v[i], g.to.v[i]);
        pd_buf_adds(out, "}\n");
    } else {
        pd_buf_adds(out, "graph LR\n");
        for (size_t i = 0; i < g.nodes.n; i++) {
            int analysis = !strcmp(g.kinds.v[i], "analysis");
            pd_buf_addf(out, "  n%zu%s\"", i, analysis ? "[" : "[(");
            mermaid_label(out, node_name(g.nodes.v[i]));
            pd_buf_addf(out, "<br/>%s\"%s\n", g.kinds.v[i], analysis ? "]" : ")]");
        }
        for (size_t i = 0; i < g.from.n; i++)
            pd_buf_addf(out, "  n%zu --> n%zu\n", node_index(&g, g.from.v[i], ""),
                        node_index(&g, g.to.v[i], ""));
    }
    pd_strv_clear(&g.nodes);
    pd_strv_clear(&g.kinds);
    pd_strv_clear(&g.from);
    pd_strv_clear(&g.to);
    free(keep);
    return rc;
}
