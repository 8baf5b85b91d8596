/*
 * conversations.h - chat sessions kept in the warehouse: each conversation's
 * messages (what was asked, what was answered with its SQL, result and
 * chart), the events of its runs (so a late client replays a run), and its
 * work zone, a schema work_<id> for intermediate tables that goes when the
 * conversation is deleted or has been idle longer than agent.conversation_ttl.
 *
 * Everything is written append-only (no UPDATE): a conversation's last
 * activity is its newest message.
 */
#ifndef PD_AGENT_CONVERSATIONS_H
#define PD_AGENT_CONVERSATIONS_H

#include <jansson.h>

struct pd_err;
struct pd_warehouse;

#define AG_WORK_SCHEMA_MAX 48

/* The work zone's schema name for a conversation: "work_" and the id's hex digits. */
void ag_work_schema(const char *conversation_id, char out[AG_WORK_SCHEMA_MAX]);

/* A new conversation in project (NULL: default) titled after its first question. */
int ag_conv_create(struct pd_warehouse *wh, const char *project, const char *title, char *id,
                   struct pd_err *err);

/* {id, project, title, created_at, updated_at, messages} (messages: a count); PD_ENOTFOUND. */
int ag_conv_get(struct pd_warehouse *wh, const char *id, json_t **out, struct pd_err *err);

/* Conversations of project (NULL: all), the most recently active first. */
int ag_conv_list(struct pd_warehouse *wh, const char *project, json_t **out, struct pd_err *err);

/* Messages, oldest first: [{role, content, run_id, data, created_at}]. */
int ag_conv_messages(struct pd_warehouse *wh, const char *id, json_t **out, struct pd_err *err);

/* Append a message (data may be NULL). */
int ag_conv_add(struct pd_warehouse *wh, const char *id, const char *run_id, const char *role,
                const char *content, const json_t *data, struct pd_err *err);

/* Delete a conversation, its messages, its runs' events and its work zone, all or nothing. */
int ag_conv_delete(struct pd_warehouse *wh, const char *id, struct pd_err *err);

/* Delete conversations idle for more than ttl_s seconds; *deleted counts them. */
int ag_conv_expire(struct pd_warehouse *wh, double ttl_s, int *deleted, struct pd_err *err);

/*
 * A finished run as kept in its conversation: {run_id, conversation_id,
 * status (completed, failed), question, result {answer, sql, result, chart,
 * answered} or error}; PD_ENOTFOUND for an unknown run.
 */
int ag_conv_run(struct pd_warehouse *wh, const char *run_id, json_t **out, struct pd_err *err);

/* Keep one event of a run (written in the next journal batch). */
void ag_events_store(struct pd_warehouse *wh, const json_t *event);

/* The stored events of a run in order; an unknown run is an empty array. */
int ag_events_read(struct pd_warehouse *wh, const char *run_id, json_t **out, struct pd_err *err);

#endif
