/*
 * h_cloud.c - the local app's standing with Pluto Cloud: who is signed in,
 * what the outbox still holds, what the schedule runner is doing and the
 * notices it has for the user (a catch-up run, the cloud back online).
 */
#include "server/context.h"
#include "server/handlers.h"

#include "base/config.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "sync/cloud.h"
#include "sync/outbox.h"
#include "sync/runner.h"
#include "warehouse/warehouse.h"

#include <jansson.h>

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
                    pd_runner_status(srv_runner(s)));
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
