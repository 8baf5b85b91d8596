/*
 * cmd_board.c - `pluto-duck board list|create|show|add|refresh|remove|delete|export`.
 */
#include "cli/cli.h"

#include "base/jexact.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/path.h"
#include "boards/boards.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pd_boards_env env_of(const struct cli_ctx *ctx)
{
    struct pd_boards_env e = {.wh = ctx->wh, .home = pd_config_home(ctx->cfg),
                              .timeout_s = pd_config_seconds(ctx->cfg, "query.timeout"),
                              .history = ctx->history};
    return e;
}

static json_t *parse(const char *text)
{
    return pd_json_loads_exact(text, 0, NULL);
}

/* "x,y,w,h" as a position object, or NULL. */
static json_t *position_of(const char *s)
{
    long v[4];
    char tail;
    if (sscanf(s, "%ld,%ld,%ld,%ld%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4)
        return NULL;
    return json_pack("{s:I, s:I, s:I, s:I}", "x", (json_int_t)v[0], "y", (json_int_t)v[1], "w",
                     (json_int_t)v[2], "h", (json_int_t)v[3]);
}

/*
 * --text as typed in a shell, where a newline is hard to type: "\n" is a line
 * break, "\t" a tab, "\\" a backslash; any other backslash stays.
 */
static char *text_unescaped(const char *s)
{
    struct pd_buf b = PD_BUF_INIT;
    for (; *s; s++) {
        if (s[0] == '\\' && (s[1] == 'n' || s[1] == 't' || s[1] == '\\')) {
            pd_buf_addc(&b, s[1] == 'n' ? '\n' : s[1] == 't' ? '\t' : '\\');
            s++;
        } else {
            pd_buf_addc(&b, *s);
        }
    }
    return pd_buf_detach(&b, NULL);
}

/* The item the options describe. */
static int item_of(const struct cli_args *a, json_t **out, struct pd_err *err)
{
    const char *type = cli_arg(a, "type"), *sql = cli_arg(a, "sql"), *text = cli_arg(a, "text");
    const char *analysis = cli_arg(a, "analysis"), *kind = cli_arg(a, "kind");
    json_t *item = json_object(), *payload = json_object(), *render = json_object();
    struct pd_buf file = PD_BUF_INIT;
    int ny, rc = 0;
    const char *const *ys = cli_arg_all(a, "y", &ny);

    if (cli_arg(a, "file")) {
        FILE *f = strcmp(cli_arg(a, "file"), "-") ? fopen(cli_arg(a, "file"), "r") : cli_in;
        if (!f) {
            rc = pd_fail(err, PD_EINVAL, "cannot read %s", cli_arg(a, "file"));
            goto out;
        }
        rc = cli_read_stream(f, cli_arg(a, "file"), &file, err);
        if (f != cli_in)
            fclose(f);
        if (rc)
            goto out;
        sql = file.ptr;
    }
    if (!type)
        type = text ? "markdown" : analysis ? "analysis" : kind ? "chart" : "table";
    json_object_set_new(item, "type", json_string(type));
    if (cli_arg(a, "title"))
        json_object_set_new(item, "title", json_string(cli_arg(a, "title")));
    if (cli_arg(a, "position")) {
        json_t *p = position_of(cli_arg(a, "position"));
        if (!p) {
            rc = pd_fail(err, PD_EUSAGE, "--position must be X,Y,W,H (such as 0,0,6,4), got '%s'",
                         cli_arg(a, "position"));
            goto out;
        }
        json_object_set_new(item, "position", p);
    }
    if (text) {
        char *unescaped = text_unescaped(text);
        json_object_set_new(payload, "text", json_string(unescaped));
        free(unescaped);
    }
    if (sql)
        json_object_set_new(payload, "sql", json_string(sql));
    if (analysis)
        json_object_set_new(payload, "analysis", json_string(analysis));
    if (cli_arg(a, "limit"))
        json_object_set_new(payload, "limit", json_integer(atol(cli_arg(a, "limit"))));
    if (kind)
        json_object_set_new(render, "kind", json_string(kind));
    if (cli_arg(a, "x"))
        json_object_set_new(render, "x", json_string(cli_arg(a, "x")));
    if (ny) {
        json_t *y = json_array();
        for (int i = 0; i < ny; i++)
            json_array_append_new(y, json_string(ys[i]));
        json_object_set_new(render, "y", y);
    }
    if (cli_arg(a, "label"))
        json_object_set_new(render, "label", json_string(cli_arg(a, "label")));
    json_object_set(item, "payload", payload);
    if (json_object_size(render))
        json_object_set(item, "render", render);
out:
    json_decref(payload);
    json_decref(render);
    pd_buf_release(&file);
    if (rc)
        json_decref(item);
    else
        *out = item;
    return rc;
}

static void print_board(const struct cli_ctx *ctx, const char *text)
{
    json_t *b = parse(text), *item;
    size_t i;
    if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL || !b) {
        fprintf(cli_out, "%s\n", text);
        json_decref(b);
        return;
    }
    fprintf(cli_out, "%s (project %s)\n", json_string_value(json_object_get(b, "name")),
            json_string_value(json_object_get(b, "project")));
    if (json_string_value(json_object_get(b, "description")))
        fprintf(cli_out, "%s\n", json_string_value(json_object_get(b, "description")));
    fprintf(cli_out, "\n%-36s  %-8s  %-11s  %-24s  %s\n", "item", "type", "position", "title",
            "snapshot");
    json_array_foreach(json_object_get(b, "items"), i, item) {
        json_t *p = json_object_get(item, "position"), *snap = json_object_get(item, "snapshot");
        char pos[48], shot[96];
        snprintf(pos, sizeof(pos), "%lld,%lld,%lld,%lld",
                 (long long)json_integer_value(json_object_get(p, "x")),
                 (long long)json_integer_value(json_object_get(p, "y")),
                 (long long)json_integer_value(json_object_get(p, "w")),
                 (long long)json_integer_value(json_object_get(p, "h")));
        if (json_is_object(snap))
            snprintf(shot, sizeof(shot), "%lld row%s, %s",
                     (long long)json_integer_value(json_object_get(snap, "row_count")),
                     json_integer_value(json_object_get(snap, "row_count")) == 1 ? "" : "s",
                     json_string_value(json_object_get(item, "snapshot_at")));
        else
            snprintf(shot, sizeof(shot), "-");
        fprintf(cli_out, "%-36s  %-8s  %-11s  %-24.24s  %s\n",
                json_string_value(json_object_get(item, "id")),
                json_string_value(json_object_get(item, "type")), pos,
                json_string_value(json_object_get(item, "title"))
                    ? json_string_value(json_object_get(item, "title"))
                    : "",
                shot);
    }
    if (json_array_size(json_object_get(b, "items")) == 0)
        fprintf(cli_out, "(no items yet: pluto-duck board add %s --sql ...)\n",
                json_string_value(json_object_get(b, "name")));
    json_decref(b);
}

static int export(const struct cli_ctx *ctx, const struct cli_args *a, const char *project,
                  const char *board, struct pd_err *err)
{
    struct pd_boards_env e = env_of(ctx);
    const char *output = cli_arg(a, "output"), *name = ctx->format_given ? ctx->format_name : NULL;
    enum pd_report_format fmt = PD_REPORT_HTML;
    struct pd_buf out = PD_BUF_INIT;
    int rc;
    if (!name && output && strlen(output) > 3 && strcmp(output + strlen(output) - 3, ".md") == 0)
        name = "md";
    if (name && pd_report_format_parse(name, &fmt) != 0)
        return pd_fail(err, PD_EUSAGE, "board export: --format must be html or md, got '%s'", name);
    if ((rc = pd_board_export(&e, project, board, fmt, &out, err)) != 0)
        goto done;
    if (output) {
        if ((rc = pd_write_file_atomic(output, out.ptr, out.len, err)) == 0)
            fprintf(cli_err, "wrote %s (%zu bytes)\n", output, out.len);
    } else {
        fwrite(out.ptr, 1, out.len, cli_out);
    }
done:
    pd_buf_release(&out);
    return rc;
}

int cmd_board(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct pd_boards_env e = env_of(ctx);
    const char *action = a->pos[0], *project = cli_arg(a, "project");
    const char *board = a->npos > 1 ? a->pos[1] : NULL, *item_id = a->npos > 2 ? a->pos[2] : NULL;
    char *text = NULL;
    json_t *item = NULL;
    int rc;

    if (!strcmp(action, "list")) {
        struct pd_sink *sink = cli_sink(ctx, ctx->format, 0);
        rc = pd_boards_list(&e, project, sink, err);
        pd_sink_free(sink);
        return rc;
    }
    if (strcmp(action, "create") && strcmp(action, "show") && strcmp(action, "add") &&
        strcmp(action, "refresh") && strcmp(action, "remove") && strcmp(action, "delete") &&
        strcmp(action, "export"))
        return pd_fail(err, PD_EUSAGE,
                       "unknown action '%s': list, create, show, add, refresh, remove, delete or "
                       "export",
                       action);
    if (!board)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck board %s BOARD%s", action,
                       strcmp(action, "remove") ? "" : " ITEM");
    if (!strcmp(action, "export"))
        return export(ctx, a, project, board, err);
    if (!strcmp(action, "create")) {
        if ((rc = pd_board_create(&e, project, board, cli_arg(a, "description"), &text, err)) == 0)
            fprintf(cli_out, "created board %s (add items: pluto-duck board add %s --sql ...)\n",
                    board, board);
    } else if (!strcmp(action, "show")) {
        if ((rc = pd_board_get(&e, project, board, &text, err)) == 0)
            print_board(ctx, text);
    } else if (!strcmp(action, "add")) {
        if ((rc = item_of(a, &item, err)) == 0 &&
            (rc = pd_board_item_add(&e, project, board, item, &text, err)) == 0) {
            json_t *it = parse(text), *snap = json_object_get(it, "snapshot");
            if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL)
                fprintf(cli_out, "%s\n", text);
            else if (json_is_object(snap))
                fprintf(cli_out, "added %s item %s to board %s (%lld row%s)\n",
                        json_string_value(json_object_get(it, "type")),
                        json_string_value(json_object_get(it, "id")), board,
                        (long long)json_integer_value(json_object_get(snap, "row_count")),
                        json_integer_value(json_object_get(snap, "row_count")) == 1 ? "" : "s");
            else
                fprintf(cli_out, "added %s item %s to board %s\n",
                        json_string_value(json_object_get(it, "type")),
                        json_string_value(json_object_get(it, "id")), board);
            json_decref(it);
        }
    } else if (!strcmp(action, "refresh")) {
        if ((rc = pd_board_refresh(&e, project, board, item_id, &text, err)) == 0) {
            json_t *b = parse(text), *fail;
            size_t i;
            json_array_foreach(json_object_get(b, "refresh_errors"), i, fail)
                cli_warn("item %s kept its old snapshot: %s",
                         json_string_value(json_object_get(fail, "item")),
                         json_string_value(json_object_get(fail, "error")));
            if (json_array_size(json_object_get(b, "refresh_errors")))
                rc = pd_fail(err, PD_EINVAL, "%zu item%s could not be refreshed",
                             json_array_size(json_object_get(b, "refresh_errors")),
                             json_array_size(json_object_get(b, "refresh_errors")) == 1 ? "" : "s");
            else
                fprintf(cli_out, "refreshed board %s\n", board);
            json_decref(b);
        }
    } else if (!strcmp(action, "remove")) {
        if (!item_id)
            return pd_fail(err, PD_EUSAGE, "usage: pluto-duck board remove BOARD ITEM");
        if ((rc = pd_board_item_delete(&e, project, board, item_id, err)) == 0)
            fprintf(cli_out, "removed item %s from board %s\n", item_id, board);
    } else {
        if ((rc = pd_board_delete(&e, project, board, err)) == 0)
            fprintf(cli_out, "deleted board %s\n", board);
    }
    free(text);
    json_decref(item);
    return rc;
}
