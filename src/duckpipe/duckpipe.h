/*
 * duckpipe.h - saved analyses as a SQL pipeline: references, parameters,
 * materializations, plans, freshness, lineage and run history.
 *
 * A project is a folder of analysis files (<id>.yaml, SQL inline or in a file
 * beside it) or a dbt-style project (see dbt.h). dp_project_load reads it;
 * dp_compile renders each analysis's templates, finds what it reads with
 * DuckDB's own parser, checks every reference exists, orders the DAG and decides
 * which steps must run and why; dp_run executes a plan step by step, each in its
 * own transaction, recording _duckpipe.run_history and _duckpipe.run_state.
 *
 * The library depends on DuckDB and base/ only. What the warehouse knows about
 * sources (which schemas are live remote views, when a cached or ingested table
 * was last refreshed) comes in through struct dp_env's relation hook.
 */
#ifndef DUCKPIPE_H
#define DUCKPIPE_H

#include <duckdb.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strv.h"

struct pd_buf;
struct pd_err;

/* The tables duckpipe keeps; the warehouse applies this as a migration step. */
#define DP_STATE_DDL                                                       \
    "CREATE SCHEMA IF NOT EXISTS _duckpipe;"                               \
    "CREATE SCHEMA IF NOT EXISTS analysis;"                                \
    "CREATE TABLE _duckpipe.run_history ("                                 \
    "  run_id VARCHAR NOT NULL,"                                           \
    "  project VARCHAR NOT NULL,"                                          \
    "  analysis VARCHAR NOT NULL,"                                         \
    "  started_at TIMESTAMPTZ NOT NULL,"                                   \
    "  finished_at TIMESTAMPTZ,"                                           \
    "  status VARCHAR NOT NULL,"                                           \
    "  rows BIGINT,"                                                       \
    "  error VARCHAR,"                                                     \
    "  duration_ms DOUBLE,"                                                \
    "  params VARCHAR,"                                                    \
    "  reason VARCHAR"                                                     \
    ");"                                                                   \
    "CREATE TABLE _duckpipe.run_state ("                                   \
    "  project VARCHAR NOT NULL,"                                          \
    "  analysis VARCHAR NOT NULL,"                                         \
    "  last_run_id VARCHAR,"                                               \
    "  last_status VARCHAR,"                                               \
    "  last_success_at TIMESTAMPTZ,"                                       \
    "  last_failure_at TIMESTAMPTZ,"                                       \
    "  last_error VARCHAR,"                                                \
    "  success_hash VARCHAR,"                                              \
    "  rows BIGINT,"                                                       \
    "  PRIMARY KEY (project, analysis)"                                    \
    ");"

enum dp_materialize { DP_VIEW, DP_TABLE, DP_APPEND, DP_INCREMENTAL, DP_PARQUET, DP_EPHEMERAL };

enum dp_ptype { DP_P_STRING, DP_P_INT, DP_P_FLOAT, DP_P_BOOL, DP_P_DATE, DP_P_TIMESTAMP, DP_P_LIST };

struct dp_param {
    char *name;
    enum dp_ptype type;
    char *def; /* default as text (a list as JSON), or NULL */
    int required;
    char *description;
};

struct dp_analysis {
    char *id;
    char *name;
    char *description;
    char *sql;       /* the SQL text (read from sql_file when that is set) */
    char *sql_file;  /* as written in the file, or NULL */
    enum dp_materialize materialize;
    char *unique_key; /* incremental: column or comma-separated columns */
    char *path;       /* parquet: the file written */
    char *freshness;  /* NULL, or "assume_fresh" */
    struct dp_param *params;
    size_t nparams;
    struct pd_strv tags;
    struct pd_strv depends_on; /* declared dependencies (analysis ids) */
    char *created_at, *updated_at;
    char *file;   /* where it was read from: the .yaml (or the model .sql) */
    int sql_line; /* line of the SQL in file (messages) */
    char *schema; /* where it is materialized (NULL: the project's) */
    int is_dbt;   /* rendered with dbt's functions (config, var, source) */
};

struct dp_project {
    char *name;
    char *dir;        /* projects/<name>/analyses, or the dbt project folder */
    char *schema;     /* materializations go here: "analysis", or "analysis_NAME" */
    struct dp_analysis **items;
    size_t n;
    void *index;      /* id -> analysis */
    struct pd_strv seeds;   /* dbt seeds (tables in schema) */
    void *sources;          /* dbt sources: "name.table" -> "schema"."table" (heap strings) */
    void *vars;             /* dbt vars: a jansson object, or NULL */
    struct dp_dbt *dbt;     /* dbt projects: tests and seeds (dbt.h), or NULL */
};

/* ^[A-Za-z_][A-Za-z0-9_]{0,62}$: 0, or PD_EINVAL naming what is wrong. */
int dp_id_check(const char *what, const char *id, struct pd_err *err);

const char *dp_materialize_name(enum dp_materialize m);
int dp_materialize_parse(const char *s, enum dp_materialize *m);
const char *dp_ptype_name(enum dp_ptype t);
int dp_ptype_parse(const char *s, enum dp_ptype *t);

/*
 * Load every <id>.yaml in dir (a missing dir is an empty project). Errors name
 * the file and line: YAML syntax, unknown keys, an id that differs from the file
 * name, duplicate ids, a missing sql_file.
 */
int dp_project_load(const char *name, const char *dir, struct dp_project **out,
                    struct pd_err *err);
void dp_project_free(struct dp_project *p);
struct dp_analysis *dp_project_find(const struct dp_project *p, const char *id);
/* A deep copy of a. */
struct dp_analysis *dp_analysis_dup(const struct dp_analysis *a);
void dp_analysis_free(struct dp_analysis *a);

/* Add (or replace when replace is set) an analysis in memory; takes ownership. */
int dp_project_put(struct dp_project *p, struct dp_analysis *a, int replace, struct pd_err *err);

/*
 * Write a's file into the project's dir (created when missing), written aside
 * and renamed. An unchanged analysis rewrites an identical file: keys in a fixed
 * order, updated_at kept when nothing else changed.
 */
int dp_analysis_save(const struct dp_project *p, struct dp_analysis *a, int64_t now_ms,
                     struct pd_err *err);

/* Remove a's file (and its sql_file). */
int dp_analysis_remove(const struct dp_project *p, const struct dp_analysis *a,
                       struct pd_err *err);

/* Parse "name:type=default" (type defaults to string) into a parameter. */
int dp_param_parse_spec(const char *spec, struct dp_param *out, struct pd_err *err);
void dp_param_free(struct dp_param *p);

/* ---------- relations and the environment ---------- */

enum dp_rel_kind {
    DP_REL_ANALYSIS, /* another analysis */
    DP_REL_SOURCE,   /* a live view over a remote source: changes at any time */
    DP_REL_CACHE,    /* a cached copy of a remote table */
    DP_REL_INGESTED, /* a table written by an ingestion recipe */
    DP_REL_SEED,     /* a dbt seed */
    DP_REL_TABLE,    /* any other table or view in the warehouse */
    DP_REL_FILE,     /* a file read directly */
};

const char *dp_rel_kind_name(enum dp_rel_kind k);

/* What the environment knows about schema.table. */
struct dp_rel_info {
    enum dp_rel_kind kind;
    int64_t changed_ms; /* when its contents last changed (0: unknown) */
    char *label;        /* heap: how lineage names it ("source:sales.orders"), or NULL */
    char *origin;       /* heap: the node it copies (a cache: "source:sales.orders"), or NULL */
};

struct dp_env {
    duckdb_connection conn;
    duckdb_database db; /* conn's database: more connections to parse a large project on
                           every core (NULL: everything on conn) */
    /* Classify a warehouse relation (schema and table as written, lower case).
     * Return 0 and fill *info, or non-zero for a plain table. May be NULL. */
    int (*relation)(void *arg, const char *schema, const char *table, struct dp_rel_info *info);
    void *relation_arg;
    /* Stop the statement running on conn (default: duckdb_interrupt). */
    void (*interrupt)(duckdb_connection conn);
    volatile sig_atomic_t *cancel; /* set (by a signal handler) to cancel the run */
};

/* ---------- parameters supplied to a run ---------- */

struct dp_args {
    struct pd_strv names;
    struct pd_strv values; /* text; lists as JSON arrays */
};

/* Parse '{"a":1}' (JSON) or 'a=1,ids=[1,2,3]' into args. */
int dp_args_parse(struct dp_args *args, const char *text, struct pd_err *err);
void dp_args_clear(struct dp_args *args);

/*
 * Copy sql to out with each :name parameter written by fn (which appends what
 * stands for it, or fails). Quotes, comments and $$ strings are copied as they
 * are; '::' casts and ':=' are not parameters.
 */
typedef int (*dp_param_fn)(void *arg, const char *name, struct pd_buf *out, struct pd_err *err);
int dp_sql_params_map(const char *sql, dp_param_fn fn, void *arg, struct pd_buf *out,
                      struct pd_err *err);

/* ---------- compile and plan ---------- */

enum dp_reason {
    DP_R_NEVER_RUN, DP_R_CHANGED, DP_R_UPSTREAM, DP_R_SOURCE, DP_R_LIVE, DP_R_FORCED,
    DP_R_LAST_FAILED, DP_R_FRESH, DP_R_EPHEMERAL, DP_R_UPSTREAM_FAILED, DP_R_UPSTREAM_STALE
};

const char *dp_reason_text(enum dp_reason r);

struct dp_input {
    char *key;   /* "analysis:b", "source:sales.orders", "cache:orders", "table:main.t", "file:x.csv" */
    enum dp_rel_kind kind;
    int64_t changed_ms;
    char *origin; /* what it is a copy of ("source:sales.orders"), or NULL */
};

/* Values bound to a statement's $1..$n, as text, and how each is bound. */
struct dp_binds {
    char **vals;
    enum dp_ptype *types; /* string, int, float or bool (dates are cast in the SQL) */
    size_t n;
};

struct dp_step {
    struct dp_analysis *a;
    int selected;    /* chosen by the selectors (others are only compiled) */
    int run;         /* planned to run */
    enum dp_reason reason;
    char *sql;       /* compiled SQL with $n placeholders, ephemerals inlined */
    char *sql_incremental; /* incremental: the SQL for an existing target */
    char *hash;      /* of the SQL, materialization and parameter values */
    struct dp_input *inputs;
    size_t ninputs;
    struct dp_binds binds, binds_inc; /* for sql and sql_incremental */
    char *param_error; /* why it cannot run (a required parameter without a value) */
    int64_t last_success_ms, last_failure_ms;
    char *success_hash;
    size_t *ups;     /* indexes into plan steps of upstream analyses */
    size_t nups;
};

struct dp_plan {
    struct dp_project *project;
    struct dp_step *steps; /* in execution order (upstream first) */
    size_t n;
    struct dp_args args;   /* the parameter values of this run */
    char *args_json;       /* the values actually used, as JSON */
    int full_refresh;      /* incremental targets are rebuilt from scratch */
};

struct dp_compile_opts {
    const char *const *select; /* selectors: id, +id, id+, +id+, tag:x; NULL/empty: all */
    size_t nselect;
    const struct dp_args *args;
    int force;         /* plan every selected step to run */
    int full_refresh;  /* incremental targets are rebuilt */
};

/* Compile the whole project and plan the selected steps. */
int dp_compile(struct dp_project *p, const struct dp_env *env, const struct dp_compile_opts *o,
               struct dp_plan **out, struct pd_err *err);
void dp_plan_free(struct dp_plan *plan);
struct dp_step *dp_plan_find(const struct dp_plan *plan, const char *id);

/* ---------- run ---------- */

enum dp_step_status { DP_S_PENDING, DP_S_OK, DP_S_FAILED, DP_S_SKIPPED, DP_S_CANCELLED };

/* "pending", "ok", "failed", "skipped", "cancelled". */
const char *dp_step_status_name(enum dp_step_status s);

struct dp_step_result {
    const char *id;
    enum dp_step_status status;
    const char *reason; /* why it ran or was skipped */
    int64_t rows;       /* -1 when not counted (views) */
    double seconds;
    char *error;
};

struct dp_run_opts {
    const char *run_id;   /* the run's id (a UUID made by the caller), or NULL: a new UUIDv7 */
    double timeout_s;     /* per step; 0: none */
    int continue_on_failure;
    /* Called before (result == NULL) and after each step that runs or is skipped. */
    void (*on_step)(void *arg, const struct dp_step *step, size_t index, size_t total,
                    const struct dp_step_result *result);
    void *arg;
};

struct dp_run_result {
    char run_id[37];
    struct dp_step_result *steps;
    size_t n;
    int ok, failed, skipped;
};

int dp_run(const struct dp_plan *plan, const struct dp_env *env, const struct dp_run_opts *o,
           struct dp_run_result *out, struct pd_err *err);
void dp_run_result_clear(struct dp_run_result *r);

/* Run step's compiled SQL without materializing; *res must be destroyed by the caller. */
int dp_preview(const struct dp_plan *plan, const struct dp_step *step, const struct dp_env *env,
               long limit, duckdb_result *res, struct pd_err *err);

/* ---------- reading SQL ---------- */

/*
 * What one SELECT reads, as DuckDB's parser sees it: tables and views
 * ("schema.table" in lower case, or "table" when no schema is written; CTEs
 * excluded), table functions called (lower case), and files. PD_ESQL when the
 * text does not parse as a SELECT.
 */
struct dp_sql_reads {
    struct pd_strv relations, functions, files;
};
int dp_sql_reads(duckdb_connection conn, const char *sql, struct dp_sql_reads *out,
                 struct pd_err *err);
void dp_sql_reads_clear(struct dp_sql_reads *r);

/* ---------- lineage ---------- */

enum dp_graph_format { DP_GRAPH_JSON, DP_GRAPH_DOT, DP_GRAPH_MERMAID };

int dp_graph_format_parse(const char *s, enum dp_graph_format *f);

/*
 * The table-level graph of the plan (focus NULL: every analysis; otherwise its
 * upstream and downstream), with column lineage per analysis in JSON.
 */
int dp_lineage(const struct dp_plan *plan, const struct dp_env *env, const char *focus,
               enum dp_graph_format fmt, struct pd_buf *out, struct pd_err *err);

/*
 * Column lineage of one step: for each output column, the input columns it is
 * computed from ("analysis.a.v", "main.t.x"), as a JSON object.
 */
int dp_column_lineage(const struct dp_step *step, const struct dp_env *env, struct pd_buf *out,
                      struct pd_err *err);

#endif
