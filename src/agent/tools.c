/*
 * tools.c - the agent's tools (see tools.h): the table of them, argument
 * checking against their schemas, and the tools that read the warehouse.
 */
#include "agent/tools_internal.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/jschema.h"
#include "duckpipe/duckpipe.h"
#include "query/catalog.h"
#include "query/query.h"
#include "warehouse/encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CELL_MAX 200    /* characters of a cell the model sees */
#define LISTING_MAX 500 /* rows of a catalog listing the model sees */

/* ---- results: for the user and for the model ------------------------------- */

/* A cell as the model sees it: strings cut at CELL_MAX characters. */
static json_t *cell_for_model(json_t *v)
{
    const char *s = json_string_value(v);
    if (s && strlen(s) > CELL_MAX) {
        char *cut = xasprintf("%.*s...", CELL_MAX, s);
        json_t *o = json_string(cut);
        free(cut);
        return o ? o : json_string("(not valid UTF-8)");
    }
    return json_incref(v);
}

json_t *ag_summary(const json_t *doc, long limit, int metadata)
{
    json_t *rows = json_array(), *row, *cell;
    json_t *all = json_object_get(doc, "rows");
    json_t *o = json_pack("{s:O, s:O}", "columns", json_object_get(doc, "columns"), "row_count",
                          json_object_get(doc, "row_count"));
    size_t i, k;
    json_array_foreach(all, i, row) {
        json_t *copy;
        if ((long)i >= limit)
            break;
        copy = json_array();
        json_array_foreach(row, k, cell) json_array_append_new(copy, cell_for_model(cell));
        json_array_append_new(rows, copy);
    }
    if (limit > 0 || metadata) {
        json_object_set_new(o, "rows", rows);
        json_object_set_new(o, "rows_shown", json_integer((json_int_t)json_array_size(rows)));
    } else {
        json_decref(rows);
        json_object_set_new(o, "note", json_string("data rows are not sent to the model "
                                                   "(agent.send_rows: none)"));
    }
    return o;
}

/* ---- run_sql's guard -------------------------------------------------------- */

static const char *const allowed_functions[] = {
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
    "read_ndjson", "read_ndjson_auto", "range", "generate_series", "unnest", "postgres_query",
    "mysql_query", "sqlite_query"};

static int function_allowed(const char *name)
{
    for (size_t i = 0; i < sizeof(allowed_functions) / sizeof(allowed_functions[0]); i++)
        if (strcmp(name, allowed_functions[i]) == 0)
            return 1;
    return 0;
}

/* Catalog views DuckDB resolves without a schema, and SHOW's listings. */
static int system_name(const char *name)
{
    return strncmp(name, "duckdb_", 7) == 0 || strncmp(name, "pg_", 3) == 0 ||
           strncmp(name, "sqlite_", 7) == 0 || strncmp(name, "__", 2) == 0 ||
           strcmp(name, "information_schema") == 0 || strcmp(name, "system") == 0 ||
           strcmp(name, "temp") == 0;
}

/* Not for the agent: internal schemas, catalogs, other conversations' work zones. */
static int hidden_schema(const struct ag_env *e, const char *schema)
{
    if (pd_schema_is_internal(schema) || system_name(schema))
        return 1;
    return strncasecmp(schema, "work_", 5) == 0 &&
           !(e->work_schema && strcasecmp(schema, e->work_schema) == 0);
}

/* A pd_query check: what the statement reads must be user data. */
static int guard(void *arg, duckdb_connection conn, const char *sql, duckdb_statement_type type,
                 struct pd_err *err)
{
    const struct ag_env *e = arg;
    struct dp_sql_reads reads;
    int rc = 0;
    if (type == DUCKDB_STATEMENT_TYPE_EXPLAIN)
        return 0; /* shows a plan, reads nothing */
    if (dp_sql_reads(conn, sql, &reads, err) != 0) {
        char why[PD_ERR_MSG_MAX];
        snprintf(why, sizeof(why), "%s", err->msg);
        return pd_fail(err, PD_EINVAL,
                       "run_sql could not check what this statement reads (%s): write it as a "
                       "plain SELECT",
                       why);
    }
    for (size_t i = 0; i < reads.relations.n && rc == 0; i++) {
        const char *r = reads.relations.v[i], *dot = strrchr(r, '.');
        char *schema = dot ? xstrndup(r, (size_t)(dot - r)) : NULL;
        const char *first = schema ? (strchr(schema, '.') ? strchr(schema, '.') + 1 : schema) : "";
        if ((schema && hidden_schema(e, first)) ||
            (!schema && system_name(r)))
            rc = pd_fail(err, PD_EINVAL,
                         "run_sql cannot read %s: it is not user data (use list_tables and "
                         "describe_table to explore the warehouse)",
                         r);
        free(schema);
    }
    for (size_t i = 0; i < reads.functions.n && rc == 0; i++)
        if (!function_allowed(reads.functions.v[i]))
            rc = pd_fail(err, PD_EINVAL,
                         "run_sql cannot call %s(): only readers of data (read_csv, read_parquet, "
                         "read_json, range, unnest, ...) are allowed",
                         reads.functions.v[i]);
    dp_sql_reads_clear(&reads);
    return rc;
}

int ag_doc_of(ag_fill_fn fill, void *arg, json_t **doc, struct pd_err *err)
{
    struct pd_buf text = PD_BUF_INIT;
    struct pd_sink *sink = pd_sink_new_doc(&text);
    json_error_t jerr;
    int rc = fill(arg, sink, err);
    pd_sink_free(sink);
    *doc = NULL;
    if (rc == 0 && (*doc = pd_json_loadb_exact(text.ptr, text.len, 0, &jerr)) == NULL)
        rc = pd_fail(err, PD_EINTERNAL, "result unreadable: %s", jerr.text);
    pd_buf_release(&text);
    return rc;
}

int ag_listing(ag_fill_fn fill, void *arg, struct ag_tool_result *out, struct pd_err *err)
{
    json_t *doc;
    int rc = ag_doc_of(fill, arg, &doc, err);
    if (rc == 0) {
        out->for_model = ag_summary(doc, LISTING_MAX, 1);
        json_decref(doc);
    }
    return rc;
}

struct read_sql {
    const struct ag_env *e;
    const char *sql;
    int guarded;      /* run_sql's rules */
    const char *into; /* the result becomes this table (quoted); NULL: none */
    uint64_t rows;
};

static int fill_sql(void *arg, struct pd_sink *sink, struct pd_err *err)
{
    struct read_sql *r = arg;
    struct pd_query_opts o = {.timeout_s = r->e->timeout_s, .history = r->e->history,
                              .origin = "agent", .read_only = 1,
                              .limit = (uint64_t)r->e->keep_rows,
                              .check = r->guarded ? guard : NULL, .check_arg = (void *)r->e,
                              .into = r->into};
    struct pd_query *q = pd_query_new(r->e->wh, &o);
    struct pd_query_stats stats;
    int rc = pd_query_run(q, r->sql, sink, &stats, err);
    r->rows = stats.rows;
    pd_query_free(q);
    return rc;
}

/* A read's result for the user, and its summary for the model. */
static int run_read(const struct ag_env *e, const char *sql, int guarded,
                    struct ag_tool_result *out, struct pd_err *err)
{
    struct read_sql r = {e, sql, guarded, NULL, 0};
    json_t *doc;
    int rc = ag_doc_of(fill_sql, &r, &doc, err);
    if (rc)
        return rc;
    out->for_model = ag_summary(doc, e->send_rows, 0);
    out->result = doc;
    return 0;
}

/* ---- the tools ---------------------------------------------------------------- */

static int t_run_sql(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                     struct pd_err *err)
{
    return run_read(e, json_string_value(json_object_get(args, "sql")), 1, out, err);
}

struct catalog {
    const struct ag_env *e;
    const char *table; /* NULL: the tables */
};

static int fill_catalog(void *arg, struct pd_sink *sink, struct pd_err *err)
{
    struct catalog *c = arg;
    struct pd_query_opts o = {.origin = "agent"};
    struct pd_query *q = pd_query_new(c->e->wh, &o);
    int rc = c->table ? pd_catalog_columns(q, c->table, sink, err)
                      : pd_catalog_tables(q, sink, err);
    pd_query_free(q);
    return rc;
}

/* A listing from the catalog service, all of it shown to the model (it is metadata). */
static int listing(const struct ag_env *e, const char *table, struct ag_tool_result *out,
                   struct pd_err *err)
{
    struct catalog c = {e, table};
    return ag_listing(fill_catalog, &c, out, err);
}

static int t_list_tables(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                         struct pd_err *err)
{
    json_t *rows, *kept, *row;
    size_t i;
    int rc;
    (void)args;
    if ((rc = listing(e, NULL, out, err)) != 0)
        return rc;
    rows = json_object_get(out->for_model, "rows");
    kept = json_array();
    json_array_foreach(rows, i, row)
        if (!hidden_schema(e, json_string_value(json_array_get(row, 0))))
            json_array_append(kept, row);
    json_object_set_new(out->for_model, "row_count", json_integer((json_int_t)json_array_size(kept)));
    json_object_set_new(out->for_model, "rows_shown", json_integer((json_int_t)json_array_size(kept)));
    json_object_set_new(out->for_model, "rows", kept);
    return 0;
}

/* "t" or "schema.t" naming a user table; PD_EINVAL for internal ones. */
static int user_table(const struct ag_env *e, const char *table, struct pd_err *err)
{
    const char *dot = strchr(table, '.');
    char *schema = dot ? xstrndup(table, (size_t)(dot - table)) : NULL;
    int internal = schema && hidden_schema(e, schema);
    free(schema);
    if (internal)
        return pd_fail(err, PD_ENOTFOUND, "no table '%s' (see list_tables)", table);
    return 0;
}

static int t_describe_table(const struct ag_env *e, const json_t *args,
                            struct ag_tool_result *out, struct pd_err *err)
{
    const char *table = json_string_value(json_object_get(args, "table"));
    int rc = user_table(e, table, err);
    return rc ? rc : listing(e, table, out, err);
}

static int t_sample_rows(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
                         struct pd_err *err)
{
    const char *table = json_string_value(json_object_get(args, "table")), *dot;
    json_t *n = json_object_get(args, "limit");
    struct pd_buf sql = PD_BUF_INIT;
    struct ag_tool_result probe = {0};
    int rc;
    /* the table must be one describe_table knows */
    if ((rc = t_describe_table(e, args, &probe, err)) != 0)
        return rc;
    ag_tool_result_clear(&probe);
    pd_buf_adds(&sql, "SELECT * FROM ");
    if ((dot = strchr(table, '.')) != NULL) {
        char *schema = xstrndup(table, (size_t)(dot - table));
        pd_sql_ident(&sql, schema);
        pd_buf_addc(&sql, '.');
        free(schema);
        table = dot + 1;
    }
    pd_sql_ident(&sql, table);
    pd_buf_addf(&sql, " LIMIT %lld", n ? (long long)json_integer_value(n) : 5LL);
    rc = run_read(e, sql.ptr, 0, out, err);
    pd_buf_release(&sql);
    return rc;
}

static int t_save_work_table(const struct ag_env *e, const json_t *args,
                             struct ag_tool_result *out, struct pd_err *err)
{
    const char *name = json_string_value(json_object_get(args, "name"));
    struct pd_buf create = PD_BUF_INIT, into = PD_BUF_INIT;
    struct read_sql r = {e, json_string_value(json_object_get(args, "sql")), 1, NULL, 0};
    struct pd_query_opts o = {.origin = "agent"};
    struct pd_query *q;
    int rc;
    if (e->work_schema == NULL)
        return pd_fail(err, PD_EINVAL,
                       "save_work_table: this run has no work zone (it is not part of a "
                       "conversation); use run_sql with a WITH clause instead");
    if ((rc = pd_name_check("table", name, err)) != 0)
        return rc;
    pd_buf_adds(&create, "CREATE SCHEMA IF NOT EXISTS ");
    pd_sql_ident(&create, e->work_schema);
    q = pd_query_new(e->wh, &o);
    rc = pd_query_run(q, create.ptr, NULL, NULL, err);
    pd_query_free(q);
    pd_sql_ident(&into, e->work_schema);
    pd_buf_addc(&into, '.');
    pd_sql_ident(&into, name);
    r.into = into.ptr;
    if (rc == 0 && (rc = fill_sql(&r, NULL, err)) == 0) {
        char *table = xasprintf("%s.%s", e->work_schema, name);
        out->for_model = json_pack("{s:s, s:I}", "table", table, "row_count", (json_int_t)r.rows);
        free(table);
    }
    pd_buf_release(&create);
    pd_buf_release(&into);
    return rc;
}

#define OBJ(props, req) "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" req "],\"additionalProperties\":false}"

const struct ag_tool ag_tools[] = {
    {"list_tables",
     "List the tables and views of the warehouse (schema, name, type). Sources appear as "
     "schemas of views; cached copies in schema cache; saved analyses in schema analysis.",
     OBJ("", ""), 0, t_list_tables},
    {"describe_table",
     "The columns of one table: name, type, nullable. Use schema.table for tables outside main.",
     OBJ("\"table\":{\"type\":\"string\",\"description\":\"table or schema.table\"}", "\"table\""),
     0, t_describe_table},
    {"sample_rows", "A few rows of a table, to see what its values look like.",
     OBJ("\"table\":{\"type\":\"string\",\"description\":\"table or schema.table\"},"
         "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":20,\"description\":\"rows "
         "(default 5)\"}",
         "\"table\""),
     0, t_sample_rows},
    {"run_sql",
     "Run one read-only SQL statement (SELECT, WITH ... SELECT, EXPLAIN, DESCRIBE, SHOW) in "
     "DuckDB's dialect and get its columns, row count and first rows.",
     OBJ("\"sql\":{\"type\":\"string\",\"description\":\"one SELECT statement\"}", "\"sql\""), 0,
     t_run_sql},
    {"save_work_table",
     "Keep the result of one read-only query as a table in this conversation's work zone, to "
     "build on in later steps and follow-up questions (read it with run_sql as the table name "
     "returned). The work zone goes when the conversation does.",
     OBJ("\"name\":{\"type\":\"string\",\"description\":\"letters, digits, _\"},"
         "\"sql\":{\"type\":\"string\",\"description\":\"one SELECT statement\"}",
         "\"name\",\"sql\""),
     0, t_save_work_table},
    {"list_sources", "The attached sources (databases and files read live), their type and status.",
     OBJ("", ""), 0, ag_t_list_sources},
    {"list_source_tables", "The tables of one source with their columns.",
     OBJ("\"source\":{\"type\":\"string\",\"description\":\"the source's name\"}",
         "\"source\""),
     0, ag_t_list_source_tables},
    {"attach_source",
     "Connect a database or files as a source, read live as schema NAME (needs approval). "
     "Types: postgres and mysql (config: dsn), sqlite and duckdb (config: path), file (config: "
     "path, a CSV, Parquet or JSON file or glob), http (config: url).",
     OBJ("\"name\":{\"type\":\"string\",\"description\":\"letters, digits, _\"},"
         "\"type\":{\"type\":\"string\"},\"config\":{\"type\":\"object\"},"
         "\"description\":{\"type\":\"string\"}",
         "\"name\",\"type\",\"config\""),
     1, ag_t_attach_source},
    {"cache_table",
     "Copy a source's table into the warehouse as cache.LOCAL, optionally filtered on the source "
     "and expiring after a TTL (needs approval).",
     OBJ("\"source\":{\"type\":\"string\"},\"table\":{\"type\":\"string\"},"
         "\"local\":{\"type\":\"string\",\"description\":\"name in schema cache (default "
         "SOURCE_TABLE)\"},\"where\":{\"type\":\"string\",\"description\":\"a condition in "
         "the source's SQL\"},\"ttl\":{\"type\":\"string\",\"description\":\"such as 24h\"}",
         "\"source\",\"table\""),
     1, ag_t_cache_table},
    {"list_analyses",
     "The saved analyses of the project: id, name, description, materialization, fresh or stale.",
     OBJ("", ""), 0, ag_t_list_analyses},
    {"get_freshness", "Whether one saved analysis is fresh or would run again, and why.",
     OBJ("\"id\":{\"type\":\"string\",\"description\":\"the analysis id\"}", "\"id\""), 0,
     ag_t_get_freshness},
    {"get_lineage",
     "What an analysis reads and what reads it (tables, sources, files, other analyses), with "
     "column lineage; without id, the whole project's graph.",
     OBJ("\"id\":{\"type\":\"string\",\"description\":\"an analysis id (optional)\"}", ""), 0,
     ag_t_get_lineage},
    {"load_skill", "The instructions of one of the skills listed in the system message.",
     OBJ("\"name\":{\"type\":\"string\",\"description\":\"the skill's name\"}", "\"name\""), 0,
     ag_t_load_skill},
    {"save_analysis",
     "Save a SQL query as an analysis of the project (needs the user's approval).",
     OBJ("\"id\":{\"type\":\"string\",\"description\":\"letters, digits, _\"},"
         "\"sql\":{\"type\":\"string\",\"description\":\"one SELECT\"},"
         "\"name\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"},"
         "\"materialize\":{\"type\":\"string\",\"description\":\"view (default) or table\"}",
         "\"id\",\"sql\""),
     1, ag_t_save_analysis},
    {"run_analysis",
     "Run a saved analysis and what it reads, materializing the results (needs approval).",
     OBJ("\"id\":{\"type\":\"string\",\"description\":\"the analysis id\"}", "\"id\""), 1,
     ag_t_run_analysis},
    {"add_board_item",
     "Add an item to a board: a table, chart, metric or markdown note (needs approval).",
     OBJ("\"board\":{\"type\":\"string\"},\"type\":{\"type\":\"string\",\"description\":"
         "\"markdown, table, chart, metric or analysis\"},\"title\":{\"type\":\"string\"},"
         "\"payload\":{\"type\":\"object\",\"description\":\"{sql} or {text} or {analysis}\"},"
         "\"render\":{\"type\":\"object\",\"description\":\"chart: {kind, x, y}\"}",
         "\"board\",\"type\",\"payload\""),
     1, ag_t_add_board_item},
};

const size_t ag_n_tools = sizeof(ag_tools) / sizeof(ag_tools[0]);

const struct ag_tool *ag_tool_find(const char *name)
{
    for (size_t i = 0; name && i < ag_n_tools; i++)
        if (strcmp(ag_tools[i].name, name) == 0)
            return &ag_tools[i];
    return NULL;
}

/* ---- arguments against a tool's schema ---------------------------------------- */

static int check_args(const struct ag_tool *t, const json_t *args, struct pd_err *err)
{
    struct pd_err why = PD_ERR_INIT;
    json_t *schema = json_loads(t->schema, 0, NULL);
    int rc;
    if (schema == NULL)
        PD_BUG("a tool's schema is not valid JSON");
    rc = pd_jschema_check(schema, args, &why);
    json_decref(schema);
    return rc ? pd_fail(err, rc, "%s: %s", t->name, why.msg) : 0;
}

int ag_tool_call(const struct ag_env *e, const char *name, const char *args_json,
                 struct ag_tool_result *out, struct pd_err *err)
{
    const struct ag_tool *t = ag_tool_find(name);
    json_error_t jerr;
    json_t *args;
    int rc;
    memset(out, 0, sizeof(*out));
    if (t == NULL)
        return pd_fail(err, PD_EINVAL, "there is no tool '%s'", name ? name : "");
    args = args_json && *args_json ? json_loads(args_json, 0, &jerr) : json_object();
    if (!json_is_object(args)) {
        rc = args ? pd_fail(err, PD_EINVAL, "%s: the arguments must be a JSON object", name)
                  : pd_fail(err, PD_EINVAL, "%s: the arguments are not valid JSON (%s at column %d)",
                            name, jerr.text, jerr.column);
        json_decref(args);
        return rc;
    }
    if ((rc = check_args(t, args, err)) == 0)
        rc = t->run(e, args, out, err);
    json_decref(args);
    if (rc)
        ag_tool_result_clear(out);
    return rc;
}

void ag_tool_result_clear(struct ag_tool_result *r)
{
    json_decref(r->for_model);
    json_decref(r->result);
    memset(r, 0, sizeof(*r));
}

json_t *ag_tools_json(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ag_n_tools; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:{s:s, s:s, s:o}}", "type", "function", "function", "name",
                         ag_tools[i].name, "description", ag_tools[i].description, "parameters",
                         json_loads(ag_tools[i].schema, 0, NULL)));
    return a;
}
