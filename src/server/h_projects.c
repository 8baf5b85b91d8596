/*
 * h_projects.c - /projects: list, create, show and delete projects (deleting
 * needs ?confirm= with the project's name typed again).
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"

#include "assets/projects.h"
#include "base/config.h"
#include "base/duck.h"
#include "base/err.h"

static const char *home_of(struct http_req *r)
{
    return pd_config_home(srv_config(srv_of(r)));
}

static int list(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct http_req *r = arg;
    return pd_projects_list(srv_warehouse(srv_of(r)), home_of(r), sink, err);
}

struct one {
    struct http_req *r;
    const char *id;
};

static int show(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct one *o = arg;
    return pd_project_show(srv_warehouse(srv_of(o->r)), home_of(o->r), o->id, sink, err);
}

void h_projects_list(struct http_req *r)
{
    srv_reply_rows(r, list, r, 0);
}

void h_project_get(struct http_req *r)
{
    struct one o = {r, http_param(r, "id")};
    srv_reply_rows(r, show, &o, 200);
}

void h_project_create(struct http_req *r)
{
    const char *id = NULL, *description = NULL;
    struct pd_err err = PD_ERR_INIT;
    if (http_arg_string(r, "id", 1, &id) || http_arg_string(r, "description", 0, &description))
        return;
    if (pd_name_check("project", id, &err) != 0) {
        http_reply_status(r, 422, "invalid_field", "field 'id': %s", err.msg);
        return;
    }
    if (pd_project_create(srv_warehouse(srv_of(r)), home_of(r), id, description, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    struct one o = {r, id};
    srv_reply_rows(r, show, &o, 201);
}

void h_project_delete(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    if (pd_project_delete(srv_warehouse(srv_of(r)), home_of(r), http_param(r, "id"),
                          http_query(r, "confirm"), &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 200, json_pack("{s:s, s:b}", "id", http_param(r, "id"), "deleted", 1));
}
