/*
 * chart.c - charts of a snapshot as inline SVG: bar, line, area, scatter and
 * pie, with axes, ticks and a legend. The x column gives categories (or a
 * numeric scale for line, area and scatter when it is numeric); each y column
 * is a series. Without x and y in the render config, x is the first column and
 * y every other numeric column.
 */
#include "boards/internal.h"

#include "base/alloc.h"
#include "base/jexact.h"
#include "base/buf.h"
#include "base/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 8

static const char *const palette[MAX_SERIES] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                "#59a14f", "#edc948", "#b07aa1", "#ff9da7"};

const char *board_chart_kind(const json_t *item)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *kind = json_string_value(json_object_get(json_object_get(item, "render"), "kind"));
    if (type && strcmp(type, "chart") == 0)
        return kind ? kind : "bar";
    if (type && strcmp(type, "analysis") == 0 && kind && strcmp(kind, "table") != 0)
        return kind;
    return NULL;
}

static int numeric_type(const char *t)
{
    static const char *const names[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                        "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
                                        "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL"};
    for (size_t i = 0; t && i < sizeof(names) / sizeof(names[0]); i++)
        if (strncmp(t, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

static long column_index(const json_t *columns, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(columns, i, c)
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return (long)i;
    return -1;
}

static int unknown_column(const json_t *columns, const char *field, const char *name,
                          struct pd_err *err)
{
    struct pd_buf names = PD_BUF_INIT;
    size_t i;
    json_t *c;
    int rc;
    json_array_foreach(columns, i, c)
        pd_buf_addf(&names, "%s%s", i ? ", " : "", json_string_value(json_object_get(c, "name")));
    rc = pd_fail(err, PD_EINVAL, "field '%s': no column '%s' in the result (columns: %s)", field,
                 name, names.ptr);
    pd_buf_release(&names);
    return rc;
}

struct axes {
    long x;
    long y[MAX_SERIES];
    int ny;
};

/* Resolve x and the y series of a chart item against its snapshot's columns. */
static int chart_axes(const json_t *item, const json_t *snapshot, struct axes *a,
                      struct pd_err *err)
{
    const json_t *render = json_object_get(item, "render"), *columns;
    const char *x = json_string_value(json_object_get(render, "x"));
    json_t *y = json_object_get(render, "y"), *c;
    size_t i;

    columns = json_object_get(snapshot, "columns");
    memset(a, 0, sizeof(*a));
    if (json_array_size(columns) == 0)
        return pd_fail(err, PD_EINVAL, "a chart needs a result with columns");
    a->x = x ? column_index(columns, x) : 0;
    if (a->x < 0)
        return unknown_column(columns, "render.x", x, err);
    if (y) {
        json_t *list = json_is_string(y) ? json_pack("[O]", y) : json_incref(y);
        json_array_foreach(list, i, c) {
            long k = column_index(columns, json_string_value(c));
            if (k < 0 || a->ny == MAX_SERIES) {
                int rc = k < 0 ? unknown_column(columns, "render.y", json_string_value(c), err)
                               : pd_fail(err, PD_EINVAL, "field 'render.y': at most %d series",
                                         MAX_SERIES);
                json_decref(list);
                return rc;
            }
            a->y[a->ny++] = k;
        }
        json_decref(list);
    } else {
        json_array_foreach(columns, i, c)
            if ((long)i != a->x && a->ny < MAX_SERIES &&
                numeric_type(json_string_value(json_object_get(c, "type"))))
                a->y[a->ny++] = (long)i;
        if (a->ny == 0)
            return pd_fail(err, PD_EINVAL,
                           "a chart needs a numeric column besides x (set field 'render.y')");
    }
    return 0;
}

int board_render_check(const json_t *item, const json_t *snapshot, struct pd_err *err)
{
    struct axes a;
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *col = json_string_value(json_object_get(json_object_get(item, "render"), "column"));
    if (board_chart_kind(item))
        return chart_axes(item, snapshot, &a, err);
    if (type && strcmp(type, "metric") == 0 && col &&
        column_index(json_object_get(snapshot, "columns"), col) < 0)
        return unknown_column(json_object_get(snapshot, "columns"), "render.column", col, err);
    return 0;
}

/* A point of a line or area, and its row (ties keep the rows' order). */
struct point {
    double x, y;
    size_t row;
};

static int by_x(const void *a, const void *b)
{
    const struct point *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return p->row < q->row ? -1 : p->row > q->row;
}

/* A cell as a number; 0 with *ok = 0 when it is not one. */
static double number(const json_t *v, int *ok)
{
    char *end;
    double d;
    *ok = 1;
    if (pd_json_is_number(v))
        return pd_json_number_value(v);
    if (json_is_string(v)) {
        d = strtod(json_string_value(v), &end);
        if (end != json_string_value(v) && *end == '\0')
            return d;
    }
    *ok = 0;
    return 0;
}

static void num_text(struct pd_buf *out, double v)
{
    double a = fabs(v);
    if (a >= 1e9)
        pd_buf_addf(out, "%.3gB", v / 1e9);
    else if (a >= 1e6)
        pd_buf_addf(out, "%.3gM", v / 1e6);
    else if (a >= 1e4)
        pd_buf_addf(out, "%.3gk", v / 1e3);
    else
        pd_buf_addf(out, "%.4g", v);
}

/* A step of 1, 2 or 5 times a power of ten giving about n ticks over span. */
static double nice_step(double span, int n)
{
    double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

struct scale {
    double lo, hi;     /* data range */
    double p0, p1;     /* pixels */
};

static double at(const struct scale *s, double v)
{
    return s->hi == s->lo ? (s->p0 + s->p1) / 2
                          : s->p0 + (v - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

static void text(struct pd_buf *out, double x, double y, const char *anchor, const char *extra,
                 const char *s, size_t max)
{
    struct pd_buf t = PD_BUF_INIT;
    pd_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor, extra);
    if (strlen(s) > max) {
        pd_buf_add(&t, s, max - 1);
        pd_buf_adds(&t, "\xe2\x80\xa6");
        board_html_escape(out, t.ptr);
    } else {
        board_html_escape(out, s);
    }
    pd_buf_adds(out, "</text>");
    pd_buf_release(&t);
}

static void legend(struct pd_buf *out, const json_t *columns, const struct axes *a, int width)
{
    double x = 56;
    for (int s = 0; s < a->ny && a->ny > 1; s++) {
        const char *name = json_string_value(json_object_get(json_array_get(columns, (size_t)a->y[s]), "name"));
        pd_buf_addf(out, "<rect x=\"%.1f\" y=\"6\" width=\"10\" height=\"10\" fill=\"%s\"/>", x,
                    palette[s]);
        text(out, x + 14, 15, "start", "", name, 24);
        x += 24 + 7.0 * (double)(strlen(name) < 24 ? strlen(name) : 24);
        if (x > width - 60)
            break;
    }
}

static void pie(struct pd_buf *out, const json_t *rows, const struct axes *a, int width, int height)
{
    double total = 0, angle = -M_PI / 2, cx = height / 2.0 + 8, cy = height / 2.0,
           r = height / 2.0 - 16;
    size_t i, k = 0;
    json_t *row;
    int ok;
    json_array_foreach(rows, i, row) {
        double v = number(json_array_get(row, (size_t)a->y[0]), &ok);
        if (ok && v > 0)
            total += v;
    }
    if (total <= 0)
        return;
    json_array_foreach(rows, i, row) {
        struct pd_buf label = PD_BUF_INIT;
        double v = number(json_array_get(row, (size_t)a->y[0]), &ok), sweep, x0, y0, x1, y1;
        const char *color = palette[k % MAX_SERIES];
        if (!ok || v <= 0)
            continue;
        sweep = v / total * 2 * M_PI;
        x0 = cx + r * cos(angle);
        y0 = cy + r * sin(angle);
        x1 = cx + r * cos(angle + sweep);
        y1 = cy + r * sin(angle + sweep);
        if (sweep >= 2 * M_PI - 1e-9)
            pd_buf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>", cx, cy, r,
                        color);
        else
            pd_buf_addf(out,
                        "<path d=\"M%.1f,%.1f L%.1f,%.1f A%.1f,%.1f 0 %d 1 %.1f,%.1f Z\" "
                        "fill=\"%s\" stroke=\"#fff\"/>",
                        cx, cy, x0, y0, r, r, sweep > M_PI, x1, y1, color);
        angle += sweep;
        if (k < 12) {
            double ly = 20 + 18.0 * (double)k;
            board_cell_text(&label, json_array_get(row, (size_t)a->x));
            pd_buf_addf(&label, " (%.1f%%)", v / total * 100);
            pd_buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                        cx + r + 24, ly - 9, color);
            text(out, cx + r + 40, ly, "start", "", label.ptr, (size_t)((width - cx - r - 48) / 7));
        }
        pd_buf_release(&label);
        k++;
    }
}

void board_chart_svg(const json_t *item, const json_t *snapshot, int width, int height,
                     struct pd_buf *out)
{
    const char *kind = board_chart_kind(item);
    const json_t *columns = json_object_get(snapshot, "columns"), *rows = json_object_get(snapshot, "rows");
    struct pd_err err = PD_ERR_INIT;
    struct axes a;
    struct scale xs, ys;
    size_t n = json_array_size(rows), i;
    json_t *row;
    int ok, numeric_x, bars;
    double lo = INFINITY, hi = -INFINITY, step;

    pd_buf_addf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                "height=\"%d\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">",
                width, height, width, height);
    if (chart_axes(item, snapshot, &a, &err) != 0 || n == 0) {
        text(out, width / 2.0, height / 2.0, "middle", " fill=\"#888\"", n ? err.msg : "no rows",
             200);
        pd_buf_adds(out, "</svg>");
        return;
    }
    if (strcmp(kind, "pie") == 0) {
        pie(out, rows, &a, width, height);
        pd_buf_adds(out, "</svg>");
        return;
    }
    bars = strcmp(kind, "bar") == 0;
    numeric_x = !bars && numeric_type(json_string_value(
                             json_object_get(json_array_get(columns, (size_t)a.x), "type")));
    /* ranges */
    xs.lo = INFINITY;
    xs.hi = -INFINITY;
    json_array_foreach(rows, i, row) {
        for (int s = 0; s < a.ny; s++) {
            double v = number(json_array_get(row, (size_t)a.y[s]), &ok);
            if (ok) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
        if (numeric_x) {
            double v = number(json_array_get(row, (size_t)a.x), &ok);
            if (ok) {
                xs.lo = fmin(xs.lo, v);
                xs.hi = fmax(xs.hi, v);
            }
        }
    }
    if (lo > hi)
        lo = hi = 0;
    if (bars || strcmp(kind, "area") == 0) {
        lo = fmin(lo, 0);
        hi = fmax(hi, 0);
    }
    if (hi == lo)
        hi = lo + 1;
    step = nice_step(hi - lo, 5);
    ys.lo = floor(lo / step) * step;
    ys.hi = ceil(hi / step) * step;
    ys.p0 = height - 40;
    ys.p1 = a.ny > 1 ? 28 : 12;
    xs.p0 = 64;
    xs.p1 = width - 16;
    if (!numeric_x) { /* categories sit in the middle of equal bands */
        xs.lo = -0.5;
        xs.hi = (double)n - 0.5;
    }
    legend(out, columns, &a, width);
    /* y grid and ticks */
    for (double t = ys.lo; t <= ys.hi + step / 2; t += step) {
        struct pd_buf label = PD_BUF_INIT;
        double y = at(&ys, t);
        pd_buf_addf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>",
                    xs.p0, y, xs.p1, y);
        num_text(&label, fabs(t) < step / 1e6 ? 0 : t);
        text(out, xs.p0 - 6, y + 4, "end", " fill=\"#555\"", label.ptr, 10);
        pd_buf_release(&label);
    }
    pd_buf_addf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>",
                xs.p0, ys.p0, xs.p1, ys.p0);
    /* x labels: at most about one per 60 pixels */
    {
        size_t every = (size_t)ceil((double)n / fmax(1, (xs.p1 - xs.p0) / 60));
        json_array_foreach(rows, i, row) {
            struct pd_buf label = PD_BUF_INIT;
            double x = numeric_x ? at(&xs, number(json_array_get(row, (size_t)a.x), &ok))
                                 : at(&xs, (double)i);
            if (i % every)
                continue;
            board_cell_text(&label, json_array_get(row, (size_t)a.x));
            text(out, x, ys.p0 + 16, "middle", " fill=\"#555\"", label.ptr, 12);
            pd_buf_release(&label);
        }
    }
    /* series */
    for (int s = 0; s < a.ny; s++) {
        const char *color = palette[s];
        double band = (xs.p1 - xs.p0) / (double)n, bw = band * 0.8 / a.ny;
        struct pd_buf path = PD_BUF_INIT;
        double first_x = 0, last_x = 0;
        struct point *pts = NULL;
        int points = 0;
        json_array_foreach(rows, i, row) {
            double v = number(json_array_get(row, (size_t)a.y[s]), &ok), x, y;
            if (!ok)
                continue;
            x = numeric_x ? at(&xs, number(json_array_get(row, (size_t)a.x), &ok)) : at(&xs, (double)i);
            y = at(&ys, v);
            if (bars) {
                double x0 = x - band * 0.4 + bw * s, y0 = at(&ys, 0);
                pd_buf_addf(out,
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
                            x0, fmin(y, y0), fmax(bw - 1, 1), fabs(y0 - y), color);
            } else if (strcmp(kind, "scatter") == 0) {
                pd_buf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, color);
            } else {
                pts = xrealloc(pts, (size_t)(points + 1) * sizeof(*pts));
                pts[points++] = (struct point){x, y, i};
            }
        }
        /* a line goes through its points in x order, whatever the rows' order */
        if (numeric_x && points > 1)
            qsort(pts, (size_t)points, sizeof(*pts), by_x);
        for (int k = 0; k < points; k++)
            pd_buf_addf(&path, "%s%.1f,%.1f", k ? " " : "", pts[k].x, pts[k].y);
        if (points) {
            first_x = pts[0].x;
            last_x = pts[points - 1].x;
        }
        free(pts);
        if (points && strcmp(kind, "area") == 0)
            pd_buf_addf(out, "<polygon points=\"%.1f,%.1f %s %.1f,%.1f\" fill=\"%s\" "
                             "fill-opacity=\"0.25\" stroke=\"none\"/>",
                        first_x, at(&ys, 0), path.ptr, last_x, at(&ys, 0), color);
        if (points)
            pd_buf_addf(out, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>",
                        path.ptr, color);
        pd_buf_release(&path);
    }
    pd_buf_adds(out, "</svg>");
}
