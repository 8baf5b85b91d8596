/*
 * params.c - analysis parameters: parsing run arguments, checking their types,
 * turning :name into prepared-statement placeholders and binding the values.
 * Values are never pasted into SQL text.
 */
#include "duckpipe/internal.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void dp_args_clear(struct dp_args *args)
{
    pd_strv_clear(&args->names);
    pd_strv_clear(&args->values);
}

static void args_set(struct dp_args *args, const char *name, const char *value)
{
    for (size_t i = 0; i < args->names.n; i++)
        if (strcmp(args->names.v[i], name) == 0) {
            free(args->values.v[i]);
            args->values.v[i] = xstrdup(value);
            return;
        }
    pd_strv_push(&args->names, name);
    pd_strv_push(&args->values, value);
}

static char *json_value_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_true(v) || json_is_false(v))
        return xstrdup(json_is_true(v) ? "true" : "false");
    if (json_is_null(v))
        return NULL;
    return pd_json_dumps_exact(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

int dp_args_parse(struct dp_args *args, const char *text, struct pd_err *err)
{
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '{') {
        json_error_t je;
        json_t *obj = json_loads(text, 0, &je);
        const char *k;
        json_t *v;
        if (!obj || !json_is_object(obj)) {
            json_decref(obj);
            return pd_fail(err, PD_EINVAL, "--params: invalid JSON: %s", je.text);
        }
        json_object_foreach(obj, k, v)
        {
            char *t = json_value_text(v);
            if (!t) {
                json_decref(obj);
                return pd_fail(err, PD_EINVAL, "--params: %s is null", k);
            }
            args_set(args, k, t);
            free(t);
        }
        json_decref(obj);
        return 0;
    }
    /* name=value pairs separated by commas outside [...] */
    while (*text) {
        const char *eq = strchr(text, '=');
        if (!eq)
            return pd_fail(err, PD_EINVAL, "--params: expected NAME=VALUE in '%s'", text);
        const char *v = eq + 1, *end = v;
        int depth = 0;
        while (*end && (depth > 0 || *end != ',')) {
            depth += *end == '[' ? 1 : *end == ']' ? -1 : 0;
            end++;
        }
        char *name = xstrndup(text, (size_t)(eq - text));
        char *value = xstrndup(v, (size_t)(end - v));
        args_set(args, name, value);
        free(name);
        free(value);
        text = *end ? end + 1 : end;
    }
    return 0;
}

const char *dp_arg_get(const struct dp_args *args, const char *name)
{
    if (!args)
        return NULL;
    for (size_t i = 0; i < args->names.n; i++)
        if (strcmp(args->names.v[i], name) == 0)
            return args->values.v[i];
    return NULL;
}

static int is_int(const char *s)
{
    char *end;
    errno = 0;
    if (!*s)
        return 0;
    strtoll(s, &end, 10);
    return *end == 0 && errno == 0;
}

static int is_float(const char *s)
{
    char *end;
    if (!*s)
        return 0;
    strtod(s, &end);
    return *end == 0;
}

static int is_bool(const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no", "1", "0", "on", "off"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(s, words[i]) == 0)
            return 1;
    return 0;
}

static int is_date(const char *s)
{
    int y, m, d, n = 0;
    return sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && (size_t)n == strlen(s) && m >= 1 &&
           m <= 12 && d >= 1 && d <= 31;
}

static int is_timestamp(const char *s)
{
    int y, mo, d, h = 0, mi = 0, n = 0;
    if (is_date(s))
        return 1;
    return sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5 && mo >= 1 &&
           mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60;
}

int dp_param_value_check(const char *name, enum dp_ptype t, const char *text, struct pd_err *err)
{
    int ok = 1;
    switch (t) {
    case DP_P_STRING: break;
    case DP_P_INT: ok = is_int(text); break;
    case DP_P_FLOAT: ok = is_float(text); break;
    case DP_P_BOOL: ok = is_bool(text); break;
    case DP_P_DATE: ok = is_date(text); break;
    case DP_P_TIMESTAMP: ok = is_timestamp(text); break;
    case DP_P_LIST: {
        json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
        ok = v && json_is_array(v);
        json_decref(v);
        if (!ok && text[0] != '[') /* a,b,c without brackets */
            ok = 1;
        break;
    }
    }
    if (!ok)
        return pd_fail(err, PD_EINVAL, "parameter %s: '%s' is not a valid %s%s", name, text,
                       dp_ptype_name(t),
                       t == DP_P_DATE ? " (YYYY-MM-DD)"
                       : t == DP_P_LIST ? " (a JSON list such as [1,2,3])"
                                        : "");
    return 0;
}

static void bind_push(struct dp_binds *b, const char *val, enum dp_ptype t)
{
    b->vals = xrealloc(b->vals, (b->n + 1) * sizeof(*b->vals));
    b->types = xrealloc(b->types, (b->n + 1) * sizeof(*b->types));
    b->vals[b->n] = xstrdup(val);
    b->types[b->n] = t;
    b->n++;
}

void dp_binds_clear(struct dp_binds *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->vals[i]);
    free(b->vals);
    free(b->types);
    memset(b, 0, sizeof(*b));
}

/* Elements of a list value: a JSON array, or comma-separated text. */
static void list_items(const char *text, struct pd_strv *items, enum dp_ptype *type)
{
    json_t *arr = json_loads(text, JSON_DECODE_ANY, NULL);
    int all_int = 1, all_num = 1;
    if (arr && json_is_array(arr)) {
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
            char *t = json_value_text(v);
            pd_strv_push(items, t ? t : "");
            all_int &= json_is_integer(v);
            all_num &= json_is_number(v);
            free(t);
        }
    } else {
        const char *p = text;
        while (*p) {
            const char *c = strchr(p, ',');
            size_t n = c ? (size_t)(c - p) : strlen(p);
            char *item = xstrndup(p, n);
            pd_strv_push(items, item);
            all_int &= is_int(item);
            all_num &= is_float(item);
            free(item);
            p = c ? c + 1 : p + n;
        }
    }
    json_decref(arr);
    *type = all_int && items->n ? DP_P_INT : all_num && items->n ? DP_P_FLOAT : DP_P_STRING;
}

static void add_placeholder(struct pd_buf *out, size_t n, enum dp_ptype t)
{
    if (t == DP_P_DATE)
        pd_buf_addf(out, "CAST($%zu AS DATE)", n);
    else if (t == DP_P_TIMESTAMP)
        pd_buf_addf(out, "CAST($%zu AS TIMESTAMP)", n);
    else
        pd_buf_addf(out, "$%zu", n);
}

/* Length of a quoted or commented span starting at p, or 0. */
static size_t skip_span(const char *p)
{
    const char *q;
    if (*p == '\'' || *p == '"') {
        for (q = p + 1; *q; q++)
            if (*q == *p) {
                if (q[1] == *p)
                    q++;
                else
                    return (size_t)(q + 1 - p);
            }
        return strlen(p);
    }
    if (p[0] == '-' && p[1] == '-') {
        q = strchr(p, '\n');
        return q ? (size_t)(q - p) : strlen(p);
    }
    if (p[0] == '/' && p[1] == '*') {
        q = strstr(p + 2, "*/");
        return q ? (size_t)(q + 2 - p) : strlen(p);
    }
    if (p[0] == '$' && p[1] == '$') {
        q = strstr(p + 2, "$$");
        return q ? (size_t)(q + 2 - p) : strlen(p);
    }
    return 0;
}

int dp_sql_params_map(const char *sql, dp_param_fn fn, void *arg, struct pd_buf *out,
                      struct pd_err *err)
{
    const char *p = sql;
    while (*p) {
        size_t span = skip_span(p);
        if (span) {
            pd_buf_add(out, p, span);
            p += span;
            continue;
        }
        if (*p != ':' || (p > sql && p[-1] == ':') || p[1] == ':' || p[1] == '=' ||
            !(isalpha((unsigned char)p[1]) || p[1] == '_')) {
            pd_buf_addc(out, *p++);
            continue;
        }
        const char *name = p + 1, *e = name;
        while (isalnum((unsigned char)*e) || *e == '_')
            e++;
        char *id = xstrndup(name, (size_t)(e - name));
        int rc = fn(arg, id, out, err);
        free(id);
        if (rc)
            return rc;
        p = e;
    }
    if (!out->ptr)
        pd_buf_adds(out, "");
    return 0;
}

struct rewrite {
    const struct dp_param *const *decl;
    size_t ndecl;
    const struct dp_args *args;
    struct dp_binds *binds;
    char **param_error;
};

/* One :id of an analysis's SQL: its value bound as $n (a list as one $n per element). */
static int rewrite_param(void *arg, const char *id, struct pd_buf *out, struct pd_err *err)
{
    struct rewrite *w = arg;
    const struct dp_param *d = NULL;
    for (size_t i = 0; i < w->ndecl && !d; i++)
        if (strcmp(w->decl[i]->name, id) == 0)
            d = w->decl[i];
    if (!d)
        return pd_fail(err, PD_EINVAL,
                       "the SQL uses :%s but the analysis declares no parameter %s (add it "
                       "with --param %s:TYPE, or write ': %s' if it is not a parameter)",
                       id, id, id, id);
    const char *val = dp_arg_get(w->args, id);
    if (!val)
        val = d->def;
    if (!val) {
        if (!*w->param_error)
            *w->param_error = xasprintf("missing required parameter %s (%s): pass it with "
                                        "--params %s=VALUE",
                                        id, dp_ptype_name(d->type), id);
        pd_buf_adds(out, "NULL");
    } else if (dp_param_value_check(id, d->type, val, err) != 0) {
        return err->code;
    } else if (d->type == DP_P_LIST) {
        struct pd_strv items = {0};
        enum dp_ptype et;
        list_items(val, &items, &et);
        if (!items.n)
            pd_buf_adds(out, "NULL");
        for (size_t i = 0; i < items.n; i++) {
            bind_push(w->binds, items.v[i], et);
            pd_buf_addf(out, "%s$%zu", i ? ", " : "", w->binds->n);
        }
        pd_strv_clear(&items);
    } else {
        bind_push(w->binds, val, d->type);
        add_placeholder(out, w->binds->n, d->type);
    }
    return 0;
}

int dp_params_rewrite(const char *sql, const struct dp_param *const *decl, size_t ndecl,
                      const struct dp_args *args, struct dp_binds *binds, char **param_error,
                      struct pd_buf *out, struct pd_err *err)
{
    struct rewrite w = {decl, ndecl, args, binds, param_error};
    return dp_sql_params_map(sql, rewrite_param, &w, out, err);
}

int dp_params_bind(const struct dp_binds *binds, duckdb_prepared_statement stmt,
                   struct pd_err *err)
{
    for (size_t i = 0; i < binds->n; i++) {
        const char *v = binds->vals[i];
        idx_t at = (idx_t)i + 1;
        duckdb_state st;
        switch (binds->types[i]) {
        case DP_P_INT: st = duckdb_bind_int64(stmt, at, strtoll(v, NULL, 10)); break;
        case DP_P_FLOAT: st = duckdb_bind_double(stmt, at, strtod(v, NULL)); break;
        case DP_P_BOOL:
            st = duckdb_bind_boolean(stmt, at,
                                     !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
                                         !strcmp(v, "1") || !strcasecmp(v, "on"));
            break;
        default: st = duckdb_bind_varchar(stmt, at, v); break;
        }
        if (st == DuckDBError)
            return pd_fail(err, PD_ESQL, "cannot bind parameter $%zu: %s", i + 1,
                           duckdb_prepare_error(stmt));
    }
    return 0;
}
