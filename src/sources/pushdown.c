/*
 * pushdown.c - rewrite a query so that its filters and LIMIT on live source
 * tables reach the remote (see pushdown.h).
 *
 * DuckDB's C API gives a table function no filters, so the query is changed
 * before DuckDB plans it: json_serialize_sql gives its tree; each live view
 * (bank.accounts, a view over pd_source_scan) that a SELECT reads directly, or
 * through inner joins, becomes the scan itself with the conjuncts of the WHERE
 * that compare one of its columns with constants, as JSON (remote_filter.h);
 * json_deserialize_sql turns the tree back into SQL. The WHERE itself stays, so
 * the answer cannot change: the remote only gets to send fewer rows.
 *
 * Constants are evaluated by DuckDB on the same connection, as the comparison
 * would cast them (a string compared with a DATE column is read as a date, in
 * the session's time zone for TIMESTAMPTZ), and passed in a canonical text.
 */
#include "sources/pushdown.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strv.h"
#include "sources/remote_filter.h"
#include "sources/sqltree.h"
#include "sources/sources.h"
#include "warehouse/warehouse.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A live view a SELECT reads, and what is found to push to it. */
struct target {
    json_t *ref;        /* the BASE_TABLE object, rewritten in place */
    char *source;       /* the source's name */
    char *table;        /* the view's (the remote table's) name, as the catalog spells it */
    const char *binding; /* the name columns are qualified with (alias or table) */
    json_t *columns;    /* {lower-case name: [name, DuckDB type]} */
    char *types;        /* the view's own types := argument (pd_relation.type_hints), or NULL */
    json_t *filters;    /* remote_filter.h items */
};

struct rewrite {
    struct pd_sources *S;
    duckdb_connection conn;
    json_t *deep_refs; /* "schema.table" named by a three-part column reference */
    json_t *shell;     /* the tree of "SELECT 1 AS v" (parsed once): constants are put in it */
    int changed;
};

/* s in ASCII lower case, in place (names compare without case); returns s. */
static char *lower_ascii(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return s;
}

/* --- small JSON helpers ------------------------------------------------------------------- */

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int is(const json_t *o, const char *key, const char *value)
{
    return strcmp(str(o, key), value) == 0;
}

static json_t *constant_text(const char *s)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:{s:{s:s, s:n}, s:b, s:s}}", "class", "CONSTANT",
                     "type", "VALUE_CONSTANT", "alias", "", "query_location", (json_int_t)0,
                     "value", "type", "id", "VARCHAR", "type_info", "is_null", 0, "value", s);
}

static json_t *constant_bigint(int64_t n)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:{s:{s:s, s:n}, s:b, s:I}}", "class", "CONSTANT",
                     "type", "VALUE_CONSTANT", "alias", "", "query_location", (json_int_t)0,
                     "value", "type", "id", "BIGINT", "type_info", "is_null", 0, "value",
                     (json_int_t)n);
}

/* --- asking DuckDB ------------------------------------------------------------------------ */

/* The statement SELECT <expr> AS v, made from a template tree parsed once per rewrite. */
static char *expression_sql(struct rewrite *rw, const json_t *expr)
{
    if (!rw->shell && !(rw->shell = pd_sqltree_parse(rw->conn, "SELECT 1 AS v")))
        return NULL;
    json_t *node = json_object_get(json_array_get(json_object_get(rw->shell, "statements"), 0),
                                   "node");
    json_t *e = json_deep_copy(expr);
    json_object_set_new(e, "alias", json_string("v"));
    json_array_set_new(json_object_get(node, "select_list"), 0, e);
    return pd_sqltree_sql(rw->conn, rw->shell);
}

/* The family of a type as DuckDB's catalog writes it ("DECIMAL(10,2)", "TIMESTAMP WITH TIME ZONE"). */
static const char *family_of_name(const char *t)
{
    static const struct {
        const char *type, *family;
    } families[] = {
        {"TINYINT", "number"},  {"SMALLINT", "number"},  {"INTEGER", "number"},
        {"BIGINT", "number"},   {"HUGEINT", "number"},   {"UTINYINT", "number"},
        {"USMALLINT", "number"}, {"UINTEGER", "number"}, {"UBIGINT", "number"},
        {"UHUGEINT", "number"}, {"VARCHAR", "text"},     {"DATE", "date"},
        {"TIMESTAMP", "timestamp"}, {"TIMESTAMP WITH TIME ZONE", "timestamptz"},
        {"BOOLEAN", "boolean"}, {"UUID", "uuid"},
    };
    if (!strncmp(t, "DECIMAL", 7))
        return "number";
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
        if (!strcmp(t, families[i].type))
            return families[i].family;
    return "";
}

/* The type id a constant expression has as written (CONSTANT or CAST of one), or NULL. */
static const char *constant_type(const json_t *e)
{
    if (is(e, "class", "CONSTANT"))
        return str(json_object_get(json_object_get(e, "value"), "type"), "id");
    if (is(e, "class", "CAST") && !json_is_true(json_object_get(e, "try_cast")) &&
        constant_type(json_object_get(e, "child")))
        return str(json_object_get(e, "cast_type"), "id");
    return NULL;
}

/*
 * The canonical text of constant e compared with a column of type coltype
 * (heap), or NULL when it is not a constant, not one DuckDB compares exactly as
 * that type, or NULL itself.
 */
static char *constant_value(struct rewrite *rw, const json_t *e, const char *coltype)
{
    const char *family = family_of_name(coltype), *t = constant_type(e);
    int as_is = 0, cast = 0;
    struct pd_buf q = PD_BUF_INIT;

    if (!t || !*family)
        return NULL;
    if (!strcmp(family, "number")) {
        as_is = !strcmp(family_of_name(t), "number"); /* compared as numbers: the value as written */
        cast = !strcmp(t, "VARCHAR");
    } else if (!strcmp(family, "text")) {
        as_is = !strcmp(t, "VARCHAR");
    } else if (!strcmp(family, "date")) {
        cast = !strcmp(t, "VARCHAR") || !strcmp(t, "DATE");
    } else if (!strcmp(family, "timestamp")) {
        cast = !strcmp(t, "VARCHAR") || !strcmp(t, "DATE") || !strcmp(t, "TIMESTAMP");
    } else if (!strcmp(family, "timestamptz")) {
        cast = !strcmp(t, "VARCHAR") || !strcmp(t, "DATE") || !strcmp(t, "TIMESTAMP") ||
               !strcmp(t, "TIMESTAMP WITH TIME ZONE");
    } else { /* boolean, uuid */
        cast = !strcmp(t, "VARCHAR") || !strcmp(t, coltype);
    }
    if (!as_is && !cast)
        return NULL;
    char *expr = expression_sql(rw, e);
    if (!expr)
        return NULL;
    if (as_is)
        pd_buf_addf(&q, "SELECT CAST(v AS VARCHAR) FROM (%s)", expr);
    else if (!strcmp(family, "timestamptz")) /* the instant, in UTC */
        pd_buf_addf(&q, "SELECT CAST(make_timestamp(epoch_us(TRY_CAST(v AS %s))) AS VARCHAR) "
                        "FROM (%s)", coltype, expr);
    else
        pd_buf_addf(&q, "SELECT CAST(TRY_CAST(v AS %s) AS VARCHAR) FROM (%s)", coltype, expr);
    free(expr);
    char *value = pd_query_text(rw->conn, q.ptr);
    pd_buf_release(&q);
    return value;
}

/* --- which views are live -------------------------------------------------------------- */

/*
 * The columns of live view schema.table as {lower name: [name, type]}, its real
 * name and the SQL it was made with (heap), in one look at the catalog.
 */
static json_t *live_view(struct rewrite *rw, const char *catalog, const char *schema,
                         const char *table, char **source, char **name, char **view_sql)
{
    struct pd_err err = PD_ERR_INIT;
    const char *vals[] = {schema, table, catalog};
    duckdb_result res;
    json_t *cols = NULL;

    if (!pd_sources_is_remote(rw->S, schema, source))
        return NULL;
    if (pd_exec_params(rw->conn,
                       "SELECT v.view_name, c.column_name, c.data_type, v.sql FROM duckdb_views() v "
                       "JOIN duckdb_columns() c ON c.database_oid = v.database_oid AND "
                       "c.schema_oid = v.schema_oid AND c.table_oid = v.view_oid "
                       "WHERE lower(v.schema_name) = lower($1) AND lower(v.view_name) = lower($2) "
                       "AND v.database_name = CASE WHEN $3 = '' THEN current_database() ELSE $3 END "
                       "AND contains(v.sql, 'pd_source_scan(') ORDER BY c.column_index",
                       vals, 3, &res, &err) != 0) {
        free(*source);
        *source = NULL;
        return NULL;
    }
    duckdb_data_chunk chunk;
    while ((chunk = duckdb_fetch_chunk(res)) != NULL) {
        for (idx_t i = 0; i < duckdb_data_chunk_get_size(chunk); i++) {
            char *v = pd_chunk_text(chunk, 0, i), *c = pd_chunk_text(chunk, 1, i),
                 *t = pd_chunk_text(chunk, 2, i);
            if (v && c && t) {
                if (!cols) {
                    cols = json_object();
                    *name = xstrdup(v);
                    *view_sql = pd_chunk_text(chunk, 3, i);
                }
                char *lower = lower_ascii(xstrdup(c));
                json_object_set_new(cols, lower, json_pack("[s, s]", c, t));
                free(lower);
            }
            free(v);
            free(c);
            free(t);
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&res);
    if (!cols) {
        free(*source);
        *source = NULL;
    }
    return cols;
}

/*
 * The types := argument of the scan a live view is made of (view_sql: its
 * CREATE VIEW; the types its attach chose from the values), so that the scan
 * replacing it reads the same.
 */
static char *view_types(struct rewrite *rw, char *view_sql)
{
    char *types = NULL, *select = view_sql ? strstr(view_sql, " AS SELECT ") : NULL;
    json_t *tree;

    if (select && strstr(select, "types")) {
        select[strcspn(select, ";")] = '\0';
        if ((tree = pd_sqltree_parse(rw->conn, select + 4)) != NULL) {
            json_t *node = json_object_get(json_array_get(json_object_get(tree, "statements"), 0),
                                           "node");
            json_t *args = json_object_get(
                json_object_get(json_object_get(node, "from_table"), "function"), "children");
            for (size_t i = 0; i < json_array_size(args); i++)
                if (is(json_array_get(args, i), "alias", "types"))
                    types = xstrdup(str(json_object_get(json_array_get(args, i), "value"),
                                        "value"));
            json_decref(tree);
        }
    }
    return types;
}

/* --- the rewrite ------------------------------------------------------------------------ */

/* Note every "schema.table" a column reference of three or more parts names. */
static void find_deep_refs(struct rewrite *rw, const json_t *v)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            find_deep_refs(rw, json_array_get(v, i));
        return;
    }
    if (!json_is_object(v))
        return;
    const json_t *names = json_object_get(v, "column_names");
    size_t n = json_array_size(names);
    if (is(v, "class", "COLUMN_REF") && n >= 3) {
        char *key = lower_ascii(xasprintf("%s.%s", json_string_value(json_array_get(names, n - 3)),
                                          json_string_value(json_array_get(names, n - 2))));
        json_object_set_new(rw->deep_refs, key, json_true());
        free(key);
    }
    const char *k;
    json_t *child;
    json_object_foreach((json_t *)v, k, child) find_deep_refs(rw, child);
}

static void target_free(struct target *t)
{
    free(t->source);
    free(t->table);
    free(t->types);
    json_decref(t->columns);
    json_decref(t->filters);
}

/* Add the live views of FROM item ref to *ts (only sides a WHERE filter may be pushed into). */
static void collect_targets(struct rewrite *rw, json_t *ref, struct target **ts, size_t *n)
{
    if (is(ref, "type", "JOIN")) {
        const char *jt = str(ref, "join_type"), *rt = str(ref, "ref_type");
        if (strcmp(rt, "REGULAR") && strcmp(rt, "NATURAL") && strcmp(rt, "CROSS"))
            return; /* ASOF, POSITIONAL, LATERAL: rows pair by position or depend */
        if (!strcmp(jt, "INNER") || !strcmp(jt, "LEFT"))
            collect_targets(rw, json_object_get(ref, "left"), ts, n);
        if (!strcmp(jt, "INNER") || !strcmp(jt, "RIGHT"))
            collect_targets(rw, json_object_get(ref, "right"), ts, n);
        return;
    }
    if (!is(ref, "type", "BASE_TABLE") || json_array_size(json_object_get(ref, "column_name_alias")) ||
        !json_is_null(json_object_get(ref, "sample")) || !json_is_null(json_object_get(ref, "at_clause")))
        return;
    const char *schema = str(ref, "schema_name"), *table = str(ref, "table_name");
    if (!*schema)
        return;
    char *key = lower_ascii(xasprintf("%s.%s", schema, table));
    int deep = json_object_get(rw->deep_refs, key) != NULL;
    free(key);
    if (deep)
        return; /* bank.accounts.aid would no longer resolve once the view is a function */
    struct target t = {0};
    char *view_sql = NULL;
    t.columns = live_view(rw, str(ref, "catalog_name"), schema, table, &t.source, &t.table,
                          &view_sql);
    if (!t.columns)
        return;
    t.types = view_types(rw, view_sql);
    free(view_sql);
    t.ref = ref;
    t.binding = *str(ref, "alias") ? str(ref, "alias") : table;
    t.filters = json_array();
    *ts = xrealloc(*ts, (*n + 1) * sizeof(**ts));
    (*ts)[(*n)++] = t;
}

/* The target and column [name, type] a column reference names, or NULL. */
static struct target *column_of(const json_t *e, struct target *ts, size_t n, int single,
                                const json_t **col)
{
    const json_t *names = json_object_get(e, "column_names");
    size_t k = json_array_size(names);

    if (!is(e, "class", "COLUMN_REF") || k < 1 || k > 2 || (k == 1 && !single))
        return NULL;
    char *lower = lower_ascii(xstrdup(json_string_value(json_array_get(names, k - 1))));
    struct target *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        if (k == 2 && strcasecmp(json_string_value(json_array_get(names, 0)), ts[i].binding))
            continue;
        if ((*col = json_object_get(ts[i].columns, lower)) != NULL)
            found = &ts[i];
    }
    free(lower);
    return found;
}

static const struct {
    const char *type, *op, *flipped;
} comparisons[] = {
    {"COMPARE_EQUAL", "=", "="},          {"COMPARE_NOTEQUAL", "<>", "<>"},
    {"COMPARE_LESSTHAN", "<", ">"},       {"COMPARE_GREATERTHAN", ">", "<"},
    {"COMPARE_LESSTHANOREQUALTO", "<=", ">="}, {"COMPARE_GREATERTHANOREQUALTO", ">=", "<="},
};

/*
 * Turn one WHERE conjunct into a filter item of the target whose column it
 * compares with constants. Returns 1 when it did, 0 when it cannot be pushed.
 */
static int conjunct_filter(struct rewrite *rw, const json_t *e, struct target *ts, size_t n,
                           int single)
{
    const json_t *colexpr = NULL, *col = NULL;
    const json_t *consts[1024];
    size_t nconst = 0;
    const char *op = NULL, *type = str(e, "type");

    if (is(e, "class", "COMPARISON")) {
        const json_t *l = json_object_get(e, "left"), *r = json_object_get(e, "right");
        for (size_t i = 0; i < sizeof(comparisons) / sizeof(comparisons[0]); i++)
            if (!strcmp(type, comparisons[i].type))
                op = is(l, "class", "COLUMN_REF") ? comparisons[i].op : comparisons[i].flipped;
        colexpr = is(l, "class", "COLUMN_REF") ? l : r;
        consts[nconst++] = colexpr == l ? r : l;
    } else if (!strcmp(type, "COMPARE_BETWEEN")) {
        op = "between";
        colexpr = json_object_get(e, "input");
        consts[nconst++] = json_object_get(e, "lower");
        consts[nconst++] = json_object_get(e, "upper");
    } else if (!strcmp(type, "COMPARE_IN")) {
        const json_t *ch = json_object_get(e, "children");
        op = "in";
        colexpr = json_array_get(ch, 0);
        if (json_array_size(ch) < 2 || json_array_size(ch) > 1001)
            return 0;
        for (size_t i = 1; i < json_array_size(ch); i++)
            consts[nconst++] = json_array_get(ch, i);
    } else if (!strcmp(type, "OPERATOR_IS_NULL") || !strcmp(type, "OPERATOR_IS_NOT_NULL")) {
        op = !strcmp(type, "OPERATOR_IS_NULL") ? "is null" : "is not null";
        colexpr = json_array_get(json_object_get(e, "children"), 0);
    } else if (is(e, "class", "FUNCTION") && is(e, "function_name", "~~") &&
               json_array_size(json_object_get(e, "children")) == 2) {
        op = "like";
        colexpr = json_array_get(json_object_get(e, "children"), 0);
        consts[nconst++] = json_array_get(json_object_get(e, "children"), 1);
    }
    if (!op || !colexpr)
        return 0;
    struct target *t = column_of(colexpr, ts, n, single, &col);
    if (!t)
        return 0;
    const char *coltype = json_string_value(json_array_get(col, 1));
    json_t *values = json_array();
    for (size_t i = 0; i < nconst; i++) {
        char *v = constant_value(rw, consts[i], coltype);
        if (!v) {
            json_decref(values);
            return 0;
        }
        json_array_append_new(values, json_string(v));
        free(v);
    }
    json_array_append_new(t->filters,
                          json_pack("{s:s, s:s, s:s, s:o}", "column",
                                    json_string_value(json_array_get(col, 0)), "op", op, "family",
                                    family_of_name(coltype), "values", values));
    return 1;
}

/* The conjuncts of a WHERE (the children of its top-level ANDs) into out. */
static void conjuncts(json_t *e, json_t *out)
{
    if (is(e, "type", "CONJUNCTION_AND")) {
        json_t *ch = json_object_get(e, "children");
        for (size_t i = 0; i < json_array_size(ch); i++)
            conjuncts(json_array_get(ch, i), out);
    } else if (e && !json_is_null(e)) {
        json_array_append(out, e);
    }
}

/* Whether an expression of a select list keeps one row per input row (no aggregate, window, unnest). */
static int row_preserving(struct rewrite *rw, const json_t *e)
{
    if (json_is_array(e)) {
        for (size_t i = 0; i < json_array_size(e); i++)
            if (!row_preserving(rw, json_array_get(e, i)))
                return 0;
        return 1;
    }
    if (!json_is_object(e))
        return 1;
    if (is(e, "class", "WINDOW") || is(e, "class", "SUBQUERY"))
        return 0;
    if (is(e, "class", "FUNCTION") && !json_is_true(json_object_get(e, "is_operator"))) {
        struct pd_err err = PD_ERR_INIT;
        const char *vals[] = {str(e, "function_name")};
        int rc;
        char *kind = pd_query_value_params(
            rw->conn, "SELECT min(function_type) FROM duckdb_functions() WHERE function_name = $1",
            vals, 1, &rc, &err);
        int scalar = kind && !strcmp(kind, "scalar") && strcmp(vals[0], "unnest") &&
                     strcmp(vals[0], "unlist");
        free(kind);
        if (!scalar)
            return 0;
    }
    const char *k;
    json_t *child;
    json_object_foreach((json_t *)e, k, child) if (!row_preserving(rw, child)) return 0;
    return 1;
}

/*
 * The LIMIT a SELECT may pass to the scan of its only table, or -1: a constant
 * LIMIT (plus OFFSET), no ORDER BY, DISTINCT, grouping or row-changing select list.
 */
static int64_t pushable_limit(struct rewrite *rw, const json_t *node)
{
    const json_t *mods = json_object_get(node, "modifiers"), *lim = NULL;
    int64_t limit, offset = 0;

    if (json_array_size(mods) != 1 || !is(json_array_get(mods, 0), "type", "LIMIT_MODIFIER"))
        return -1;
    lim = json_object_get(json_array_get(mods, 0), "limit");
    const json_t *off = json_object_get(json_array_get(mods, 0), "offset");
    if (!is(lim, "class", "CONSTANT") || !json_is_integer(json_object_get(json_object_get(lim, "value"), "value")))
        return -1;
    limit = json_integer_value(json_object_get(json_object_get(lim, "value"), "value"));
    if (off && !json_is_null(off)) {
        if (!is(off, "class", "CONSTANT") ||
            !json_is_integer(json_object_get(json_object_get(off, "value"), "value")))
            return -1;
        offset = json_integer_value(json_object_get(json_object_get(off, "value"), "value"));
    }
    if (limit < 0 || offset < 0 || limit > INT64_MAX / 2 || offset > INT64_MAX / 2 ||
        json_array_size(json_object_get(node, "group_expressions")) ||
        !json_is_null(json_object_get(node, "having")) ||
        !json_is_null(json_object_get(node, "qualify")) ||
        !json_is_null(json_object_get(node, "sample")) ||
        !is(node, "aggregate_handling", "STANDARD_HANDLING") ||
        !row_preserving(rw, json_object_get(node, "select_list")))
        return -1;
    return limit + offset;
}

/* Make a live view's FROM item its scan, with the filters and limit found. */
static void replace_with_scan(struct target *t, int64_t limit)
{
    json_t *args = json_array(), *pushdown;
    char *spec = json_dumps(t->filters, JSON_COMPACT);

    json_array_append_new(args, constant_text(t->source));
    json_array_append_new(args, constant_text(t->table));
    if (t->types) {
        json_t *types = constant_text(t->types);
        json_object_set_new(types, "alias", json_string("types"));
        json_array_append_new(args, types);
    }
    if (json_array_size(t->filters)) {
        pushdown = constant_text(spec);
        json_object_set_new(pushdown, "alias", json_string("pushdown"));
        json_array_append_new(args, pushdown);
    }
    if (limit >= 0) {
        json_t *n = constant_bigint(limit);
        json_object_set_new(n, "alias", json_string("row_limit"));
        json_array_append_new(args, n);
    }
    free(spec);
    json_t *fn = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:n, s:{s:s, s:[]}, s:b, s:b, "
                           "s:b, s:s}",
                           "class", "FUNCTION", "type", "FUNCTION", "alias", "", "query_location",
                           (json_int_t)0, "function_name", "pd_source_scan", "schema", "",
                           "children", args, "filter", "order_bys", "type", "ORDER_MODIFIER",
                           "orders", "distinct", 0, "is_operator", 0, "export_state", 0,
                           "catalog", "");
    json_t *alias = json_string(t->binding); /* t->binding points into ref */
    json_t *loc = json_incref(json_object_get(t->ref, "query_location"));
    json_object_clear(t->ref);
    json_object_set_new(t->ref, "type", json_string("TABLE_FUNCTION"));
    json_object_set_new(t->ref, "alias", alias);
    json_object_set_new(t->ref, "sample", json_null());
    json_object_set_new(t->ref, "query_location", loc ? loc : json_integer(0));
    json_object_set_new(t->ref, "function", fn);
    json_object_set_new(t->ref, "column_name_alias", json_array());
    json_object_set_new(t->ref, "with_ordinality", json_string("WITHOUT_ORDINALITY"));
}

static void rewrite_select(struct rewrite *rw, json_t *node)
{
    struct target *ts = NULL;
    size_t n = 0;
    json_t *from = json_object_get(node, "from_table"), *where = json_array();
    int single, all = 1;

    collect_targets(rw, from, &ts, &n);
    single = n == 1 && ts[0].ref == from;
    if (n > 0) {
        conjuncts(json_object_get(node, "where_clause"), where);
        for (size_t i = 0; i < json_array_size(where); i++)
            if (!conjunct_filter(rw, json_array_get(where, i), ts, n, single))
                all = 0;
    }
    int64_t limit = single && all ? pushable_limit(rw, node) : -1;
    for (size_t i = 0; i < n; i++) {
        if (json_array_size(ts[i].filters) || (single && limit >= 0)) {
            replace_with_scan(&ts[i], single ? limit : -1);
            rw->changed = 1;
        }
        target_free(&ts[i]);
    }
    free(ts);
    json_decref(where);
}

/* Rewrite every SELECT in the tree (subqueries, CTEs, set operations). */
static void walk(struct rewrite *rw, json_t *v)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            walk(rw, json_array_get(v, i));
        return;
    }
    if (!json_is_object(v))
        return;
    const char *k;
    json_t *child;
    json_object_foreach(v, k, child) walk(rw, child);
    if (is(v, "type", "SELECT_NODE"))
        rewrite_select(rw, v);
}

int pd_pushdown_apply(struct pd_sources *S, duckdb_connection conn, json_t *tree)
{
    struct rewrite rw = {S, conn, json_object(), NULL, 0};

    find_deep_refs(&rw, tree);
    walk(&rw, tree);
    json_decref(rw.deep_refs);
    json_decref(rw.shell);
    return rw.changed;
}
