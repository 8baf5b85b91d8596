/*
 * assets.h - the analysis service: duckpipe bound to the warehouse and the data home.
 *
 * Opening a session loads projects/<project>/analyses, lends a warehouse
 * connection and reads the source registry so duckpipe can tell live sources,
 * cached and ingested tables apart. The CLI and (later) the API server drive
 * duckpipe through this; it never prints.
 */
#ifndef PD_ASSETS_H
#define PD_ASSETS_H

#include <signal.h>

#include "duckpipe/duckpipe.h"

struct pd_err;
struct pd_warehouse;

struct pd_assets {
    struct pd_warehouse *wh;
    struct dp_project *project;
    struct dp_env env;
    struct pd_relations *relations;
};

/* The analyses folder of a project: HOME/projects/PROJECT/analyses (heap). */
char *pd_assets_dir(const char *home, const char *project);

/*
 * Open a session on project (NULL: "default"). cancel (may be NULL) is the flag
 * a signal handler sets to cancel running work.
 */
int pd_assets_open(struct pd_warehouse *wh, const char *home, const char *project,
                   volatile sig_atomic_t *cancel, struct pd_assets *out, struct pd_err *err);

/*
 * Open project's analyses from DIR/analyses instead of its folder in the data
 * home (a pipeline version fetched for a scheduled run); nothing is registered.
 */
int pd_assets_open_at(struct pd_warehouse *wh, const char *project, const char *dir,
                      volatile sig_atomic_t *cancel, struct pd_assets *out, struct pd_err *err);
/* Load the project from a dbt-style folder instead (see duckpipe/dbt.h). */
int pd_assets_open_dbt(struct pd_warehouse *wh, const char *dir, volatile sig_atomic_t *cancel,
                       struct pd_assets *out, struct pd_err *err);

void pd_assets_close(struct pd_assets *a);

/*
 * The rows of analysis id computed now (nothing materialized), at most limit,
 * as a result document (see pd_sink_new_doc) into doc. args may be NULL.
 */
struct pd_buf;
int pd_assets_data(struct pd_assets *a, const char *id, struct dp_args *args, long limit,
                   struct pd_buf *doc, struct pd_err *err);

/*
 * Put analysis a (stolen) into the project, replacing one with its id, check
 * that the project still compiles, and save its file. *plan (may be NULL) gets
 * the compiled plan. On failure the file is not written.
 */
struct dp_plan;
int pd_assets_save(struct pd_assets *s, struct dp_analysis *a, struct dp_plan **plan,
                   struct pd_err *err);

/* Past runs of the project (of one analysis when id is set), newest first, into sink. */
struct pd_sink;
int pd_assets_history(struct pd_assets *a, const char *id, long limit, struct pd_sink *sink,
                      struct pd_err *err);

/*
 * Delete analysis id: refused (PD_EINVAL naming them) while other analyses read it,
 * unless force. Removes its file, drops what it materialized and its run state.
 */
int pd_assets_delete(struct pd_assets *a, const char *id, int force, struct pd_err *err);

#endif
