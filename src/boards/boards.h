/*
 * boards.h - boards: a project's pages of results, shared as a report.
 *
 * A board has a name (unique in its project), a description and items laid
 * out on a 12-column grid. Each item has a type, a title, a position
 * {x, y, w, h}, a payload and a render config:
 *
 *   markdown  payload {text}
 *   table     payload {sql, limit?}
 *   chart     payload {sql, limit?}     render {kind: bar|line|area|scatter|pie, x?, y?}
 *   metric    payload {sql}             render {label?, column?, prefix?, suffix?, decimals?}
 *   analysis  payload {analysis, project?, params?, limit?}   render {kind?: table or a chart kind, x?, y?}
 *
 * An item's query (one read-only statement) runs when the item is added or
 * its payload changes, and on refresh; its result is stored as the item's
 * snapshot (a result document, see pd_sink_new_doc) with the time it was
 * taken. A query that fails changes nothing: the item keeps its old snapshot
 * (and a new item is not added). Boards export as a self-contained HTML page
 * or Markdown (tables, charts as inline SVG).
 *
 * Boards and items are JSON documents, given as text (numbers exactly as
 * DuckDB gave them); boards are found by id or by name.
 */
#ifndef PD_BOARDS_H
#define PD_BOARDS_H

#include <jansson.h>

struct pd_buf;
struct pd_err;
struct pd_history;
struct pd_sink;
struct pd_warehouse;

struct pd_boards_env {
    struct pd_warehouse *wh;
    const char *home;           /* the data home (projects, for analysis items) */
    double timeout_s;           /* item queries; 0: no limit */
    struct pd_history *history; /* item queries are recorded here (NULL: not) */
};

/* id, name, description, items, created_at, updated_at of a project's boards. */
int pd_boards_list(const struct pd_boards_env *e, const char *project, struct pd_sink *sink,
                   struct pd_err *err);

/* Each gives the board with its items as JSON text in *out (heap). */
int pd_board_create(const struct pd_boards_env *e, const char *project, const char *name,
                    const char *description, char **out, struct pd_err *err);
int pd_board_get(const struct pd_boards_env *e, const char *project, const char *board,
                 char **out, struct pd_err *err);
/* changes: {name?, description?, filters?} (filters: see filters.c); new filter values reach
   the items' snapshots when they are next taken (pd_board_refresh). */
int pd_board_update(const struct pd_boards_env *e, const char *project, const char *board,
                    const json_t *changes, char **out, struct pd_err *err);
int pd_board_delete(const struct pd_boards_env *e, const char *project, const char *board,
                    struct pd_err *err);

/*
 * Add an item {type, title?, position?, payload, render?} (its snapshot taken
 * now); *out is the new item. A field that breaks the rules above is PD_EINVAL
 * naming it ("field 'payload.sql' ...").
 */
int pd_board_item_add(const struct pd_boards_env *e, const char *project, const char *board,
                      const json_t *spec, char **out, struct pd_err *err);
/* Change an item's title, position, payload or render; a new payload takes a new snapshot. */
int pd_board_item_update(const struct pd_boards_env *e, const char *project, const char *board,
                         const char *item, const json_t *changes, char **out,
                         struct pd_err *err);
int pd_board_item_delete(const struct pd_boards_env *e, const char *project, const char *board,
                         const char *item, struct pd_err *err);

/*
 * Take new snapshots of one item (item set) or of every item with a query.
 * *out is the board; items whose query failed keep their snapshot and are
 * listed in its "refresh_errors" [{item, title, error}]. Returns an error only
 * when the board cannot be read, or item alone was asked for and failed.
 */
int pd_board_refresh(const struct pd_boards_env *e, const char *project, const char *board,
                     const char *item, char **out, struct pd_err *err);

enum pd_report_format { PD_REPORT_HTML, PD_REPORT_MD };
int pd_report_format_parse(const char *s, enum pd_report_format *out);

/* The board as a self-contained report into out. */
int pd_board_export(const struct pd_boards_env *e, const char *project, const char *board,
                    enum pd_report_format fmt, struct pd_buf *out, struct pd_err *err);

/* Render a board document (as pd_board_get gives) as a report. */
void pd_report_render(const json_t *board, enum pd_report_format fmt, struct pd_buf *out);

#endif
