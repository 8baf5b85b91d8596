/*
 * agent.h - an agent run: a question answered by a model that calls tools.
 *
 * The loop sends the conversation and the tools to a provider, runs the tool
 * calls it answers with (approval first for sensitive ones), sends the results
 * back, and stops at a final answer, an error, or the step limit. Everything
 * that happens is an event in one envelope (type, subtype, content, metadata
 * {run_id, conversation_id, sequence}, timestamp) given to the caller as it
 * happens.
 *
 * A provider is one function: given the messages (Chat Completions shape) and
 * the tools, the assistant's next message - text, tool calls, or both. A final
 * message may also carry "pd_chart" {type, x, y} (a suggested chart) and
 * "pd_unanswered": true (the text says why there is no answer, and the SQL run
 * before is not the answer). Any reply may carry "pd_tokens", what the request
 * cost in tokens, counted against the run's limit.
 */
#ifndef PD_AGENT_H
#define PD_AGENT_H

#include <jansson.h>

#include "agent/tools.h"

struct pd_err;

struct ag_provider {
    const char *name;
    /* *reply: {"role":"assistant","content":...,"tool_calls":[{id,type,function:{name,arguments}}]} */
    int (*next)(struct ag_provider *p, const json_t *messages, const json_t *tools, json_t **reply,
                struct pd_err *err);
    void (*free)(struct ag_provider *p);
    /* Set by the loop: called with each piece of text as it streams in (may be NULL). */
    void (*on_text)(void *arg, const char *text);
    void *on_text_arg;
};

/* The offline, deterministic provider (see local.h). */
struct ag_provider *ag_provider_local(void);

/* An OpenAI-compatible Chat Completions API at base_url (".../v1"); key may be NULL. */
struct ag_provider *ag_provider_openai(const char *base_url, const char *model, const char *key,
                                       double timeout_s);

/*
 * The provider the settings name (llm.provider, llm.base_url, llm.model,
 * llm.timeout; the API key from OPENAI_API_KEY or the secret store's
 * llm.api_key). provider and model override the settings when set.
 */
struct pd_config;
struct ag_provider *ag_provider_from_config(const struct pd_config *cfg, const char *provider,
                                            const char *model, struct pd_err *err);

/*
 * The same from settings looked up by get (a heap copy of key's value, or
 * NULL), for a server whose settings change while it runs; home holds the
 * secret store.
 */
typedef char *(*ag_setting_fn)(void *arg, const char *key);
struct ag_provider *ag_provider_from_settings(ag_setting_fn get, void *arg, const char *home,
                                              const char *provider, const char *model,
                                              struct pd_err *err);

/* An ag_setting_fn over a struct pd_config. */
char *ag_setting_from_config(void *cfg, const char *key);

/* The API key: OPENAI_API_KEY, else the secret store's llm.api_key (heap), or NULL. */
char *ag_api_key(const char *home);

/* agent.send_rows as a number ("none": 0). */
int ag_send_rows(const struct pd_config *cfg, long *out, struct pd_err *err);
int ag_send_rows_parse(const char *value, long *out, struct pd_err *err);

/* Called with each event (borrowed); the envelope is complete (metadata, timestamp). */
typedef void (*ag_event_fn)(void *arg, const json_t *event);

enum ag_decision { AG_REJECT, AG_APPROVE, AG_EDIT };

/*
 * Asked before a sensitive tool runs (approval_id names the request in the
 * events). For AG_EDIT, *edited gets the arguments to use instead (heap JSON).
 */
typedef enum ag_decision (*ag_approve_fn)(void *arg, const char *approval_id, const char *tool,
                                          const char *args, char **edited);

struct ag_run_opts {
    const char *run_id, *conversation_id; /* NULL: new ones */
    const json_t *history;                /* earlier turns, Chat Completions messages (NULL: none) */
    int max_steps;                        /* provider calls; 0: 12 */
    long max_tokens;                      /* tokens the provider may report using; 0: no limit */
    int store_events;                     /* keep every event in the warehouse for replay */
    ag_event_fn on_event;
    ag_approve_fn approve;                /* NULL: sensitive calls are rejected */
    void *arg;                            /* for on_event and approve */
};

struct ag_answer {
    char *run_id, *conversation_id;
    char *text;       /* the final answer */
    char *sql;        /* the last statement run_sql ran successfully, or NULL */
    json_t *result;   /* its result document, or NULL */
    json_t *chart;    /* {type, x, y} suggested, or NULL */
    int unanswered;   /* the provider could not answer: text says why */
};

/* Answer question. A run that fails ends with an error event and returns the error. */
int ag_run(struct ag_provider *p, const struct ag_env *env, const char *question,
           const struct ag_run_opts *o, struct ag_answer *out, struct pd_err *err);

void ag_answer_clear(struct ag_answer *a);

/*
 * Answer question as a turn of a conversation: o->conversation_id continues
 * one (PD_ENOTFOUND when there is none such), NULL starts one titled after the
 * question. The earlier turns (questions, answers and their SQL) are the
 * model's context; the question and the answer - or the error - are kept as
 * messages; the events are stored; the conversation's work zone is env's
 * (env->project and env->work_schema are taken from the conversation).
 */
int ag_ask(struct ag_provider *p, const struct ag_env *env, const char *question,
           const struct ag_run_opts *o, struct ag_answer *out, struct pd_err *err);

#endif
