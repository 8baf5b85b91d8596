/*
 * h_device.c - the device authorization grant (RFC 8628) for the desktop app
 * and the CLI: the device asks for a code, shows the user code and the page
 * where a signed-in person approves it, and polls for its tokens. The codes
 * live ten minutes; polling faster than the interval slows the device down.
 * The page that approves a code is one of the web pages (web/src/cloud).
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

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_TTL_S 600
#define DEVICE_INTERVAL_S 5
#define GRANT_TYPE "urn:ietf:params:oauth:grant-type:device_code"

/* Letters that cannot be misread for each other (RFC 8628 §6.1): no vowels, no I/O/L. */
static const char USER_CODE_LETTERS[] = "BCDFGHJKMNPQRSTVWXZ";

static void user_code(char out[10])
{
    for (int i = 0; i < 9; i++)
        out[i] = i == 4 ? '-' : USER_CODE_LETTERS[randombytes_uniform(sizeof(USER_CODE_LETTERS) - 1)];
    out[9] = '\0';
}

/* A user code as typed ("bcdf ghjk", "BCDFGHJK") in its stored form, or 0. */
static int normal_user_code(const char *in, char out[10])
{
    int n = 0;
    for (; in && *in && n < 8; in++)
        if (isalpha((unsigned char)*in)) {
            out[n < 4 ? n : n + 1] = (char)toupper((unsigned char)*in);
            n++;
        } else if (!(*in == '-' || *in == ' ')) {
            return 0;
        }
    if (n != 8 || (in && *in))
        return 0;
    out[4] = '-';
    out[9] = '\0';
    return 1;
}

static int start_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    struct cloud *c = cloud_of(r);
    const char *name = json_string_value(json_object_get(r->body, "client_name"));
    char id[40], device[CL_TOKEN_MAX], hash[CL_HASH_TEXT], code[10], ttl[16], interval[16];
    struct pd_buf uri = PD_BUF_INIT, complete = PD_BUF_INIT;
    int rc;
    pd_uuid7(id);
    cl_token_new("pcd_", device);
    cl_token_hash(device, hash);
    snprintf(ttl, sizeof(ttl), "%d", DEVICE_TTL_S);
    snprintf(interval, sizeof(interval), "%d", DEVICE_INTERVAL_S);
    for (int attempt = 0;; attempt++) { /* a user code is unique while it lives */
        user_code(code);
        rc = cl_db_run(db,
                       "INSERT INTO device_codes (id, device_code_hash, user_code, client_name, "
                       "interval_s, address, expires_at) VALUES ($1, $2::bytea, $3, coalesce($4, "
                       "''), $5::int, $6, now() + make_interval(secs => $7::int)) ON CONFLICT "
                       "(user_code) DO NOTHING",
                       CL_ARGS(id, hash, code, name, interval,
                               *r->client_addr ? r->client_addr : NULL, ttl),
                       err);
        if (rc)
            return rc;
        {
            PGresult *res = cl_db_exec(db, "SELECT 1 FROM device_codes WHERE id = $1", CL_ARGS(id),
                                       err);
            int made = res && PQntuples(res);
            PQclear(res);
            if (made)
                break;
        }
        if (attempt > 5)
            return pd_fail(err, PD_EINTERNAL, "cannot make a user code");
        /* an old code of the same letters: clean expired ones, then try again */
        cl_db_run(db, "DELETE FROM device_codes WHERE expires_at < now() - interval '1 day'", 0,
                  NULL, err);
    }
    pd_buf_addf(&uri, "%s/device", c->o.public_url);
    pd_buf_addf(&complete, "%s/device?user_code=%s", c->o.public_url, code);
    t->out = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "device_code", device, "user_code", code,
                       "verification_uri", uri.ptr, "verification_uri_complete", complete.ptr,
                       "expires_in", DEVICE_TTL_S, "interval", DEVICE_INTERVAL_S);
    pd_buf_release(&uri);
    pd_buf_release(&complete);
    return 0;
}

void h_device_start(struct http_req *r) { cl_run(r, start_tx, NULL, 200); }

static int token_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const char *device = json_string_value(json_object_get(r->body, "device_code"));
    char hash[CL_HASH_TEXT], state[16], user[40] = "", id[40];
    PGresult *res;
    int expired, early, interval, rc;
    cl_token_hash(device, hash);
    res = cl_db_exec(db,
                     "SELECT id, state, coalesce(user_id::text, ''), expires_at < now(), "
                     "last_poll_at IS NOT NULL AND last_poll_at > now() - make_interval(secs => "
                     "interval_s), interval_s FROM device_codes WHERE device_code_hash = $1::bytea "
                     "FOR UPDATE",
                     CL_ARGS(hash), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return cl_tx_refuse_as(t, "invalid_grant", "unknown device code");
    }
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
    snprintf(state, sizeof(state), "%s", PQgetvalue(res, 0, 1));
    snprintf(user, sizeof(user), "%s", PQgetvalue(res, 0, 2));
    expired = PQgetvalue(res, 0, 3)[0] == 't';
    early = PQgetvalue(res, 0, 4)[0] == 't';
    interval = atoi(PQgetvalue(res, 0, 5));
    PQclear(res);
    if ((rc = cl_db_run(db,
                        "UPDATE device_codes SET last_poll_at = now(), interval_s = interval_s + "
                        "CASE WHEN $2::boolean THEN 5 ELSE 0 END WHERE id = $1",
                        CL_ARGS(id, early ? "true" : "false"), err)))
        return rc;
    if (strcmp(state, "consumed") == 0 || expired)
        return cl_tx_refuse_as(t, "expired_token", "the code has expired or was used; start "
                                          "again");
    if (strcmp(state, "denied") == 0)
        return cl_tx_refuse_as(t, "access_denied", "the sign-in was refused");
    if (early)
        return cl_tx_refuse_as(t, "slow_down", "poll every %d seconds", interval + 5);
    if (strcmp(state, "pending") == 0)
        return cl_tx_refuse_as(t, "authorization_pending", "waiting for the code to be approved");
    if ((rc = cl_db_run(db, "UPDATE device_codes SET state = 'consumed' WHERE id = $1",
                        CL_ARGS(id), err)) ||
        (rc = cl_issue_tokens(cloud_of(r), db, user, NULL, &t->out, err)))
        return rc;
    return cl_db_run(db,
                     "INSERT INTO audit_log (actor_id, actor_kind, actor_email, action, "
                     "target_kind, target_id, address) VALUES ($1::uuid, 'user', (SELECT email "
                     "FROM users WHERE id = $1::uuid), 'auth.login', 'device', $2, $3)",
                     CL_ARGS(user, id, *r->client_addr ? r->client_addr : NULL), err);
}

void h_device_token(struct http_req *r)
{
    const char *grant = json_string_value(json_object_get(r->body, "grant_type"));
    if (grant && strcmp(grant, GRANT_TYPE) != 0) {
        http_reply_status(r, 400, "unsupported_grant_type", "grant_type must be %s", GRANT_TYPE);
        return;
    }
    cl_run(r, token_tx, NULL, 200);
}

static int approve_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    const char *code = t->arg;
    int approve = !json_is_false(json_object_get(r->body, "approve"));
    PGresult *res = cl_db_exec(db,
                               "UPDATE device_codes SET state = $3, user_id = $2, decided_at = "
                               "now() WHERE user_code = $1 AND state = 'pending' AND expires_at > "
                               "now() RETURNING id, client_name",
                               CL_ARGS(code, call->user_id, approve ? "approved" : "denied"), err);
    int rc;
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pd_fail(err, PD_ENOTFOUND,
                       "no pending sign-in with the code %s (it may have expired: start again on "
                       "the device)",
                       code);
    }
    t->out = json_pack("{s:s, s:s, s:b}", "user_code", code, "client_name", PQgetvalue(res, 0, 1),
                       "approved", approve);
    rc = cl_audit(db, r, NULL, approve ? "auth.device_approve" : "auth.device_deny", "device",
                  PQgetvalue(res, 0, 0), json_pack("{s:s}", "user_code", code), err);
    PQclear(res);
    return rc;
}

void h_device_approve(struct http_req *r)
{
    char code[10];
    if (!normal_user_code(json_string_value(json_object_get(r->body, "user_code")), code)) {
        http_reply_status(r, 422, "invalid_field",
                          "field 'user_code' must be the 8 letters the device shows (ABCD-EFGH)");
        return;
    }
    cl_run(r, approve_tx, code, 200);
}
