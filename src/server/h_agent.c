/*
 * h_agent.c - /agent: a question answered by the agent as a job. Its events
 * (one envelope each) are the job's events, so late or reconnecting clients
 * replay them; a sensitive tool call waits for a decision posted to
 * /agent/{id}/approvals/{approval_id}/decision.
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"
#include "server/jobs.h"
#include "server/stream.h"

#include "agent/agent.h"
#include "agent/conversations.h"
#include "assets/projects.h"
#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/id.h"
#include "base/timeutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define APPROVAL_WAIT_S 600 /* a decision not given in time is a rejection */
#define MAX_APPROVALS 16

struct approval {
    char *id, *tool, *args, *edited;
    int decided;
    enum ag_decision decision;
};

struct agent_arg {
    struct srv *srv;
    char *question, *provider, *model, *project, *conversation;
    struct srv_job *job; /* while running */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct approval approvals[MAX_APPROVALS];
    int napprovals;
};

static void agent_arg_free(void *p)
{
    struct agent_arg *a = p;
    for (int i = 0; i < a->napprovals; i++) {
        free(a->approvals[i].id);
        free(a->approvals[i].tool);
        free(a->approvals[i].args);
        free(a->approvals[i].edited);
    }
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a->question);
    free(a->provider);
    free(a->model);
    free(a->project);
    free(a->conversation);
    free(a);
}

static void on_event(void *arg, const json_t *ev)
{
    struct agent_arg *a = arg;
    srv_job_emit_plain(a->job, json_string_value(json_object_get(ev, "type")),
                       json_deep_copy(ev));
}

/* Wait for the decision on a sensitive call (or cancel, or the time limit). */
static enum ag_decision approve(void *arg, const char *approval_id, const char *tool,
                                const char *args, char **edited)
{
    struct agent_arg *a = arg;
    volatile sig_atomic_t *cancel = srv_job_cancel_flag(a->job);
    double until = pd_mono_s() + APPROVAL_WAIT_S;
    struct approval *p;
    enum ag_decision d = AG_REJECT;
    pthread_mutex_lock(&a->mu);
    if (a->napprovals == MAX_APPROVALS) {
        pthread_mutex_unlock(&a->mu);
        return AG_REJECT;
    }
    p = &a->approvals[a->napprovals++];
    p->id = xstrdup(approval_id);
    p->tool = xstrdup(tool);
    p->args = args ? xstrdup(args) : NULL;
    while (!p->decided && !*cancel && pd_mono_s() < until) {
        struct timespec ts = pd_abstime_in_ms(200);
        pthread_cond_timedwait(&a->cv, &a->mu, &ts);
    }
    if (p->decided) {
        d = p->decision;
        if (d == AG_EDIT && p->edited)
            *edited = xstrdup(p->edited);
    } else {
        p->decided = 1;
        p->decision = AG_REJECT;
    }
    pthread_mutex_unlock(&a->mu);
    return d;
}

static char *setting(void *srv, const char *key)
{
    return srv_setting(srv, key);
}

static int run_agent(struct srv_job *job, void *arg, json_t **result, struct pd_err *err)
{
    struct agent_arg *a = arg;
    const struct pd_config *cfg = srv_config(a->srv);
    struct ag_env env = {.wh = srv_warehouse(a->srv), .sources = srv_sources(a->srv),
                         .history = srv_history(a->srv), .home = pd_config_home(cfg),
                         .project = a->project,
                         .timeout_s = pd_config_seconds(cfg, "query.timeout"),
                         .keep_rows = pd_config_int(cfg, "query.preview_rows"),
                         .cancel = srv_job_cancel_flag(job)};
    struct ag_run_opts o = {.run_id = srv_job_id(job), .conversation_id = a->conversation,
                            .on_event = on_event, .approve = approve, .arg = a,
                            .max_steps = (int)pd_config_int(cfg, "agent.max_steps"),
                            .max_tokens = pd_config_int(cfg, "agent.max_tokens")};
    struct ag_provider *p;
    struct ag_answer ans;
    char *send_rows = srv_setting(a->srv, "agent.send_rows");
    int rc;
    a->job = job;
    rc = ag_send_rows_parse(send_rows, &env.send_rows, err);
    free(send_rows);
    if (rc)
        return rc;
    if ((p = ag_provider_from_settings(setting, a->srv, env.home, a->provider, a->model, err)) ==
        NULL)
        return err->code;
    rc = ag_ask(p, &env, a->question, &o, &ans, err);
    p->free(p);
    if (rc)
        return rc;
    *result = json_pack("{s:s, s:s, s:s, s:s?, s:O?, s:O?, s:b}", "run_id", ans.run_id,
                        "conversation_id", ans.conversation_id, "answer", ans.text, "sql",
                        ans.sql, "result", ans.result, "chart", ans.chart, "answered",
                        !ans.unanswered);
    ag_answer_clear(&ans);
    return 0;
}

/* The run's names in every answer about it. */
static void render(struct srv_job *job, json_t *doc)
{
    struct agent_arg *a = srv_job_arg(job);
    json_object_set_new(doc, "run_id", json_string(srv_job_id(job)));
    json_object_set_new(doc, "conversation_id", json_string(a->conversation));
}

void srv_agent_submit(struct http_req *r, const char *question, const char *conversation)
{
    const char *provider = NULL, *model = NULL, *project = NULL;
    struct pd_err err = PD_ERR_INIT;
    struct agent_arg *a;
    char id[PD_UUID_LEN + 1];
    json_t *conv = NULL;
    if (http_arg_string(r, "provider", 0, &provider) || http_arg_string(r, "model", 0, &model) ||
        http_arg_string(r, "project", 0, &project))
        return;
    if (!*question) {
        http_reply_status(r, 422, "invalid_field", "the question is empty");
        return;
    }
    /* conversations idle too long go first (their work zones with them) */
    if (srv_expire_conversations(r, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    /* the conversation exists before the run, so the first answer can name it */
    if (conversation && ag_conv_get(srv_warehouse(srv_of(r)), conversation, &conv, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    if (conversation) {
        project = json_string_value(json_object_get(conv, "project"));
        snprintf(id, sizeof(id), "%s", conversation);
    } else if ((project && pd_project_require(srv_warehouse(srv_of(r)),
                                              pd_config_home(srv_config(srv_of(r))), project,
                                              &err) != 0) ||
               ag_conv_create(srv_warehouse(srv_of(r)), project, question, id, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    a = xcalloc(1, sizeof(*a));
    a->srv = srv_of(r);
    a->question = xstrdup(question);
    a->provider = provider ? xstrdup(provider) : NULL;
    a->model = model ? xstrdup(model) : NULL;
    a->project = project ? xstrdup(project) : NULL;
    a->conversation = xstrdup(id);
    json_decref(conv);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    srv_submit_rendered(r, "agent", NULL, run_agent, a, agent_arg_free, SRV_API "/agent", render);
}

void h_agent_run(struct http_req *r)
{
    const char *question = NULL, *conversation = NULL;
    if (http_arg_string(r, "question", 1, &question) ||
        http_arg_string(r, "conversation_id", 0, &conversation))
        return;
    srv_agent_submit(r, question, conversation);
}

/* An agent run still in memory, or NULL without answering. */
static struct srv_job *live_run(struct http_req *r)
{
    struct srv_job *job = srv_job_get(srv_jobs(srv_of(r)), http_param(r, "id"));
    if (job && strcmp(srv_job_kind(job), "agent") != 0) {
        srv_job_put(job);
        job = NULL;
    }
    return job;
}

void h_agent_get(struct http_req *r)
{
    struct srv_job *job = live_run(r);
    struct pd_err err = PD_ERR_INIT;
    json_t *doc;
    if (job) {
        doc = srv_job_json(job);
        render(job, doc);
        http_reply_json(r, 200, doc);
        srv_job_put(job);
    } else if (ag_conv_run(srv_warehouse(srv_of(r)), http_param(r, "id"), &doc, &err) == 0) {
        http_reply_json(r, 200, doc);
    } else {
        http_reply_err(r, &err);
    }
}

/* One SSE frame of data (stolen) as event seq, skipped unless after from. */
static void frame(struct pd_buf *body, json_int_t seq, json_int_t from, const char *type,
                  json_t *data)
{
    char *text = pd_json_dumps_exact(data, JSON_COMPACT);
    if (seq > from)
        pd_buf_addf(body, "id: %" JSON_INTEGER_FORMAT "\nevent: %s\ndata: %s\n\n", seq, type,
                    text);
    free(text);
    json_decref(data);
}

/*
 * A finished run's stored events as one Server-Sent Events body, numbered as
 * the live stream was (the job's "started" first, its outcome last), so
 * Last-Event-ID or ?after=N resume either.
 */
static void replay(struct http_req *r, const json_t *events, const json_t *run)
{
    const char *last = http_header(r, "Last-Event-ID"), *after = http_query(r, "after");
    const char *status = json_string_value(json_object_get(run, "status"));
    const char *id = http_param(r, "id");
    json_int_t from = last || after ? (json_int_t)strtoll(last ? last : after, NULL, 10) : 0;
    json_int_t seq = 1;
    struct pd_buf body = PD_BUF_INIT;
    json_t *end;
    const json_t *ev;
    size_t i;
    frame(&body, seq, from, "started",
          json_pack("{s:s, s:I, s:s, s:s}", "kind", "agent", "seq", seq, "type", "started",
                    "job_id", id));
    json_array_foreach(events, i, ev)
        frame(&body, ++seq, from, json_string_value(json_object_get(ev, "type")),
              json_incref((json_t *)ev));
    end = json_pack("{s:s, s:I, s:s, s:s}", "status", status, "seq", ++seq, "type", status,
                    "job_id", id);
    if (json_object_get(run, "result"))
        json_object_set(end, "result", json_object_get(run, "result"));
    if (json_object_get(run, "error"))
        json_object_set(end, "error", json_object_get(run, "error"));
    frame(&body, seq, from, status, end);
    http_reply_bytes(r, 200, "text/event-stream", body.ptr ? body.ptr : "", body.len);
    pd_buf_release(&body);
}

void h_agent_events(struct http_req *r)
{
    struct srv_job *job = live_run(r);
    struct pd_err err = PD_ERR_INIT;
    json_t *events, *run = NULL;
    if (job) {
        srv_reply_events(r, job);
        return;
    }
    if (ag_conv_run(srv_warehouse(srv_of(r)), http_param(r, "id"), &run, &err) != 0 ||
        ag_events_read(srv_warehouse(srv_of(r)), http_param(r, "id"), &events, &err) != 0) {
        json_decref(run);
        http_reply_err(r, &err);
        return;
    }
    replay(r, events, run);
    json_decref(events);
    json_decref(run);
}

static const char *decision_name(const struct approval *p)
{
    if (!p->decided)
        return "pending";
    return p->decision == AG_APPROVE ? "approve" : p->decision == AG_EDIT ? "edit" : "reject";
}

void h_agent_approvals(struct http_req *r)
{
    struct srv_job *job = srv_find_job(r, "agent", "agent run");
    struct agent_arg *a;
    json_t *list;
    if (!job)
        return;
    a = srv_job_arg(job);
    list = json_array();
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->napprovals; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s?, s:s}", "approval_id",
                                              a->approvals[i].id, "tool", a->approvals[i].tool,
                                              "arguments", a->approvals[i].args, "status",
                                              decision_name(&a->approvals[i])));
    pthread_mutex_unlock(&a->mu);
    http_reply_json(r, 200, list);
    srv_job_put(job);
}

void h_agent_decide(struct http_req *r)
{
    struct srv_job *job = srv_find_job(r, "agent", "agent run");
    const char *decision = NULL, *want = http_param(r, "approval");
    json_t *edited = json_object_get(r->body, "edited_args");
    struct agent_arg *a;
    struct approval *p = NULL;
    enum ag_decision d;
    if (!job)
        return;
    if (http_arg_string(r, "decision", 1, &decision))
        goto out;
    if (strcmp(decision, "approve") == 0)
        d = AG_APPROVE;
    else if (strcmp(decision, "reject") == 0)
        d = AG_REJECT;
    else if (strcmp(decision, "edit") == 0 && json_is_object(edited))
        d = AG_EDIT;
    else {
        http_reply_status(r, 422, "invalid_field",
                         "field 'decision' must be approve, reject or edit (edit with an object "
                         "'edited_args')");
        goto out;
    }
    a = srv_job_arg(job);
    int was_decided = 0;
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->napprovals; i++)
        if (strcmp(a->approvals[i].id, want) == 0)
            p = &a->approvals[i];
    was_decided = p && p->decided;
    if (p && !p->decided) {
        p->decided = 1;
        p->decision = d;
        if (d == AG_EDIT)
            p->edited = pd_json_dumps_exact(edited, JSON_COMPACT);
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    if (p == NULL)
        http_reply_error(r, PD_ENOTFOUND, "no approval '%s' in this run", want);
    else if (was_decided)
        http_reply_error(r, PD_EEXIST, "approval %s was decided already (%s)", want,
                        decision_name(p));
    else
        http_reply_json(r, 200, json_pack("{s:s, s:s}", "approval_id", want, "decision", decision));
out:
    srv_job_put(job);
}
