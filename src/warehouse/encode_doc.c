/*
 * encode_doc.c - a sink that keeps a result as one JSON document:
 * {"columns":[{"name","type"}],"rows":[[...],...],"row_count":N,
 *  "rows_returned":M,"statement_type":"SELECT"} - what the API answers for a
 * query preview. Rows are arrays (column order kept, names said once).
 */
#include "warehouse/encode.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json.h"
#include "warehouse/value.h"

#include <stdlib.h>
#include <string.h>

struct doc {
    struct pd_sink sink;
    struct pd_buf *out;
    const struct pd_columns *cols;
    uint64_t rows;
};

static int doc_begin(struct pd_sink *s, const struct pd_columns *cols, struct pd_err *err)
{
    struct doc *d = (struct doc *)s;
    (void)err;
    d->cols = cols;
    d->rows = 0;
    pd_buf_reset(d->out);
    pd_buf_adds(d->out, "{\"columns\":[");
    for (idx_t i = 0; cols->kind == DUCKDB_RESULT_TYPE_QUERY_RESULT && i < cols->n; i++) {
        pd_buf_adds(d->out, i ? ",{\"name\":" : "{\"name\":");
        pd_json_add_string(d->out, cols->names[i], strlen(cols->names[i]));
        pd_buf_adds(d->out, ",\"type\":");
        pd_json_add_string(d->out, cols->types[i]->name, strlen(cols->types[i]->name));
        pd_buf_addc(d->out, '}');
    }
    pd_buf_adds(d->out, "],\"rows\":[");
    return 0;
}

static int doc_rows(struct pd_sink *s, duckdb_data_chunk chunk, idx_t n, struct pd_err *err)
{
    struct doc *d = (struct doc *)s;
    const struct pd_columns *cols = d->cols;
    (void)err;
    if (cols->kind != DUCKDB_RESULT_TYPE_QUERY_RESULT)
        return 0;
    for (idx_t r = 0; r < n; r++) {
        pd_buf_adds(d->out, d->rows++ ? ",[" : "[");
        for (idx_t c = 0; c < cols->n; c++) {
            if (c)
                pd_buf_addc(d->out, ',');
            pd_value_json(d->out, cols->types[c], duckdb_data_chunk_get_vector(chunk, c), r);
        }
        pd_buf_addc(d->out, ']');
    }
    return 0;
}

static int doc_end(struct pd_sink *s, const struct pd_result_end *end, struct pd_err *err)
{
    struct doc *d = (struct doc *)s;
    (void)err;
    pd_buf_addf(d->out, "],\"row_count\":%llu,\"rows_returned\":%llu,\"statement_type\":",
                (unsigned long long)end->rows_total, (unsigned long long)d->rows);
    pd_json_add_nullable(d->out, d->cols->statement_type);
    pd_buf_addc(d->out, '}');
    return 0;
}

static void doc_free(struct pd_sink *s)
{
    free(s);
}

struct pd_sink *pd_sink_new_doc(struct pd_buf *out)
{
    struct doc *d = xcalloc(1, sizeof(*d));
    d->sink.begin = doc_begin;
    d->sink.rows = doc_rows;
    d->sink.end = doc_end;
    d->sink.free = doc_free;
    d->out = out;
    return &d->sink;
}
