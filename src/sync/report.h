/*
 * report.h - the record a pipeline run leaves: HOME/reports/RUN_ID/report.html
 * and metadata.json (seed 003's fixed paths). metadata.json holds the run id,
 * the project, the pipeline and its version, each step with its rows and
 * timing, the errors, the lineage (what each step read) and the boards that
 * read the results; report.html shows the same, rendered as a board export
 * is. Both hold counts and names only, never a result row, so they can be
 * shared without sharing data.
 */
#ifndef PD_SYNC_REPORT_H
#define PD_SYNC_REPORT_H

#include <duckdb.h>
#include <jansson.h>

struct pd_err;
struct pd_run_outcome;

struct pd_run_info {
    const char *run_id;
    const char *project;          /* the local project (WORKSPACE__PIPELINE) */
    const char *pipeline_id;
    int pipeline_version;
    const char *trigger;          /* schedule, manual */
    const char *schedule_id, *occurrence_id; /* or NULL */
    int catch_up;                 /* runs an occurrence missed while the app was off */
    const json_t *environment;    /* the environment snapshot */
};

/* The boards of project with an item reading one of the run's steps: names, sorted. */
json_t *pd_report_boards(duckdb_connection conn, const char *project, const json_t *steps);

/* A run's report folder: HOME/reports/RUN_ID (heap). */
char *pd_report_dir(const char *home, const char *run_id);

/*
 * Write the run's report folder (*dir, heap: pd_report_dir), each file
 * written aside and renamed. boards: as pd_report_boards gives (borrowed).
 */
int pd_report_write(const char *home, const struct pd_run_info *info,
                    const struct pd_run_outcome *o, const json_t *boards, char **dir,
                    struct pd_err *err);

#endif
