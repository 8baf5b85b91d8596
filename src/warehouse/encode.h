/*
 * encode.h - result sinks: where the rows of a statement go.
 *
 * The query service pushes each result through a struct pd_sink: begin (the
 * columns), rows (one data chunk at a time, possibly cut short by a row limit),
 * end (totals). Encoders here write aligned tables, CSV, JSON (an array of
 * objects) and JSON lines to a FILE*, streaming: only the table encoder keeps
 * rows, and only the ones it will show. Sinks never run SQL.
 */
#ifndef PD_ENCODE_H
#define PD_ENCODE_H

#include <duckdb.h>
#include <stdint.h>
#include <stdio.h>

struct pd_coltype;
struct pd_err;

struct pd_columns {
    idx_t n;
    const char **names;
    struct pd_coltype **types;
    duckdb_result_type kind; /* QUERY_RESULT, CHANGED_ROWS or NOTHING */
    const char *statement_type; /* "SELECT", "INSERT", ... */
    duckdb_result *result;      /* the result itself, for sinks that need DuckDB's own view */
};

struct pd_result_end {
    uint64_t rows_total;  /* rows the statement produced (or changed) */
    uint64_t rows_sent;   /* rows passed to the sink */
    double elapsed_s;
};

struct pd_sink {
    int (*begin)(struct pd_sink *s, const struct pd_columns *cols, struct pd_err *err);
    /* Rows [0, n) of chunk. */
    int (*rows)(struct pd_sink *s, duckdb_data_chunk chunk, idx_t n, struct pd_err *err);
    int (*end)(struct pd_sink *s, const struct pd_result_end *end, struct pd_err *err);
    void (*free)(struct pd_sink *s);
};

enum pd_format { PD_FORMAT_TABLE, PD_FORMAT_CSV, PD_FORMAT_JSON, PD_FORMAT_JSONL };

/* Parse "table", "csv", "json", "jsonl". Returns 0 or PD_EINVAL. */
int pd_format_parse(const char *name, enum pd_format *fmt);

struct pd_table_opts {
    int width;      /* columns available (terminal width); 0: no limit */
    int max_cell;   /* longest cell shown, in display columns, before it is cut with "…" */
    int show_footer;/* print "N rows" (and what was left out) under the table */
    int timer;      /* print the elapsed time in the footer */
};

/* A sink that writes fmt to out (borrowed; must outlive the sink). topts only for tables. */
struct pd_sink *pd_sink_new(enum pd_format fmt, FILE *out, const struct pd_table_opts *topts);

/*
 * Stream a whole result into sink (NULL: only count): begin, rows (at most limit
 * when limit > 0; the rest only counted), end. t0 is the pd_mono_s() start for
 * the elapsed time. A failure while fetching is PD_ESQL with DuckDB's message.
 */
int pd_sink_result(struct pd_sink *sink, duckdb_result *res, const char *stype, uint64_t limit,
                   double t0, struct pd_result_end *end, struct pd_err *err);

/*
 * A sink that writes each result as one JSON document into out (reset at each
 * begin): {"columns":[{"name","type"}],"rows":[[...]],"row_count","rows_returned",
 * "statement_type"}. Rows are arrays in column order.
 */
struct pd_buf;
struct pd_sink *pd_sink_new_doc(struct pd_buf *out);

/*
 * A sink writing the result as an Apache Arrow IPC stream (schema, one record
 * batch per chunk, end marker) to out - application/vnd.apache.arrow.stream.
 */
struct pd_sink *pd_sink_new_arrow(FILE *out);

/* Free a sink (NULL is fine). */
void pd_sink_free(struct pd_sink *s);

/* Append s[0..n) as one CSV field, quoted (RFC 4180) only when it must be. */
struct pd_buf;
void pd_csv_add_field(struct pd_buf *out, const char *s, size_t n);

/* Display width of UTF-8 text (wide East Asian characters count 2, combining marks 0). */
int pd_display_width(const char *s, size_t n);

#endif
