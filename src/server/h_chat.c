/*
 * h_chat.c - /chat/sessions: conversations with the agent. A message posted
 * to a session is a question answered as an agent run in it (the earlier
 * turns are its context); the kept messages and conversations are read and
 * deleted here, with their work zones. /skills lists what the agent can load.
 */
#include "server/handlers.h"
#include "server/http.h"

#include "agent/conversations.h"
#include "agent/skills.h"
#include "assets/projects.h"
#include "base/config.h"
#include "base/err.h"
#include "base/id.h"

int srv_expire_conversations(struct srv_req *r, struct pd_err *err)
{
    int deleted;
    return ag_conv_expire(srv_warehouse(r->srv),
                          pd_config_seconds(srv_config(r->srv), "agent.conversation_ttl"),
                          &deleted, err);
}

void h_chat_list(struct srv_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *list;
    if (srv_expire_conversations(r, &err) != 0 ||
        ag_conv_list(srv_warehouse(r->srv), srv_query(r, "project"), &list, &err) != 0)
        srv_reply_err(r, &err);
    else
        srv_reply_json(r, 200, list);
}

void h_chat_create(struct srv_req *r)
{
    const char *title = NULL, *project = NULL;
    struct pd_err err = PD_ERR_INIT;
    char id[PD_UUID_LEN + 1];
    json_t *doc;
    if (srv_arg_string(r, "title", 0, &title) || srv_arg_string(r, "project", 0, &project))
        return;
    if ((project && pd_project_require(srv_warehouse(r->srv),
                                       pd_config_home(srv_config(r->srv)), project, &err) != 0) ||
        ag_conv_create(srv_warehouse(r->srv), project, title && *title ? title : "New conversation",
                       id, &err) != 0 ||
        ag_conv_get(srv_warehouse(r->srv), id, &doc, &err) != 0)
        srv_reply_err(r, &err);
    else
        srv_reply_json(r, 201, doc);
}

void h_chat_get(struct srv_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *doc, *messages;
    if (ag_conv_get(srv_warehouse(r->srv), srv_param(r, "id"), &doc, &err) != 0) {
        srv_reply_err(r, &err);
        return;
    }
    if (ag_conv_messages(srv_warehouse(r->srv), srv_param(r, "id"), &messages, &err) != 0) {
        json_decref(doc);
        srv_reply_err(r, &err);
        return;
    }
    json_object_set_new(doc, "messages", messages);
    srv_reply_json(r, 200, doc);
}

void h_chat_delete(struct srv_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    if (ag_conv_delete(srv_warehouse(r->srv), srv_param(r, "id"), &err) != 0)
        srv_reply_err(r, &err);
    else
        srv_reply_json(r, 200, json_pack("{s:s}", "deleted", srv_param(r, "id")));
}

void h_chat_messages(struct srv_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *doc, *messages;
    if (ag_conv_get(srv_warehouse(r->srv), srv_param(r, "id"), &doc, &err) != 0 ||
        ag_conv_messages(srv_warehouse(r->srv), srv_param(r, "id"), &messages, &err) != 0) {
        srv_reply_err(r, &err);
        return;
    }
    json_decref(doc);
    srv_reply_json(r, 200, messages);
}

void h_chat_ask(struct srv_req *r)
{
    const char *content = NULL;
    if (srv_arg_string(r, "content", 1, &content))
        return;
    srv_agent_submit(r, content, srv_param(r, "id"));
}

void h_skills(struct srv_req *r)
{
    struct ag_skills skills;
    const char *project = srv_query(r, "project");
    struct pd_err err = PD_ERR_INIT;
    if (project && pd_project_require(srv_warehouse(r->srv), pd_config_home(srv_config(r->srv)),
                                      project, &err) != 0) {
        srv_reply_err(r, &err);
        return;
    }
    ag_skills_load(pd_config_home(srv_config(r->srv)), project, &skills);
    srv_reply_json(r, 200, ag_skills_json(&skills));
    ag_skills_clear(&skills);
}
