/*
 * cloud.h - Pluto Cloud, the team control plane: what its handlers share (the
 * store, the signing key, the options), who is calling (struct cl_call) and
 * the one permission check every route passes.
 *
 * The server stores what a team shares — accounts, workspaces and roles,
 * pipeline definitions, the record of runs, schedules, comments and the audit
 * trail — and never runs a query or receives a data row.
 */
#ifndef PD_CLOUD_CLOUD_H
#define PD_CLOUD_CLOUD_H

#include <jansson.h>
#include <stdint.h>

#include "cloud/auth.h"
#include "http/http.h"

struct cl_db;
struct cl_store;
struct http_api;
struct pd_err;

#define CL_API "/api/v1"

struct cloud_opts {
    int64_t access_ttl_s;  /* life of an access token (900) */
    int64_t refresh_ttl_s; /* life of a refresh token (30 days) */
    int open_signup;       /* anyone may create an account (else by invitation only) */
    const char *public_url; /* how clients reach this server ("http://127.0.0.1:8500") */
    size_t max_upload;      /* the largest object the local store takes (the body limit) */
    const char *web_dir;    /* the built web pages (web/dist-cloud) */
};

struct bound;
struct cl_objects;

struct cloud {
    struct cl_store *store;
    struct cl_objects *objects; /* artifacts' bytes (objects.h) */
    struct bound *bound;        /* main.c's: where we listen */
    unsigned char jwt_key[CL_KEY_BYTES];
    struct cloud_opts o;
};

/* Roles, as bits: a route's permission is the set of roles that may call it. */
enum cl_role {
    CL_OWNER = 1 << 0,
    CL_EDITOR = 1 << 1,
    CL_VIEWER = 1 << 2,
    CL_RUNNER = 1 << 3, /* an agent token of the workspace */
    CL_MEMBER = CL_OWNER | CL_EDITOR | CL_VIEWER,
    CL_ANY = CL_MEMBER | CL_RUNNER,
    CL_SIGNED_IN = 1 << 4, /* any signed-in person: a route outside a workspace */
};

/* Who is calling, and as what in the workspace of the route's {ws}. */
struct cl_call {
    enum { CL_PERSON = 1, CL_AGENT_TOKEN, CL_AGENT } kind;
    char user_id[40];   /* a person's id */
    char agent_id[40];  /* an agent token's id, and its workspace: */
    char agent_ws[40];
    char token_hash[CL_HASH_TEXT]; /* an agent token not yet looked up */
    char ws[40];        /* the route's workspace, when it has one */
    enum cl_role role;  /* the caller's role there */
};

static inline struct cloud *cloud_of(const struct http_req *r) { return (struct cloud *)r->app; }
static inline struct cl_call *call_of(const struct http_req *r)
{
    return (struct cl_call *)r->principal;
}

/* The API (routes.c). */
extern const struct http_api cl_api;

/* The roles that may call a route (perm.c); 0 for a route the table lacks. */
unsigned cl_perm_roles(const struct http_route *rt);
/* The name of a role bit ("owner"), or of the set's first. */
const char *cl_role_name(unsigned role);
/* The role of a name, 0 for none. */
unsigned cl_role_of(const char *name);

/* The HTTP hooks: authenticate (on the MHD thread, no database) and before. */
int cl_authenticate(struct http_req *r);
int cl_before(struct http_req *r);

/*
 * Append to the audit log in db's transaction: the caller (r may be NULL for
 * the server itself), action ("member.update"), target, details (stolen, may be
 * NULL).
 */
int cl_audit(struct cl_db *db, const struct http_req *r, const char *ws, const char *action,
             const char *target_kind, const char *target_id, json_t *details,
             struct pd_err *err);

/* Issue a new access token and refresh token for user_id (family NULL: a new one). */
int cl_issue_tokens(struct cloud *c, struct cl_db *db, const char *user_id, const char *family,
                    json_t **out, struct pd_err *err);

#endif
