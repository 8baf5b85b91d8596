/*
 * h_cloud.c - the local app's standing with Pluto Cloud: who is signed in,
 * what the outbox still holds, what the schedule runner is doing and the
 * notices it has for the user (a catch-up run, the cloud back online); and the
 * web UI's sign-in: the device grant started here, approved by the person in
 * Pluto Cloud's page, polled by the UI (at most as often as the cloud allows),
 * then a workspace to use, and signing out.
 */
#include "server/context.h"
#include "server/handlers.h"

#include "base/config.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "sync/cloud.h"
#include "sync/outbox.h"
#include "warehouse/warehouse.h"

#include <jansson.h>
#include <string.h>

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    return ms > 0 ? json_string(pd_time_iso(ms, t, sizeof(t))) : json_null();
}

static json_t *cloud_status(struct srv *s, struct pd_err *err)
{
    struct pd_cloud_session cs;
    struct pd_outbox_counts c;
    struct pd_err e = PD_ERR_INIT;
    duckdb_connection conn;
    json_t *doc;
    int signed_in = pd_cloud_load(pd_config_home(srv_config(s)), &cs, &e) == 0;
    if (pd_warehouse_acquire(srv_warehouse(s), &conn, err) != 0)
        return NULL;
    if (pd_outbox_counts(conn, &c, err) != 0) {
        pd_warehouse_release(srv_warehouse(s), conn, 0);
        return NULL;
    }
    pd_warehouse_release(srv_warehouse(s), conn, 1);
    doc = json_pack("{s:b, s:{s:I, s:I, s:I, s:o, s:s*}, s:o}", "signed_in", signed_in, "outbox",
                    "pending", (json_int_t)c.pending, "failed", (json_int_t)c.failed, "sent",
                    (json_int_t)c.sent, "oldest_pending_at", time_or_null(c.oldest_pending_ms),
                    "last_error", c.last_error[0] ? c.last_error : NULL, "runner",
                    srv_runner_status(s));
    if (signed_in) {
        json_object_set_new(doc, "url", json_string(cs.url));
        json_object_set_new(doc, "email", json_string(cs.email));
        json_object_set_new(doc, "workspace_id",
                            cs.workspace_id[0] ? json_string(cs.workspace_id) : json_null());
        json_object_set_new(doc, "workspace_name",
                            cs.workspace_name[0] ? json_string(cs.workspace_name) : json_null());
        json_object_set_new(doc, "token_expires_at", time_or_null(cs.access_expires_ms));
        json_object_set_new(doc, "last_sync_at", time_or_null(cs.last_sync_ms));
    }
    return doc;
}

void h_cloud_status(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *doc = cloud_status(srv_of(r), &err);
    if (doc == NULL)
        http_reply_error(r, err.code, "%s", err.msg);
    else
        http_reply_json(r, 200, doc);
}

/* ---- signing in from the web UI ---------------------------------------------------- */

void h_cloud_login(struct http_req *r)
{
    struct srv *s = srv_of(r);
    struct pd_err err = PD_ERR_INIT;
    struct pd_cloud_login l;
    struct srv_login *waiting;
    if (pd_cloud_login_start(json_string_value(json_object_get(r->body, "url")),
                             json_string_value(json_object_get(r->body, "name")), &l, &err) != 0) {
        if (err.code == PD_EUSAGE)
            http_reply_status(r, 422, "invalid_field", "field 'url': %s", err.msg);
        else
            http_reply_err(r, &err);
        return;
    }
    waiting = srv_login_lock(s); /* a new sign-in replaces one still waiting */
    waiting->active = 1;
    waiting->l = l;
    srv_login_unlock(s);
    http_reply_json(r, 200,
                    json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "url", l.url, "user_code",
                              l.d.user_code, "verification_uri", l.d.verification_uri,
                              "verification_uri_complete", l.d.verification_uri_complete,
                              "expires_in", l.d.expires_in_s, "interval", l.d.interval_s));
}

void h_cloud_login_poll(struct http_req *r)
{
    struct srv *s = srv_of(r);
    struct pd_err err = PD_ERR_INIT;
    struct srv_login *waiting = srv_login_lock(s);
    json_t *doc;
    int rc;
    if (!waiting->active) {
        srv_login_unlock(s);
        http_reply_error(r, PD_EEXIST, "no sign-in is waiting for approval: start one");
        return;
    }
    rc = pd_cloud_login_poll(pd_config_home(srv_config(s)), &waiting->l, &err);
    if (rc != 1)
        memset(waiting, 0, sizeof(*waiting)); /* approved, refused or expired: done with */
    srv_login_unlock(s);
    if (rc < 0) {
        http_reply_err(r, &err);
        return;
    }
    if (rc == 0)
        srv_cloud_changed(s); /* deliver the outbox; run schedules once a workspace is used */
    if ((doc = cloud_status(s, &err)) == NULL) {
        http_reply_err(r, &err);
        return;
    }
    json_object_set_new(doc, "state", json_string(rc == 0 ? "signed_in" : "pending"));
    http_reply_json(r, 200, doc);
}

void h_cloud_logout(struct http_req *r)
{
    struct srv *s = srv_of(r);
    struct pd_err err = PD_ERR_INIT;
    if (pd_cloud_logout(pd_config_home(srv_config(s)), &err) != 0 && err.code != PD_ENOTFOUND) {
        http_reply_err(r, &err);
        return;
    }
    srv_cloud_changed(s); /* schedules stop running here */
    http_reply_json(r, 200, json_pack("{s:b}", "signed_out", 1));
}

void h_cloud_workspaces(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *list = NULL;
    if (pd_cloud_workspaces(pd_config_home(srv_config(srv_of(r))), &list, &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 200, list);
}

void h_cloud_workspace_use(struct http_req *r)
{
    struct srv *s = srv_of(r);
    struct pd_err err = PD_ERR_INIT;
    json_t *chosen = NULL;
    if (pd_cloud_use_workspace(pd_config_home(srv_config(s)),
                               json_string_value(json_object_get(r->body, "workspace")), &chosen,
                               &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    srv_cloud_changed(s); /* the schedules of this workspace run here from now on */
    http_reply_json(r, 200, chosen);
}

void h_cloud_reload(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *doc;
    srv_cloud_changed(srv_of(r));
    if ((doc = cloud_status(srv_of(r), &err)) == NULL)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 200, doc);
}
