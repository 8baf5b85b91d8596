/*
 * ask.c - a question as a turn of a conversation (see ag_ask in agent.h):
 * the conversation created or continued, its earlier turns as the model's
 * context, the question and the answer kept as messages.
 */
#include "agent/agent.h"
#include "agent/conversations.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/id.h"

#include <stdlib.h>
#include <string.h>

#define CONTEXT_MESSAGES 20 /* the last messages of a conversation the model sees again */

/*
 * A kept message as the model sees it again: the question, or the answer with
 * its SQL. With no data value allowed (values_ok 0), an answer's text is not
 * repeated: it may quote values (an offline answer, an error), its SQL may not.
 */
static json_t *context_message(const json_t *m, int values_ok)
{
    const char *role = json_string_value(json_object_get(m, "role"));
    const char *content = json_string_value(json_object_get(m, "content"));
    const json_t *data = json_object_get(m, "data");
    const char *sql = json_string_value(json_object_get(data, "sql"));
    const char *error = json_string_value(json_object_get(data, "error"));
    struct pd_buf text = PD_BUF_INIT;
    json_t *out;
    if (strcmp(role, "assistant") == 0 && !values_ok)
        pd_buf_adds(&text, error ? "(no answer)" : "(the answer is not repeated: "
                                                   "agent.send_rows is none)");
    else if (strcmp(role, "assistant") == 0 && error)
        pd_buf_addf(&text, "(no answer: %s)", content);
    else
        pd_buf_adds(&text, content);
    if (sql)
        pd_buf_addf(&text, "\n\nSQL used:\n%s", sql);
    out = json_pack("{s:s, s:s}", "role", strcmp(role, "user") == 0 ? "user" : "assistant",
                    "content", text.ptr);
    /* a turn with no answer is marked, so that follow-ups are read against answered ones */
    if (strcmp(role, "assistant") == 0 && (error || json_is_false(json_object_get(data, "answered"))))
        json_object_set_new(out, "pd_unanswered", json_true());
    pd_buf_release(&text);
    return out;
}

static json_t *context_of(const json_t *messages, int values_ok)
{
    json_t *ctx = json_array();
    size_t n = json_array_size(messages);
    for (size_t i = n > CONTEXT_MESSAGES ? n - CONTEXT_MESSAGES : 0; i < n; i++)
        json_array_append_new(ctx, context_message(json_array_get(messages, i), values_ok));
    return ctx;
}

int ag_ask(struct ag_provider *p, const struct ag_env *env, const char *question,
           const struct ag_run_opts *o, struct ag_answer *out, struct pd_err *err)
{
    struct ag_env e = *env;
    struct ag_run_opts ro = *o;
    char id[PD_UUID_LEN + 1], run_id[PD_UUID_LEN + 1], schema[AG_WORK_SCHEMA_MAX];
    char *project = NULL;
    json_t *conv = NULL, *messages = NULL, *data;
    int rc;

    memset(out, 0, sizeof(*out));
    if (o->conversation_id) {
        if ((rc = ag_conv_get(env->wh, o->conversation_id, &conv, err)) != 0 ||
            (rc = ag_conv_messages(env->wh, o->conversation_id, &messages, err)) != 0) {
            json_decref(conv);
            return rc;
        }
        snprintf(id, sizeof(id), "%s", o->conversation_id);
        project = xstrdup(json_string_value(json_object_get(conv, "project")));
        json_decref(conv);
    } else if ((rc = ag_conv_create(env->wh, env->project, question, id, err)) != 0) {
        return rc;
    }
    if (o->run_id)
        snprintf(run_id, sizeof(run_id), "%s", o->run_id);
    else
        pd_uuid7(run_id);
    ag_work_schema(id, schema);
    if (project)
        e.project = project;
    e.work_schema = schema;
    ro.run_id = run_id;
    ro.conversation_id = id;
    ro.store_events = 1;
    ro.history = messages ? context_of(messages, env->send_rows > 0) : NULL;
    json_decref(messages);

    if ((rc = ag_conv_add(env->wh, id, run_id, "user", question, NULL, err)) == 0) {
        struct pd_err run_err = PD_ERR_INIT;
        if ((rc = ag_run(p, &e, question, &ro, out, &run_err)) == 0) {
            data = json_pack("{s:s?, s:O?, s:O?, s:b}", "sql", out->sql, "result", out->result,
                             "chart", out->chart, "answered", !out->unanswered);
            rc = ag_conv_add(env->wh, id, run_id, "assistant", out->text, data, err);
        } else {
            struct pd_err ignored = PD_ERR_INIT; /* the run's error is the one to report */
            data = json_pack("{s:s}", "error", pd_err_name(rc));
            ag_conv_add(env->wh, id, run_id, "assistant", run_err.msg, data, &ignored);
            pd_fail(err, rc, "%s", run_err.msg);
        }
        json_decref(data);
    }
    json_decref((json_t *)ro.history);
    free(project);
    if (rc)
        ag_answer_clear(out);
    return rc;
}
