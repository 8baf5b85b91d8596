/*
 * value.h - turning cells of DuckDB result vectors into text and JSON.
 *
 * A struct pd_coltype is a column's logical type compiled once per result (enum
 * dictionaries, struct member names, decimal scale), so formatting a cell is a
 * switch and some arithmetic. Every DuckDB type is exact: HUGEINT/UBIGINT/DECIMAL
 * digit for digit, DOUBLE as the shortest text that reads back to the same bits.
 * Text is what a person reads in a table or CSV; JSON is always valid JSON
 * (NaN and infinities become strings, invalid UTF-8 becomes U+FFFD).
 */
#ifndef PD_VALUE_H
#define PD_VALUE_H

#include <duckdb.h>
#include <stdint.h>

struct pd_buf;

struct pd_coltype {
    duckdb_type id;
    char *name;                    /* SQL spelling: "DECIMAL(18,3)", "INTEGER[]", "STRUCT(a INTEGER)" */
    uint8_t width, scale;          /* DECIMAL */
    duckdb_type internal;          /* storage of DECIMAL and ENUM */
    char **labels;                 /* ENUM dictionary, or STRUCT/UNION member names */
    idx_t n_labels;
    struct pd_coltype **children;  /* LIST/ARRAY: element; MAP: key, value; STRUCT/UNION: members */
    idx_t n_children;
    idx_t array_size;              /* ARRAY */
};

/* Compile a logical type (borrowed). The result is freed with pd_coltype_free. */
struct pd_coltype *pd_coltype_new(duckdb_logical_type type);
void pd_coltype_free(struct pd_coltype *t);

/* 1 when the value at row is NULL. */
int pd_value_is_null(duckdb_vector v, idx_t row);

/* 1 for types that JSON writes as a bare number or boolean (right-aligned in tables). */
int pd_coltype_is_numeric(const struct pd_coltype *t);

/* Append the cell as text ("NULL" for NULL). */
void pd_value_text(struct pd_buf *out, const struct pd_coltype *t, duckdb_vector v, idx_t row);

/* Append the cell as a JSON value (null for NULL). */
void pd_value_json(struct pd_buf *out, const struct pd_coltype *t, duckdb_vector v, idx_t row);

#endif
