/*
 * execute.h - one run of a pipeline version on this machine, as a schedule
 * asks for it: through duckpipe, or the dbt runner for a dbt bundle (dbt
 * build), with the run's id, and everything the report and the run ledger
 * need to know about it - steps with rows and timings, what each read, the
 * failure's class. What the run reads and writes stays in the warehouse:
 * nothing here holds a data row.
 */
#ifndef PD_SYNC_EXECUTE_H
#define PD_SYNC_EXECUTE_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

struct pd_config;
struct pd_err;
struct pd_warehouse;

struct pd_run_outcome {
    const char *engine;       /* "duckpipe" or "dbt" */
    int failed;               /* steps that failed (tests that found rows count) */
    /* [{id, kind, status, rows, seconds, reason?, error?, reads: [...]}], in run order */
    json_t *steps;
    char error_class[16];     /* "" when nothing failed; else source, permission, network,
                                 sql or internal */
    char error_message[1024];
    int64_t started_ms, finished_ms;
};

/*
 * Open the project of a pulled pipeline (its files in dir): a dbt project when
 * dir has dbt_project.yml, else duckpipe analyses. Close with pd_assets_close.
 */
struct pd_assets;
int pd_sync_open(struct pd_warehouse *wh, const char *project, const char *dir,
                 volatile sig_atomic_t *cancel, struct pd_assets *a, struct pd_err *err);

/*
 * Check that the live sources project (loaded from dir) reads answer: 0, or
 * PD_EUNAVAIL naming the first that does not ("source crm: ..."). Each one
 * checked is appended to connectors as {source, type, status, error?}.
 */
int pd_sync_sources_reachable(struct pd_warehouse *wh, const struct pd_config *cfg,
                              const char *project, const char *dir, json_t *connectors,
                              struct pd_err *err);

/*
 * Run project (its files in dir) as run_id with params (a JSON object as text,
 * or NULL). A step that fails is in *out, not the return: that is non-zero
 * only when the run could not start (the project does not load or compile) -
 * and then *out says so too, with its class. Free *out with pd_run_outcome_clear.
 */
int pd_sync_execute(struct pd_warehouse *wh, const char *project, const char *dir,
                    const char *run_id, const char *params, volatile sig_atomic_t *cancel,
                    struct pd_run_outcome *out, struct pd_err *err);
void pd_run_outcome_clear(struct pd_run_outcome *o);

/* The class of a failure with code: source, permission, network, sql or internal. */
const char *pd_sync_error_class(int code, int reads_source);

#endif
