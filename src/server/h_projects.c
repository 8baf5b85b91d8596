/*
 * h_projects.c - /projects: list, create, show and delete projects (deleting
 * needs ?confirm= with the project's name typed again).
 */
#include "server/handlers.h"
#include "server/http.h"

#include "assets/projects.h"
#include "base/config.h"
#include "base/duck.h"
#include "base/err.h"

static const char *home_of(struct srv_req *r)
{
    return pd_config_home(srv_config(r->srv));
}

static int list(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct srv_req *r = arg;
    return pd_projects_list(srv_warehouse(r->srv), home_of(r), sink, err);
}

struct one {
    struct srv_req *r;
    const char *id;
};

static int show(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct one *o = arg;
    return pd_project_show(srv_warehouse(o->r->srv), home_of(o->r), o->id, sink, err);
}

void h_projects_list(struct srv_req *r)
{
    srv_reply_rows(r, list, r, 0);
}

void h_project_get(struct srv_req *r)
{
    struct one o = {r, srv_param(r, "id")};
    srv_reply_rows(r, show, &o, 200);
}

void h_project_create(struct srv_req *r)
{
    const char *id = NULL, *description = NULL;
    struct pd_err err = PD_ERR_INIT;
    if (srv_arg_string(r, "id", 1, &id) || srv_arg_string(r, "description", 0, &description))
        return;
    if (pd_name_check("project", id, &err) != 0) {
        srv_reply_status(r, 422, "invalid_field", "field 'id': %s", err.msg);
        return;
    }
    if (pd_project_create(srv_warehouse(r->srv), home_of(r), id, description, &err) != 0) {
        srv_reply_err(r, &err);
        return;
    }
    struct one o = {r, id};
    srv_reply_rows(r, show, &o, 201);
}

void h_project_delete(struct srv_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    if (pd_project_delete(srv_warehouse(r->srv), home_of(r), srv_param(r, "id"),
                          srv_query(r, "confirm"), &err) != 0)
        srv_reply_err(r, &err);
    else
        srv_reply_json(r, 200, json_pack("{s:s, s:b}", "id", srv_param(r, "id"), "deleted", 1));
}
