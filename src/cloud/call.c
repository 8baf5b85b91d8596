/*
 * call.c - who is calling and whether they may: the authentication hook (a
 * JWT checked on the HTTP thread, or an agent token to look up), the one
 * permission check before every handler, the audit log, and running a
 * handler's work in one transaction.
 */
#include "cloud/cloud.h"
#include "http/libmhd.h"
#include "cloud/call.h"
#include "cloud/store.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AGENT_PREFIX "pca_"

int cl_authenticate(struct http_req *r)
{
    struct cloud *c = cloud_of(r);
    const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION), *tok;
    struct pd_err err = PD_ERR_INIT;
    struct cl_claims claims;
    struct cl_call *call;
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
        http_reply_unauthorized(r, "sign in first: send 'Authorization: Bearer ACCESS_TOKEN' "
                                   "(POST " CL_API "/auth/login gives one)");
        return -1;
    }
    tok = h + 7;
    call = xcalloc(1, sizeof(*call));
    if (strncmp(tok, AGENT_PREFIX, strlen(AGENT_PREFIX)) == 0 && strlen(tok) < CL_TOKEN_MAX) {
        call->kind = CL_AGENT_TOKEN;
        cl_token_hash(tok, call->token_hash);
    } else if (cl_jwt_verify(c->jwt_key, tok, pd_now_ms() / 1000, &claims, &err) == 0) {
        call->kind = CL_PERSON;
        memcpy(call->user_id, claims.sub, sizeof(call->user_id));
    } else {
        free(call);
        http_reply_unauthorized(r, "%s", err.msg);
        return -1;
    }
    r->principal = call;
    r->principal_free = free;
    return 0;
}

/* 1 when s has the shape of a UUID (so a query never fails on its syntax). */
int cl_is_uuid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (s == NULL || strlen(s) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == '-' ? s[i] != '-'
                            : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                                (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

/* Resolve an agent token to its agent and workspace; 0 or PD_EAUTH. */
static int resolve_agent(struct cl_db *db, struct cl_call *call, struct pd_err *err)
{
    PGresult *res = cl_db_exec(db,
                               "UPDATE agent_tokens SET last_used_at = now() "
                               "WHERE token_hash = $1::bytea AND revoked_at IS NULL "
                               "RETURNING id, workspace_id",
                               CL_ARGS(call->token_hash), err);
    int found;
    if (res == NULL)
        return err->code;
    found = PQntuples(res) == 1;
    if (found) {
        snprintf(call->agent_id, sizeof(call->agent_id), "%s", cl_val(res, 0, "id"));
        snprintf(call->agent_ws, sizeof(call->agent_ws), "%s", cl_val(res, 0, "workspace_id"));
        call->kind = CL_AGENT;
    }
    PQclear(res);
    return found ? 0 : pd_fail(err, PD_EAUTH, "the agent token is not valid (revoked?)");
}

/* The caller's role in workspace ws (0: none, or no such workspace). */
static int role_in(struct cl_db *db, const struct cl_call *call, const char *ws, unsigned *role,
                   struct pd_err *err)
{
    PGresult *res;
    *role = 0;
    if (call->kind == CL_AGENT) {
        *role = strcmp(call->agent_ws, ws) == 0 ? CL_RUNNER : 0;
        return 0;
    }
    res = cl_db_exec(db, "SELECT role FROM members WHERE workspace_id = $1 AND user_id = $2",
                     CL_ARGS(ws, call->user_id), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 1)
        *role = cl_role_of(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* The roles of a set, as text ("owner or editor"). */
static void roles_text(unsigned roles, char *out, size_t size)
{
    static const unsigned bits[] = {CL_OWNER, CL_EDITOR, CL_VIEWER, CL_RUNNER};
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        if (roles & bits[i])
            n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s", n ? " or " : "",
                                  cl_role_name(bits[i]));
}

static int check(struct http_req *r, struct cl_db *db, struct pd_err *err)
{
    struct cl_call *call = call_of(r);
    unsigned roles = cl_perm_roles(r->route), role;
    const char *ws = strstr(r->route->path, "{ws}") ? http_param(r, "ws") : NULL;
    char need[64];
    int rc;
    if (call->kind == CL_AGENT_TOKEN && (rc = resolve_agent(db, call, err)) != 0)
        return rc;
    if (ws == NULL) {
        if (!(roles & CL_SIGNED_IN) || call->kind != CL_PERSON)
            return pd_fail(err, PD_EDENIED, "an agent token acts only inside its workspace");
        return 0;
    }
    if (!cl_is_uuid(ws) || (rc = role_in(db, call, ws, &role, err)) != 0 || role == 0)
        return err->code ? err->code
                         : pd_fail(err, PD_ENOTFOUND,
                                   "no workspace %s (or you are not a member of it)", ws);
    snprintf(call->ws, sizeof(call->ws), "%s", ws);
    call->role = role;
    if (!(roles & role)) {
        roles_text(roles, need, sizeof(need));
        return pd_fail(err, PD_EDENIED, "a%s %s may not do %s.%s here (it takes %s)",
                       role == CL_OWNER ? "n" : "", cl_role_name(role), r->route->subject,
                       r->route->action, need);
    }
    return 0;
}

int cl_before(struct http_req *r)
{
    struct cloud *c = cloud_of(r);
    struct pd_err err = PD_ERR_INIT;
    struct cl_db *db;
    int rc;
    if (r->route->flags & HTTP_PUBLIC)
        return 0;
    if ((db = cl_db_get(c->store, &err)) == NULL) {
        http_reply_err(r, &err);
        return -1;
    }
    rc = check(r, db, &err);
    cl_db_put(c->store, db);
    if (rc == 0)
        return 0;
    if (rc == PD_EAUTH)
        http_reply_unauthorized(r, "%s", err.msg);
    else
        http_reply_err(r, &err);
    return -1;
}

int cl_audit(struct cl_db *db, const struct http_req *r, const char *ws, const char *action,
             const char *target_kind, const char *target_id, json_t *details, struct pd_err *err)
{
    const struct cl_call *call = r ? call_of(r) : NULL;
    const char *kind = call == NULL ? "anonymous" : call->kind == CL_PERSON ? "user" : "agent";
    const char *actor = call == NULL             ? NULL
                        : call->kind == CL_PERSON ? call->user_id
                                                  : call->agent_id;
    char *text = details ? json_dumps(details, JSON_COMPACT) : NULL;
    int rc = cl_db_run(db,
                       "INSERT INTO audit_log (workspace_id, actor_id, actor_kind, actor_email, "
                       "role, action, target_kind, target_id, address, details) "
                       "VALUES ($1, $2, $3, (SELECT email FROM users WHERE id = $2), $4, $5, $6, "
                       "$7, $8, coalesce($9::jsonb, '{}'))",
                       CL_ARGS(ws, actor && *actor ? actor : NULL, kind,
                               call && call->role ? cl_role_name(call->role) : NULL, action,
                               target_kind, target_id, r && *r->client_addr ? r->client_addr : NULL,
                               text),
                       err);
    free(text);
    json_decref(details);
    return rc;
}

/* ---- a handler's work in one transaction ------------------------------------ */

static int run_tx(struct cl_db *db, void *arg, struct pd_err *err)
{
    struct cl_tx *t = arg;
    json_decref(t->out); /* a retried transaction starts again */
    t->out = NULL;
    t->fail = 0;
    t->fail_name = NULL;
    return t->fn(db, t, err);
}

int cl_exec(struct http_req *r, cl_tx_handler fn, void *arg, struct cl_tx *t)
{
    struct pd_err err = PD_ERR_INIT;
    unsigned status = t->status;
    memset(t, 0, sizeof(*t));
    t->r = r;
    t->fn = fn;
    t->arg = arg;
    t->status = status;
    /* A GET only reads (no handler of one writes): no transaction around it. */
    if ((r->method == HTTP_GET ? cl_store_read : cl_store_tx)(cloud_of(r)->store, run_tx, t,
                                                               &err) != 0) {
        json_decref(t->out);
        t->out = NULL;
        http_reply_err(r, &err);
        return -1;
    }
    if (t->fail) { /* kept what it did (a failed sign-in counted), then refuses */
        json_decref(t->out);
        t->out = NULL;
        if (t->fail_name)
            http_reply_status(r, 400, t->fail_name, "%s", t->fail_msg);
        else if (t->fail == PD_EAUTH)
            http_reply_unauthorized(r, "%s", t->fail_msg);
        else
            http_reply_error(r, t->fail, "%s", t->fail_msg);
        if (t->retry_after)
            pd_mhd.MHD_add_response_header(r->resp, MHD_HTTP_HEADER_RETRY_AFTER, t->retry_after);
        return -1;
    }
    if (t->out == NULL)
        t->out = json_object();
    return 0;
}

void cl_run(struct http_req *r, cl_tx_handler fn, void *arg, unsigned status)
{
    struct cl_tx t = {.status = status};
    if (cl_exec(r, fn, arg, &t) == 0)
        http_reply_json(r, t.status, t.out);
}

int cl_tx_refuse(struct cl_tx *t, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->fail_msg, sizeof(t->fail_msg), fmt, ap);
    va_end(ap);
    t->fail = code;
    return 0;
}

int cl_tx_refuse_as(struct cl_tx *t, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->fail_msg, sizeof(t->fail_msg), fmt, ap);
    va_end(ap);
    t->fail = PD_EINVAL;
    t->fail_name = name;
    return 0;
}

char *cl_object_text(const json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT) : xstrdup("{}");
}
