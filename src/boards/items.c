/*
 * items.c - board items: the rules for each type, where a new item goes, and
 * taking an item's snapshot (its query's result).
 */
#include "boards/internal.h"

#include "assets/assets.h"
#include "base/jexact.h"
#include "base/buf.h"
#include "base/err.h"
#include "query/query.h"
#include "warehouse/encode.h"

#include <stdlib.h>
#include <string.h>

struct type_rule {
    const char *type;
    const char *payload_keys; /* allowed, space separated; the first is required */
    const char *render_keys;
    int w, h;                 /* default size */
};

static const struct type_rule rules[] = {
    {"markdown", "text", "", 12, 2},
    {"table", "sql limit", "", 12, 4},
    {"chart", "sql limit", "kind x y", 12, 5},
    {"metric", "sql", "label column prefix suffix decimals", 3, 2},
    {"analysis", "analysis project params limit", "kind x y", 12, 5},
};

static const struct type_rule *rule_of(const char *type)
{
    for (size_t i = 0; type && i < sizeof(rules) / sizeof(rules[0]); i++)
        if (strcmp(rules[i].type, type) == 0)
            return &rules[i];
    return NULL;
}

int board_item_has_query(const char *type)
{
    return type && strcmp(type, "markdown") != 0;
}

json_t *board_item_default_position(const char *type, long next_y)
{
    const struct type_rule *r = rule_of(type);
    return json_pack("{s:i, s:I, s:i, s:i}", "x", 0, "y", (json_int_t)next_y, "w", r ? r->w : 12,
                     "h", r ? r->h : 4);
}

/* 1 when word is one of the space-separated words in list. */
static int listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        p += len + (end != NULL);
    }
    return 0;
}

static int known_keys(const json_t *o, const char *where, const char *allowed, struct pd_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
        if (!listed(allowed, key))
            return pd_fail(err, PD_EINVAL, "field '%s%s%s': unknown (allowed: %s)", where,
                           *where ? "." : "", key, *allowed ? allowed : "nothing");
    return 0;
}

static int want_string(const json_t *o, const char *where, const char *key, int required,
                       struct pd_err *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL && !required)
        return 0;
    if (!json_is_string(v) || (required && !*json_string_value(v)))
        return pd_fail(err, PD_EINVAL, "field '%s.%s' %s a string", where, key,
                       required ? "is required:" : "must be");
    return 0;
}

static int want_int(const json_t *o, const char *where, const char *key, long min, long max,
                    struct pd_err *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return pd_fail(err, PD_EINVAL, "field '%s.%s' must be a whole number from %ld to %ld",
                       where, key, min, max);
    return 0;
}

static int check_position(const json_t *p, struct pd_err *err)
{
    static const char *const keys[] = {"x", "y", "w", "h"};
    static const long max[] = {BOARD_COLUMNS - 1, 100000, BOARD_COLUMNS, 100};
    if (!json_is_object(p))
        return pd_fail(err, PD_EINVAL, "field 'position' must be an object {x, y, w, h}");
    for (int i = 0; i < 4; i++) {
        if (!json_object_get(p, keys[i]))
            return pd_fail(err, PD_EINVAL, "field 'position.%s' is required", keys[i]);
        if (want_int(p, "position", keys[i], i < 2 ? 0 : 1, max[i], err))
            return err->code;
    }
    if (json_integer_value(json_object_get(p, "x")) + json_integer_value(json_object_get(p, "w")) >
        BOARD_COLUMNS)
        return pd_fail(err, PD_EINVAL, "field 'position': x + w must be at most %d (the grid's columns)",
                       BOARD_COLUMNS);
    return known_keys(p, "position", "x y w h", err);
}

static int check_render(const struct type_rule *r, const json_t *render, struct pd_err *err)
{
    json_t *y;
    const char *kind;
    if (render == NULL || json_is_null(render))
        return 0;
    if (!json_is_object(render))
        return pd_fail(err, PD_EINVAL, "field 'render' must be an object");
    if (known_keys(render, "render", r->render_keys, err) ||
        want_string(render, "render", "kind", 0, err) || want_string(render, "render", "x", 0, err) ||
        want_string(render, "render", "label", 0, err) ||
        want_string(render, "render", "column", 0, err) ||
        want_string(render, "render", "prefix", 0, err) ||
        want_string(render, "render", "suffix", 0, err) ||
        want_int(render, "render", "decimals", 0, 10, err))
        return err->code;
    kind = json_string_value(json_object_get(render, "kind"));
    if (kind && !listed(strcmp(r->type, "analysis") ? "bar line area scatter pie"
                                                    : "table bar line area scatter pie",
                        kind))
        return pd_fail(err, PD_EINVAL, "field 'render.kind' must be one of %s, got '%s'",
                       strcmp(r->type, "analysis") ? "bar, line, area, scatter, pie"
                                                   : "table, bar, line, area, scatter, pie",
                       kind);
    y = json_object_get(render, "y");
    if (y && !json_is_string(y)) {
        size_t i;
        json_t *e;
        int ok = json_is_array(y) && json_array_size(y) > 0;
        json_array_foreach(y, i, e) ok = ok && json_is_string(e);
        if (!ok)
            return pd_fail(err, PD_EINVAL, "field 'render.y' must be a column or a list of columns");
    }
    return 0;
}

/* The full item (type, title?, position, payload, render?) against its type's rules. */
int board_item_check(const json_t *item, struct pd_err *err)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const struct type_rule *r = rule_of(type);
    json_t *payload = json_object_get(item, "payload"), *title = json_object_get(item, "title");
    char required[32];

    if (!json_is_object(item))
        return pd_fail(err, PD_EINVAL, "an item must be an object {type, title, position, payload, render}");
    if (known_keys(item, "", "type title position payload render", err))
        return err->code;
    if (r == NULL)
        return pd_fail(err, PD_EINVAL,
                       "field 'type' must be markdown, table, chart, metric or analysis%s%s%s",
                       type ? ", got '" : "", type ? type : "", type ? "'" : "");
    if (title && !json_is_string(title) && !json_is_null(title))
        return pd_fail(err, PD_EINVAL, "field 'title' must be a string");
    if (check_position(json_object_get(item, "position"), err))
        return err->code;
    if (!json_is_object(payload))
        return pd_fail(err, PD_EINVAL, "field 'payload' is required: an object (%s item: %s)",
                       type, r->payload_keys);
    snprintf(required, sizeof(required), "%.*s", (int)strcspn(r->payload_keys, " "),
             r->payload_keys);
    if (known_keys(payload, "payload", r->payload_keys, err) ||
        want_string(payload, "payload", required, 1, err) ||
        want_string(payload, "payload", "project", 0, err) ||
        want_int(payload, "payload", "limit", 1, 10000, err))
        return err->code;
    if (json_object_get(payload, "params") && !json_is_object(json_object_get(payload, "params")))
        return pd_fail(err, PD_EINVAL, "field 'payload.params' must be an object");
    return check_render(r, json_object_get(item, "render"), err);
}

static int query_snapshot(const struct pd_boards_env *e, const char *type, const json_t *payload,
                          const json_t *filter_values, struct pd_buf *doc, struct pd_err *err)
{
    json_t *limit = json_object_get(payload, "limit");
    struct pd_query_opts o = {.timeout_s = e->timeout_s, .history = e->history,
                              .origin = "board", .read_only = 1, .params = filter_values,
                              .limit = limit ? (uint64_t)json_integer_value(limit)
                                       : strcmp(type, "metric") == 0 ? 10 : 1000};
    struct pd_buf sql = PD_BUF_INIT;
    int rc = board_filter_sql(json_string_value(json_object_get(payload, "sql")), filter_values,
                              &sql, err);
    if (rc == 0) {
        struct pd_sink *sink = pd_sink_new_doc(doc);
        struct pd_query *q = pd_query_new(e->wh, &o);
        rc = pd_query_run(q, sql.ptr, sink, NULL, err);
        pd_query_free(q);
        pd_sink_free(sink);
    }
    pd_buf_release(&sql);
    return rc;
}

static int analysis_snapshot(const struct pd_boards_env *e, const char *board_project,
                             const json_t *payload, struct pd_buf *doc, struct pd_err *err)
{
    const char *project = json_string_value(json_object_get(payload, "project"));
    json_t *params = json_object_get(payload, "params"), *limit = json_object_get(payload, "limit");
    struct dp_args args = {0};
    struct pd_assets s;
    int rc;
    if ((rc = pd_assets_open(e->wh, e->home, project ? project : board_project, NULL, &s, err)) != 0)
        return rc;
    if (params) {
        char *text = pd_json_dumps_exact(params, JSON_COMPACT);
        rc = dp_args_parse(&args, text, err);
        free(text);
    }
    if (rc == 0)
        rc = pd_assets_data(&s, json_string_value(json_object_get(payload, "analysis")), &args,
                            limit ? (long)json_integer_value(limit) : 1000, doc, err);
    dp_args_clear(&args);
    pd_assets_close(&s);
    return rc;
}

int board_snapshot(const struct pd_boards_env *e, const char *board_project, const json_t *item,
                   const json_t *filter_values, json_t **doc, char **text, struct pd_err *err)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const json_t *payload = json_object_get(item, "payload");
    struct pd_buf out = PD_BUF_INIT;
    json_error_t jerr;
    int rc;
    *doc = NULL;
    *text = NULL;
    if (!board_item_has_query(type))
        return 0;
    rc = strcmp(type, "analysis") == 0 ? analysis_snapshot(e, board_project, payload, &out, err)
                                       : query_snapshot(e, type, payload, filter_values, &out, err);
    if (rc == 0 && (*doc = pd_json_loadb_exact(out.ptr, out.len, 0, &jerr)) == NULL)
        rc = pd_fail(err, PD_EINTERNAL, "snapshot: %s", jerr.text);
    if (rc == 0 && !json_is_array(json_object_get(*doc, "columns")))
        rc = pd_fail(err, PD_EINVAL, "field 'payload.sql' returned no result");
    if (rc == 0) {
        *text = pd_buf_detach(&out, NULL);
    } else {
        json_decref(*doc);
        *doc = NULL;
    }
    pd_buf_release(&out);
    return rc;
}
