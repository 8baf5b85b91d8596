/*
 * connectors.c - the list of connectors, and helpers they share.
 *
 * Adding a connector: write conn_<type>.c and add one line below.
 */
#include "sources/connector.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

extern const struct pd_connector pd_conn_postgres, pd_conn_mysql, pd_conn_sqlite, pd_conn_duckdb,
    pd_conn_file, pd_conn_http;

static const struct pd_connector *const connectors[] = {
    &pd_conn_postgres,
    &pd_conn_mysql,
    &pd_conn_sqlite,
    &pd_conn_duckdb,
    &pd_conn_file,
    &pd_conn_http,
};

#define N_CONNECTORS (sizeof(connectors) / sizeof(connectors[0]))

const struct pd_connector *pd_connector_find(const char *type)
{
    for (size_t i = 0; i < N_CONNECTORS; i++)
        if (strcmp(connectors[i]->type, type) == 0)
            return connectors[i];
    return NULL;
}

const struct pd_connector *pd_connector_at(size_t i)
{
    return i < N_CONNECTORS ? connectors[i] : NULL;
}

const char *pd_connector_names(void)
{
    static char names[256];

    if (!names[0]) {
        size_t off = 0;
        for (size_t i = 0; i < N_CONNECTORS; i++)
            off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "",
                                    connectors[i]->type);
    }
    return names;
}

void pd_relation_add(struct pd_relation *rel, const char *name, duckdb_logical_type type, int kind,
                     int aux, const char *read_expr)
{
    struct pd_rcol *c;

    rel->cols = xrealloc(rel->cols, (rel->ncols + 1) * sizeof(*rel->cols));
    c = &rel->cols[rel->ncols++];
    c->name = xstrdup(name);
    c->type = type;
    c->kind = kind;
    c->aux = aux;
    c->read_expr = read_expr ? xstrdup(read_expr) : NULL;
}

void pd_relation_clear(struct pd_relation *rel)
{
    enum pd_bad_values policy = rel->bad_values;
    for (size_t i = 0; i < rel->ncols; i++) {
        free(rel->cols[i].name);
        free(rel->cols[i].read_expr);
        duckdb_destroy_logical_type(&rel->cols[i].type);
    }
    free(rel->cols);
    free(rel->from);
    pd_strv_clear(&rel->warnings);
    free(rel->bad);
    json_decref(rel->type_hints);
    memset(rel, 0, sizeof(*rel));
    rel->bad_values = policy;
}

void pd_null_counted(const struct pd_relation *rel, size_t i, duckdb_vector v, idx_t row)
{
    pd_vec_null(v, row);
    if (rel->bad && i < rel->ncols)
        __atomic_add_fetch(&rel->bad[i], 1, __ATOMIC_RELAXED);
}

int pd_bad_value(const struct pd_relation *rel, size_t i, duckdb_vector v, idx_t row,
                 struct pd_err *err)
{
    if (rel->bad_values == PD_BAD_ERROR || rel->bad == NULL || i >= rel->ncols)
        return err->code ? err->code : PD_EINVAL;
    pd_null_counted(rel, i, v, row);
    pd_err_clear(err);
    return 0;
}

void pd_vec_null(duckdb_vector v, idx_t row)
{
    duckdb_vector_ensure_validity_writable(v);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
}

void pd_vec_str(duckdb_vector v, idx_t row, const char *s, size_t len)
{
    duckdb_vector_assign_string_element_len(v, row, s, len);
}

const char *pd_cfg_str(const json_t *config, const char *key)
{
    return json_string_value(json_object_get(config, key));
}

void pd_remote_ident(struct pd_buf *out, const char *name, char quote)
{
    pd_buf_addc(out, quote);
    for (const char *p = name; *p; p++) {
        if (*p == quote)
            pd_buf_addc(out, quote);
        pd_buf_addc(out, *p);
    }
    pd_buf_addc(out, quote);
}

void pd_relation_select(struct pd_buf *out, const struct pd_relation *rel,
                        const struct pd_scan_req *req, char quote)
{
    int any = 0;

    pd_buf_adds(out, "SELECT ");
    for (idx_t i = 0; i < req->ncols; i++) {
        const struct pd_rcol *c;
        if (req->cols[i] >= rel->ncols)
            continue; /* DuckDB's row id: nothing to read */
        c = &rel->cols[req->cols[i]];
        if (any++)
            pd_buf_adds(out, ", ");
        if (c->read_expr)
            pd_buf_adds(out, c->read_expr);
        else
            pd_remote_ident(out, c->name, quote);
    }
    if (!any)
        pd_buf_adds(out, "1");
    pd_buf_adds(out, " FROM ");
    pd_buf_adds(out, rel->from);
    if (req->where && *req->where)
        pd_buf_addf(out, " WHERE (%s)", req->where);
    if (req->limit >= 0)
        pd_buf_addf(out, " LIMIT %lld", (long long)req->limit);
}

/* Read n digits of s at *i into *v. */
static int digits(const char *s, size_t len, size_t *i, int n, int *v)
{
    *v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return -1;
        *v = *v * 10 + (s[*i] - '0');
    }
    return 0;
}

int pd_parse_datetime(const char *s, size_t len, int want_date, int64_t *out)
{
    duckdb_date_struct d;
    duckdb_time_struct t = {0, 0, 0, 0};
    size_t i = 0;
    int y, m, day, v;

    if (digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' || digits(s, len, &i, 2, &m) ||
        i >= len || s[i++] != '-' || digits(s, len, &i, 2, &day) || m < 1 || m > 12 || day < 1 ||
        day > 31)
        return -1;
    d = (duckdb_date_struct){y, (int8_t)m, (int8_t)day};
    if (i < len && (s[i] == ' ' || s[i] == 'T')) {
        i++;
        if (digits(s, len, &i, 2, &v) || v > 23)
            return -1;
        t.hour = (int8_t)v;
        if (i >= len || s[i++] != ':' || digits(s, len, &i, 2, &v) || v > 59)
            return -1;
        t.min = (int8_t)v;
        if (i < len && s[i] == ':') {
            i++;
            if (digits(s, len, &i, 2, &v) || v > 60)
                return -1;
            t.sec = (int8_t)v;
            if (i < len && s[i] == '.') {
                int scale = 100000;
                for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
                    t.micros += (s[i] - '0') * scale;
            }
        }
    }
    if (i < len && s[i] == 'Z')
        i++;
    if (i != len)
        return -1;
    if (want_date) {
        *out = duckdb_to_date(d).days;
    } else {
        duckdb_timestamp_struct ts = {d, t};
        *out = duckdb_to_timestamp(ts).micros;
    }
    return 0;
}

int pd_cfg_existing_file(json_t *config, const char *type, const char *label, struct pd_err *err)
{
    const char *path = pd_cfg_str(config, "path");
    char *abs;

    if (!path)
        return pd_fail(err, PD_EUSAGE, "a %s source needs --path FILE", type);
    if (!(abs = realpath(path, NULL)))
        return pd_fail(err, PD_ENOTFOUND, "%s file %s does not exist", label, path);
    json_object_set_new(config, "path", json_string(abs));
    free(abs);
    return 0;
}

void pd_projection_init(struct pd_projection *pr, const struct pd_relation *rel, const idx_t *cols,
                        idx_t ncols)
{
    pr->rel = rel;
    pr->ncols = ncols;
    pr->cols = xcalloc(ncols ? ncols : 1, sizeof(idx_t));
    memcpy(pr->cols, cols, ncols * sizeof(idx_t));
    pr->row = 0;
}

void pd_projection_clear(struct pd_projection *pr)
{
    free(pr->cols);
    pr->cols = NULL;
}

const struct pd_rcol *pd_projection_column(const struct pd_projection *pr, duckdb_vector v,
                                           idx_t j, idx_t out_row)
{
    if (pr->cols[j] < pr->rel->ncols)
        return &pr->rel->cols[pr->cols[j]];
    ((int64_t *)duckdb_vector_get_data(v))[out_row] = pr->row;
    return NULL;
}
