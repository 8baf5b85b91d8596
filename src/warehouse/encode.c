/*
 * encode.c - table, CSV, JSON and JSONL result writers (see encode.h).
 */
#include "warehouse/encode.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/timeutil.h"
#include "warehouse/scalar.h"
#include "warehouse/value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FLUSH_AT (1 << 16)

int pd_format_parse(const char *name, enum pd_format *fmt)
{
    static const char *const names[] = {"table", "csv", "json", "jsonl"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *fmt = (enum pd_format)i;
            return 0;
        }
    return PD_EINVAL;
}

/* ---- shared streaming state ---- */

struct stream {
    struct pd_sink sink;
    enum pd_format fmt;
    FILE *out;
    struct pd_buf buf;
    const struct pd_columns *cols;
    char **keys; /* JSON: each column's "name": prefix */
    idx_t n_keys;
    size_t *key_lens;
    uint64_t rows;
    struct pd_table_opts topts;
    /* table only */
    char ***cells; /* [row][col] text, already cut */
    size_t n_cells, cap_cells;
    int *numeric;
    duckdb_vector *vecs; /* this chunk's vectors, one per column */
    struct pd_scalar_writer *writers; /* CSV / JSON: every column's, or NULL (see pick_writers) */
    const void **data;                /* this chunk's column data and validity (with writers) */
    uint64_t **valid;
    struct pd_buf cell;  /* CSV: one cell's text before quoting */
};

static int flush(struct stream *st, struct pd_err *err)
{
    if (st->buf.len && fwrite(st->buf.ptr, 1, st->buf.len, st->out) != st->buf.len)
        return pd_fail(err, PD_EIO, "cannot write the result: %s", strerror(errno));
    pd_buf_reset(&st->buf);
    return 0;
}

/* The keys go by their own count: cols belongs to the query, gone after a failure. */
static void free_keys(struct stream *st)
{
    if (st->keys)
        for (idx_t i = 0; i < st->n_keys; i++)
            free(st->keys[i]);
    st->n_keys = 0;
    free(st->keys);
    free(st->key_lens);
    st->keys = NULL;
    st->key_lens = NULL;
}

/* ---- CSV / JSON / JSONL ---- */

/* A CSV field at p, which has room for 2n + 2 bytes; returns the end. */
static char *csv_put_field(char *p, const char *s, size_t n)
{
    /* an empty string is "" (as DuckDB's COPY writes it): a bare empty field is NULL */
    int quote = n == 0 || s[0] == ' ' || s[n - 1] == ' ';
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        memcpy(p, s, n);
        return p + n;
    }
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *p++ = '"';
        *p++ = s[i];
    }
    *p++ = '"';
    return p;
}

void pd_csv_add_field(struct pd_buf *b, const char *s, size_t n)
{
    if (pd_buf_grow(b, 2 * n + 2) == 0)
        pd_buf_set_end(b, csv_put_field(b->ptr + b->len, s, n));
}

static char *csv_put_varchar(char *p, const struct pd_coltype *t, const void *data, idx_t row)
{
    const char *s;
    uint32_t n;
    (void)t;
    pd_string_at(data, row, &s, &n);
    return csv_put_field(p, s, n);
}

/*
 * Every column's writer, when every column has one (then each chunk is written
 * in one reserved stretch of the buffer); st->writers stays NULL when some
 * column needs value.c's general path (nested types, blobs, intervals...).
 */
static void pick_writers(struct stream *st, const struct pd_columns *cols)
{
    free(st->writers);
    st->writers = NULL;
    if (cols->n == 0)
        return;
    st->writers = xcalloc(cols->n, sizeof(*st->writers));
    for (idx_t c = 0; c < cols->n; c++) {
        struct pd_scalar_writer *w = &st->writers[c];
        if (pd_scalar_pick(cols->types[c], st->fmt != PD_FORMAT_CSV, w) != 0) {
            free(st->writers);
            st->writers = NULL;
            return;
        }
        if (st->fmt == PD_FORMAT_CSV && w->string) {
            w->put = csv_put_varchar;
            w->room = 2;
        }
    }
}

static int stream_begin(struct pd_sink *s, const struct pd_columns *cols, struct pd_err *err)
{
    struct stream *st = (struct stream *)s;
    (void)err;
    st->cols = cols;
    st->rows = 0;
    if (cols->kind != DUCKDB_RESULT_TYPE_QUERY_RESULT)
        return 0;
    free(st->vecs);
    st->vecs = xcalloc(cols->n ? cols->n : 1, sizeof(duckdb_vector));
    free(st->data);
    free(st->valid);
    st->data = xcalloc(cols->n ? cols->n : 1, sizeof(*st->data));
    st->valid = xcalloc(cols->n ? cols->n : 1, sizeof(*st->valid));
    pick_writers(st, cols);
    if (st->fmt == PD_FORMAT_CSV) {
        for (idx_t i = 0; i < cols->n; i++) {
            if (i)
                pd_buf_addc(&st->buf, ',');
            pd_csv_add_field(&st->buf, cols->names[i], strlen(cols->names[i]));
        }
        pd_buf_addc(&st->buf, '\n');
    } else {
        struct pd_buf k = PD_BUF_INIT;
        free_keys(st);
        st->keys = xcalloc(cols->n ? cols->n : 1, sizeof(char *));
        st->n_keys = cols->n;
        st->key_lens = xcalloc(cols->n ? cols->n : 1, sizeof(size_t));
        for (idx_t i = 0; i < cols->n; i++) {
            pd_buf_adds(&k, i ? "," : "{");
            pd_json_add_string(&k, cols->names[i], strlen(cols->names[i]));
            pd_buf_addc(&k, ':');
            st->keys[i] = pd_buf_detach(&k, &st->key_lens[i]);
        }
        if (st->fmt == PD_FORMAT_JSON)
            pd_buf_addc(&st->buf, '[');
    }
    return 0;
}

/* A chunk whose columns all have writers: room for all of it at once, then no checks. */
static void fast_rows(struct stream *st, idx_t n)
{
    const struct pd_columns *cols = st->cols;
    int json = st->fmt != PD_FORMAT_CSV;
    size_t room = 0;
    char *p;

    for (idx_t c = 0; c < cols->n; c++) {
        const struct pd_scalar_writer *w = &st->writers[c];
        st->data[c] = duckdb_vector_get_data(st->vecs[c]);
        st->valid[c] = duckdb_vector_get_validity(st->vecs[c]);
        room += ((json ? st->key_lens[c] : 1) + 4) * n; /* key or comma, and "null" */
        if (!w->string) {
            room += w->room * n;
            continue;
        }
        for (idx_t r = 0; r < n; r++) /* a NULL's string is not to be read */
            if (!st->valid[c] || duckdb_validity_row_is_valid(st->valid[c], r))
                room += pd_scalar_room(w, st->data[c], r);
    }
    room += 3 * n; /* ",\n" and "}" or "\n" */
    if (pd_buf_grow(&st->buf, room) != 0)
        return;
    p = st->buf.ptr + st->buf.len;
    for (idx_t r = 0; r < n; r++, st->rows++) {
        if (st->fmt == PD_FORMAT_JSON) {
            if (st->rows)
                *p++ = ',';
            *p++ = '\n';
        }
        for (idx_t c = 0; c < cols->n; c++) {
            if (json) {
                memcpy(p, st->keys[c], st->key_lens[c]);
                p += st->key_lens[c];
            } else if (c) {
                *p++ = ',';
            }
            if (st->valid[c] && !duckdb_validity_row_is_valid(st->valid[c], r)) {
                if (json) {
                    memcpy(p, "null", 4);
                    p += 4;
                }
                continue;
            }
            p = st->writers[c].put(p, cols->types[c], st->data[c], r);
        }
        if (json)
            *p++ = '}';
        if (st->fmt != PD_FORMAT_JSON)
            *p++ = '\n';
    }
    pd_buf_set_end(&st->buf, p);
}

static int stream_rows(struct pd_sink *s, duckdb_data_chunk chunk, idx_t n, struct pd_err *err)
{
    struct stream *st = (struct stream *)s;
    const struct pd_columns *cols = st->cols;
    duckdb_vector *vecs = st->vecs;
    int rc;

    if (cols->kind != DUCKDB_RESULT_TYPE_QUERY_RESULT)
        return 0;
    for (idx_t c = 0; c < cols->n; c++)
        vecs[c] = duckdb_data_chunk_get_vector(chunk, c);
    if (st->writers) {
        fast_rows(st, n);
        return st->buf.len >= FLUSH_AT ? flush(st, err) : 0;
    }
    for (idx_t r = 0; r < n; r++) {
        if (st->fmt == PD_FORMAT_CSV) {
            for (idx_t c = 0; c < cols->n; c++) {
                if (c)
                    pd_buf_addc(&st->buf, ',');
                if (pd_value_is_null(vecs[c], r))
                    continue;
                pd_buf_reset(&st->cell);
                pd_value_text(&st->cell, cols->types[c], vecs[c], r);
                pd_csv_add_field(&st->buf, st->cell.ptr, st->cell.len);
            }
            pd_buf_addc(&st->buf, '\n');
        } else {
            if (st->fmt == PD_FORMAT_JSON)
                pd_buf_adds(&st->buf, st->rows ? ",\n" : "\n");
            if (cols->n == 0)
                pd_buf_addc(&st->buf, '{');
            for (idx_t c = 0; c < cols->n; c++) {
                pd_buf_add(&st->buf, st->keys[c], st->key_lens[c]);
                pd_value_json(&st->buf, cols->types[c], vecs[c], r);
            }
            pd_buf_addc(&st->buf, '}');
            if (st->fmt == PD_FORMAT_JSONL)
                pd_buf_addc(&st->buf, '\n');
        }
        st->rows++;
        if (st->buf.len >= FLUSH_AT && (rc = flush(st, err)) != 0)
            return rc;
    }
    return 0;
}

static int stream_end(struct pd_sink *s, const struct pd_result_end *end, struct pd_err *err)
{
    struct stream *st = (struct stream *)s;
    (void)end;
    if (st->cols && st->cols->kind == DUCKDB_RESULT_TYPE_QUERY_RESULT && st->fmt == PD_FORMAT_JSON)
        pd_buf_adds(&st->buf, st->rows ? "\n]\n" : "]\n");
    free_keys(st);
    int rc = flush(st, err);
    if (rc == 0 && fflush(st->out) != 0)
        rc = pd_fail(err, PD_EIO, "cannot write the result: %s", strerror(errno));
    return rc;
}

/* ---- table ---- */

static unsigned utf8_next(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    unsigned c = *p++, n = 0, cp;
    if (c < 0x80)
        cp = c;
    else if ((c & 0xe0) == 0xc0)
        cp = c & 0x1f, n = 1;
    else if ((c & 0xf0) == 0xe0)
        cp = c & 0x0f, n = 2;
    else if ((c & 0xf8) == 0xf0)
        cp = c & 0x07, n = 3;
    else
        cp = 0xfffd;
    while (n-- && p < end && (*p & 0xc0) == 0x80)
        cp = (cp << 6) | (*p++ & 0x3f);
    *pp = p;
    return cp;
}

static int cp_width(unsigned cp)
{
    if (cp == 0)
        return 0;
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || cp == 0xfe0f)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
        (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
        (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
        (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
        (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
        return 2;
    return 1;
}

int pd_display_width(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    int w = 0;
    while (p < end)
        w += cp_width(utf8_next(&p, end));
    return w;
}

/* A copy of s with control characters made visible, cut to max display columns with "…". */
static char *cell_text(const char *s, size_t n, int max)
{
    struct pd_buf b = PD_BUF_INIT;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    int limit = pd_display_width(s, n) > max ? max - 1 : max, w = 0;

    while (p < end) {
        const unsigned char *start = p;
        unsigned cp = utf8_next(&p, end);
        int cw = cp < 0x20 || cp == 0x7f ? 1 : cp_width(cp);
        if (w + cw > limit)
            break;
        if (cp == '\n')
            pd_buf_adds(&b, "\xe2\x86\xb5"); /* ↵ */
        else if (cp < 0x20 || cp == 0x7f)
            pd_buf_addc(&b, ' ');
        else
            pd_buf_add(&b, start, (size_t)(p - start));
        w += cw;
    }
    if (limit < max)
        pd_buf_adds(&b, "\xe2\x80\xa6");
    return pd_buf_detach(&b, NULL);
}

static int table_begin(struct pd_sink *s, const struct pd_columns *cols, struct pd_err *err)
{
    struct stream *st = (struct stream *)s;
    (void)err;
    st->cols = cols;
    st->rows = 0;
    st->n_cells = 0;
    free(st->numeric);
    st->numeric = xcalloc(cols->n ? cols->n : 1, sizeof(int));
    for (idx_t i = 0; i < cols->n; i++)
        st->numeric[i] = pd_coltype_is_numeric(cols->types[i]);
    return 0;
}

static int table_rows(struct pd_sink *s, duckdb_data_chunk chunk, idx_t n, struct pd_err *err)
{
    struct stream *st = (struct stream *)s;
    const struct pd_columns *cols = st->cols;
    struct pd_buf tmp = PD_BUF_INIT;
    (void)err;

    if (cols->kind != DUCKDB_RESULT_TYPE_QUERY_RESULT)
        return 0;
    for (idx_t r = 0; r < n; r++) {
        if (st->n_cells == st->cap_cells) {
            st->cap_cells = st->cap_cells ? st->cap_cells * 2 : 64;
            st->cells = xrealloc(st->cells, st->cap_cells * sizeof(*st->cells));
        }
        char **row = xcalloc(cols->n ? cols->n : 1, sizeof(char *));
        for (idx_t c = 0; c < cols->n; c++) {
            duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
            pd_buf_reset(&tmp);
            pd_value_text(&tmp, cols->types[c], v, r);
            row[c] = cell_text(tmp.ptr, tmp.len, st->topts.max_cell);
        }
        st->cells[st->n_cells++] = row;
        st->rows++;
    }
    pd_buf_release(&tmp);
    return 0;
}

static void pad(struct pd_buf *b, int n, const char *with)
{
    for (int i = 0; i < n; i++)
        pd_buf_adds(b, with);
}

static void rule(struct pd_buf *b, const int *w, idx_t ncols, const char *l, const char *m,
                 const char *r, int more)
{
    pd_buf_adds(b, l);
    for (idx_t c = 0; c < ncols; c++) {
        pad(b, w[c] + 2, "\xe2\x94\x80");
        pd_buf_adds(b, c + 1 < ncols || more ? m : r);
    }
    if (more) {
        pad(b, 3, "\xe2\x94\x80");
        pd_buf_adds(b, r);
    }
    pd_buf_addc(b, '\n');
}

static void row_line(struct pd_buf *b, const int *w, idx_t ncols, const char *const *texts,
                     const int *right, int more, const char *more_text)
{
    pd_buf_adds(b, "\xe2\x94\x82");
    for (idx_t c = 0; c < ncols; c++) {
        int tw = pd_display_width(texts[c], strlen(texts[c]));
        pd_buf_addc(b, ' ');
        if (right && right[c])
            pad(b, w[c] - tw, " ");
        pd_buf_adds(b, texts[c]);
        if (!(right && right[c]))
            pad(b, w[c] - tw, " ");
        pd_buf_adds(b, " \xe2\x94\x82");
    }
    if (more)
        pd_buf_addf(b, " %s \xe2\x94\x82", more_text);
    pd_buf_addc(b, '\n');
}

static void group_digits(char *out, size_t size, uint64_t v)
{
    char raw[32];
    int n = snprintf(raw, sizeof(raw), "%llu", (unsigned long long)v), k = 0;
    for (int i = 0; i < n && (size_t)k + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = raw[i];
    }
    out[k] = '\0';
}

static int table_end(struct pd_sink *s, const struct pd_result_end *end, struct pd_err *err)
{
    struct stream *st = (struct stream *)s;
    const struct pd_columns *cols = st->cols;
    struct pd_buf *b = &st->buf;
    idx_t ncols = cols->n, shown;
    int *w, used = 1, rc;
    char total[32], sent[32];

    if (cols->kind == DUCKDB_RESULT_TYPE_CHANGED_ROWS) {
        group_digits(total, sizeof(total), end->rows_total);
        pd_buf_addf(b, "%s %s row%s\n", cols->statement_type, total,
                    end->rows_total == 1 ? "" : "s");
    } else if (cols->kind == DUCKDB_RESULT_TYPE_NOTHING) {
        if (st->topts.show_footer)
            pd_buf_addf(b, "%s\n", cols->statement_type);
    } else {
        w = xcalloc(ncols ? ncols : 1, sizeof(int));
        char **names = xcalloc(ncols ? ncols : 1, sizeof(char *));
        char **types = xcalloc(ncols ? ncols : 1, sizeof(char *));
        for (idx_t c = 0; c < ncols; c++) {
            names[c] = cell_text(cols->names[c], strlen(cols->names[c]), st->topts.max_cell);
            types[c] = cell_text(cols->types[c]->name, strlen(cols->types[c]->name),
                                 st->topts.max_cell);
            w[c] = pd_display_width(names[c], strlen(names[c]));
            int tw = pd_display_width(types[c], strlen(types[c]));
            if (tw > w[c])
                w[c] = tw;
            for (size_t r = 0; r < st->n_cells; r++) {
                int cw = pd_display_width(st->cells[r][c], strlen(st->cells[r][c]));
                if (cw > w[c])
                    w[c] = cw;
            }
        }
        /* Keep the columns that fit the width, leaving room for a "…" column. */
        for (shown = 0; shown < ncols; shown++) {
            int need = w[shown] + 3;
            int reserve = shown + 1 < ncols ? 6 : 0;
            if (st->topts.width > 0 && used + need + reserve > st->topts.width && shown > 0)
                break;
            used += need;
        }
        int more = shown < ncols;
        const char **line = xcalloc(ncols ? ncols : 1, sizeof(char *));
        rule(b, w, shown, "\xe2\x94\x8c", "\xe2\x94\xac", "\xe2\x94\x90", more);
        row_line(b, w, shown, (const char *const *)names, NULL, more, "\xe2\x80\xa6");
        row_line(b, w, shown, (const char *const *)types, NULL, more, " ");
        rule(b, w, shown, "\xe2\x94\x9c", "\xe2\x94\xbc", "\xe2\x94\xa4", more);
        for (size_t r = 0; r < st->n_cells; r++) {
            for (idx_t c = 0; c < shown; c++)
                line[c] = st->cells[r][c];
            row_line(b, w, shown, line, st->numeric, more, " ");
            if (b->len >= FLUSH_AT && (rc = flush(st, err)) != 0)
                return rc;
        }
        rule(b, w, shown, "\xe2\x94\x94", "\xe2\x94\xb4", "\xe2\x94\x98", more);
        if (st->topts.show_footer) {
            group_digits(total, sizeof(total), end->rows_total);
            group_digits(sent, sizeof(sent), end->rows_sent);
            if (end->rows_sent < end->rows_total)
                pd_buf_addf(b, "%s rows (%s shown; use --limit N, or --format csv|json for all)",
                            total, sent);
            else
                pd_buf_addf(b, "%s row%s", total, end->rows_total == 1 ? "" : "s");
            if (more)
                pd_buf_addf(b, ", %llu columns (%llu shown)", (unsigned long long)ncols,
                            (unsigned long long)shown);
            if (st->topts.timer)
                pd_buf_addf(b, "  [%.3f s]", end->elapsed_s);
            pd_buf_addc(b, '\n');
        }
        for (idx_t c = 0; c < ncols; c++) {
            free(names[c]);
            free(types[c]);
        }
        free(names);
        free(types);
        free(line);
        free(w);
    }
    for (size_t r = 0; r < st->n_cells; r++) {
        for (idx_t c = 0; c < ncols; c++)
            free(st->cells[r][c]);
        free(st->cells[r]);
    }
    st->n_cells = 0;
    rc = flush(st, err);
    if (rc == 0 && fflush(st->out) != 0)
        rc = pd_fail(err, PD_EIO, "cannot write the result: %s", strerror(errno));
    return rc;
}

static void sink_free(struct pd_sink *s)
{
    struct stream *st = (struct stream *)s;
    free_keys(st);
    for (size_t r = 0; r < st->n_cells; r++) {
        for (idx_t c = 0; st->cols && c < st->cols->n; c++)
            free(st->cells[r][c]);
        free(st->cells[r]);
    }
    free(st->cells);
    free(st->numeric);
    free(st->vecs);
    free(st->writers);
    free(st->data);
    free(st->valid);
    pd_buf_release(&st->cell);
    pd_buf_release(&st->buf);
    free(st);
}

struct pd_sink *pd_sink_new(enum pd_format fmt, FILE *out, const struct pd_table_opts *topts)
{
    struct stream *st = xcalloc(1, sizeof(*st));
    st->fmt = fmt;
    st->out = out;
    if (topts)
        st->topts = *topts;
    if (st->topts.max_cell <= 1)
        st->topts.max_cell = 40;
    if (fmt == PD_FORMAT_TABLE) {
        st->sink.begin = table_begin;
        st->sink.rows = table_rows;
        st->sink.end = table_end;
    } else {
        st->sink.begin = stream_begin;
        st->sink.rows = stream_rows;
        st->sink.end = stream_end;
    }
    st->sink.free = sink_free;
    return &st->sink;
}

void pd_sink_free(struct pd_sink *s)
{
    if (s)
        s->free(s);
}

struct result_cols {
    struct pd_columns pub;
    char **names;
};

static void cols_init(struct result_cols *rc, duckdb_result *res, const char *stype)
{
    idx_t n = duckdb_column_count(res);
    rc->pub.n = n;
    rc->pub.kind = duckdb_result_return_type(*res);
    rc->pub.statement_type = stype;
    rc->pub.result = res;
    rc->names = xcalloc(n ? n : 1, sizeof(char *));
    rc->pub.types = xcalloc(n ? n : 1, sizeof(struct pd_coltype *));
    for (idx_t i = 0; i < n; i++) {
        duckdb_logical_type lt = duckdb_column_logical_type(res, i);
        const char *name = duckdb_column_name(res, i);
        rc->names[i] = xstrdup(name ? name : "");
        rc->pub.types[i] = pd_coltype_new(lt);
        duckdb_destroy_logical_type(&lt);
    }
    rc->pub.names = (const char **)rc->names;
}

static void cols_release(struct result_cols *rc)
{
    for (idx_t i = 0; i < rc->pub.n; i++) {
        free(rc->names[i]);
        pd_coltype_free(rc->pub.types[i]);
    }
    free(rc->names);
    free(rc->pub.types);
}

int pd_sink_result(struct pd_sink *sink, duckdb_result *res, const char *stype, uint64_t limit,
                   double t0, struct pd_result_end *end, struct pd_err *err)
{
    struct result_cols cols;
    duckdb_data_chunk chunk;
    int rc = 0;

    memset(end, 0, sizeof(*end));
    cols_init(&cols, res, stype);
    if (sink)
        rc = sink->begin(sink, &cols.pub, err);
    while (rc == 0 && (chunk = duckdb_fetch_chunk(*res)) != NULL) {
        idx_t n = duckdb_data_chunk_get_size(chunk);
        if (cols.pub.kind == DUCKDB_RESULT_TYPE_CHANGED_ROWS && n > 0) {
            duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 0);
            end->rows_total += (uint64_t)((int64_t *)duckdb_vector_get_data(v))[0];
        } else {
            idx_t give = n;
            if (limit && end->rows_sent + give > limit)
                give = (idx_t)(limit - end->rows_sent);
            if (sink && give)
                rc = sink->rows(sink, chunk, give, err);
            end->rows_sent += give;
            end->rows_total += n;
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    if (rc == 0 && duckdb_result_error(res) != NULL)
        rc = pd_fail(err, PD_ESQL, "%s", duckdb_result_error(res));
    end->elapsed_s = pd_mono_s() - t0;
    if (rc == 0 && sink)
        rc = sink->end(sink, end, err);
    cols_release(&cols);
    return rc;
}
