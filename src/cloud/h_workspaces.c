/*
 * h_workspaces.c - workspaces, their members and roles, invitations, agent
 * tokens and the audit log. Every query names the route's workspace, so an id
 * from another workspace is simply not found.
 */
#include "cloud/call.h"
#include "http/libmhd.h"
#include "cloud/cloud.h"
#include "cloud/handlers.h"
#include "cloud/store.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVITATION_DAYS "7"

static const char *body_str(const struct http_req *r, const char *name)
{
    return json_string_value(json_object_get(r->body, name));
}

/* The answer: one row of the query (404 "no WHAT" when none), or all of its rows. */
static int answer(struct cl_tx *t, struct cl_db *db, const char *columns, const char *rest,
                  int one, const char *what, int n, const char *const *params, struct pd_err *err)
{
    t->out = cl_db_select(db, columns, rest, one, what, n, params, err);
    return t->out ? 0 : err->code;
}

/* ---- workspaces ------------------------------------------------------------ */

static int list_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    return answer(t, db,
                  "SELECT w.id, w.name, m.role, w.created_at FROM workspaces w JOIN members m ON "
                  "m.workspace_id = w.id WHERE m.user_id = $1 ORDER BY w.created_at, w.id",
                  NULL, 0, NULL, CL_ARGS(call_of(t->r)->user_id), err);
}

void h_workspace_list(struct http_req *r) { cl_run(r, list_tx, NULL, 200); }

static int create_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const char *uid = call_of(t->r)->user_id, *name = body_str(t->r, "name");
    char id[40];
    int rc;
    pd_uuid7(id);
    if ((rc = cl_db_run(db, "INSERT INTO workspaces (id, name, created_by) VALUES ($1, $2, $3)",
                        CL_ARGS(id, name, uid), err)) ||
        (rc = cl_db_run(db,
                        "INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, "
                        "'owner')",
                        CL_ARGS(id, uid), err)) ||
        (rc = cl_audit(db, t->r, id, "workspace.create", "workspace", id,
                       json_pack("{s:s}", "name", name), err)))
        return rc;
    return answer(t, db, "SELECT id, name, 'owner' AS role, created_at FROM workspaces WHERE id = $1",
                  NULL, 1, "workspace", CL_ARGS(id), err);
}

void h_workspace_create(struct http_req *r) { cl_run(r, create_tx, NULL, 201); }

static int get_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    return answer(t, db,
                  "SELECT id, name, $2::text AS role, created_at, (SELECT count(*) FROM members "
                  "WHERE workspace_id = $1) AS members FROM workspaces WHERE id = $1",
                  NULL, 1, "workspace", CL_ARGS(call->ws, cl_role_name(call->role)), err);
}

void h_workspace_get(struct http_req *r) { cl_run(r, get_tx, NULL, 200); }

static int update_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *name = body_str(t->r, "name");
    int rc;
    if (name == NULL)
        return get_tx(db, t, err);
    if ((rc = cl_db_run(db, "UPDATE workspaces SET name = $2 WHERE id = $1",
                        CL_ARGS(call->ws, name), err)) ||
        (rc = cl_audit(db, t->r, call->ws, "workspace.update", "workspace", call->ws,
                       json_pack("{s:s}", "name", name), err)))
        return rc;
    return get_tx(db, t, err);
}

void h_workspace_update(struct http_req *r) { cl_run(r, update_tx, NULL, 200); }

static int delete_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    int rc;
    if ((rc = cl_audit(db, t->r, call->ws, "workspace.delete", "workspace", call->ws, NULL, err)) ||
        (rc = cl_db_run(db, "DELETE FROM workspaces WHERE id = $1", CL_ARGS(call->ws), err)))
        return rc;
    t->out = json_pack("{s:s, s:b}", "id", call->ws, "deleted", 1);
    return 0;
}

void h_workspace_delete(struct http_req *r) { cl_run(r, delete_tx, NULL, 200); }

/* ---- members ----------------------------------------------------------------- */

static const char MEMBER_COLUMNS[] =
    "SELECT u.id AS user_id, u.email, u.name, m.role, m.created_at FROM members m JOIN users u "
    "ON u.id = m.user_id WHERE m.workspace_id = $1";

static int members_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    return answer(t, db, MEMBER_COLUMNS, "ORDER BY m.created_at, u.email", 0, NULL,
                  CL_ARGS(call_of(t->r)->ws), err);
}

void h_member_list(struct http_req *r) { cl_run(r, members_tx, NULL, 200); }

/*
 * Lock the workspace's members and read the target's role and the number of
 * owners: changes to roles are serialised per workspace, so two owners
 * demoting each other at once cannot leave it with none.
 */
static int lock_members(struct cl_db *db, const char *ws, const char *user, char role[16],
                        int *owners, struct pd_err *err)
{
    PGresult *res = cl_db_exec(db,
                               "SELECT user_id, role FROM members WHERE workspace_id = $1 "
                               "ORDER BY user_id FOR UPDATE",
                               CL_ARGS(ws), err);
    if (res == NULL)
        return err->code;
    role[0] = '\0';
    *owners = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        if (strcmp(PQgetvalue(res, i, 1), "owner") == 0)
            (*owners)++;
        if (strcmp(PQgetvalue(res, i, 0), user) == 0)
            snprintf(role, 16, "%s", PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return role[0] ? 0 : pd_fail(err, PD_ENOTFOUND, "no member %s in this workspace", user);
}

static int member_row(struct cl_db *db, struct cl_tx *t, const char *ws, const char *user,
                      struct pd_err *err)
{
    return answer(t, db, MEMBER_COLUMNS, "AND m.user_id = $2", 1, "member", CL_ARGS(ws, user),
                  err);
}

static int member_update_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *user = http_param(t->r, "user"), *role = body_str(t->r, "role");
    char old[16];
    int owners, rc;
    if (!cl_is_uuid(user))
        return pd_fail(err, PD_ENOTFOUND, "no member %s in this workspace", user);
    if ((rc = lock_members(db, call->ws, user, old, &owners, err)))
        return rc;
    if (strcmp(old, "owner") == 0 && strcmp(role, "owner") != 0 && owners == 1)
        return pd_fail(err, PD_EEXIST,
                       "the last owner cannot be demoted: make another member owner first");
    if ((rc = cl_db_run(db, "UPDATE members SET role = $3 WHERE workspace_id = $1 AND user_id = $2",
                        CL_ARGS(call->ws, user, role), err)) ||
        (rc = cl_audit(db, t->r, call->ws, "member.update", "user", user,
                       json_pack("{s:s, s:s}", "from", old, "to", role), err)))
        return rc;
    return member_row(db, t, call->ws, user, err);
}

void h_member_update(struct http_req *r) { cl_run(r, member_update_tx, NULL, 200); }

static int member_remove_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *user = http_param(t->r, "user");
    char old[16];
    int owners, rc, self = strcmp(user, call->user_id) == 0;
    if (!self && call->role != CL_OWNER)
        return pd_fail(err, PD_EDENIED, "only an owner may remove another member");
    if (!cl_is_uuid(user))
        return pd_fail(err, PD_ENOTFOUND, "no member %s in this workspace", user);
    if ((rc = lock_members(db, call->ws, user, old, &owners, err)))
        return rc;
    if (strcmp(old, "owner") == 0 && owners == 1)
        return pd_fail(err, PD_EEXIST,
                       "the last owner cannot leave: make another member owner first, or "
                       "delete the workspace");
    if ((rc = cl_db_run(db, "DELETE FROM members WHERE workspace_id = $1 AND user_id = $2",
                        CL_ARGS(call->ws, user), err)) ||
        (rc = cl_audit(db, t->r, call->ws, self ? "member.leave" : "member.remove", "user", user,
                       json_pack("{s:s}", "role", old), err)))
        return rc;
    t->out = json_pack("{s:s, s:b}", "user_id", user, "removed", 1);
    return 0;
}

void h_member_remove(struct http_req *r) { cl_run(r, member_remove_tx, NULL, 200); }

/* ---- invitations ------------------------------------------------------------- */

static const char INVITATION_COLUMNS[] =
    "SELECT id, email, role, created_at, expires_at, accepted_at, revoked_at, CASE WHEN "
    "revoked_at IS NOT NULL THEN 'revoked' WHEN accepted_at IS NOT NULL THEN 'accepted' WHEN "
    "expires_at < now() THEN 'expired' ELSE 'pending' END AS status FROM invitations";

static int invite_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *email = body_str(t->r, "email"), *role = body_str(t->r, "role");
    char id[40], token[CL_TOKEN_MAX], hash[CL_HASH_TEXT], *lower;
    struct pd_buf q = PD_BUF_INIT;
    int rc;
    if (strchr(email, '@') == NULL)
        return pd_fail(err, PD_EINVAL, "field 'email' must be an email address");
    lower = xstrdup(email);
    for (char *p = lower; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    pd_uuid7(id);
    cl_token_new("pci_", token);
    cl_token_hash(token, hash);
    rc = cl_db_run(db,
                   "INSERT INTO invitations (id, workspace_id, email, role, token_hash, "
                   "invited_by, expires_at) VALUES ($1, $2, $3, $4, $5::bytea, $6, now() + "
                   "interval '" INVITATION_DAYS " days')",
                   CL_ARGS(id, call->ws, lower, role ? role : "viewer", hash, call->user_id),
                   err);
    if (rc == 0)
        rc = cl_audit(db, t->r, call->ws, "invitation.create", "invitation", id,
                      json_pack("{s:s, s:s}", "email", lower, "role", role ? role : "viewer"),
                      err);
    free(lower);
    if (rc)
        return rc;
    if ((rc = answer(t, db, INVITATION_COLUMNS, "WHERE id = $1", 1, "invitation", CL_ARGS(id),
                     err)))
        return rc;
    /* The token exists only in this answer: no mail is sent, the inviter passes it on. */
    json_object_set_new(t->out, "token", json_string(token));
    pd_buf_addf(&q, "%s/invite#%s", cloud_of(t->r)->o.public_url, token);
    json_object_set_new(t->out, "accept_url", json_string(q.ptr));
    pd_buf_release(&q);
    return 0;
}

void h_invitation_create(struct http_req *r) { cl_run(r, invite_tx, NULL, 201); }

static int invitations_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    return answer(t, db, INVITATION_COLUMNS, "WHERE workspace_id = $1 ORDER BY created_at DESC, id",
                  0, NULL, CL_ARGS(call_of(t->r)->ws), err);
}

void h_invitation_list(struct http_req *r) { cl_run(r, invitations_tx, NULL, 200); }

static int revoke_invitation_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    long n;
    int rc;
    if (!cl_is_uuid(id))
        return pd_fail(err, PD_ENOTFOUND, "no invitation %s", id);
    n = cl_db_changed(db,
                      "UPDATE invitations SET revoked_at = coalesce(revoked_at, now()) WHERE id = "
                      "$1 AND workspace_id = $2 AND accepted_at IS NULL",
                      CL_ARGS(id, call->ws), err);
    if (n < 0)
        return err->code;
    if (n == 0)
        return pd_fail(err, PD_ENOTFOUND, "no pending invitation %s", id);
    if ((rc = cl_audit(db, t->r, call->ws, "invitation.revoke", "invitation", id, NULL, err)))
        return rc;
    t->out = json_pack("{s:s, s:b}", "id", id, "revoked", 1);
    return 0;
}

void h_invitation_revoke(struct http_req *r) { cl_run(r, revoke_invitation_tx, NULL, 200); }

int cl_accept_invitation(struct cl_db *db, struct cl_tx *t, const char *token,
                         const char *user_id, const char *email, struct pd_err *err)
{
    char hash[CL_HASH_TEXT], id[40], ws[40], role[16];
    PGresult *res;
    int rc, usable;
    cl_token_hash(token, hash);
    res = cl_db_exec(db,
                     "SELECT id, workspace_id, email, role, accepted_at IS NULL AND revoked_at IS "
                     "NULL AND expires_at > now() AS usable FROM invitations WHERE token_hash = "
                     "$1::bytea FOR UPDATE",
                     CL_ARGS(hash), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return cl_tx_refuse(t, PD_ENOTFOUND, "no such invitation (check the link)");
    }
    usable = cl_val(res, 0, "usable")[0] == 't';
    if (strcmp(cl_val(res, 0, "email"), email) != 0) {
        PQclear(res);
        return cl_tx_refuse(t, PD_EDENIED, "this invitation is for another email address");
    }
    snprintf(id, sizeof(id), "%s", cl_val(res, 0, "id"));
    snprintf(ws, sizeof(ws), "%s", cl_val(res, 0, "workspace_id"));
    snprintf(role, sizeof(role), "%s", cl_val(res, 0, "role"));
    PQclear(res);
    if (!usable)
        return cl_tx_refuse(t, PD_EEXIST,
                            "this invitation was used, revoked or has expired: ask for a new one");
    if ((rc = cl_db_run(db,
                        "UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1",
                        CL_ARGS(id, user_id), err)) ||
        (rc = cl_db_run(db,
                        "INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, $3) ON "
                        "CONFLICT (workspace_id, user_id) DO NOTHING",
                        CL_ARGS(ws, user_id, role), err)) ||
        (rc = cl_db_run(db,
                        "INSERT INTO audit_log (workspace_id, actor_id, actor_kind, actor_email, "
                        "role, action, target_kind, target_id, address) VALUES ($1, $2, 'user', "
                        "$3, $4, 'invitation.accept', 'invitation', $5, $6)",
                        CL_ARGS(ws, user_id, email, role, id,
                                *t->r->client_addr ? t->r->client_addr : NULL),
                        err)))
        return rc;
    if (t->out == NULL)
        t->out = json_pack("{s:s, s:s}", "workspace_id", ws, "role", role);
    return 0;
}

static int accept_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const char *uid = call_of(t->r)->user_id;
    PGresult *res = cl_db_exec(db, "SELECT email FROM users WHERE id = $1", CL_ARGS(uid), err);
    char email[256];
    if (res == NULL)
        return err->code;
    snprintf(email, sizeof(email), "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return cl_accept_invitation(db, t, body_str(t->r, "token"), uid, email, err);
}

void h_invitation_accept(struct http_req *r) { cl_run(r, accept_tx, NULL, 200); }

/* ---- agent tokens ------------------------------------------------------------ */

static const char AGENT_COLUMNS[] =
    "SELECT id, name, created_at, last_used_at, revoked_at FROM agent_tokens";

static int agent_create_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *name = body_str(t->r, "name");
    char id[40], token[CL_TOKEN_MAX], hash[CL_HASH_TEXT];
    int rc;
    pd_uuid7(id);
    cl_token_new("pca_", token);
    cl_token_hash(token, hash);
    if ((rc = cl_db_run(db,
                        "INSERT INTO agent_tokens (id, workspace_id, name, token_hash, "
                        "created_by) VALUES ($1, $2, $3, $4::bytea, $5)",
                        CL_ARGS(id, call->ws, name, hash, call->user_id), err)) ||
        (rc = cl_audit(db, t->r, call->ws, "agent_token.create", "agent", id,
                       json_pack("{s:s}", "name", name), err)))
        return rc;
    /* The token is shown once, here: only its hash is kept. */
    if ((rc = answer(t, db, AGENT_COLUMNS, "WHERE id = $1", 1, "agent token", CL_ARGS(id), err)) == 0)
        json_object_set_new(t->out, "token", json_string(token));
    return rc;
}

void h_agent_token_create(struct http_req *r) { cl_run(r, agent_create_tx, NULL, 201); }

static int agent_list_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    return answer(t, db, AGENT_COLUMNS, "WHERE workspace_id = $1 ORDER BY created_at, id", 0, NULL,
                  CL_ARGS(call_of(t->r)->ws), err);
}

void h_agent_token_list(struct http_req *r) { cl_run(r, agent_list_tx, NULL, 200); }

static int agent_revoke_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    long n;
    int rc;
    if (!cl_is_uuid(id))
        return pd_fail(err, PD_ENOTFOUND, "no agent token %s", id);
    n = cl_db_changed(db,
                      "UPDATE agent_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = "
                      "$1 AND workspace_id = $2",
                      CL_ARGS(id, call->ws), err);
    if (n < 0)
        return err->code;
    if (n == 0)
        return pd_fail(err, PD_ENOTFOUND, "no agent token %s", id);
    if ((rc = cl_audit(db, t->r, call->ws, "agent_token.revoke", "agent", id, NULL, err)))
        return rc;
    t->out = json_pack("{s:s, s:b}", "id", id, "revoked", 1);
    return 0;
}

void h_agent_token_revoke(struct http_req *r) { cl_run(r, agent_revoke_tx, NULL, 200); }

/* ---- the audit log --------------------------------------------------------------- */

static int audit_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const char *limit = http_query(r, "limit");
    /* The workspace's events, and its members' sign-ins (which belong to no workspace). */
    return answer(
        t, db,
                   "SELECT id, at, workspace_id, actor_id, actor_kind, actor_email, role, action, "
                   "target_kind, target_id, address, details FROM audit_log a WHERE "
                   "(a.workspace_id = $1 OR (a.workspace_id IS NULL AND a.actor_id IN (SELECT "
                   "user_id FROM members WHERE workspace_id = $1))) "
                   "AND ($2::text IS NULL OR a.actor_id::text = $2 OR a.actor_email = lower($2)) "
                   "AND ($3::text IS NULL OR a.action = $3 OR (right($3, 1) = '.' AND "
                   "starts_with(a.action, $3))) "
                   "AND ($4::text IS NULL OR a.target_id = $4) "
                   "AND ($5::timestamptz IS NULL OR a.at >= $5) "
                   "AND ($6::timestamptz IS NULL OR a.at < $6) "
                   "ORDER BY a.id DESC LIMIT least(coalesce($7::int, 100), 10000)",
                   NULL, 0, NULL, CL_ARGS(call_of(r)->ws, http_query(r, "actor"), http_query(r, "action"),
                           http_query(r, "target"), http_query(r, "since"),
                           http_query(r, "until"), limit),
                   err);
}

void h_audit_list(struct http_req *r)
{
    const char *format = http_query(r, "format");
    struct cl_tx t = {0};
    struct pd_buf b = PD_BUF_INIT;
    json_t *row;
    size_t i;
    if (format && strcmp(format, "jsonl") != 0 && strcmp(format, "json") != 0) {
        http_reply_status(r, 422, "invalid_field", "format must be json or jsonl");
        return;
    }
    if (cl_exec(r, audit_tx, NULL, &t) != 0)
        return;
    if (format == NULL || strcmp(format, "json") == 0) {
        http_reply_json(r, 200, t.out);
        return;
    }
    /* For export: one JSON object per line. */
    json_array_foreach(t.out, i, row) {
        char *line = json_dumps(row, JSON_COMPACT);
        pd_buf_adds(&b, line);
        pd_buf_addc(&b, '\n');
        free(line);
    }
    json_decref(t.out);
    http_reply_bytes(r, 200, "application/x-ndjson", b.len ? b.ptr : "", b.len);
    pd_buf_release(&b);
}
