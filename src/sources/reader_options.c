/*
 * reader_options.c - the options a file source passes to DuckDB's readers (see
 * reader_options.h): which reader takes which, of what type, and how each value
 * is written into the call as a literal of that type.
 */
#include "sources/reader_options.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum kind { T_BOOL, T_INT, T_TEXT, T_TEXTS, T_COLUMNS };

#define CSV 1
#define PARQUET 2
#define JSON 4

static const struct option {
    const char *name;
    enum kind kind;
    int formats;
} options[] = {
    {"all_varchar", T_BOOL, CSV},
    {"allow_quoted_nulls", T_BOOL, CSV},
    {"auto_detect", T_BOOL, CSV | JSON},
    {"binary_as_string", T_BOOL, PARQUET},
    {"columns", T_COLUMNS, CSV | JSON},
    {"comment", T_TEXT, CSV},
    {"compression", T_TEXT, CSV | JSON},
    {"convert_strings_to_integers", T_BOOL, JSON},
    {"dateformat", T_TEXT, CSV | JSON},
    {"decimal_separator", T_TEXT, CSV},
    {"delim", T_TEXT, CSV},
    {"encoding", T_TEXT, CSV},
    {"escape", T_TEXT, CSV},
    {"filename", T_BOOL, CSV | PARQUET | JSON},
    {"file_row_number", T_BOOL, PARQUET},
    {"force_not_null", T_TEXTS, CSV},
    {"format", T_TEXT, JSON},
    {"header", T_BOOL, CSV},
    {"hive_partitioning", T_BOOL, CSV | PARQUET | JSON},
    {"ignore_errors", T_BOOL, CSV | JSON},
    {"max_line_size", T_INT, CSV},
    {"maximum_depth", T_INT, JSON},
    {"maximum_object_size", T_INT, JSON},
    {"names", T_TEXTS, CSV},
    {"new_line", T_TEXT, CSV},
    {"normalize_names", T_BOOL, CSV},
    {"null_padding", T_BOOL, CSV},
    {"nullstr", T_TEXTS, CSV},
    {"quote", T_TEXT, CSV},
    {"records", T_TEXT, JSON},
    {"sample_size", T_INT, CSV | JSON},
    {"sep", T_TEXT, CSV},
    {"skip", T_INT, CSV},
    {"strict_mode", T_BOOL, CSV},
    {"timestampformat", T_TEXT, CSV | JSON},
    {"types", T_COLUMNS, CSV},
    {"union_by_name", T_BOOL, CSV | PARQUET | JSON},
};

static const struct option *find(const char *name)
{
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        if (!strcmp(options[i].name, name))
            return &options[i];
    return NULL;
}

static int format_bit(const char *format)
{
    return !strcmp(format, "csv") ? CSV : !strcmp(format, "parquet") ? PARQUET : JSON;
}

/* The names of the options format takes ("all_varchar, ..."), for messages. */
static char *names_for(int bits)
{
    struct pd_buf b = PD_BUF_INIT;
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        if (options[i].formats & bits)
            pd_buf_addf(&b, "%s%s", b.len ? ", " : "", options[i].name);
    return pd_buf_detach(&b, NULL);
}

/* A type name as read_csv's columns/types take it: letters, digits, spaces, (),. only. */
static int type_name_ok(const char *t)
{
    if (!*t || strlen(t) > 64)
        return 0;
    for (; *t; t++)
        if (!isalnum((unsigned char)*t) && !strchr(" (),_", *t))
            return 0;
    return 1;
}

/* The value of option o (text from a command line, or JSON from a recipe) as its type. */
static json_t *normalize(const struct option *o, json_t *v, struct pd_err *err)
{
    const char *s = json_string_value(v);

    switch (o->kind) {
    case T_BOOL:
        if (json_is_boolean(v))
            return json_incref(v);
        if (s && (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes")))
            return json_true();
        if (s && (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no")))
            return json_false();
        pd_fail(err, PD_EINVAL, "reader option %s takes true or false", o->name);
        return NULL;
    case T_INT: {
        if (json_is_integer(v) && json_integer_value(v) >= 0)
            return json_incref(v);
        char *end;
        errno = 0;
        long long n = s && isdigit((unsigned char)*s) ? strtoll(s, &end, 10) : -1;
        if (n >= 0 && !errno && !*end)
            return json_integer(n);
        pd_fail(err, PD_EINVAL, "reader option %s takes a whole number of 0 or more", o->name);
        return NULL;
    }
    case T_TEXT:
        if (s && strlen(s) <= 1024)
            return json_incref(v);
        pd_fail(err, PD_EINVAL, "reader option %s takes a text", o->name);
        return NULL;
    case T_TEXTS: {
        json_t *list = s ? json_array() : json_incref(v);
        if (s) { /* a,b,c */
            for (const char *p = s;; p += strcspn(p, ",") + 1) {
                json_array_append_new(list, json_stringn(p, strcspn(p, ",")));
                if (!p[strcspn(p, ",")])
                    break;
            }
        }
        for (size_t i = 0; json_is_array(list) && i < json_array_size(list); i++)
            if (!json_is_string(json_array_get(list, i))) {
                json_decref(list);
                list = NULL;
                break;
            }
        if (json_is_array(list))
            return list;
        json_decref(list);
        pd_fail(err, PD_EINVAL, "reader option %s takes a list of texts (a,b or a JSON list)",
                o->name);
        return NULL;
    }
    case T_COLUMNS: {
        json_t *obj = s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : json_incref(v);
        const char *k;
        json_t *t;
        int ok = json_is_object(obj) && json_object_size(obj) > 0;
        json_object_foreach(obj, k, t) ok = ok && json_is_string(t) &&
                                           type_name_ok(json_string_value(t));
        if (ok)
            return obj;
        json_decref(obj);
        pd_fail(err, PD_EINVAL,
                "reader option %s takes column names and DuckDB types as JSON: "
                "{\"id\": \"INTEGER\", \"day\": \"DATE\"}",
                o->name);
        return NULL;
    }
    }
    return NULL;
}

int pd_reader_options_configure(json_t *config, struct pd_err *err)
{
    json_t *given = json_object_get(config, "options"), *norm, *v;
    const char *k;

    if (!given)
        return 0;
    if (!json_is_object(given))
        return pd_fail(err, PD_EINVAL, "reader options must be NAME=VALUE pairs");
    norm = json_object();
    json_object_foreach(given, k, v)
    {
        const struct option *o = find(k);
        json_t *n;
        if (!o) {
            char *all = names_for(CSV | PARQUET | JSON);
            pd_fail(err, PD_EINVAL, "unknown reader option '%s' (the readers take: %s)", k, all);
            free(all);
            json_decref(norm);
            return err->code;
        }
        if (!(n = normalize(o, v, err))) {
            json_decref(norm);
            return err->code;
        }
        json_object_set_new(norm, k, n);
    }
    json_object_set_new(config, "options", norm);
    return 0;
}

int pd_reader_options_sql(struct pd_buf *sql, const char *format, const json_t *opts,
                          struct pd_err *err)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)opts, k, v)
    {
        const struct option *o = find(k);
        if (!o || !(o->formats & format_bit(format))) {
            char *all = names_for(format_bit(format));
            pd_fail(err, PD_EINVAL, "read_%s takes no option '%s' (it takes: %s)", format, k, all);
            free(all);
            return err->code;
        }
        pd_buf_addf(sql, ", %s = ", o->name); /* a name from the list above, never the user's */
        switch (o->kind) {
        case T_BOOL: pd_buf_adds(sql, json_is_true(v) ? "true" : "false"); break;
        case T_INT: pd_buf_addf(sql, "%lld", (long long)json_integer_value(v)); break;
        case T_TEXT: pd_sql_literal(sql, json_string_value(v)); break;
        case T_TEXTS:
            pd_buf_addc(sql, '[');
            for (size_t i = 0; i < json_array_size(v); i++) {
                if (i)
                    pd_buf_adds(sql, ", ");
                pd_sql_literal(sql, json_string_value(json_array_get(v, i)));
            }
            pd_buf_addc(sql, ']');
            break;
        case T_COLUMNS: {
            const char *name;
            json_t *t;
            int first = 1;
            pd_buf_addc(sql, '{');
            json_object_foreach(v, name, t)
            {
                pd_buf_adds(sql, first ? "" : ", ");
                first = 0;
                pd_sql_literal(sql, name);
                pd_buf_adds(sql, ": ");
                pd_sql_literal(sql, json_string_value(t));
            }
            pd_buf_addc(sql, '}');
            break;
        }
        }
    }
    return 0;
}
