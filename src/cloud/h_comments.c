/*
 * h_comments.c - comments on runs, artifacts and pipeline versions, and the
 * notifications their @mentions make ("@bob@example.com" notifies Bob when he
 * is a member of the workspace; anyone else is not told).
 */
#include "cloud/call.h"
#include "cloud/cloud.h"
#include "cloud/handlers.h"
#include "cloud/store.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/id.h"
#include "base/strv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char COMMENT_COLUMNS[] =
    "SELECT c.id, c.target_kind, c.target_id, (SELECT email FROM users WHERE id = c.author_id) "
    "AS author, c.body, c.created_at FROM comments c";

/* The emails mentioned in text: "@" then an address, each once, lowercased. */
static void mentions(const char *text, struct pd_strv *out)
{
    for (const char *p = strchr(text, '@'); p; p = strchr(p + 1, '@')) {
        const char *s = p + 1, *e = s;
        char *email;
        if (p > text && !isspace((unsigned char)p[-1]) && p[-1] != '(' && p[-1] != ',')
            continue; /* the middle of an address */
        while (*e && (isalnum((unsigned char)*e) || strchr("._%+-@", *e)))
            e++;
        while (e > s && (e[-1] == '.' || e[-1] == '-')) /* "@bob@example.com." */
            e--;
        if (memchr(s, '@', (size_t)(e - s)) == NULL || e - s > 254)
            continue;
        email = xstrndup(s, (size_t)(e - s));
        for (char *c = email; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (!pd_strv_has(out, email))
            pd_strv_push(out, email);
        free(email);
    }
}

/* Does the target exist in workspace ws? 0, or PD_EFIELD. */
static int target_exists(struct cl_db *db, const char *ws, const char *kind, const char *id,
                         struct pd_err *err)
{
    const char *sql;
    char pipeline[40] = "", number[16] = "";
    PGresult *res;
    int found;
    if (strcmp(kind, "version") == 0) { /* "PIPELINE_ID/NUMBER" */
        const char *slash = strchr(id, '/');
        if (slash == NULL || slash - id != 36 || strspn(slash + 1, "0123456789") !=
                                                     strlen(slash + 1) || !slash[1])
            return pd_fail(err, PD_EFIELD, "a version is named PIPELINE_ID/NUMBER");
        snprintf(pipeline, sizeof(pipeline), "%.36s", id);
        snprintf(number, sizeof(number), "%.9s", slash + 1);
        if (!cl_is_uuid(pipeline))
            return pd_fail(err, PD_EFIELD, "a version is named PIPELINE_ID/NUMBER");
        res = cl_db_exec(db,
                         "SELECT 1 FROM pipeline_versions v JOIN pipelines p ON p.id = "
                         "v.pipeline_id WHERE p.workspace_id = $1 AND v.pipeline_id = $2 AND "
                         "v.number = $3::int",
                         CL_ARGS(ws, pipeline, number), err);
    } else {
        if (!cl_is_uuid(id))
            return pd_fail(err, PD_EFIELD, "no %s %s in this workspace", kind, id);
        sql = strcmp(kind, "run") == 0
                  ? "SELECT 1 FROM runs WHERE workspace_id = $1 AND id = $2"
                  : "SELECT 1 FROM artifacts a JOIN runs r ON r.id = a.run_id WHERE "
                    "r.workspace_id = $1 AND a.id = $2";
        res = cl_db_exec(db, sql, CL_ARGS(ws, id), err);
    }
    if (res == NULL)
        return err->code;
    found = PQntuples(res);
    PQclear(res);
    return found ? 0 : pd_fail(err, PD_EFIELD, "no %s %s in this workspace", kind, id);
}

static int create_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    const char *kind = json_string_value(json_object_get(r->body, "target_kind"));
    const char *target = json_string_value(json_object_get(r->body, "target_id"));
    const char *body = json_string_value(json_object_get(r->body, "body"));
    struct pd_strv emails = PD_STRV_INIT;
    struct pd_buf q = PD_BUF_INIT;
    json_t *notified = json_array();
    char id[40];
    PGresult *res;
    int rc;
    if ((rc = target_exists(db, call->ws, kind, target, err)))
        goto done;
    pd_uuid7(id);
    if ((rc = cl_db_run(db,
                        "INSERT INTO comments (id, workspace_id, target_kind, target_id, "
                        "author_id, body) VALUES ($1, $2, $3, $4, $5, $6)",
                        CL_ARGS(id, call->ws, kind, target, call->user_id, body), err)))
        goto done;
    mentions(body, &emails);
    for (size_t i = 0; i < emails.n && rc == 0; i++) {
        char nid[40];
        pd_uuid7(nid);
        /* Only members hear of it: a mention never tells an outsider the workspace exists. */
        res = cl_db_exec(db,
                         "INSERT INTO notifications (id, user_id, workspace_id, comment_id, kind) "
                         "SELECT $1, u.id, $2, $3, 'mention' FROM users u JOIN members m ON "
                         "m.user_id = u.id AND m.workspace_id = $2 WHERE u.email = $4 AND u.id <> "
                         "$5 ON CONFLICT DO NOTHING RETURNING user_id",
                         CL_ARGS(nid, call->ws, id, emails.v[i], call->user_id), err);
        if (res == NULL)
            rc = err->code;
        else if (PQntuples(res))
            json_array_append_new(notified, json_string(emails.v[i]));
        PQclear(res);
    }
    if (rc == 0)
        rc = cl_audit(db, r, call->ws, "comment.create", kind, target,
                      json_pack("{s:s, s:O}", "comment_id", id, "mentioned", notified), err);
    if (rc == 0) {
        pd_buf_addf(&q, "%s WHERE c.id = $1", COMMENT_COLUMNS);
        if ((res = cl_db_exec(db, q.ptr, CL_ARGS(id), err)) == NULL) {
            rc = err->code;
        } else {
            t->out = cl_row_json(res, 0);
            json_object_set(t->out, "notified", notified);
            PQclear(res);
        }
    }
done:
    json_decref(notified);
    pd_strv_clear(&emails);
    pd_buf_release(&q);
    return rc;
}

void h_comment_create(struct http_req *r) { cl_run(r, create_tx, NULL, 201); }

static int list_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    t->out = cl_db_select(db, COMMENT_COLUMNS,
                          "WHERE c.workspace_id = $1 AND ($2::text IS NULL OR c.target_kind = $2) "
                          "AND ($3::text IS NULL OR c.target_id = $3) ORDER BY c.created_at, c.id "
                          "LIMIT 1000",
                          0, NULL,
                          CL_ARGS(call_of(r)->ws, http_query(r, "target_kind"),
                                  http_query(r, "target_id")),
                          err);
    return t->out ? 0 : err->code;
}

void h_comment_list(struct http_req *r) { cl_run(r, list_tx, NULL, 200); }

static int delete_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    PGresult *res;
    int mine, rc;
    if (!cl_is_uuid(id))
        return pd_fail(err, PD_ENOTFOUND, "no comment %s", id);
    res = cl_db_exec(db,
                     "SELECT author_id = $3 FROM comments WHERE id = $1 AND workspace_id = $2 FOR "
                     "UPDATE",
                     CL_ARGS(id, call->ws, call->user_id), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pd_fail(err, PD_ENOTFOUND, "no comment %s", id);
    }
    mine = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!mine && call->role != CL_OWNER)
        return pd_fail(err, PD_EDENIED, "only its author or an owner may delete a comment");
    if ((rc = cl_db_run(db, "DELETE FROM comments WHERE id = $1", CL_ARGS(id), err)) ||
        (rc = cl_audit(db, t->r, call->ws, "comment.delete", "comment", id, NULL, err)))
        return rc;
    t->out = json_pack("{s:s, s:b}", "id", id, "deleted", 1);
    return 0;
}

void h_comment_delete(struct http_req *r) { cl_run(r, delete_tx, NULL, 200); }

/* ---- notifications ------------------------------------------------------------------ */

static int notifications_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const char *unread = http_query(r, "unread");
    PGresult *res = cl_db_exec(
        db,
        "SELECT n.id, n.kind, n.workspace_id, w.name AS workspace, n.comment_id, c.target_kind, "
        "c.target_id, (SELECT email FROM users WHERE id = c.author_id) AS author, c.body, "
        "n.created_at, n.read_at FROM notifications n JOIN comments c ON c.id = n.comment_id JOIN "
        "workspaces w ON w.id = n.workspace_id WHERE n.user_id = $1 AND ($2::text IS NULL OR "
        "$2 <> 'true' OR n.read_at IS NULL) AND EXISTS (SELECT 1 FROM members m WHERE "
        "m.workspace_id = n.workspace_id AND m.user_id = n.user_id) ORDER BY n.created_at DESC "
        "LIMIT 200",
        CL_ARGS(call_of(r)->user_id, unread), err);
    if (res == NULL)
        return err->code;
    t->out = cl_rows_json(res);
    PQclear(res);
    return 0;
}

void h_notification_list(struct http_req *r) { cl_run(r, notifications_tx, NULL, 200); }

static int read_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const char *id = strstr(r->route->path, "{id}") ? http_param(r, "id") : NULL;
    PGresult *res;
    if (id && !cl_is_uuid(id))
        return pd_fail(err, PD_ENOTFOUND, "no notification %s", id);
    res = cl_db_exec(db,
                     "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE user_id = "
                     "$1 AND ($2::uuid IS NULL OR id = $2) AND read_at IS NULL",
                     CL_ARGS(call_of(r)->user_id, id), err);
    if (res == NULL)
        return err->code;
    t->out = json_pack("{s:i}", "marked_read", atoi(PQcmdTuples(res)));
    PQclear(res);
    return 0;
}

void h_notification_read(struct http_req *r) { cl_run(r, read_tx, NULL, 200); }
