/*
 * internal.h - what the boards files share: item rules (items.c), snapshots
 * (items.c), the filter bar (filters.c), charts as SVG (chart.c) and Markdown
 * as HTML (markdown.c).
 */
#ifndef PD_BOARDS_INTERNAL_H
#define PD_BOARDS_INTERNAL_H

#include <jansson.h>

#include "boards/boards.h"

#define BOARD_COLUMNS 12

/* The full item (type, title?, position, payload, render?) against its type's rules. */
int board_item_check(const json_t *item, struct pd_err *err);

/* 1 when items of this type run a query (table, chart, metric, analysis). */
int board_item_has_query(const char *type);

/* Default position for a new item of type below the items already at the bottom (next_y). */
json_t *board_item_default_position(const char *type, long next_y);

/*
 * Run the item's query and give its result document parsed (new reference) in
 * *doc and as text (heap, numbers exact) in *text; both NULL for items without
 * a query. board_project is the board's project (analysis items default to it).
 */
int board_snapshot(const struct pd_boards_env *e, const char *board_project, const json_t *item,
                   const json_t *filter_values, json_t **doc, char **text, struct pd_err *err);

/* A board's filters (see filters.c) against their rules: PD_EINVAL naming the field. */
int board_filters_check(const json_t *filters, struct pd_err *err);

/* The parameter values the filters give: {"NAME_from": "2024-01-01", "NAME": null, ...}. */
json_t *board_filter_values(const json_t *filters);

/* sql with each :NAME written $NAME when values has NAME; any other :NAME is an error. */
struct pd_buf;
int board_filter_sql(const char *sql, const json_t *values, struct pd_buf *out, struct pd_err *err);

/*
 * Check that the render config of item names columns its snapshot has.
 * PD_EINVAL naming the field and the columns there are.
 */
int board_render_check(const json_t *item, const json_t *snapshot, struct pd_err *err);

/* The chart kind of an item (NULL for tables and non-chart items). */
const char *board_chart_kind(const json_t *item);

/* A chart of snapshot as an SVG element into out (width x height pixels). */
struct pd_buf;
void board_chart_svg(const json_t *item, const json_t *snapshot, int width, int height,
                     struct pd_buf *out);

/* Text with &, <, >, " and ' escaped. */
void board_html_escape(struct pd_buf *out, const char *s);

/* A Markdown subset (headings, paragraphs, lists, emphasis, code, links) as HTML. */
void board_markdown_html(struct pd_buf *out, const char *md);

/* A cell of a result document as text (NULL as ""). */
void board_cell_text(struct pd_buf *out, const json_t *v);

#endif
