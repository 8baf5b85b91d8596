/*
 * remote_filter.c - a query's filters on one live source table, written as the
 * remote's own SQL (see remote_filter.h).
 *
 * The rewrite (pushdown.c) only knows the query; this side knows the remote
 * column: its name there, whether it is read through an expression, and which
 * comparisons keep every row DuckDB's would (pd_rcol.push). What cannot be
 * written exactly is left out: the local WHERE stays, so the answer is the same.
 */
#include "sources/remote_filter.h"

#include "base/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_IN_VALUES 1000

/* The family of values a DuckDB type holds, as the rewrite names it; "" for others. */
const char *pd_filter_family(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT: case DUCKDB_TYPE_DECIMAL:
        return "number";
    case DUCKDB_TYPE_VARCHAR: return "text";
    case DUCKDB_TYPE_DATE: return "date";
    case DUCKDB_TYPE_TIMESTAMP: return "timestamp";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "timestamptz";
    case DUCKDB_TYPE_BOOLEAN: return "boolean";
    case DUCKDB_TYPE_UUID: return "uuid";
    default: return "";
    }
}

/* s matches a pattern of 'd' (digit), '-' ... exactly; '?' is an optional fraction. */
static int shaped(const char *s, const char *pattern)
{
    for (; *pattern; pattern++) {
        if (*pattern == '?') { /* .f{1,6} or nothing, at the end */
            if (*s == '\0')
                return 1;
            if (*s++ != '.')
                return 0;
            int n = 0;
            while (isdigit((unsigned char)*s) && n < 6)
                s++, n++;
            return n > 0 && *s == '\0';
        }
        if (*pattern == 'd' ? !isdigit((unsigned char)*s) : *s != *pattern)
            return 0;
        s++;
    }
    return *s == '\0';
}

static int is_number(const char *s)
{
    if (*s == '-')
        s++;
    if (!isdigit((unsigned char)*s))
        return 0;
    while (isdigit((unsigned char)*s))
        s++;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
}

/* A text literal: quotes doubled; MySQL also reads backslashes, PostgreSQL's E'' too. */
static void text_literal(struct pd_buf *out, const char *s, enum pd_dialect d)
{
    if (d == PD_DIALECT_POSTGRES)
        pd_buf_addc(out, 'E');
    pd_buf_addc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'' || (*s == '\\' && d != PD_DIALECT_SQLITE))
            pd_buf_addc(out, *s);
        pd_buf_addc(out, *s);
    }
    pd_buf_addc(out, '\'');
}

/*
 * Append value v of family as a literal of dialect d; -1 when the remote cannot
 * take it exactly (a year MySQL has no room for, a date SQLite keeps as free text).
 */
static int literal(struct pd_buf *out, const char *family, const char *v, enum pd_dialect d)
{
    int sqlite = d == PD_DIALECT_SQLITE, mysql = d == PD_DIALECT_MYSQL;

    if (!strcmp(family, "number")) {
        if (!is_number(v))
            return -1;
        pd_buf_adds(out, v);
        return 0;
    }
    if (!strcmp(family, "text")) {
        text_literal(out, v, d);
        return 0;
    }
    if (sqlite)
        return -1;
    if (!strcmp(family, "date") || !strcmp(family, "timestamp") ||
        !strcmp(family, "timestamptz")) {
        int date = !strcmp(family, "date"), tz = !strcmp(family, "timestamptz") && !mysql;
        if (!shaped(v, date ? "dddd-dd-dd" : "dddd-dd-dd dd:dd:dd?") || strncmp(v, "0000", 4) == 0 ||
            (mysql && v[0] == '0'))
            return -1; /* years 1..9999 (MySQL: from 1000) */
        pd_buf_adds(out, date ? "DATE '" : tz ? "TIMESTAMPTZ '" : "TIMESTAMP '");
        pd_buf_adds(out, v);
        pd_buf_adds(out, tz ? "+00'" : "'"); /* MySQL's session is UTC */
        return 0;
    }
    if (mysql)
        return -1;
    if (!strcmp(family, "boolean") && (!strcmp(v, "true") || !strcmp(v, "false"))) {
        pd_buf_adds(out, v);
        return 0;
    }
    if (!strcmp(family, "uuid")) {
        size_t n = strlen(v);
        if (n != 36)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (i == 8 || i == 13 || i == 18 || i == 23 ? v[i] != '-' : !isxdigit((unsigned char)v[i]))
                return -1;
        pd_buf_addf(out, "'%s'::uuid", v);
        return 0;
    }
    return -1;
}

/* LIKE 'prefix%' with no wildcard or escape inside the prefix. */
static int like_prefix(const char *v)
{
    size_t n = strlen(v);
    if (n < 2 || v[n - 1] != '%')
        return 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (v[i] == '%' || v[i] == '_' || v[i] == '\\')
            return 0;
    return 1;
}

static const struct op {
    const char *name;
    const char *sql;
    unsigned needs;
    int values; /* how many: -1 one or more */
} ops[] = {
    {"=", "=", PD_PUSH_EQ, 1},          {"<>", "<>", PD_PUSH_NE, 1},
    {"<", "<", PD_PUSH_RANGE, 1},       {"<=", "<=", PD_PUSH_RANGE, 1},
    {">", ">", PD_PUSH_RANGE, 1},       {">=", ">=", PD_PUSH_RANGE, 1},
    {"between", "BETWEEN", PD_PUSH_RANGE, 2}, {"in", "IN", PD_PUSH_EQ, -1},
    {"like", "LIKE", PD_PUSH_LIKE, 1},  {"is null", "IS NULL", PD_PUSH_NULL, 0},
    {"is not null", "IS NOT NULL", PD_PUSH_NOTNULL, 0},
};

static const struct pd_rcol *find_column(const struct pd_relation *rel, const char *name)
{
    for (size_t i = 0; i < rel->ncols; i++)
        if (strcasecmp(rel->cols[i].name, name) == 0)
            return &rel->cols[i];
    return NULL;
}

/* Append one filter item as remote SQL; -1 (out untouched) when it cannot be. */
static int one_filter(struct pd_buf *out, const struct pd_connector *c,
                      const struct pd_relation *rel, const json_t *item)
{
    const char *name = json_string_value(json_object_get(item, "column"));
    const char *opname = json_string_value(json_object_get(item, "op"));
    const char *family = json_string_value(json_object_get(item, "family"));
    const json_t *values = json_object_get(item, "values");
    const struct pd_rcol *col = name ? find_column(rel, name) : NULL;
    const struct op *op = NULL;
    struct pd_buf sql = PD_BUF_INIT;
    size_t nv = json_array_size(values);

    for (size_t i = 0; opname && i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!strcmp(ops[i].name, opname))
            op = &ops[i];
    if (!op || !col || col->read_expr || (col->push & op->needs) != op->needs)
        return -1;
    if (op->values == 0 ? nv != 0 : op->values > 0 ? nv != (size_t)op->values
                                                    : nv == 0 || nv > MAX_IN_VALUES)
        return -1;
    /* the values were made for the column's type as the query saw it: still the same? */
    if (nv && (!family || strcmp(family, pd_filter_family(duckdb_get_type_id(col->type))) != 0))
        return -1;
    pd_remote_ident(&sql, col->name, c->quote ? c->quote : '"');
    if (c->dialect == PD_DIALECT_POSTGRES && (op->needs & PD_PUSH_RANGE) && !strcmp(family, "text"))
        pd_buf_adds(&sql, " COLLATE \"C\""); /* byte order, as DuckDB compares */
    pd_buf_addf(&sql, " %s", op->sql);
    for (size_t i = 0; i < nv; i++) {
        const char *v = json_string_value(json_array_get(values, i));
        if (!v || (op->needs == PD_PUSH_LIKE && !like_prefix(v))) {
            pd_buf_release(&sql);
            return -1;
        }
        pd_buf_adds(&sql, i == 0 ? (op->values < 0 ? " (" : " ") : op->values < 0 ? ", " : " AND ");
        if (literal(&sql, family, v, c->dialect) != 0) {
            pd_buf_release(&sql);
            return -1;
        }
    }
    if (op->values < 0)
        pd_buf_addc(&sql, ')');
    pd_buf_addf(out, "%s(%s)", out->len ? " AND " : "", sql.ptr);
    pd_buf_release(&sql);
    return 0;
}

int pd_remote_filter(const struct pd_connector *c, const struct pd_relation *rel,
                     const char *spec, struct pd_buf *where, int *all)
{
    json_t *items = spec ? json_loads(spec, JSON_REJECT_DUPLICATES, NULL) : NULL;
    int pushed = 0;

    *all = spec == NULL || json_is_array(items);
    for (size_t i = 0; i < json_array_size(items); i++) {
        if (c->dialect != PD_DIALECT_NONE && one_filter(where, c, rel, json_array_get(items, i)) == 0)
            pushed++;
        else
            *all = 0;
    }
    json_decref(items);
    return pushed;
}
