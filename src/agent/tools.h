/*
 * tools.h - what the agent can do: the tools a model may call, each with a
 * description and a JSON Schema of its arguments, run against the warehouse.
 *
 * Every tool answers twice: what the model sees (a summary: columns, a row
 * count and at most send_rows rows, cells cut short) and, for results, the
 * result document the user sees. run_sql takes one read-only statement
 * (decided from DuckDB's statement type) and refuses to read the internal
 * schemas, catalog views or table functions other than the readers of data.
 * A conversation's work zone (schema work_<id>) is visible to its own runs
 * only; save_work_table keeps an intermediate result there.
 * Sensitive tools (those that change something) need approval first; the
 * loop asks, the tools only say which they are.
 */
#ifndef PD_AGENT_TOOLS_H
#define PD_AGENT_TOOLS_H

#include <jansson.h>
#include <signal.h>

struct pd_err;
struct pd_history;
struct pd_sources;
struct pd_warehouse;

struct ag_env {
    struct pd_warehouse *wh;
    struct pd_sources *sources; /* attached sources (NULL: none) */
    const char *home;           /* the data home (projects, boards) */
    const char *project;        /* analyses and boards of this project (NULL: default) */
    struct pd_history *history; /* the tools' statements are recorded here (NULL: not) */
    double timeout_s;           /* per statement; 0: none */
    long send_rows;             /* rows of a result the model sees; 0: none (schema and counts) */
    long keep_rows;             /* rows of a result kept for the user */
    volatile sig_atomic_t *cancel; /* set to stop a run (may be NULL) */
    const char *work_schema;    /* the conversation's work zone (NULL: none); others are hidden */
};

struct ag_tool_result {
    json_t *for_model; /* what goes back to the model */
    json_t *result;    /* a result document for the user, or NULL */
};

struct ag_tool {
    const char *name;
    const char *description;
    const char *schema;         /* JSON Schema of the arguments */
    int sensitive;              /* changes something: needs approval */
    int (*run)(const struct ag_env *e, const json_t *args, struct ag_tool_result *out,
               struct pd_err *err);
};

extern const struct ag_tool ag_tools[];
extern const size_t ag_n_tools;

const struct ag_tool *ag_tool_find(const char *name);

/*
 * Call tool name with args_json (a JSON object as text, as a model sends it).
 * Arguments that do not parse or do not fit the schema are PD_EINVAL with a
 * message meant for the model; so are refused statements.
 */
int ag_tool_call(const struct ag_env *e, const char *name, const char *args_json,
                 struct ag_tool_result *out, struct pd_err *err);

void ag_tool_result_clear(struct ag_tool_result *r);

/* The tools in the shape of the Chat Completions "tools" array. */
json_t *ag_tools_json(void);

#endif
