/*
 * filters.c - a board's filter bar: the rules of its filters, the values they
 * give, and an item's query with its :name parameters bound to them.
 *
 *   date_range  {name, type, label?, from?, to?}   gives :NAME_from and :NAME_to
 *   value       {name, type, label?, table, column, value?}   gives :NAME
 *
 * A date range's missing end is open ('-infinity' or 'infinity', so that
 * `d BETWEEN :p_from AND :p_to` keeps every row); a value filter without a
 * value gives NULL (write `(:s IS NULL OR status = :s)` for "all").
 */
#include "boards/internal.h"

#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "duckpipe/duckpipe.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_FILTERS 20

/* A name the queries can use as :NAME, short enough for NAME_from (pd_name_check's rule). */
static int is_name(const char *s)
{
    return s && strlen(s) <= 50 && pd_name_check("filter", s, NULL) == 0;
}

/* "YYYY-MM-DD" naming a day of the calendar. */
static int is_date(const char *s)
{
    int y, m, d;
    char end;
    struct tm t = {0};
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3)
        return 0;
    t.tm_year = y - 1900;
    t.tm_mon = m - 1;
    t.tm_mday = d;
    t.tm_hour = 12;
    timegm(&t);
    return t.tm_year == y - 1900 && t.tm_mon == m - 1 && t.tm_mday == d;
}

/* An optional string field (null allowed); at most max bytes. */
static int optional_string(const json_t *f, size_t i, const char *key, size_t max, struct pd_err *err)
{
    const json_t *v = json_object_get(f, key);
    if (v && !json_is_null(v) && (!json_is_string(v) || json_string_length(v) > max))
        return pd_fail(err, PD_EINVAL, "field 'filters[%zu].%s' must be a string of at most %zu "
                       "characters", i, key, max);
    return 0;
}

static int one_filter(const json_t *f, size_t i, struct pd_err *err)
{
    const char *name = json_string_value(json_object_get(f, "name"));
    const char *type = json_string_value(json_object_get(f, "type"));
    const char *allowed, *key;
    json_t *v;
    if (!json_is_object(f))
        return pd_fail(err, PD_EINVAL, "field 'filters[%zu]' must be an object", i);
    if (!is_name(name))
        return pd_fail(err, PD_EINVAL, "field 'filters[%zu].name' must be a letter or _ followed "
                       "by letters, digits or _ (at most 50): the queries use it as :NAME", i);
    if (!type || (strcmp(type, "date_range") && strcmp(type, "value")))
        return pd_fail(err, PD_EINVAL, "field 'filters[%zu].type' must be date_range or value", i);
    allowed = strcmp(type, "value") == 0 ? " name type label table column value "
                                         : " name type label from to ";
    json_object_foreach((json_t *)f, key, v) {
        char word[64];
        snprintf(word, sizeof(word), " %.60s ", key);
        if (!strstr(allowed, word))
            return pd_fail(err, PD_EINVAL, "field 'filters[%zu].%s' is not a field of a %s filter",
                           i, key, type);
    }
    if (optional_string(f, i, "label", 120, err))
        return err->code;
    if (strcmp(type, "date_range") == 0) {
        for (int k = 0; k < 2; k++) {
            const char *end = k ? "to" : "from";
            const char *d = json_string_value(json_object_get(f, end));
            if (optional_string(f, i, end, 10, err))
                return err->code;
            if (d && *d && !is_date(d))
                return pd_fail(err, PD_EINVAL, "field 'filters[%zu].%s' must be a date "
                               "YYYY-MM-DD, got '%s'", i, end, d);
        }
        return 0;
    }
    for (int k = 0; k < 2; k++) {
        const char *field = k ? "column" : "table";
        const char *s = json_string_value(json_object_get(f, field));
        if (!s || !*s || strlen(s) > 255)
            return pd_fail(err, PD_EINVAL, "field 'filters[%zu].%s' must name the %s its values "
                           "are picked from", i, field, field);
    }
    return optional_string(f, i, "value", 1000, err);
}

int board_filters_check(const json_t *filters, struct pd_err *err)
{
    size_t i, j, given = 0;
    json_t *f, *values;
    if (!json_is_array(filters))
        return pd_fail(err, PD_EINVAL, "field 'filters' must be an array");
    if (json_array_size(filters) > MAX_FILTERS)
        return pd_fail(err, PD_EINVAL, "field 'filters': at most %d filters", MAX_FILTERS);
    json_array_foreach(filters, i, f) {
        if (one_filter(f, i, err))
            return err->code;
        for (j = 0; j < i; j++)
            if (strcmp(json_string_value(json_object_get(json_array_get(filters, j), "name")),
                       json_string_value(json_object_get(f, "name"))) == 0)
                return pd_fail(err, PD_EINVAL, "field 'filters[%zu].name': two filters are "
                               "called %s", i, json_string_value(json_object_get(f, "name")));
        given += strcmp(json_string_value(json_object_get(f, "type")), "date_range") ? 1 : 2;
    }
    values = board_filter_values(filters);
    j = json_object_size(values);
    json_decref(values);
    if (j != given) /* a range p gives p_from: a filter named p_from would be the same */
        return pd_fail(err, PD_EINVAL, "field 'filters': two filters give the same parameter "
                       "(a date range NAME gives NAME_from and NAME_to)");
    return 0;
}

json_t *board_filter_values(const json_t *filters)
{
    json_t *values = json_object(), *f;
    size_t i;
    char key[64];
    json_array_foreach(filters, i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        if (strcmp(json_string_value(json_object_get(f, "type")), "date_range") == 0) {
            const char *from = json_string_value(json_object_get(f, "from"));
            const char *to = json_string_value(json_object_get(f, "to"));
            snprintf(key, sizeof(key), "%s_from", name);
            json_object_set_new(values, key, json_string(from && *from ? from : "-infinity"));
            snprintf(key, sizeof(key), "%s_to", name);
            json_object_set_new(values, key, json_string(to && *to ? to : "infinity"));
        } else {
            const char *v = json_string_value(json_object_get(f, "value"));
            json_object_set_new(values, name, v ? json_string(v) : json_null());
        }
    }
    return values;
}

/* One :name of an item's query: $name when a filter gives it. */
static int filter_param(void *arg, const char *name, struct pd_buf *out, struct pd_err *err)
{
    const json_t *values = arg;
    if (!json_object_get(values, name))
        return pd_fail(err, PD_EINVAL, "the query uses :%s but no filter of the board gives it "
                       "(add a filter named %s, or write ': %s' if it is not a parameter)", name,
                       name, name);
    pd_buf_addf(out, "$%s", name);
    return 0;
}

int board_filter_sql(const char *sql, const json_t *values, struct pd_buf *out, struct pd_err *err)
{
    return dp_sql_params_map(sql, filter_param, (void *)values, out, err);
}
