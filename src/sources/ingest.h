/*
 * ingest.h - ingestion recipes: load a source's table or query into a
 * warehouse table, as replace, append or merge, optionally incremental.
 *
 * A recipe file holds one recipe (a mapping) or several (a list under
 * `recipes:`):
 *
 *   name: nightly_orders          # default: the file's name
 *   source: sales                 # an attached source, or inline:
 *                                 #   {type: postgres, dsn: ..., password_env: PGPASSWORD}
 *   table: orders                 # or query: "select ..." (runs on the source)
 *   target: raw.orders            # [schema.]table; schema main by default
 *   mode: merge                   # replace (default) | append | merge
 *   merge_keys: [id]              # merge: rows with these keys are replaced
 *   incremental: updated_at       # read only rows past the last run's maximum
 *   where: "region = 'north'"     # a condition the source applies
 *
 * Each recipe is one transaction; _sources.ingest_runs records every run, the
 * failed ones with their cause.
 */
#ifndef PD_INGEST_H
#define PD_INGEST_H

#include <signal.h>
#include <stdint.h>

#include "sources/load.h"

struct pd_err;
struct pd_sources;

struct pd_ingest_result {
    char run_id[40];
    char *recipe, *target, *mode; /* heap */
    int64_t rows;
    double seconds;
    char *watermark; /* new high-water mark, or NULL */
    char *error;     /* NULL when it succeeded */
};

struct pd_ingest_opts {
    int dry_run;
    pd_progress_fn progress;
    volatile sig_atomic_t *interrupted;
};

/*
 * Run the recipes of one file. *results gets one entry per recipe that was
 * tried (*n of them; free with pd_ingest_results_free). Returns 0 when all
 * succeeded, else the first failure's code (err says which recipe and why).
 * A file that cannot be read or checked runs nothing.
 */
int pd_ingest_file(struct pd_sources *S, const char *path, const struct pd_ingest_opts *o,
                   struct pd_ingest_result **results, size_t *n, struct pd_err *err);

/* Read and check a recipe file without running it: 0 and *n recipes, or why not. */
int pd_ingest_check_file(const char *path, size_t *n, struct pd_err *err);

void pd_ingest_results_free(struct pd_ingest_result *r, size_t n);

#endif
