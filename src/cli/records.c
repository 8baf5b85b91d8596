/*
 * records.c - aligned/CSV/JSON output of small text tables (see records.h).
 */
#include "cli/records.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

void cli_records_init(struct cli_records *r, int ncols, const char *const *cols)
{
    memset(r, 0, sizeof(*r));
    r->ncols = ncols;
    r->cols = cols;
}

void cli_records_add(struct cli_records *r, const char *const *values)
{
    if (r->nrows == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->cells = xrealloc(r->cells, (size_t)r->cap * (size_t)r->ncols * sizeof(char *));
    }
    for (int c = 0; c < r->ncols; c++)
        r->cells[r->nrows * r->ncols + c] = values[c] ? xstrdup(values[c]) : NULL;
    r->nrows++;
}

void cli_records_print(const struct cli_ctx *ctx, struct cli_records *r)
{
    struct pd_buf b = PD_BUF_INIT;
    int *w = xcalloc((size_t)r->ncols, sizeof(int));

    switch (ctx->format) {
    case PD_FORMAT_TABLE:
        for (int c = 0; c < r->ncols; c++) {
            w[c] = pd_display_width(r->cols[c], strlen(r->cols[c]));
            for (int i = 0; i < r->nrows; i++) {
                const char *s = r->cells[i * r->ncols + c];
                int cw = s ? pd_display_width(s, strlen(s)) : 0;
                if (cw > w[c])
                    w[c] = cw;
            }
        }
        for (int i = -1; i < r->nrows; i++) {
            for (int c = 0; c < r->ncols; c++) {
                const char *s = i < 0 ? r->cols[c] : r->cells[i * r->ncols + c];
                s = s ? s : "";
                pd_buf_adds(&b, s);
                if (c + 1 < r->ncols)
                    for (int k = pd_display_width(s, strlen(s)); k < w[c] + 2; k++)
                        pd_buf_addc(&b, ' ');
            }
            pd_buf_addc(&b, '\n');
        }
        break;
    case PD_FORMAT_CSV:
        for (int i = -1; i < r->nrows; i++) {
            for (int c = 0; c < r->ncols; c++) {
                if (c)
                    pd_buf_addc(&b, ',');
                const char *s = i < 0 ? r->cols[c] : r->cells[i * r->ncols + c];
                if (s)
                    pd_csv_add_field(&b, s, strlen(s));
            }
            pd_buf_addc(&b, '\n');
        }
        break;
    case PD_FORMAT_JSON:
    case PD_FORMAT_JSONL:
        if (ctx->format == PD_FORMAT_JSON)
            pd_buf_addc(&b, '[');
        for (int i = 0; i < r->nrows; i++) {
            if (ctx->format == PD_FORMAT_JSON)
                pd_buf_adds(&b, i ? ",\n" : "\n");
            pd_buf_addc(&b, '{');
            for (int c = 0; c < r->ncols; c++) {
                const char *s = r->cells[i * r->ncols + c];
                if (c)
                    pd_buf_addc(&b, ',');
                pd_json_add_string(&b, r->cols[c], strlen(r->cols[c]));
                pd_buf_addc(&b, ':');
                pd_json_add_nullable(&b, s);
            }
            pd_buf_addc(&b, '}');
            if (ctx->format == PD_FORMAT_JSONL)
                pd_buf_addc(&b, '\n');
        }
        if (ctx->format == PD_FORMAT_JSON)
            pd_buf_adds(&b, r->nrows ? "\n]\n" : "]\n");
        break;
    }
    fputs(b.ptr, cli_out);
    fflush(cli_out);
    pd_buf_release(&b);
    free(w);
    for (int i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i]);
    free(r->cells);
    r->cells = NULL;
    r->nrows = r->cap = 0;
}
