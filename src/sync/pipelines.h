/*
 * pipelines.h - a local project as a pipeline of the workspace in use:
 * pushed as a new version, pulled into projects/<workspace>__<pipeline>/,
 * compared with the version it came from. The version a folder holds is
 * recorded in its .cloud.json (the pipeline, the version, each file's
 * SHA-256), so a pull never overwrites local edits: it says so, and the user
 * pushes them as a new version or discards them.
 */
#ifndef PD_SYNC_PIPELINES_H
#define PD_SYNC_PIPELINES_H

#include <jansson.h>

struct pd_buf;
struct pd_err;

/*
 * Push project (a folder of HOME/projects) as a new version: *out is the
 * server's answer ({version, created, diverged, note?}) with the pipeline's id.
 */
int pd_sync_push(const char *home, const char *project, const char *message, json_t **out,
                 struct pd_err *err);

/*
 * Pull every pipeline of the workspace: *out lists {project, pipeline, version,
 * status} where status is pulled, unchanged, local_edits, discarded, or
 * deleted_on_server (the folder is kept). With discard, local edits are
 * replaced by the server's version.
 */
int pd_sync_pull(const char *home, int discard, json_t **out, struct pd_err *err);

/*
 * The files of version of pipeline_id, as a run needs them: fetched once into
 * HOME/cloud/versions/PIPELINE/VERSION (*dir, heap), apart from the user's
 * working copy. project gets the local project's name (WORKSPACE__PIPELINE),
 * whose schema the run materializes into.
 */
int pd_sync_checkout(const char *home, const char *pipeline_id, int version, char project[64],
                     char **dir, struct pd_err *err);

/* The unified diff of project's files against the version it holds (empty: none). */
int pd_sync_diff(const char *home, const char *project, struct pd_buf *out, struct pd_err *err);

#endif
