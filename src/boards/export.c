/*
 * export.c - a board as a self-contained report: one HTML page (its own CSS,
 * items placed on the board's grid, tables, charts as inline SVG, notes as
 * HTML) or Markdown (tables, charts as SVG images inside data: URLs).
 */
#include "boards/internal.h"

#include "base/jexact.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define REPORT_MAX_ROWS 200

int pd_report_format_parse(const char *s, enum pd_report_format *out)
{
    if (strcmp(s, "html") == 0)
        *out = PD_REPORT_HTML;
    else if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
        *out = PD_REPORT_MD;
    else
        return PD_EINVAL;
    return 0;
}

void board_cell_text(struct pd_buf *out, const json_t *v)
{
    if (v == NULL || json_is_null(v))
        return;
    if (pd_json_is_number(v)) {
        pd_json_number_add(out, v); /* exactly as the snapshot holds it */
    } else if (json_is_string(v)) {
        pd_buf_adds(out, json_string_value(v));
    } else {
        char *t = pd_json_dumps_exact(v, JSON_ENCODE_ANY | JSON_COMPACT);
        pd_buf_adds(out, t);
        free(t);
    }
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int64_t row_count(const json_t *snap)
{
    json_t *n = json_object_get(snap, "row_count");
    return n ? json_integer_value(n) : (int64_t)json_array_size(json_object_get(snap, "rows"));
}

/* "as of TIME · N rows (first M shown)" */
static void as_of(struct pd_buf *out, const json_t *item, const json_t *snap, size_t shown)
{
    int64_t n = row_count(snap);
    pd_buf_addf(out, "as of %s", str(item, "snapshot_at") ? str(item, "snapshot_at") : "never");
    if (snap) {
        pd_buf_addf(out, " \xc2\xb7 %lld row%s", (long long)n, n == 1 ? "" : "s");
        if ((int64_t)shown < n)
            pd_buf_addf(out, " (first %zu shown)", shown);
    }
}

/* The metric's value: render.column (or the first column) of the first row. */
static void metric_value(struct pd_buf *out, const json_t *item, const json_t *snap)
{
    const json_t *render = json_object_get(item, "render");
    const char *col = str(render, "column");
    json_t *cols = json_object_get(snap, "columns"), *row = json_array_get(json_object_get(snap, "rows"), 0), *c;
    json_t *decimals = json_object_get(render, "decimals");
    size_t i, k = 0;
    json_array_foreach(cols, i, c)
        if (col && strcmp(str(c, "name"), col) == 0)
            k = i;
    if (str(render, "prefix"))
        pd_buf_adds(out, str(render, "prefix"));
    if (row == NULL)
        pd_buf_adds(out, "\xe2\x80\x94");
    else if (decimals && pd_json_is_number(json_array_get(row, k)))
        pd_buf_addf(out, "%.*f", (int)json_integer_value(decimals),
                    pd_json_number_value(json_array_get(row, k)));
    else
        board_cell_text(out, json_array_get(row, k));
    if (str(render, "suffix"))
        pd_buf_adds(out, str(render, "suffix"));
}

static const char *metric_label(const json_t *item, const json_t *snap)
{
    const json_t *render = json_object_get(item, "render");
    if (str(render, "label"))
        return str(render, "label");
    if (str(item, "title"))
        return str(item, "title");
    return str(json_array_get(json_object_get(snap, "columns"), 0), "name");
}

/* ---- HTML ------------------------------------------------------------------ */

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f7f9;"
    "color:#1f2328}header{padding:24px 32px 8px}h1{margin:0 0 4px;font-size:24px}"
    ".desc{margin:0 0 4px;color:#444}.meta{margin:0;color:#888;font-size:12px}"
    ".grid{display:grid;grid-template-columns:repeat(12,1fr);grid-auto-rows:minmax(56px,auto);"
    "gap:16px;padding:16px 32px 32px}.item{background:#fff;border:1px solid #e3e5e8;"
    "border-radius:8px;padding:12px 16px;overflow:auto;min-width:0}.item h2{font-size:15px;"
    "margin:0 0 8px}table{border-collapse:collapse;font-size:12px;width:100%}"
    "th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;white-space:nowrap}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#fafafa}"
    ".asof{color:#999;font-size:11px;margin:8px 0 0}.metric .value{font-size:32px;"
    "font-weight:600;margin:4px 0}.metric .label{color:#666;font-size:13px}"
    "svg{max-width:100%;height:auto}pre{background:#f4f4f4;padding:8px;overflow:auto}"
    "@media (max-width:800px){.grid{grid-template-columns:1fr}.item{grid-column:1!important;"
    "grid-row:auto!important}}";

static void html_table(struct pd_buf *out, const json_t *snap)
{
    json_t *cols = json_object_get(snap, "columns"), *rows = json_object_get(snap, "rows"), *c, *row;
    size_t i, k;
    pd_buf_adds(out, "<table><thead><tr>");
    json_array_foreach(cols, i, c) {
        pd_buf_adds(out, "<th>");
        board_html_escape(out, str(c, "name"));
        pd_buf_adds(out, "</th>");
    }
    pd_buf_adds(out, "</tr></thead><tbody>\n");
    json_array_foreach(rows, i, row) {
        if (i == REPORT_MAX_ROWS)
            break;
        pd_buf_adds(out, "<tr>");
        json_array_foreach(row, k, c) {
            struct pd_buf t = PD_BUF_INIT;
            board_cell_text(&t, c);
            pd_buf_adds(out, pd_json_is_number(c) ? "<td class=\"n\">" : "<td>");
            board_html_escape(out, t.ptr);
            pd_buf_adds(out, "</td>");
            pd_buf_release(&t);
        }
        pd_buf_adds(out, "</tr>\n");
    }
    pd_buf_adds(out, "</tbody></table>");
}

static void html_item(struct pd_buf *out, const json_t *item)
{
    const char *type = str(item, "type"), *title = str(item, "title");
    const json_t *pos = json_object_get(item, "position"), *snap = json_object_get(item, "snapshot");
    struct pd_buf t = PD_BUF_INIT;
    size_t rows = json_array_size(json_object_get(snap, "rows"));
    pd_buf_addf(out,
                "<section class=\"item %s\" style=\"grid-column:%lld / span %lld;grid-row:%lld / "
                "span %lld\">",
                type, (long long)json_integer_value(json_object_get(pos, "x")) + 1,
                (long long)json_integer_value(json_object_get(pos, "w")),
                (long long)json_integer_value(json_object_get(pos, "y")) + 1,
                (long long)json_integer_value(json_object_get(pos, "h")));
    if (title && strcmp(type, "metric") != 0) {
        pd_buf_adds(out, "<h2>");
        board_html_escape(out, title);
        pd_buf_adds(out, "</h2>");
    }
    if (strcmp(type, "markdown") == 0) {
        board_markdown_html(out, str(json_object_get(item, "payload"), "text"));
    } else if (snap == NULL || json_is_null(snap)) {
        pd_buf_adds(out, "<p class=\"asof\">no snapshot yet</p>");
    } else if (strcmp(type, "metric") == 0) {
        pd_buf_adds(out, "<div class=\"label\">");
        board_html_escape(out, metric_label(item, snap));
        pd_buf_adds(out, "</div><div class=\"value\">");
        metric_value(&t, item, snap);
        board_html_escape(out, t.ptr);
        pd_buf_adds(out, "</div>");
        rows = 1;
    } else if (board_chart_kind(item)) {
        long long w = json_integer_value(json_object_get(pos, "w"));
        board_chart_svg(item, snap, (int)(w * 80), 300, out);
    } else {
        html_table(out, snap);
        if (rows > REPORT_MAX_ROWS)
            rows = REPORT_MAX_ROWS;
    }
    if (snap && !json_is_null(snap)) {
        pd_buf_reset(&t);
        as_of(&t, item, snap, rows);
        pd_buf_adds(out, "<p class=\"asof\">");
        board_html_escape(out, t.ptr);
        pd_buf_adds(out, "</p>");
    }
    pd_buf_adds(out, "</section>\n");
    pd_buf_release(&t);
}

/* "Period: 2024-01-01 – 2024-03-31 · Region: EU" for a board's filters ("" when none). */
static void filters_text(const json_t *board, struct pd_buf *out)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(board, "filters"), i, f) {
        const char *label = str(f, "label") && *str(f, "label") ? str(f, "label") : str(f, "name");
        pd_buf_addf(out, "%s%s: ", i ? " \xc2\xb7 " : "", label);
        if (strcmp(str(f, "type"), "date_range") == 0)
            pd_buf_addf(out, "%s \xe2\x80\x93 %s", str(f, "from") && *str(f, "from") ? str(f, "from") : "\xe2\x80\xa6",
                        str(f, "to") && *str(f, "to") ? str(f, "to") : "\xe2\x80\xa6");
        else
            pd_buf_adds(out, str(f, "value") ? str(f, "value") : "all");
    }
}

static void html_report(const json_t *board, struct pd_buf *out, const char *now)
{
    struct pd_buf filters = PD_BUF_INIT;
    size_t i;
    json_t *item;
    pd_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                     "<meta name=\"generator\" content=\"pluto-duck " PD_VERSION "\"><title>");
    board_html_escape(out, str(board, "name"));
    pd_buf_addf(out, "</title><style>%s</style></head>\n<body><header><h1>", css);
    board_html_escape(out, str(board, "name"));
    pd_buf_adds(out, "</h1>");
    if (str(board, "description")) {
        pd_buf_adds(out, "<p class=\"desc\">");
        board_html_escape(out, str(board, "description"));
        pd_buf_adds(out, "</p>");
    }
    filters_text(board, &filters);
    if (filters.len) {
        pd_buf_adds(out, "<p class=\"filters\">");
        board_html_escape(out, filters.ptr);
        pd_buf_adds(out, "</p>");
    }
    pd_buf_release(&filters);
    pd_buf_adds(out, "<p class=\"meta\">project ");
    board_html_escape(out, str(board, "project"));
    pd_buf_addf(out, " \xc2\xb7 exported %s by pluto-duck</p></header>\n<main class=\"grid\">\n",
                now);
    json_array_foreach(json_object_get(board, "items"), i, item)
        html_item(out, item);
    pd_buf_adds(out, "</main></body></html>\n");
}

/* ---- Markdown -------------------------------------------------------------- */

static void md_cell(struct pd_buf *out, const json_t *v)
{
    struct pd_buf t = PD_BUF_INIT;
    board_cell_text(&t, v);
    for (const char *p = t.ptr; *p; p++) {
        if (*p == '|')
            pd_buf_adds(out, "\\|");
        else if (*p == '\n' || *p == '\r')
            pd_buf_addc(out, ' ');
        else
            pd_buf_addc(out, *p);
    }
    pd_buf_release(&t);
}

static void md_table(struct pd_buf *out, const json_t *snap)
{
    json_t *cols = json_object_get(snap, "columns"), *rows = json_object_get(snap, "rows"), *c, *row;
    size_t i, k;
    pd_buf_addc(out, '|');
    json_array_foreach(cols, i, c) {
        pd_buf_addc(out, ' ');
        md_cell(out, json_object_get(c, "name"));
        pd_buf_adds(out, " |");
    }
    pd_buf_adds(out, "\n|");
    json_array_foreach(cols, i, c)
        pd_buf_adds(out, " --- |");
    pd_buf_addc(out, '\n');
    json_array_foreach(rows, i, row) {
        if (i == REPORT_MAX_ROWS)
            break;
        pd_buf_addc(out, '|');
        json_array_foreach(row, k, c) {
            pd_buf_addc(out, ' ');
            md_cell(out, c);
            pd_buf_adds(out, " |");
        }
        pd_buf_addc(out, '\n');
    }
}

static void base64(struct pd_buf *out, const unsigned char *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        pd_buf_addc(out, abc[v >> 18 & 63]);
        pd_buf_addc(out, abc[v >> 12 & 63]);
        pd_buf_addc(out, i + 1 < n ? abc[v >> 6 & 63] : '=');
        pd_buf_addc(out, i + 2 < n ? abc[v & 63] : '=');
    }
}

static void md_item(struct pd_buf *out, const json_t *item)
{
    const char *type = str(item, "type"), *title = str(item, "title");
    const json_t *snap = json_object_get(item, "snapshot");
    size_t rows = json_array_size(json_object_get(snap, "rows"));
    if (title && strcmp(type, "metric") != 0) {
        pd_buf_adds(out, "## ");
        md_cell(out, json_object_get(item, "title"));
        pd_buf_adds(out, "\n\n");
    }
    if (strcmp(type, "markdown") == 0) {
        pd_buf_adds(out, str(json_object_get(item, "payload"), "text"));
        pd_buf_adds(out, "\n\n");
        return;
    }
    if (snap == NULL || json_is_null(snap)) {
        pd_buf_adds(out, "_no snapshot yet_\n\n");
        return;
    }
    if (strcmp(type, "metric") == 0) {
        json_t *label = json_string(metric_label(item, snap));
        pd_buf_adds(out, "**");
        md_cell(out, label);
        pd_buf_adds(out, ":** ");
        metric_value(out, item, snap);
        pd_buf_adds(out, "\n\n");
        json_decref(label);
        rows = 1;
    } else if (board_chart_kind(item)) {
        struct pd_buf svg = PD_BUF_INIT;
        board_chart_svg(item, snap, 720, 300, &svg);
        pd_buf_adds(out, "![");
        md_cell(out, json_object_get(item, "title"));
        pd_buf_adds(out, "](data:image/svg+xml;base64,");
        base64(out, (const unsigned char *)svg.ptr, svg.len);
        pd_buf_adds(out, ")\n\n");
        pd_buf_release(&svg);
    } else {
        md_table(out, snap);
        pd_buf_addc(out, '\n');
        if (rows > REPORT_MAX_ROWS)
            rows = REPORT_MAX_ROWS;
    }
    pd_buf_adds(out, "_");
    as_of(out, item, snap, rows);
    pd_buf_adds(out, "_\n\n");
}

static void md_report(const json_t *board, struct pd_buf *out, const char *now)
{
    size_t i;
    json_t *item;
    struct pd_buf filters = PD_BUF_INIT;
    pd_buf_addf(out, "# %s\n\n", str(board, "name"));
    if (str(board, "description"))
        pd_buf_addf(out, "%s\n\n", str(board, "description"));
    filters_text(board, &filters);
    if (filters.len)
        pd_buf_addf(out, "**%s**\n\n", filters.ptr);
    pd_buf_release(&filters);
    pd_buf_addf(out, "_project %s \xc2\xb7 exported %s by pluto-duck_\n\n", str(board, "project"),
                now);
    json_array_foreach(json_object_get(board, "items"), i, item)
        md_item(out, item);
}

void pd_report_render(const json_t *board, enum pd_report_format fmt, struct pd_buf *out)
{
    char now[40];
    pd_time_iso(pd_now_ms(), now, sizeof(now));
    if (fmt == PD_REPORT_HTML)
        html_report(board, out, now);
    else
        md_report(board, out, now);
}

int pd_board_export(const struct pd_boards_env *e, const char *project, const char *board,
                    enum pd_report_format fmt, struct pd_buf *out, struct pd_err *err)
{
    char *text;
    json_t *b;
    json_error_t jerr;
    int rc = pd_board_get(e, project, board, &text, err);
    if (rc)
        return rc;
    if ((b = pd_json_loads_exact(text, 0, &jerr)) == NULL) {
        rc = pd_fail(err, PD_EINTERNAL, "export: %s", jerr.text);
    } else {
        pd_report_render(b, fmt, out);
        json_decref(b);
    }
    free(text);
    return rc;
}
