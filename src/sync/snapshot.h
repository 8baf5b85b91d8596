/*
 * snapshot.h - Parquet snapshots of chosen results of a scheduled run, the
 * higher tier of sharing (seed 003): off unless the schedule names analyses,
 * and then only the rows of those. The one place where data rows are written
 * for Pluto Cloud; the runner pushes the files as artifacts of kind snapshot.
 */
#ifndef PD_SYNC_SNAPSHOT_H
#define PD_SYNC_SNAPSHOT_H

#include <jansson.h>
#include <signal.h>

struct pd_err;
struct pd_warehouse;

/*
 * Write the result of each analysis named in names (a JSON array of ids) of
 * project (its files in dir) to out_dir/ID.parquet, with the exact types of
 * `sql --output`. *files gets one entry per name: {analysis, path, rows}, or
 * {analysis, error} for one that is not in the project or cannot be read (the
 * others are written all the same). Returns non-zero only when the project does
 * not open or the run was cancelled.
 */
int pd_sync_snapshot(struct pd_warehouse *wh, const char *project, const char *dir,
                     const json_t *names, const char *out_dir, volatile sig_atomic_t *cancel,
                     json_t **files, struct pd_err *err);

#endif
