/*
 * h_auth.c - signing in and out: accounts, passwords, access and refresh
 * tokens (rotating, with reuse detection), the caller's own account.
 */
#include "cloud/call.h"
#include "http/libmhd.h"
#include "cloud/cloud.h"
#include "cloud/handlers.h"
#include "cloud/store.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/id.h"
#include "base/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A browser's sign-in keeps its refresh token in a cookie the page's script
 * cannot read (HttpOnly), sent only to the sign-in routes (Path) and never
 * with a request another site starts (SameSite=Strict); the page holds just
 * the short-lived access token, in memory. Other clients keep both tokens.
 */
#define REFRESH_COOKIE "pluto_cloud_refresh"
/* Beside it, readable by the page and holding no secret: there is a sign-in to refresh. */
#define SESSION_COOKIE "pluto_cloud_session"
#define COOKIE_PATH CL_API "/auth"

/* Failed sign-ins counted over this window: per account, and per address. */
#define FAIL_WINDOW "15 minutes"
#define MAX_FAILS_ACCOUNT 5
#define MAX_FAILS_ADDRESS 20

static const char *body_str(const struct http_req *r, const char *name)
{
    return json_string_value(json_object_get(r->body, name));
}

/* An email as stored: trimmed, lowercased; NULL when it has no shape of one. */
static char *normal_email(const char *email)
{
    char *e, *at;
    if (email == NULL)
        return NULL;
    while (isspace((unsigned char)*email))
        email++;
    e = xstrdup(email);
    for (size_t n = strlen(e); n > 0 && isspace((unsigned char)e[n - 1]); n--)
        e[n - 1] = '\0';
    for (char *p = e; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    at = strchr(e, '@');
    if (at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@') || strlen(e) > 254 ||
        strpbrk(e, " \t\r\n<>,;\"'()")) {
        free(e);
        return NULL;
    }
    return e;
}

int cl_issue_tokens(struct cloud *c, struct cl_db *db, const char *user_id, const char *family,
                    json_t **out, struct pd_err *err)
{
    struct cl_claims claims = {0};
    char refresh[CL_TOKEN_MAX], hash[CL_HASH_TEXT], id[40], fam[40], ttl[32];
    char *access;
    int rc;
    snprintf(claims.sub, sizeof(claims.sub), "%s", user_id);
    pd_uuid7(claims.jti);
    claims.iat = pd_now_ms() / 1000;
    claims.exp = claims.iat + c->o.access_ttl_s;
    cl_token_new("pcr_", refresh);
    cl_token_hash(refresh, hash);
    pd_uuid7(id);
    snprintf(fam, sizeof(fam), "%s", family ? family : id);
    snprintf(ttl, sizeof(ttl), "%lld", (long long)c->o.refresh_ttl_s);
    if ((rc = cl_db_run(db,
                        "INSERT INTO refresh_tokens (id, family, user_id, token_hash, expires_at) "
                        "VALUES ($1, $2, $3, $4::bytea, now() + make_interval(secs => $5::int))",
                        CL_ARGS(id, fam, user_id, hash, ttl), err)))
        return rc;
    access = cl_jwt_sign(c->jwt_key, &claims);
    *out = json_pack("{s:s, s:s, s:I, s:s, s:I}", "access_token", access, "token_type", "Bearer",
                     "expires_in", (json_int_t)c->o.access_ttl_s, "refresh_token", refresh,
                     "refresh_expires_in", (json_int_t)c->o.refresh_ttl_s);
    free(access);
    return 0;
}

/* The account's public fields. */
static json_t *user_json(struct cl_db *db, const char *id, struct pd_err *err)
{
    PGresult *res = cl_db_exec(db, "SELECT id, email, name, created_at FROM users WHERE id = $1",
                               CL_ARGS(id), err);
    json_t *u;
    if (res == NULL)
        return NULL;
    u = PQntuples(res) ? cl_row_json(res, 0) : NULL;
    PQclear(res);
    if (u == NULL)
        pd_fail(err, PD_EAUTH, "the account of this token no longer exists");
    return u;
}

/* The refresh token a browser's cookie holds, or NULL. */
static const char *cookie_token(const struct http_req *r)
{
    const char *v = pd_mhd.MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, REFRESH_COOKIE);
    return v && *v ? v : NULL;
}

/*
 * One Set-Cookie (attrs: "; Path=..."): value for as long as a refresh token
 * lives, or (NULL) cleared.
 */
static void add_cookie(struct http_req *r, const char *name, const char *value, const char *attrs)
{
    const struct cloud *c = cloud_of(r);
    char *v = xasprintf("%s=%s%s; Max-Age=%lld; SameSite=Strict%s", name, value ? value : "",
                        attrs, value ? (long long)c->o.refresh_ttl_s : 0LL,
                        strncmp(c->o.public_url, "https:", 6) == 0 ? "; Secure" : "");
    pd_mhd.MHD_add_response_header(r->resp, MHD_HTTP_HEADER_SET_COOKIE, v);
    free(v);
}

/* Set (token) or clear (NULL) the refresh cookie, and the session cookie beside it. */
static void set_cookie(struct http_req *r, const char *token)
{
    add_cookie(r, REFRESH_COOKIE, token, "; Path=" COOKIE_PATH "; HttpOnly");
    add_cookie(r, SESSION_COOKIE, token ? "1" : NULL, "; Path=/");
}

/*
 * Answer with the tokens a transaction made. In cookie mode the refresh token
 * leaves in the cookie only.
 */
static void reply_tokens(struct http_req *r, struct cl_tx *t, int cookie)
{
    char *refresh = NULL;
    if (cookie) {
        refresh = xstrdup(json_string_value(json_object_get(t->out, "refresh_token")));
        json_object_del(t->out, "refresh_token");
    }
    http_reply_json(r, t->status, t->out);
    if (cookie)
        set_cookie(r, refresh);
    free(refresh);
}

/* cl_run for the routes that sign in: the tokens go out as reply_tokens says. */
static void run_signing_in(struct http_req *r, cl_tx_handler fn, void *arg, unsigned status,
                           int cookie)
{
    struct cl_tx t = {.status = status};
    if (cl_exec(r, fn, arg, &t) == 0)
        reply_tokens(r, &t, cookie);
    else if (cookie && r->resp && r->status == 401)
        set_cookie(r, NULL); /* a refused cookie is of no more use */
}

static int wants_cookie(const struct http_req *r)
{
    return json_is_true(json_object_get(r->body, "cookie"));
}

/* ---- POST /auth/login ---------------------------------------------------- */

static int login_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    char *email = t->arg;
    const char *password = body_str(r, "password");
    PGresult *res;
    int account_fails, address_fails, ok, rc;
    char user_id[40] = "";
    const char *addr = *r->client_addr ? r->client_addr : "unknown";

    res = cl_db_exec(db,
                     "SELECT count(*) FILTER (WHERE email = $1), count(*) FILTER (WHERE address "
                     "= $2) FROM login_failures WHERE at > now() - interval '" FAIL_WINDOW "' "
                     "AND (email = $1 OR address = $2)",
                     CL_ARGS(email, addr), err);
    if (res == NULL)
        return err->code;
    account_fails = atoi(PQgetvalue(res, 0, 0));
    address_fails = atoi(PQgetvalue(res, 0, 1));
    PQclear(res);
    if (account_fails >= MAX_FAILS_ACCOUNT || address_fails >= MAX_FAILS_ADDRESS) {
        t->retry_after = "900";
        return cl_tx_refuse(t, PD_ERATE,
                            "too many failed sign-ins %s: wait 15 minutes and try again",
                            account_fails >= MAX_FAILS_ACCOUNT ? "for this account"
                                                               : "from this address");
    }
    if ((res = cl_db_exec(db, "SELECT id, password_hash FROM users WHERE email = $1",
                          CL_ARGS(email), err)) == NULL)
        return err->code;
    ok = cl_password_check(PQntuples(res) ? cl_val(res, 0, "password_hash") : NULL, password);
    if (PQntuples(res))
        snprintf(user_id, sizeof(user_id), "%s", cl_val(res, 0, "id"));
    PQclear(res);
    if (!ok) {
        if ((rc = cl_db_run(db, "INSERT INTO login_failures (email, address) VALUES ($1, $2)",
                            CL_ARGS(email, addr), err)) ||
            (rc = cl_audit(db, r, NULL, "auth.login_failed", "user", *user_id ? user_id : NULL,
                           json_pack("{s:s}", "email", email), err)))
            return rc;
        return cl_tx_refuse(t, PD_EAUTH, "wrong email or password");
    }
    if ((rc = cl_db_run(db, "DELETE FROM login_failures WHERE email = $1", CL_ARGS(email), err)) ||
        (rc = cl_issue_tokens(cloud_of(r), db, user_id, NULL, &t->out, err)))
        return rc;
    json_object_set_new(t->out, "user", user_json(db, user_id, err));
    /* The audit names the person: the call has no principal yet (a public route). */
    return cl_db_run(db,
                     "INSERT INTO audit_log (actor_id, actor_kind, actor_email, action, "
                     "target_kind, target_id, address) VALUES ($1::uuid, 'user', $2, 'auth.login', "
                     "'user', $1::text, $3)",
                     CL_ARGS(user_id, email, *r->client_addr ? r->client_addr : NULL), err);
}

void h_auth_login(struct http_req *r)
{
    char *email = normal_email(body_str(r, "email"));
    if (email == NULL) {
        http_reply_status(r, 422, "invalid_field", "field 'email' must be an email address");
        return;
    }
    run_signing_in(r, login_tx, email, 200, wants_cookie(r));
    free(email);
}

/* ---- POST /auth/refresh --------------------------------------------------- */

static int refresh_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    char hash[CL_HASH_TEXT], family[40], user_id[40];
    int used, revoked, expired, rc;
    PGresult *res;
    cl_token_hash(t->arg, hash);
    res = cl_db_exec(db,
                     "SELECT id, family, user_id, used_at IS NOT NULL AS used, revoked_at IS NOT "
                     "NULL AS revoked, expires_at < now() AS expired FROM refresh_tokens WHERE "
                     "token_hash = $1::bytea FOR UPDATE",
                     CL_ARGS(hash), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return cl_tx_refuse(t, PD_EAUTH, "unknown refresh token: sign in again");
    }
    snprintf(family, sizeof(family), "%s", cl_val(res, 0, "family"));
    snprintf(user_id, sizeof(user_id), "%s", cl_val(res, 0, "user_id"));
    used = cl_val(res, 0, "used")[0] == 't';
    revoked = cl_val(res, 0, "revoked")[0] == 't';
    expired = cl_val(res, 0, "expired")[0] == 't';
    PQclear(res);
    if (revoked)
        return cl_tx_refuse(t, PD_EAUTH, "this sign-in was revoked: sign in again");
    if (used) {
        /* Someone else holds a copy: end the whole sign-in. */
        if ((rc = cl_db_run(db,
                            "UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1 AND "
                            "revoked_at IS NULL",
                            CL_ARGS(family), err)) ||
            (rc = cl_db_run(db,
                            "INSERT INTO audit_log (actor_id, actor_kind, actor_email, action, "
                            "target_kind, target_id, address) VALUES ($1, 'user', (SELECT email "
                            "FROM users WHERE id = $1), 'auth.refresh_reused', 'session', $2, $3)",
                            CL_ARGS(user_id, family, *r->client_addr ? r->client_addr : NULL),
                            err)))
            return rc;
        return cl_tx_refuse(t, PD_EAUTH,
                            "this refresh token was already used, so every token of its sign-in "
                            "is now revoked: sign in again");
    }
    if (expired)
        return cl_tx_refuse(t, PD_EAUTH, "the refresh token has expired: sign in again");
    if ((rc = cl_db_run(db, "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1::bytea",
                        CL_ARGS(hash), err)))
        return rc;
    return cl_issue_tokens(cloud_of(r), db, user_id, family, &t->out, err);
}

void h_auth_refresh(struct http_req *r)
{
    const char *token = body_str(r, "refresh_token");
    int from_cookie = token == NULL;
    if (from_cookie && (token = cookie_token(r)) == NULL) {
        http_reply_unauthorized(r, "no refresh token: sign in");
        return;
    }
    run_signing_in(r, refresh_tx, (void *)token, 200, from_cookie);
}

/* ---- POST /auth/logout ---------------------------------------------------- */

static int logout_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const char *token = t->arg;
    char hash[CL_HASH_TEXT];
    PGresult *res;
    int rc;
    if (token) {
        cl_token_hash(token, hash);
        res = cl_db_exec(db,
                         "UPDATE refresh_tokens SET revoked_at = now() WHERE family = (SELECT "
                         "family FROM refresh_tokens WHERE token_hash = $1::bytea AND user_id = "
                         "$2) AND revoked_at IS NULL",
                         CL_ARGS(hash, call_of(r)->user_id), err);
    } else {
        res = cl_db_exec(db,
                         "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND "
                         "revoked_at IS NULL",
                         CL_ARGS(call_of(r)->user_id), err);
    }
    if (res == NULL)
        return err->code;
    t->out = json_pack("{s:b, s:i}", "signed_out", 1, "revoked", atoi(PQcmdTuples(res)));
    PQclear(res);
    if ((rc = cl_audit(db, r, NULL, "auth.logout", "user", call_of(r)->user_id,
                       json_pack("{s:b}", "everywhere", token == NULL), err)))
        return rc;
    return 0;
}

void h_auth_logout(struct http_req *r)
{
    const char *token = body_str(r, "refresh_token");
    const char *cookie = cookie_token(r);
    cl_run(r, logout_tx, (void *)(token ? token : cookie), 200);
    if (cookie && r->status == 200)
        set_cookie(r, NULL);
}

/* ---- POST /auth/register -------------------------------------------------- */

struct register_args {
    char *email;
    char hash[128];
};

static int register_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    struct register_args *a = t->arg;
    const char *name = body_str(r, "name"), *invitation = body_str(r, "invitation");
    char id[40];
    int rc;
    pd_uuid7(id);
    if ((rc = cl_db_run(db,
                        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)",
                        CL_ARGS(id, a->email, name ? name : "", a->hash), err))) {
        if (rc == PD_EEXIST) {
            pd_err_clear(err);
            return pd_fail(err, PD_EEXIST, "an account with the email %s exists: sign in",
                           a->email);
        }
        return rc;
    }
    json_t *membership = NULL;
    if (invitation && ((rc = cl_accept_invitation(db, t, invitation, id, a->email, err)) ||
                       t->fail))
        return rc ? rc : pd_fail(err, t->fail, "%s", t->fail_msg); /* no account without it */
    membership = t->out;
    t->out = NULL;
    if ((rc = cl_db_run(db,
                        "INSERT INTO audit_log (actor_id, actor_kind, actor_email, action, "
                        "target_kind, target_id, address) VALUES ($1::uuid, 'user', $2, "
                        "'user.register', 'user', $1::text, $3)",
                        CL_ARGS(id, a->email, *r->client_addr ? r->client_addr : NULL), err)) ||
        (rc = cl_issue_tokens(cloud_of(r), db, id, NULL, &t->out, err))) {
        json_decref(membership);
        return rc;
    }
    json_object_set_new(t->out, "user", user_json(db, id, err));
    if (membership)
        json_object_set_new(t->out, "membership", membership);
    return 0;
}

void h_auth_register(struct http_req *r)
{
    struct register_args a = {0};
    struct pd_err err = PD_ERR_INIT;
    const char *password = body_str(r, "password");
    if (!cloud_of(r)->o.open_signup && body_str(r, "invitation") == NULL) {
        http_reply_error(r, PD_EDENIED,
                         "this server takes new accounts by invitation only: ask a workspace "
                         "owner for one, then register with it");
        return;
    }
    if ((a.email = normal_email(body_str(r, "email"))) == NULL) {
        http_reply_status(r, 422, "invalid_field", "field 'email' must be an email address");
        return;
    }
    if (strlen(password) < 8 || strlen(password) > 1024) {
        free(a.email);
        http_reply_status(r, 422, "invalid_field",
                          "field 'password' must have 8 to 1024 characters");
        return;
    }
    if (cl_password_hash(password, a.hash, &err) != 0)
        http_reply_err(r, &err);
    else
        run_signing_in(r, register_tx, &a, 201, wants_cookie(r));
    free(a.email);
}

/* ---- GET /me ---------------------------------------------------------------- */

static int me_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const char *uid = call_of(t->r)->user_id;
    PGresult *res;
    if ((t->out = user_json(db, uid, err)) == NULL)
        return err->code;
    res = cl_db_exec(db,
                     "SELECT w.id, w.name, m.role FROM members m JOIN workspaces w ON w.id = "
                     "m.workspace_id WHERE m.user_id = $1 ORDER BY w.created_at, w.id",
                     CL_ARGS(uid), err);
    if (res == NULL)
        return err->code;
    json_object_set_new(t->out, "workspaces", cl_rows_json(res));
    PQclear(res);
    return 0;
}

void h_me(struct http_req *r) { cl_run(r, me_tx, NULL, 200); }
