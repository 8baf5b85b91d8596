/*
 * internal.h - what the boards files share: item rules (items.c), snapshots
 * (items.c), charts as SVG (chart.c) and Markdown as HTML (markdown.c).
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
                   json_t **doc, char **text, struct pd_err *err);

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
