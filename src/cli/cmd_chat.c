/*
 * cmd_chat.c - `pluto-duck chat`: a conversation with the agent, one question
 * per line, each follow-up answered with the earlier turns as context; and
 * the kept conversations: chat list, chat show ID, chat delete ID.
 */
#include "cli/asking.h"
#include "cli/cli.h"
#include "cli/records.h"

#include "agent/conversations.h"
#include "base/jexact.h"
#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

#define LINE_MAX_CHARS 16384

static void print_json(const json_t *doc)
{
    char *text = pd_json_dumps_exact(doc, JSON_COMPACT);
    fprintf(cli_out, "%s\n", text);
    free(text);
}

static int list(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    static const char *const names[] = {"id", "title", "messages", "updated_at"};
    struct cli_records rec;
    json_t *convs, *c;
    size_t i;
    int rc = ag_conv_list(ctx->wh, cli_arg(a, "project"), &convs, err);
    if (rc)
        return rc;
    if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL) {
        print_json(convs);
        json_decref(convs);
        return 0;
    }
    cli_records_init(&rec, 4, names);
    json_array_foreach(convs, i, c) {
        char count[24];
        const char *cells[4];
        snprintf(count, sizeof(count), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(c, "messages")));
        cells[0] = json_string_value(json_object_get(c, "id"));
        cells[1] = json_string_value(json_object_get(c, "title"));
        cells[2] = count;
        cells[3] = json_string_value(json_object_get(c, "updated_at"));
        cli_records_add(&rec, cells);
    }
    cli_records_print(ctx, &rec);
    json_decref(convs);
    return 0;
}

static int show(struct cli_ctx *ctx, const char *id, struct pd_err *err)
{
    json_t *conv, *messages, *m;
    size_t i;
    int rc = ag_conv_get(ctx->wh, id, &conv, err);
    if (rc == 0 && (rc = ag_conv_messages(ctx->wh, id, &messages, err)) == 0) {
        if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL) {
            json_object_set(conv, "messages", messages);
            print_json(conv);
        } else {
            fprintf(cli_out, "%s  %s\n", id, json_string_value(json_object_get(conv, "title")));
            json_array_foreach(messages, i, m) {
                const char *sql =
                    json_string_value(json_object_get(json_object_get(m, "data"), "sql"));
                fprintf(cli_out, "\n%s: %s\n",
                        json_string_value(json_object_get(m, "role")),
                        json_string_value(json_object_get(m, "content")));
                if (sql)
                    fprintf(cli_out, "%s\n", sql);
            }
        }
        json_decref(messages);
    }
    json_decref(conv);
    return rc;
}

/* The interactive loop: a question per line until EOF, "exit" or "quit". */
/* A question that failed, as a line of --format json output. */
static void print_failed(const char *question, const struct pd_err *e)
{
    json_t *doc = json_pack("{s:s, s:b, s:{s:s, s:s}}", "question", question, "answered", 0,
                            "error", "code", pd_err_name(e->code), "message", e->msg);
    print_json(doc);
    json_decref(doc);
}

static int converse(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    struct cli_asker k;
    char *line = xmalloc(LINE_MAX_CHARS), *conversation = NULL;
    int rc = cli_asker_open(&k, ctx, a, err), failures = 0;
    int json = ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL;
    if (rc == 0 && cli_arg(a, "resume")) {
        json_t *conv;
        if ((rc = ag_conv_get(ctx->wh, cli_arg(a, "resume"), &conv, err)) == 0) {
            conversation = xstrdup(cli_arg(a, "resume"));
            fprintf(cli_err, "continuing %s: %s\n", conversation,
                    json_string_value(json_object_get(conv, "title")));
            json_decref(conv);
        }
    }
    if (rc == 0 && ctx->tty_in)
        fprintf(cli_err, "Ask about your data; follow-ups keep the context. \"exit\" or Ctrl-D "
                         "ends.\n");
    while (rc == 0 && !*ctx->interrupted) {
        struct ag_answer ans;
        struct pd_err ask_err = PD_ERR_INIT;
        size_t n;
        if (ctx->tty_in) {
            fputs("? ", cli_err);
            fflush(cli_err);
        }
        if (!fgets(line, LINE_MAX_CHARS, cli_in))
            break;
        n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (strcmp(line, "exit") == 0 || strcmp(line, "quit") == 0 || strcmp(line, "\\q") == 0)
            break;
        if (cli_ask(&k, conversation, line, &ans, &ask_err) != 0) {
            /* one failed question does not end the conversation; a script still gets
               a line for it, so its output lines match its input lines */
            fprintf(cli_err, "error: %s\n", ask_err.msg);
            if (json)
                print_failed(line, &ask_err);
            failures++;
            continue;
        }
        if (conversation == NULL)
            conversation = xstrdup(ans.conversation_id);
        if (ans.unanswered) { /* the provider says why; the conversation goes on */
            fprintf(cli_err, "%s\n", ans.text);
            if (json)
                cli_answer_print(ctx, &ans);
            failures++;
            ag_answer_clear(&ans);
            continue;
        }
        cli_answer_print(ctx, &ans);
        if (!json)
            fputc('\n', cli_out);
        ag_answer_clear(&ans);
    }
    cli_asker_close(&k);
    if (rc == 0 && conversation)
        fprintf(cli_err, "conversation %s (continue: pluto-duck chat --resume %s)\n",
                conversation, conversation);
    if (rc == 0 && failures)
        rc = pd_fail(err, PD_EINVAL, "%d question%s could not be answered", failures,
                     failures == 1 ? "" : "s");
    free(conversation);
    free(line);
    return rc;
}

int cmd_chat(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *action = a->npos ? a->pos[0] : NULL;
    if (action == NULL)
        return converse(ctx, a, err);
    if (strcmp(action, "list") == 0)
        return list(ctx, a, err);
    if (strcmp(action, "show") != 0 && strcmp(action, "delete") != 0)
        return pd_fail(err, PD_EUSAGE, "unknown action '%s': list, show or delete (or none, to "
                                       "talk)", action);
    if (a->npos < 2)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck chat %s CONVERSATION_ID", action);
    if (strcmp(action, "show") == 0)
        return show(ctx, a->pos[1], err);
    int rc = ag_conv_delete(ctx->wh, a->pos[1], err);
    if (rc == 0)
        fprintf(cli_out, "deleted conversation %s and its work zone\n", a->pos[1]);
    return rc;
}
