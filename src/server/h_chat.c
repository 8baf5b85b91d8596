/*
 * h_chat.c - /chat/sessions: conversations with the agent. A message posted
 * to a session is a question answered as an agent run in it (the earlier
 * turns are its context); the kept messages and conversations are read and
 * deleted here, with their work zones. /skills lists what the agent can load.
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"

#include "agent/conversations.h"
#include "agent/skills.h"
#include "assets/projects.h"
#include "base/config.h"
#include "base/err.h"
#include "base/id.h"

int srv_expire_conversations(struct http_req *r, struct pd_err *err)
{
    int deleted;
    return ag_conv_expire(srv_warehouse(srv_of(r)),
                          pd_config_seconds(srv_config(srv_of(r)), "agent.conversation_ttl"),
                          &deleted, err);
}

void h_chat_list(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *list;
    if (srv_expire_conversations(r, &err) != 0 ||
        ag_conv_list(srv_warehouse(srv_of(r)), http_query(r, "project"), &list, &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 200, list);
}

void h_chat_create(struct http_req *r)
{
    const char *title = NULL, *project = NULL;
    struct pd_err err = PD_ERR_INIT;
    char id[PD_UUID_LEN + 1];
    json_t *doc;
    if (http_arg_string(r, "title", 0, &title) || http_arg_string(r, "project", 0, &project))
        return;
    if ((project && pd_project_require(srv_warehouse(srv_of(r)),
                                       pd_config_home(srv_config(srv_of(r))), project, &err) != 0) ||
        ag_conv_create(srv_warehouse(srv_of(r)), project, title && *title ? title : "New conversation",
                       id, &err) != 0 ||
        ag_conv_get(srv_warehouse(srv_of(r)), id, &doc, &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 201, doc);
}

void h_chat_get(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *doc, *messages;
    if (ag_conv_get(srv_warehouse(srv_of(r)), http_param(r, "id"), &doc, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    if (ag_conv_messages(srv_warehouse(srv_of(r)), http_param(r, "id"), &messages, &err) != 0) {
        json_decref(doc);
        http_reply_err(r, &err);
        return;
    }
    json_object_set_new(doc, "messages", messages);
    http_reply_json(r, 200, doc);
}

void h_chat_delete(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    if (ag_conv_delete(srv_warehouse(srv_of(r)), http_param(r, "id"), &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 200, json_pack("{s:s}", "deleted", http_param(r, "id")));
}

void h_chat_messages(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *doc, *messages;
    if (ag_conv_get(srv_warehouse(srv_of(r)), http_param(r, "id"), &doc, &err) != 0 ||
        ag_conv_messages(srv_warehouse(srv_of(r)), http_param(r, "id"), &messages, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    json_decref(doc);
    http_reply_json(r, 200, messages);
}

void h_chat_ask(struct http_req *r)
{
    const char *content = NULL;
    if (http_arg_string(r, "content", 1, &content))
        return;
    srv_agent_submit(r, content, http_param(r, "id"));
}

void h_skills(struct http_req *r)
{
    struct ag_skills skills;
    const char *project = http_query(r, "project");
    struct pd_err err = PD_ERR_INIT;
    if (project && pd_project_require(srv_warehouse(srv_of(r)), pd_config_home(srv_config(srv_of(r))),
                                      project, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    ag_skills_load(pd_config_home(srv_config(srv_of(r))), project, &skills);
    http_reply_json(r, 200, ag_skills_json(&skills));
    ag_skills_clear(&skills);
}
