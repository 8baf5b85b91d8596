/*
 * dbt_run.h - seed, run, test or build a dbt-style project loaded with
 * pd_assets_open_dbt, reporting each node (seed, model, test) as it starts
 * and ends. The CLI prints dbt-like lines from the reports; the API server
 * turns them into job events. Nothing here prints.
 */
#ifndef PD_ASSETS_DBT_RUN_H
#define PD_ASSETS_DBT_RUN_H

#include <stddef.h>
#include <stdint.h>

struct pd_assets;
struct pd_err;

enum pd_dbt_action { PD_DBT_SEED, PD_DBT_RUN, PD_DBT_TEST, PD_DBT_BUILD };
enum pd_dbt_kind { PD_DBT_NODE_SEED, PD_DBT_NODE_MODEL, PD_DBT_NODE_TEST };
enum pd_dbt_outcome { PD_DBT_STARTED, PD_DBT_PASS, PD_DBT_FAIL, PD_DBT_ERROR, PD_DBT_SKIP };

struct pd_dbt_node {
    enum pd_dbt_kind kind;
    const char *name;
    const char *materialized;   /* models: view, table, incremental, ... */
    size_t index, total;        /* 1-based within its phase (seeds, models, tests) */
    enum pd_dbt_outcome outcome;
    int64_t count;              /* seeds: rows loaded; tests: failing rows */
    double seconds;
    const char *error;          /* ERROR (and models skipped after a failure) */
};

typedef void (*pd_dbt_report)(void *arg, const struct pd_dbt_node *n);

struct pd_dbt_opts {
    enum pd_dbt_action action;
    const char *const *select;  /* selectors as in dp_compile_opts */
    size_t nselect;
    int full_refresh;
    const char *run_id;         /* the models' run id (NULL: a new one) */
    pd_dbt_report on_node;      /* may be NULL */
    void *arg;
};

struct pd_dbt_tally {
    int pass, warn, error, skip, total;
};

/*
 * Do the action. Node failures are counted in *tally, not returned: the return
 * is non-zero only when the project cannot be planned or the work was cancelled.
 */
int pd_dbt_execute(struct pd_assets *s, const struct pd_dbt_opts *o, struct pd_dbt_tally *tally,
                   struct pd_err *err);

/* 1 when model is selected in plan (every model when plan is NULL): its tests run. */
struct dp_plan;
int pd_dbt_selected(const struct dp_plan *plan, const char *model);

/* "seed", "run", "test", "build"; parse returns -1 for anything else. */
const char *pd_dbt_action_name(enum pd_dbt_action a);
int pd_dbt_action_parse(const char *s, enum pd_dbt_action *out);
const char *pd_dbt_kind_name(enum pd_dbt_kind k);
const char *pd_dbt_outcome_name(enum pd_dbt_outcome o);

#endif
