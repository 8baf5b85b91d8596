/*
 * asking.c - the agent from the command line (see asking.h).
 */
#include "cli/asking.h"
#include "cli/cli.h"
#include "cli/records.h"

#include "agent/agent.h"
#include "agent/conversations.h"
#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

/* One line on stderr per step. */
static void on_event(void *arg, const json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *sub = json_string_value(json_object_get(ev, "subtype"));
    const json_t *c = json_object_get(ev, "content");
    (void)arg;
    if (strcmp(type, "tool") == 0 && strcmp(sub, "start") == 0) {
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *args = json_loads(json_string_value(json_object_get(c, "arguments")), 0, NULL);
        const char *sql = json_string_value(json_object_get(args, "sql"));
        const char *table = json_string_value(json_object_get(args, "table"));
        fprintf(cli_err, "  > %s%s%s\n", name ? name : "?", sql || table ? " " : "",
                sql ? sql : table ? table : "");
        json_decref(args);
    } else if (strcmp(type, "tool") == 0 && strcmp(sub, "error") == 0) {
        fprintf(cli_err, "    error: %s\n", json_string_value(json_object_get(c, "error")));
    } else if (strcmp(type, "reasoning") == 0) {
        fprintf(cli_err, "  %s\n", json_string_value(json_object_get(c, "text")));
    }
    fflush(cli_err);
}

/* A sensitive tool call: --approve-all, or y/n on a terminal; refused otherwise. */
static enum ag_decision approve(void *arg, const char *approval_id, const char *tool,
                                const char *args, char **edited)
{
    struct cli_asker *k = arg;
    char line[64];
    (void)approval_id;
    (void)edited;
    if (k->approve_all)
        return AG_APPROVE;
    if (!k->ctx->tty_in || !k->ctx->tty_err) {
        fprintf(cli_err, "    %s needs approval: run on a terminal or pass --approve-all\n", tool);
        return AG_REJECT;
    }
    fprintf(cli_err, "    allow %s %s? [y/N] ", tool, args ? args : "");
    fflush(cli_err);
    if (!fgets(line, sizeof(line), cli_in))
        return AG_REJECT;
    return line[0] == 'y' || line[0] == 'Y' ? AG_APPROVE : AG_REJECT;
}

static void print_result(const struct cli_ctx *ctx, const json_t *doc)
{
    const json_t *cols = json_object_get(doc, "columns"), *rows = json_object_get(doc, "rows");
    int n = (int)json_array_size(cols);
    const char **names = xcalloc((size_t)n + 1, sizeof(*names));
    const char **cells = xcalloc((size_t)n + 1, sizeof(*cells));
    char **texts = xcalloc((size_t)n + 1, sizeof(*texts));
    struct cli_records rec;
    json_t *row;
    size_t i;
    for (int c = 0; c < n; c++)
        names[c] = json_string_value(json_object_get(json_array_get(cols, (size_t)c), "name"));
    cli_records_init(&rec, n, names);
    json_array_foreach(rows, i, row) {
        for (int c = 0; c < n; c++) {
            json_t *v = json_array_get(row, (size_t)c);
            texts[c] = json_is_null(v) ? NULL
                       : json_is_string(v) && !pd_json_number_text(v) ? xstrdup(json_string_value(v))
                                           : pd_json_dumps_exact(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
            cells[c] = texts[c];
        }
        cli_records_add(&rec, cells);
        for (int c = 0; c < n; c++)
            free(texts[c]);
    }
    cli_records_print(ctx, &rec);
    free(names);
    free(cells);
    free(texts);
}

int cli_asker_open(struct cli_asker *k, struct cli_ctx *ctx, const struct cli_args *a,
                   struct pd_err *err)
{
    int expired, rc;
    memset(k, 0, sizeof(*k));
    k->ctx = ctx;
    k->approve_all = cli_given(a, "approve-all");
    k->env = (struct ag_env){.wh = ctx->wh, .history = ctx->history, .sources = ctx->sources,
                             .home = pd_config_home(ctx->cfg), .project = cli_arg(a, "project"),
                             .timeout_s = pd_config_seconds(ctx->cfg, "query.timeout"),
                             .keep_rows = pd_config_int(ctx->cfg, "query.preview_rows"),
                             .cancel = ctx->interrupted};
    k->max_steps = (int)pd_config_int(ctx->cfg, "agent.max_steps");
    k->max_tokens = pd_config_int(ctx->cfg, "agent.max_tokens");
    if ((rc = ag_send_rows(ctx->cfg, &k->env.send_rows, err)) != 0)
        return rc;
    if ((rc = ag_conv_expire(ctx->wh, pd_config_seconds(ctx->cfg, "agent.conversation_ttl"),
                             &expired, err)) != 0)
        return rc;
    if ((k->provider = ag_provider_from_config(ctx->cfg, cli_arg(a, "provider"),
                                               cli_arg(a, "model"), err)) == NULL)
        return err->code;
    return 0;
}

void cli_asker_close(struct cli_asker *k)
{
    if (k->provider)
        k->provider->free(k->provider);
    k->provider = NULL;
}

int cli_ask(struct cli_asker *k, const char *conversation_id, const char *question,
            struct ag_answer *ans, struct pd_err *err)
{
    struct ag_run_opts o = {.conversation_id = conversation_id, .on_event = on_event,
                            .approve = approve, .arg = k, .max_steps = k->max_steps,
                            .max_tokens = k->max_tokens};
    return ag_ask(k->provider, &k->env, question, &o, ans, err);
}

void cli_answer_print(const struct cli_ctx *ctx, const struct ag_answer *ans)
{
    if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:s?, s:O?, s:O?, s:b}", "run_id", ans->run_id,
                                "conversation_id", ans->conversation_id, "answer", ans->text,
                                "sql", ans->sql, "result", ans->result, "chart", ans->chart,
                                "answered", !ans->unanswered);
        char *text = pd_json_dumps_exact(doc, JSON_COMPACT);
        fprintf(cli_out, "%s\n", text);
        free(text);
        json_decref(doc);
    } else if (ans->sql == NULL) { /* an answer in words only */
        fprintf(cli_out, "%s\n", ans->text);
    } else {
        fprintf(cli_out, "%s\n\n%s\n\n", ans->text, ans->sql);
        print_result(ctx, ans->result);
        if (ans->chart)
            fprintf(cli_out, "\nsuggested chart: %s of %s by %s\n",
                    json_string_value(json_object_get(ans->chart, "type")),
                    json_string_value(json_object_get(ans->chart, "y")),
                    json_string_value(json_object_get(ans->chart, "x")));
    }
    fflush(cli_out);
}

int cli_answer_save(struct cli_ctx *ctx, const struct cli_args *a, const struct ag_answer *ans,
                    const char *id, struct pd_err *err)
{
    struct ag_env env = {.wh = ctx->wh, .sources = ctx->sources, .home = pd_config_home(ctx->cfg),
                         .project = cli_arg(a, "project"), .cancel = ctx->interrupted};
    struct ag_tool_result res;
    json_t *args;
    char *text;
    int rc;
    if (ans->sql == NULL)
        return pd_fail(err, PD_EINVAL, "the answer has no SQL to save");
    /* the same tool the agent saves with, so the same checks apply */
    args = json_pack("{s:s, s:s, s:s}", "id", id, "sql", ans->sql, "description", a->pos[0]);
    text = pd_json_dumps_exact(args, JSON_COMPACT);
    rc = ag_tool_call(&env, "save_analysis", text, &res, err);
    if (rc == 0) {
        fprintf(cli_err, "saved as analysis %s (run it: pluto-duck analysis run %s)\n", id, id);
        ag_tool_result_clear(&res);
    }
    free(text);
    json_decref(args);
    return rc;
}
