/*
 * dbt.h - dbt-style projects run natively: dbt_project.yml, the .sql models
 * under models/ in the Jinja subset of jinja.h, the .yml files beside them
 * (sources and generic tests) and the .csv seeds, loaded into a duckpipe project.
 */
#ifndef DP_DBT_H
#define DP_DBT_H

#include "duckpipe/duckpipe.h"

struct dp_dbt_test {
    char *name;   /* unique_orders_order_id */
    char *model;  /* the model (or source table) it checks */
    char *column;
    char *kind;   /* not_null, unique, accepted_values, relationships */
    char *sql;    /* a query returning the failing rows (rendered at run time) */
    char *file;
};

struct dp_dbt_seed {
    char *name;
    char *path;
};

struct dp_dbt {
    char *name; /* the project's name from dbt_project.yml */
    struct dp_dbt_test *tests;
    size_t ntests;
    struct dp_dbt_seed *seeds;
    size_t nseeds;
    size_t nsources;
};

/*
 * Load the project in dir. Models become analyses in schema main; config blocks
 * and dbt_project.yml's models: settings give their materialization. Errors
 * name file:line.
 */
int dp_dbt_load(const char *dir, struct dp_project **out, struct pd_err *err);

void dp_dbt_free(struct dp_dbt *d);

/* The dbt parts of a project loaded by dp_dbt_load (NULL for analysis projects). */
const struct dp_dbt *dp_dbt_of(const struct dp_project *p);

/* Load seed i (CSV) into its table, replacing it in one transaction; *rows loaded. */
int dp_dbt_seed(const struct dp_project *p, const struct dp_env *env, size_t i, int64_t *rows,
                struct pd_err *err);

/* Run test i; *failures gets the number of failing rows. */
int dp_dbt_test(const struct dp_project *p, const struct dp_env *env, size_t i,
                int64_t *failures, struct pd_err *err);

#endif
