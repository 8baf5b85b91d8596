/*
 * routes.c - every endpoint of Pluto Cloud, one row each (method, path,
 * handler, flags, subject and action, summary, argument and answer schemas),
 * and the API they make. The dispatcher, the permission table's lookup and
 * GET /openapi.json all read this table; nothing else lists routes.
 */
#include "cloud/cloud.h"
#include "cloud/handlers.h"
#include "cloud/migrate.h"
#include "cloud/store.h"

#include "http/server.h"

#include "base/err.h"

#include <string.h>

#define OBJ(props) "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{" props "}}"
#define OBJ_REQ(props, req)                                                                  \
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{" props "},"      \
    "\"required\":[" req "]}"
#define STR(name, desc) "\"" name "\":{\"type\":\"string\",\"description\":\"" desc "\"}"
#define STRN(name, max, desc) \
    "\"" name "\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":" #max ",\"description\":\"" desc "\"}"
#define ROLE(name, desc) \
    "\"" name "\":{\"enum\":[\"owner\",\"editor\",\"viewer\"],\"description\":\"" desc "\"}"
#define COOKIE_ARG                                                                         \
    "\"cookie\":{\"type\":\"boolean\",\"description\":\"a browser: keep the refresh token in "  \
    "an HttpOnly cookie for the sign-in routes, not in the answer\"}"
#define INT(name, desc) "\"" name "\":{\"type\":\"integer\",\"description\":\"" desc "\"}"

#define V1 CL_API
#define WS V1 "/workspaces/{ws}"

static const struct http_route routes[] = {
    {HTTP_GET, V1 "/health", h_health, HTTP_PUBLIC, "system", "health",
     "Status, version and the database's state.", NULL, "Health", 200},
    {HTTP_GET, V1 "/openapi.json", h_openapi, HTTP_PUBLIC | HTTP_INLINE, "system", "openapi",
     "This API as an OpenAPI 3.1 document; x-roles on each operation says who may call it.",
     NULL, "OpenAPI", 200},

    {HTTP_POST, V1 "/auth/login", h_auth_login, HTTP_BODY | HTTP_PUBLIC, "auth", "login",
     "Sign in with email and password: an access token (a JWT) and a refresh token. Failed "
     "attempts are limited per account and per address (429).",
     OBJ_REQ(STRN("email", 254, "the account's email") "," STRN("password", 1024, "its password")
                 "," COOKIE_ARG,
             "\"email\",\"password\""),
     "Tokens", 200},
    {HTTP_POST, V1 "/auth/refresh", h_auth_refresh, HTTP_BODY | HTTP_PUBLIC, "auth", "refresh",
     "Trade a refresh token for new tokens. Each refresh token works once; using one again "
     "revokes every token of that sign-in. A browser that signed in with 'cookie' sends none: "
     "its cookie is read, and replaced.",
     OBJ(STRN("refresh_token", 128, "from login or the last refresh (else the cookie)")),
     "Tokens", 200},
    {HTTP_POST, V1 "/auth/register", h_auth_register, HTTP_BODY | HTTP_PUBLIC, "auth", "register",
     "Create an account (with an invitation's token, or on a server with open sign-up) and "
     "sign in.",
     OBJ_REQ(STRN("email", 254, "the account's email") "," STRN("password", 1024, "8 characters or more")
                 "," STR("name", "a display name") "," STR("invitation", "an invitation's token")
                 "," COOKIE_ARG,
             "\"email\",\"password\""),
     "Tokens", 201},
    {HTTP_POST, V1 "/auth/logout", h_auth_logout, HTTP_BODY, "auth", "logout",
     "Sign out: revoke the sign-in of this refresh token (or of the browser's cookie, which is "
     "cleared), or without either every sign-in of the account.",
     OBJ(STR("refresh_token", "the sign-in to end")), "SignedOut", 200},
    {HTTP_POST, V1 "/auth/device", h_device_start, HTTP_BODY | HTTP_PUBLIC, "auth", "device",
     "Start signing in a device (RFC 8628): a device code to poll with, and a user code the "
     "person enters at verification_uri (10 minutes).",
     OBJ(STRN("client_name", 100, "what is signing in: pluto-duck on a machine")), "DeviceCode",
     200},
    {HTTP_POST, V1 "/auth/token", h_device_token, HTTP_BODY | HTTP_PUBLIC, "auth", "token",
     "The device polls for its tokens every interval seconds: 400 authorization_pending until "
     "approved, slow_down when too fast (the interval grows by 5), expired_token, "
     "access_denied, invalid_grant.",
     OBJ_REQ(STR("grant_type", "urn:ietf:params:oauth:grant-type:device_code") ","
             STRN("device_code", 128, "from POST /auth/device"), "\"device_code\""),
     "Tokens", 200},
    {HTTP_POST, V1 "/auth/device/approve", h_device_approve, HTTP_BODY, "auth", "device_approve",
     "Approve (or with approve: false, deny) a device's sign-in by its user code.",
     OBJ_REQ(STRN("user_code", 20, "ABCD-EFGH") "," "\"approve\":{\"type\":\"boolean\"}",
             "\"user_code\""),
     "DeviceDecision", 200},
    {HTTP_GET, V1 "/notifications", h_notification_list, 0, "notification", "list",
     "The caller's notifications (mentions), newest first.",
     OBJ(STR("unread", "true: only unread ones")), "[Notification]", 200},
    {HTTP_POST, V1 "/notifications/read", h_notification_read, HTTP_BODY, "notification",
     "read_all", "Mark every notification read.", NULL, "MarkedRead", 200},
    {HTTP_POST, V1 "/notifications/{id}/read", h_notification_read, HTTP_BODY, "notification",
     "read", "Mark a notification read.", NULL, "MarkedRead", 200},
    {HTTP_GET, V1 "/me", h_me, 0, "me", "get", "The signed-in account and its workspaces.", NULL,
     "Me", 200},

    {HTTP_GET, V1 "/workspaces", h_workspace_list, 0, "workspace", "list",
     "The workspaces the caller is a member of, with its role in each.", NULL, "[Workspace]", 200},
    {HTTP_POST, V1 "/workspaces", h_workspace_create, HTTP_BODY, "workspace", "create",
     "Create a workspace; the caller is its owner.",
     OBJ_REQ(STRN("name", 100, "the workspace's name"), "\"name\""), "Workspace", 201},
    {HTTP_POST, V1 "/invitations/accept", h_invitation_accept, HTTP_BODY, "invitation", "accept",
     "Join a workspace with an invitation made for the caller's email.",
     OBJ_REQ(STRN("token", 128, "the invitation's token"), "\"token\""), "Membership", 200},

    {HTTP_GET, WS, h_workspace_get, 0, "workspace", "get", "A workspace and the caller's role.",
     NULL, "Workspace", 200},
    {HTTP_PATCH, WS, h_workspace_update, HTTP_BODY, "workspace", "update", "Rename a workspace.",
     OBJ(STRN("name", 100, "the new name")), "Workspace", 200},
    {HTTP_DELETE, WS, h_workspace_delete, 0, "workspace", "delete",
     "Delete a workspace and everything in it (its audit trail stays).", NULL, "Deleted", 200},
    {HTTP_GET, WS "/members", h_member_list, 0, "member", "list", "The members and their roles.",
     NULL, "[Member]", 200},
    {HTTP_PATCH, WS "/members/{user}", h_member_update, HTTP_BODY, "member", "update",
     "Change a member's role (the last owner cannot be demoted).",
     OBJ_REQ(ROLE("role", "the new role"), "\"role\""), "Member", 200},
    {HTTP_DELETE, WS "/members/{user}", h_member_remove, 0, "member", "remove",
     "Leave the workspace, or (an owner) remove a member; the last owner cannot leave.", NULL,
     "MemberRemoved", 200},
    {HTTP_POST, WS "/invitations", h_invitation_create, HTTP_BODY, "invitation", "create",
     "Invite an email address with a role. No mail is sent: the answer holds the link to pass "
     "on (valid 7 days, once).",
     OBJ_REQ(STRN("email", 254, "whom") "," ROLE("role", "viewer unless given"), "\"email\""),
     "Invitation", 201},
    {HTTP_GET, WS "/invitations", h_invitation_list, 0, "invitation", "list",
     "The workspace's invitations and their status.", NULL, "[Invitation]", 200},
    {HTTP_DELETE, WS "/invitations/{id}", h_invitation_revoke, 0, "invitation", "revoke",
     "Revoke a pending invitation.", NULL, "Revoked", 200},
    {HTTP_POST, WS "/agent-tokens", h_agent_token_create, HTTP_BODY, "agent_token", "create",
     "A long-lived token for a machine that runs the workspace's schedules (role runner). "
     "Shown once.",
     OBJ_REQ(STRN("name", 100, "the machine"), "\"name\""), "AgentToken", 201},
    {HTTP_GET, WS "/agent-tokens", h_agent_token_list, 0, "agent_token", "list",
     "The workspace's agent tokens (never the tokens themselves).", NULL, "[AgentToken]", 200},
    {HTTP_DELETE, WS "/agent-tokens/{id}", h_agent_token_revoke, 0, "agent_token", "revoke",
     "Revoke an agent token: its machine is refused from now on.", NULL, "Revoked", 200},
    {HTTP_GET, WS "/audit", h_audit_list, 0, "audit", "list",
     "The audit trail: every change in the workspace and its members' sign-ins, newest first.",
     OBJ(STR("actor", "a user's id or email, or an agent's id") ","
         STR("action", "an action, or a prefix ending in '.' (member.)") ","
         STR("target", "a target's id") "," STR("since", "RFC 3339 time") ","
         STR("until", "RFC 3339 time") "," STR("limit", "at most this many (100; up to 10000)") ","
         "\"format\":{\"enum\":[\"json\",\"jsonl\"],\"description\":\"jsonl: one object per line, for export\"}"),
     "AuditLog", 200},

#define FILES "\"files\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}," \
              "\"description\":\"relative paths to file contents (a duckpipe or dbt project)\"}"
    {HTTP_GET, WS "/pipelines", h_pipeline_list, 0, "pipeline", "list",
     "The workspace's pipelines with their current versions.", NULL, "[Pipeline]", 200},
    {HTTP_POST, WS "/pipelines", h_pipeline_create, HTTP_BODY, "pipeline", "create",
     "Share a pipeline: a duckpipe project (analyses/*.yaml) or a dbt project "
     "(dbt_project.yml) as a bundle of files; it becomes version 1.",
     OBJ_REQ(STRN("name", 63, "letters, digits, _ and -") "," FILES "," STR("message", "what it is"),
             "\"name\",\"files\""),
     "Pipeline", 201},
    {HTTP_GET, WS "/pipelines/{id}", h_pipeline_get, 0, "pipeline", "get",
     "A pipeline and its current version number.", NULL, "Pipeline", 200},
    {HTTP_PATCH, WS "/pipelines/{id}", h_pipeline_update, HTTP_BODY, "pipeline", "update",
     "Pin the pipeline to one of its versions: its schedules, and runs that name no version, "
     "then run that one rather than the newest; null unpins it.",
     "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"pinned_version\"],"
     "\"properties\":{\"pinned_version\":{\"type\":[\"integer\",\"null\"],\"minimum\":1,"
     "\"description\":\"a version number, or null for the newest\"}}}",
     "Pipeline", 200},
    {HTTP_DELETE, WS "/pipelines/{id}", h_pipeline_delete, 0, "pipeline", "delete",
     "Delete a pipeline and all its versions.", NULL, "Deleted", 200},
    {HTTP_GET, WS "/pipelines/{id}/versions", h_version_list, 0, "version", "list",
     "The pipeline's versions, newest first.", NULL, "[Version]", 200},
    {HTTP_POST, WS "/pipelines/{id}/versions", h_version_create, HTTP_BODY | HTTP_IDEMPOTENT, "version", "create",
     "Upload a new version. Identical content answers 200 with the version that has it; a "
     "parent older than the newest version is still kept, as the newest, marked diverged.",
     OBJ_REQ(FILES ",\"parent\":{\"type\":\"integer\",\"minimum\":1,\"description\":"
             "\"the version this one was made from (default: the newest)\"},"
             STR("message", "what changed"), "\"files\""),
     "VersionUpload", 201},
    {HTTP_GET, WS "/pipelines/{id}/versions/{n}", h_version_get, 0, "version", "get",
     "One version with its files.", NULL, "VersionFiles", 200},
    {HTTP_GET, WS "/pipelines/{id}/diff", h_version_diff, 0, "version", "diff",
     "How two versions differ, file by file, as unified diffs (default: the newest against "
     "the one before).",
     OBJ(STR("from", "a version number") "," STR("to", "a version number")), "Diff", 200},
    {HTTP_POST, WS "/pipelines/{id}/rollback", h_version_rollback, HTTP_BODY, "version",
     "rollback", "Make a new version with the content of an older one.",
     OBJ_REQ("\"to\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"the version "
             "whose content comes back\"}", "\"to\""),
     "VersionUpload", 201},

#define STATES(name, desc)                                                                   \
    "\"" name "\":{\"enum\":[\"pending\",\"running\",\"success\",\"failed\",\"skipped\","      \
    "\"cancelled\"],\"description\":\"" desc "\"}"
    {HTTP_POST, WS "/runs", h_run_create, HTTP_BODY | HTTP_IDEMPOTENT, "run", "create",
     "Record a run the client makes (its own UUIDv7 run_id). The same body again answers 200 "
     "with the run; another body under the same id is a 409.",
     OBJ_REQ(STR("run_id", "a UUIDv7 made by the client") "," STR("pipeline_id", "the pipeline")
                 ",\"version\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"the "
                 "pipeline version it runs (default: the newest)\"},"
                 "\"trigger\":{\"enum\":[\"manual\",\"schedule\",\"api\"]},"
                 "\"state\":{\"enum\":[\"pending\",\"running\"]},"
                 STR("schedule_id", "the schedule, for a scheduled run") ","
                 STR("occurrence_id", "the occurrence it runs") ","
                 "\"params\":{\"type\":\"object\"},"
                 "\"environment\":{\"type\":\"object\",\"description\":\"OS, versions, "
                 "connector status\"}",
             "\"run_id\",\"pipeline_id\""),
     "Run", 201},
    {HTTP_GET, WS "/runs", h_run_list, 0, "run", "list", "Runs, newest first.",
     OBJ(STR("pipeline_id", "only this pipeline's") "," STR("state", "only runs in this state")
         "," STR("schedule_id", "only this schedule's") "," STR("agent_id", "only this agent's")
         "," STR("since", "RFC 3339 time: created at or after") ","
         STR("until", "RFC 3339 time: created before") "," STR("limit", "at most (50; 1000)")),
     "[Run]", 200},
    {HTTP_GET, WS "/runs/{id}", h_run_get, 0, "run", "get", "A run.", NULL, "Run", 200},
    {HTTP_PATCH, WS "/runs/{id}", h_run_update, HTTP_BODY, "run", "update",
     "Report a run's progress: pending -> running -> success, failed or cancelled (pending may "
     "also become skipped). Any other move is a 409 naming the states it may take.",
     OBJ_REQ(STATES("state", "the new state") ","
             "\"error_class\":{\"enum\":[\"source\",\"permission\",\"network\",\"sql\","
             "\"internal\"],\"description\":\"why it failed (needed with failed)\"},"
             STRN("error_message", 10000, "what went wrong") ","
             "\"environment\":{\"type\":\"object\"}",
             "\"state\""),
     "Run", 200},
    {HTTP_POST, WS "/runs/{id}/logs", h_run_log_append, HTTP_BODY | HTTP_IDEMPOTENT, "run", "log_append",
     "Append a chunk of the run's log: JSON lines, numbered from 1. A chunk sent again is "
     "stored once (200); one out of sequence is a 409 naming the next.",
     OBJ_REQ("\"seq\":{\"type\":\"integer\",\"minimum\":1}," STR("lines", "JSON lines"),
             "\"seq\",\"lines\""),
     "LogAppend", 201},
    {HTTP_GET, WS "/runs/{id}/logs", h_run_logs, 0, "run", "logs",
     "The run's log chunks in order, a page at a time (?after=SEQ).",
     OBJ(STR("after", "chunks after this seq") "," STR("limit", "at most (100; 1000)")), "Logs",
     200},
    {HTTP_POST, WS "/runs/{id}/artifacts", h_artifact_create, HTTP_BODY | HTTP_IDEMPOTENT, "artifact", "create",
     "Declare an artifact of the run (a report, a log file, a Parquet snapshot) with its size "
     "and SHA-256: the answer holds a pre-signed URL to PUT its bytes to (15 minutes).",
     OBJ_REQ("\"kind\":{\"enum\":[\"report\",\"log\",\"snapshot\"]},"
             STRN("name", 200, "report.html, run.log, result.parquet") ","
             STRN("content_type", 200, "text/html, text/markdown, ...") ","
             "\"size\":{\"type\":\"integer\",\"minimum\":0,\"description\":\"bytes\"},"
             STR("sha256", "64 hex digits"),
             "\"kind\",\"name\",\"size\",\"sha256\""),
     "Artifact", 201},
    {HTTP_POST, WS "/runs/{id}/artifacts/{aid}/complete", h_artifact_complete, HTTP_BODY,
     "artifact", "complete",
     "The upload is done: the server checks the object's size and SHA-256 and lists the "
     "artifact (409 when they are not the ones declared).",
     NULL, "Artifact", 200},
    {HTTP_GET, WS "/runs/{id}/artifacts", h_artifact_list, 0, "artifact", "list",
     "The run's artifacts.", NULL, "[Artifact]", 200},
    {HTTP_GET, WS "/runs/{id}/artifacts/{aid}/download", h_artifact_download, 0, "artifact",
     "download", "A pre-signed URL to GET an uploaded artifact (15 minutes).", NULL, "SignedUrl",
     200},
    {HTTP_GET, WS "/runs/{id}/artifacts/{aid}/content", h_artifact_content, 0, "artifact",
     "content",
     "The bytes of an uploaded artifact of at most 20 MB (413 for a larger one: download it), "
     "for a page to show in a sandboxed frame; always a download, never a page of this origin.",
     NULL, "ObjectBytes", 200},
#define SCHEDULE_FIELDS                                                                      \
    STR("cron", "minute hour day month weekday, or @daily ...") ","                         \
    STR("timezone", "an IANA zone (default UTC)") "," STRN("name", 100, "a label") ","      \
    "\"params\":{\"type\":\"object\"}," STR("agent_id", "run on this agent only (default: any)") \
    ",\"grace_s\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":86400,\"description\":\"how long " \
    "an occurrence waits for an agent (600)\"},"                                              \
    "\"catch_up\":{\"enum\":[\"none\",\"latest\",\"all\"],\"description\":\"what is run for missed " \
    "occurrences when an agent comes back (latest)\"},"                                       \
    "\"catch_up_max\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100},"                \
    "\"snapshot\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"analyses " \
    "whose results each run shares as Parquet (at most 20; default none: no data leaves)\"}"
    {HTTP_POST, WS "/schedules", h_schedule_create, HTTP_BODY, "schedule", "create",
     "Schedule a pipeline: cron in a time zone, for one agent or any agent of the workspace. "
     "The server only keeps the policy; agents run it.",
     OBJ_REQ(STR("pipeline_id", "the pipeline") "," SCHEDULE_FIELDS, "\"pipeline_id\",\"cron\""),
     "Schedule", 201},
    {HTTP_GET, WS "/schedules", h_schedule_list, 0, "schedule", "list", "The schedules.", NULL,
     "[Schedule]", 200},
    {HTTP_GET, WS "/schedules/due", h_schedule_due, HTTP_CONDITIONAL, "schedule", "due",
     "The occurrences due for an agent (an agent token: itself), each with an id to ack. Send "
     "the last ETag in If-None-Match (or Last-Modified in If-Modified-Since): 304 while nothing "
     "changed. Poll every 30 to 60 seconds.",
     OBJ(STR("agent_id", "whose view (default: any agent)")), "Due", 200},
    {HTTP_GET, WS "/schedules/{id}", h_schedule_get, 0, "schedule", "get",
     "A schedule with its next 10 occurrences.", NULL, "Schedule", 200},
    {HTTP_PATCH, WS "/schedules/{id}", h_schedule_update, HTTP_BODY, "schedule", "update",
     "Change a schedule; paused: true pauses it, false resumes it (from now: a pause is not "
     "caught up).",
     OBJ(SCHEDULE_FIELDS ",\"paused\":{\"type\":\"boolean\"}"), "Schedule", 200},
    {HTTP_DELETE, WS "/schedules/{id}", h_schedule_delete, 0, "schedule", "delete",
     "Delete a schedule and its occurrences.", NULL, "Deleted", 200},
    {HTTP_POST, WS "/schedules/{id}/trigger", h_schedule_trigger, HTTP_BODY, "schedule",
     "trigger", "Run now: an occurrence due at once, for the schedule's agents.", NULL,
     "Occurrence", 201},
    {HTTP_POST, WS "/schedules/{id}/ack", h_schedule_ack, HTTP_BODY, "schedule", "ack",
     "Report on an occurrence: started claims it (one agent only; with the run's id), finished "
     "or skipped ends it.",
     OBJ_REQ(STR("occurrence_id", "from the poll") ","
             "\"status\":{\"enum\":[\"started\",\"finished\",\"skipped\"]},"
             STR("run_id", "the run (with started)") "," STRN("reason", 1000, "why it was skipped"),
             "\"occurrence_id\",\"status\""),
     "Occurrence", 200},
    {HTTP_GET, WS "/schedules/{id}/occurrences", h_schedule_occurrences, 0, "schedule",
     "occurrences", "The schedule's occurrences, newest first, with their outcome.",
     OBJ(STR("limit", "at most (50; 1000)")), "[Occurrence]", 200},
    {HTTP_POST, WS "/comments", h_comment_create, HTTP_BODY, "comment", "create",
     "Comment on a run, an artifact or a pipeline version (PIPELINE_ID/NUMBER); "
     "@someone@example.com notifies that member.",
     OBJ_REQ("\"target_kind\":{\"enum\":[\"run\",\"artifact\",\"version\"]},"
             STRN("target_id", 80, "the run's or artifact's id, or PIPELINE_ID/NUMBER") ","
             STRN("body", 10000, "the comment (plain text)"),
             "\"target_kind\",\"target_id\",\"body\""),
     "Comment", 201},
    {HTTP_GET, WS "/comments", h_comment_list, 0, "comment", "list",
     "Comments, oldest first (of one target with target_kind and target_id).",
     OBJ(STR("target_kind", "run, artifact or version") "," STR("target_id", "the target")),
     "[Comment]", 200},
    {HTTP_DELETE, WS "/comments/{id}", h_comment_delete, 0, "comment", "delete",
     "Delete a comment (its author, or an owner).", NULL, "Deleted", 200},
    {HTTP_PUT, V1 "/objects/{key}", h_object_put, HTTP_PUBLIC | HTTP_RAW, "object", "put",
     "The local object store: upload bytes to a URL the server signed.",
     OBJ(STR("expires", "from the signed URL") "," STR("signature", "from the signed URL")),
     "ObjectStored", 200},
    {HTTP_GET, V1 "/objects/{key}", h_object_get, HTTP_PUBLIC, "object", "get",
     "The local object store: download bytes from a URL the server signed.",
     OBJ(STR("expires", "from the signed URL") "," STR("signature", "from the signed URL")),
     "ObjectBytes", 200},
};

extern const char cl_api_components[];

/* Who may call each operation (x-roles), from the permission table. */
static void document(const struct http_route *rt, json_t *op)
{
    static const unsigned bits[] = {CL_OWNER, CL_EDITOR, CL_VIEWER, CL_RUNNER, CL_SIGNED_IN};
    unsigned roles = cl_perm_roles(rt);
    json_t *names = json_array();
    if (rt->flags & HTTP_PUBLIC)
        json_array_append_new(names, json_string("anyone"));
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        if (roles & bits[i])
            json_array_append_new(names, json_string(cl_role_name(bits[i])));
    json_object_set_new(op, "x-roles", names);
}

/*
 * The web pages outside the API (web/src/cloud, built into --web-dir). The
 * report of a run is shown in a sandboxed frame made from srcdoc, which keeps
 * this policy: no script but the app's own files, nothing from elsewhere.
 */
#define PAGE_CSP                                                                           \
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' " \
    "data:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "      \
    "form-action 'self'; frame-ancestors 'none'"

static const char not_built[] =
    "<!doctype html><meta charset=utf-8><title>Pluto Cloud</title>"
    "<p>The web pages are not built. Run <code>scripts/setup.sh</code> (it builds "
    "<code>web/</code>), or start pluto-cloud with <code>--web-dir</code>. The API is at "
    "<a href=/api/v1/openapi.json>/api/v1/openapi.json</a>.";

void h_page(struct http_req *r)
{
    const struct http_app app = {cloud_of(r)->o.web_dir, not_built, PAGE_CSP};
    http_serve_app(r, &app);
}

/* The pages outside the API (h_page). */
static const struct http_route page_route = {HTTP_GET, "/", h_page, HTTP_PUBLIC | HTTP_INLINE,
                                             "web", "page", "A page of Pluto Cloud.", NULL,
                                             NULL, 200};

const struct http_api cl_api = {
    .routes = routes,
    .fallback = &page_route,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .base = CL_API,
    .title = "Pluto Cloud API",
    .description = "The team control plane: accounts, workspaces and roles, pipeline "
                   "definitions and versions, the run ledger, schedules, artifacts and the "
                   "audit trail. It never runs a query and never receives a data row. A write "
                   "needs 'Content-Type: application/json'; a body field the operation does not "
                   "list is refused with 422. Errors come as {\"error\":{\"code\",\"message\","
                   "\"trace_id\"}}.",
    .components = cl_api_components,
    .realm = "pluto-cloud",
    .hosts_hint = "start pluto-cloud with --allowed-hosts NAME",
    .origins_hint = "start pluto-cloud with --cors-origins ORIGIN",
    .errors = "401 403 429 503", /* roles refuse reads too; sign-in refuses on public routes */
    .document = document,
};

void h_health(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    struct cl_db *db = cl_db_get(cloud_of(r)->store, &err);
    int up = 0;
    if (db) {
        PGresult *res = cl_db_exec(db, "SELECT 1", 0, NULL, &err);
        up = res != NULL;
        PQclear(res);
        cl_db_put(cloud_of(r)->store, db);
    }
    http_reply_json(r, up ? 200 : 503,
                    up ? json_pack("{s:s, s:s, s:i, s:s}", "status", "ok", "version", PD_VERSION,
                                   "schema_version", cl_schema_version(), "database", "ok")
                       : json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "unavailable",
                                   "message", "the database is unavailable; try again shortly",
                                   "trace_id", r->trace_id));
}

void h_openapi(struct http_req *r) { http_reply_json(r, 200, http_openapi_doc(&cl_api, PD_VERSION)); }
