/*
 * projects.h - projects: named groups of analyses, boards and skills.
 *
 * A project is a row of _pluto.projects and a folder HOME/projects/ID (its
 * analyses/ and skills/). A folder put there by hand, say a git checkout, is
 * registered the first time it is seen. Its analyses materialize into schema
 * analysis (the default project) or analysis_ID. "default" always exists and
 * cannot be deleted.
 */
#ifndef PD_ASSETS_PROJECTS_H
#define PD_ASSETS_PROJECTS_H

struct pd_err;
struct pd_sink;
struct pd_warehouse;

/* id, description, analyses, boards, schema, folder, created_at: all projects by id. */
int pd_projects_list(struct pd_warehouse *wh, const char *home, struct pd_sink *sink,
                     struct pd_err *err);

/* One project as a single row; PD_ENOTFOUND when there is none. */
int pd_project_show(struct pd_warehouse *wh, const char *home, const char *id,
                    struct pd_sink *sink, struct pd_err *err);

/* PD_ENOTFOUND (with how to create it) unless project id exists. */
int pd_project_require(struct pd_warehouse *wh, const char *home, const char *id,
                       struct pd_err *err);

/* A new project and its folders; PD_EEXIST when it exists, PD_EINVAL for a bad name. */
int pd_project_create(struct pd_warehouse *wh, const char *home, const char *id,
                      const char *description, struct pd_err *err);

/*
 * Delete project id with everything it holds: its folder (analysis files,
 * skills), its schema, boards, run history and state. confirm must be the id
 * typed again. Either all of it goes or, on failure, none of it.
 */
int pd_project_delete(struct pd_warehouse *wh, const char *home, const char *id,
                      const char *confirm, struct pd_err *err);

#endif
