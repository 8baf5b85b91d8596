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

#include <duckdb.h>
#include <signal.h>
#include <stdint.h>

#include "base/strv.h"
#include "sources/load.h"

struct pd_err;
struct pd_sources;

struct pd_ingest_result {
    char run_id[40];
    char *recipe, *target, *mode; /* heap */
    int64_t rows;
    double seconds;
    char *watermark; /* new high-water mark (dry run: the one it would start from), or NULL */
    char *error;     /* NULL when it succeeded */
    char *remote_sql; /* dry run: what the source would be asked (remote SQL, or DuckDB's
                         for files), or NULL */
    int64_t null_marks; /* rows whose incremental column is NULL (first run) */
    struct pd_strv warnings; /* what the read said (values read as NULL: sources.bad_values) */
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

/*
 * Mark the runs a process ended before they finished (still 'running': killed,
 * crashed) 'interrupted'. Called when the warehouse is opened, before any run.
 */
void pd_ingest_mark_interrupted(duckdb_connection conn);

/* The keys a recipe may have, one line each with what it means (for --help). */
#define PD_INGEST_RECIPE_HELP \
    "Recipe keys (a file holds one recipe, or a list of them under recipes:):\n" \
    "  name: ID            the run's name in _sources.ingest_runs (default: the file's name)\n" \
    "  source: NAME        an attached source, or inline: {type: postgres, dsn: ...,\n" \
    "                      password_env: VARIABLE} (never a password in the file)\n" \
    "  table: NAME         the source table to read, or\n" \
    "  query: SQL          a query the source runs\n" \
    "  target: [SCHEMA.]T  the warehouse table (schema main by default)\n" \
    "  mode: MODE          replace (default), append or merge\n" \
    "  merge_keys: [COLS]  merge: incoming rows replace the rows with these keys\n" \
    "  incremental: COL    later runs read rows with COL at or past the last run's\n" \
    "                      maximum; rows loaded before with that very value are not\n" \
    "                      loaded twice (append) or are replaced (merge)\n" \
    "  where: CONDITION    a condition the source applies (its own SQL)\n" \
    "  description: TEXT   what the recipe is for"


#endif
