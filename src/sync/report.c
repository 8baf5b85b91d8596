/*
 * report.c - a run's report folder (see report.h). The HTML is a board
 * document - metrics, the steps, the lineage, the errors - rendered by the
 * boards' own exporter, so a run report looks like any shared board.
 */
#include "sync/report.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "boards/boards.h"
#include "sync/execute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *pd_report_boards(duckdb_connection conn, const char *project, const json_t *steps)
{
    json_t *ids = json_array(), *s, *out = json_array();
    char *text;
    size_t i;
    duckdb_result res;
    json_array_foreach(steps, i, s)
        json_array_append(ids, json_object_get(s, "id"));
    text = json_dumps(ids, JSON_COMPACT);
    const char *vals[] = {project, text};
    if (pd_exec_params(conn,
                       "SELECT DISTINCT b.name FROM _pluto.boards b JOIN _pluto.board_items i ON "
                       "i.board_id = b.id WHERE b.project = $1 AND i.type = 'analysis' AND "
                       "list_contains(CAST($2::JSON AS VARCHAR[]), json_extract_string(i.payload, "
                       "'$.analysis')) ORDER BY 1",
                       vals, 2, &res, NULL) == 0) {
        for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
            char *v = duckdb_value_varchar(&res, 0, r);
            json_array_append_new(out, json_string(v));
            duckdb_free(v);
        }
        duckdb_destroy_result(&res);
    }
    free(text);
    json_decref(ids);
    return out;
}

static char *iso(int64_t ms)
{
    char t[40];
    return xstrdup(pd_time_iso(ms, t, sizeof(t)));
}

static const char *state_of(const struct pd_run_outcome *o)
{
    return o->failed || o->error_class[0] ? "failed" : "success";
}

static json_t *metadata(const struct pd_run_info *in, const struct pd_run_outcome *o,
                        const json_t *boards)
{
    json_t *lineage = json_array(), *errors = json_array(), *s;
    char *started = iso(o->started_ms), *finished = iso(o->finished_ms);
    size_t i;
    json_array_foreach(o->steps, i, s) {
        json_array_append_new(lineage, json_pack("{s:O, s:O}", "step", json_object_get(s, "id"),
                                                 "reads", json_object_get(s, "reads")));
        if (json_object_get(s, "error"))
            json_array_append_new(errors, json_pack("{s:O, s:O}", "step",
                                                    json_object_get(s, "id"), "error",
                                                    json_object_get(s, "error")));
    }
    if (json_array_size(errors) == 0 && o->error_message[0])
        json_array_append_new(errors, json_pack("{s:n, s:s}", "step", "error", o->error_message));
    json_t *m = json_pack(
        "{s:i, s:s, s:s, s:s, s:i, s:s, s:s?, s:s?, s:b, s:s, s:s, s:s, s:s, s:f, s:O, s:o, s:o, "
        "s:O, s:o, s:s?, s:s?}",
        "format", 1, "run_id", in->run_id, "project", in->project, "pipeline_id", in->pipeline_id,
        "pipeline_version", in->pipeline_version, "trigger", in->trigger, "schedule_id",
        in->schedule_id, "occurrence_id", in->occurrence_id, "catch_up", in->catch_up, "engine",
        o->engine, "state", state_of(o), "started_at", started, "finished_at", finished,
        "duration_s", (double)(o->finished_ms - o->started_ms) / 1000.0, "steps", o->steps,
        "errors", errors, "lineage", lineage, "boards", boards, "environment",
        in->environment ? json_incref((json_t *)in->environment) : json_object(), "error_class",
        o->error_class[0] ? o->error_class : NULL, "error_message",
        o->error_message[0] ? o->error_message : NULL);
    free(started);
    free(finished);
    return m;
}

/* ---- the HTML: a board document ------------------------------------------------------------ */

static json_t *item(const char *type, const char *title, int x, int y, int w, int h)
{
    return json_pack("{s:s, s:s, s:{s:i, s:i, s:i, s:i}}", "type", type, "title", title,
                     "position", "x", x, "y", y, "w", w, "h", h);
}

static json_t *metric(const char *label, json_t *value, int x)
{
    json_t *it = item("metric", label, x, 0, 3, 1);
    json_object_set_new(it, "render", json_pack("{s:s}", "label", label));
    json_object_set_new(it, "payload", json_object());
    json_object_set_new(it, "snapshot",
                        json_pack("{s:[{s:s, s:s}], s:[[o]], s:i}", "columns", "name", label,
                                  "type", "VARCHAR", "rows", value, "row_count", 1));
    return it;
}

static json_t *table(const char *title, json_t *columns, json_t *rows, int y, const char *at)
{
    json_t *it = item("table", title, 0, y, 12, 4), *cols = json_array(), *c;
    size_t i;
    json_array_foreach(columns, i, c)
        json_array_append_new(cols, json_pack("{s:O, s:s}", "name", c, "type", "VARCHAR"));
    json_decref(columns);
    json_object_set_new(it, "payload", json_object());
    json_object_set_new(it, "snapshot_at", json_string(at));
    json_object_set_new(it, "snapshot", json_pack("{s:o, s:I, s:o}", "columns", cols,
                                                  "row_count", (json_int_t)json_array_size(rows),
                                                  "rows", rows));
    return it;
}

static json_t *markdown(const char *title, const char *text, int y)
{
    json_t *it = item("markdown", title, 0, y, 12, 1);
    json_object_set_new(it, "payload", json_pack("{s:s}", "text", text));
    return it;
}

static void md_line(struct pd_buf *b, const char *prefix, const char *text)
{
    pd_buf_adds(b, prefix);
    for (const char *c = text; *c; c++) /* a line of plain text: no Markdown of its own */
        pd_buf_addc(b, *c == '\n' ? ' ' : *c);
    pd_buf_addc(b, '\n');
}

static json_t *board(const struct pd_run_info *in, const json_t *meta)
{
    json_t *items = json_array(), *steps = json_array(), *lineage = json_array(), *s;
    const json_t *all = json_object_get(meta, "steps");
    const char *at = json_string_value(json_object_get(meta, "finished_at"));
    struct pd_buf t = PD_BUF_INIT;
    char name[200], num[64];
    size_t i;
    json_array_append_new(items, metric("status", json_copy(json_object_get(meta, "state")), 0));
    snprintf(num, sizeof(num), "%.2f s",
             json_real_value(json_object_get(meta, "duration_s")));
    json_array_append_new(items, metric("duration", json_string(num), 3));
    snprintf(num, sizeof(num), "%zu", json_array_size(all));
    json_array_append_new(items, metric("steps", json_string(num), 6));
    snprintf(num, sizeof(num), "v%d", in->pipeline_version);
    json_array_append_new(items, metric("pipeline version", json_string(num), 9));
    json_array_foreach(all, i, s) {
        json_t *rows = json_object_get(s, "rows"), *r, *reads = json_object_get(s, "reads");
        struct pd_buf list = PD_BUF_INIT;
        size_t k;
        snprintf(num, sizeof(num), "%.3f", json_real_value(json_object_get(s, "seconds")));
        json_array_append_new(
            steps, json_pack("[O, O, O, o, s, s]", json_object_get(s, "id"),
                             json_object_get(s, "kind"), json_object_get(s, "status"),
                             json_is_integer(rows) ? json_copy(rows) : json_string(""), num,
                             json_string_value(json_object_get(s, "reason"))
                                 ? json_string_value(json_object_get(s, "reason"))
                                 : ""));
        json_array_foreach(reads, k, r)
            pd_buf_addf(&list, "%s%s", k ? ", " : "", json_string_value(r));
        json_array_append_new(lineage,
                              json_pack("[O, s]", json_object_get(s, "id"), list.len ? list.ptr : ""));
        pd_buf_release(&list);
    }
    json_array_append_new(items, table("Steps", json_pack("[s, s, s, s, s, s]", "step", "kind",
                                                          "status", "rows", "seconds", "reason"),
                                       steps, 1, at));
    json_array_append_new(items, table("Lineage", json_pack("[s, s]", "step", "reads"), lineage,
                                       5, at));
    json_array_foreach(json_object_get(meta, "errors"), i, s) {
        const char *step = json_string_value(json_object_get(s, "step"));
        pd_buf_addf(&t, "- %s: ", step ? step : "run");
        md_line(&t, "", json_string_value(json_object_get(s, "error")));
    }
    if (t.len)
        json_array_append_new(items, markdown("Errors", t.ptr, 9));
    pd_buf_reset(&t);
    json_array_foreach(json_object_get(meta, "boards"), i, s)
        md_line(&t, "- ", json_string_value(s));
    json_array_append_new(items, markdown("Boards that read these results",
                                          t.len ? t.ptr : "none", 10));
    pd_buf_release(&t);
    snprintf(name, sizeof(name), "Run %.36s", in->run_id);
    pd_buf_addf(&t, "%s of %s, pipeline version %d, %s", in->catch_up ? "a catch-up run" : "a run",
                in->project, in->pipeline_version,
                json_string_value(json_object_get(meta, "started_at")));
    json_t *b = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "description", t.ptr, "project",
                          in->project, "items", items);
    pd_buf_release(&t);
    return b;
}

char *pd_report_dir(const char *home, const char *run_id)
{
    return xasprintf("%s/reports/%s", home, run_id);
}

int pd_report_write(const char *home, const struct pd_run_info *info,
                    const struct pd_run_outcome *o, const json_t *boards, char **dir,
                    struct pd_err *err)
{
    json_t *meta = metadata(info, o, boards), *doc;
    struct pd_buf html = PD_BUF_INIT;
    char *text, *path;
    int rc;
    *dir = pd_report_dir(home, info->run_id);
    if ((rc = pd_mkdir_p(*dir, 0700, err)) != 0)
        goto done;
    doc = board(info, meta);
    pd_report_render(doc, PD_REPORT_HTML, &html);
    json_decref(doc);
    path = xasprintf("%s/report.html", *dir);
    rc = pd_write_file_atomic(path, html.ptr, html.len, err);
    free(path);
    if (rc == 0) {
        text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
        path = xasprintf("%s/metadata.json", *dir);
        rc = pd_write_file_atomic(path, text, strlen(text), err);
        free(path);
        free(text);
    }
done:
    json_decref(meta);
    pd_buf_release(&html);
    if (rc) {
        free(*dir);
        *dir = NULL;
    }
    return rc;
}
