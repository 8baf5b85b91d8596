/*
 * h_schedules.c - schedules as policy: cron and time zone on a pipeline, for
 * one agent or any agent of the workspace. Agents poll for due occurrences
 * (a 304 while nothing changed: one indexed read) and claim one with an ack;
 * only one agent can claim an occurrence.
 */
#include "cloud/call.h"
#include "http/libmhd.h"
#include "cloud/cloud.h"
#include "cloud/cron.h"
#include "cloud/handlers.h"
#include "cloud/store.h"
#include "cloud/sweep.h"
#include "cloud/tz.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/id.h"
#include "base/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREVIEW 10

static const char SCHEDULE_COLUMNS[] =
    "SELECT s.id, s.name, s.pipeline_id, s.cron, s.timezone, s.params, s.agent_id, s.grace_s, "
    "s.catch_up, s.catch_up_max, s.paused, s.snapshot, s.next_due, s.created_at, s.updated_at "
    "FROM schedules s";

static const char OCCURRENCE_COLUMNS[] =
    "SELECT o.id, o.schedule_id, s.pipeline_id, (SELECT coalesce(pinned_version, "
    "current_version) FROM pipelines WHERE id = s.pipeline_id) AS pipeline_version, s.params, "
    "s.snapshot, o.due_at, o.grace_until, o.manual, o.state "
    "= 'missed' AS catch_up, o.state, o.claimed_by, o.run_id, o.reason FROM occurrences o JOIN "
    "schedules s ON s.id = o.schedule_id";

/* The caller as a claimant: "agent:ID" or "user:ID". */
static void claimant(const struct cl_call *call, char out[64])
{
    snprintf(out, 64, "%s:%s", call->kind == CL_AGENT ? "agent" : "user",
             call->kind == CL_AGENT ? call->agent_id : call->user_id);
}

static json_t *schedule_json(struct cl_db *db, const char *ws, const char *id, struct pd_err *err)
{
    struct pd_buf q = PD_BUF_INIT;
    PGresult *res;
    json_t *s = NULL;
    if (!cl_is_uuid(id)) {
        pd_fail(err, PD_ENOTFOUND, "no schedule %s in this workspace", id);
        return NULL;
    }
    pd_buf_addf(&q, "%s WHERE s.workspace_id = $1 AND s.id = $2", SCHEDULE_COLUMNS);
    res = cl_db_exec(db, q.ptr, CL_ARGS(ws, id), err);
    pd_buf_release(&q);
    if (res == NULL)
        return NULL;
    if (PQntuples(res)) {
        s = cl_row_json(res, 0);
        json_object_set_new(s, "next",
                            json_is_true(json_object_get(s, "paused"))
                                ? json_array()
                                : cl_schedule_preview(PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4),
                                                      pd_now_ms() / 1000, PREVIEW));
    } else {
        pd_fail(err, PD_ENOTFOUND, "no schedule %s in this workspace", id);
    }
    PQclear(res);
    return s;
}

/* Check cron and zone; the first instant after now as RFC 3339 into next. */
static int check_timing(const char *cron, const char *zone, char next[32], struct pd_err *err)
{
    struct cl_cron c;
    struct cl_tz *z;
    int64_t t;
    int rc;
    if ((rc = cl_cron_parse(cron, &c, err)) || (rc = cl_tz_load(zone, &z, err)))
        return rc;
    t = cl_cron_next(&c, z, pd_now_ms() / 1000);
    cl_tz_free(z);
    if (t < 0)
        return pd_fail(err, PD_EFIELD, "the cron expression '%s' never runs", cron);
    pd_time_iso(t * 1000, next, 32);
    return 0;
}

/* An agent of this workspace, or PD_EFIELD. */
static int check_agent(struct cl_db *db, const char *ws, const char *agent, struct pd_err *err)
{
    PGresult *res;
    int found;
    if (agent == NULL)
        return 0;
    if (!cl_is_uuid(agent))
        return pd_fail(err, PD_EFIELD, "field 'agent_id' must be an agent token's id");
    res = cl_db_exec(db,
                     "SELECT 1 FROM agent_tokens WHERE id = $1 AND workspace_id = $2 AND "
                     "revoked_at IS NULL",
                     CL_ARGS(agent, ws), err);
    if (res == NULL)
        return err->code;
    found = PQntuples(res);
    PQclear(res);
    return found ? 0 : pd_fail(err, PD_EFIELD, "no agent %s in this workspace", agent);
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *num(const json_t *o, const char *k, char *buf, size_t size)
{
    json_t *v = json_object_get(o, k);
    if (v == NULL)
        return NULL;
    snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    return buf;
}

#define MAX_SNAPSHOTS 20

/* An analysis id: ^[A-Za-z_][A-Za-z0-9_]{0,62}$. */
static int analysis_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/*
 * The body's snapshot field (the analyses whose results the run shares as Parquet) as
 * JSON text in *out (NULL when the body has none): 0, or PD_EFIELD saying what is wrong.
 */
static int snapshot_field(const json_t *b, char **out, struct pd_err *err)
{
    json_t *v = json_object_get(b, "snapshot"), *x;
    size_t i;
    *out = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > MAX_SNAPSHOTS)
        return pd_fail(err, PD_EFIELD,
                       "field 'snapshot' must be a list of at most %d analysis ids", MAX_SNAPSHOTS);
    json_array_foreach(v, i, x) {
        if (!analysis_id(json_string_value(x)))
            return pd_fail(err, PD_EFIELD,
                           "field 'snapshot[%zu]' must be an analysis id (letters, digits, _)", i);
    }
    *out = json_dumps(v, JSON_COMPACT);
    return 0;
}

static int create_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    const json_t *b = r->body;
    const char *pipeline = str(b, "pipeline_id"), *zone = str(b, "timezone");
    char id[40], next[32], grace[16], keep[16], *params, *snapshot = NULL;
    PGresult *res;
    int rc, found;
    if ((rc = snapshot_field(b, &snapshot, err)) ||
        (rc = check_timing(str(b, "cron"), zone ? zone : "UTC", next, err)) ||
        (rc = check_agent(db, call->ws, str(b, "agent_id"), err)))
        return rc;
    if (cl_is_uuid(pipeline)) {
        if ((res = cl_db_exec(db, "SELECT 1 FROM pipelines WHERE id = $1 AND workspace_id = $2",
                              CL_ARGS(pipeline, call->ws), err)) == NULL) {
            free(snapshot);
            return err->code;
        }
        found = PQntuples(res);
        PQclear(res);
    } else {
        found = 0;
    }
    if (!found) {
        free(snapshot);
        return pd_fail(err, PD_EFIELD, "no pipeline %s in this workspace", pipeline);
    }
    pd_uuid7(id);
    params = cl_object_text(json_object_get(b, "params"));
    rc = cl_db_run(db,
                   "INSERT INTO schedules (id, workspace_id, pipeline_id, name, cron, timezone, "
                   "params, agent_id, grace_s, catch_up, catch_up_max, next_due, created_by, "
                   "snapshot) VALUES ($1, $2, $3, coalesce($4, ''), $5, $6, $7::jsonb, $8, "
                   "coalesce($9::int, 600), coalesce($10, 'latest'), coalesce($11::int, 10), "
                   "$12::timestamptz, $13, coalesce($14::jsonb, '[]'))",
                   CL_ARGS(id, call->ws, pipeline, str(b, "name"), str(b, "cron"),
                           zone ? zone : "UTC", params, str(b, "agent_id"),
                           num(b, "grace_s", grace, sizeof(grace)), str(b, "catch_up"),
                           num(b, "catch_up_max", keep, sizeof(keep)), next,
                           call->kind == CL_PERSON ? call->user_id : NULL, snapshot),
                   err);
    free(params);
    free(snapshot);
    if (rc == 0)
        rc = cl_audit(db, r, call->ws, "schedule.create", "schedule", id,
                      json_pack("{s:s, s:s}", "cron", str(b, "cron"), "timezone",
                                zone ? zone : "UTC"),
                      err);
    if (rc)
        return rc;
    return (t->out = schedule_json(db, call->ws, id, err)) ? 0 : err->code;
}

void h_schedule_create(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *params = json_object_get(r->body, "params");
    if (params && !json_is_object(params)) {
        pd_fail(&err, PD_EFIELD, "field 'params' must be an object");
        http_reply_err(r, &err);
        return;
    }
    cl_run(r, create_tx, NULL, 201);
}

static int list_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    t->out = cl_db_select(db, SCHEDULE_COLUMNS, "WHERE s.workspace_id = $1 ORDER BY s.created_at, s.id",
                          0, NULL, CL_ARGS(call_of(t->r)->ws), err);
    return t->out ? 0 : err->code;
}

void h_schedule_list(struct http_req *r) { cl_run(r, list_tx, NULL, 200); }

static int get_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    t->out = schedule_json(db, call_of(t->r)->ws, http_param(t->r, "id"), err);
    return t->out ? 0 : err->code;
}

void h_schedule_get(struct http_req *r) { cl_run(r, get_tx, NULL, 200); }

static int update_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    const json_t *b = r->body;
    const char *id = http_param(r, "id");
    json_t *cur = schedule_json(db, call->ws, id, err), *paused = json_object_get(b, "paused");
    const char *cron, *zone;
    char next[32], grace[16], keep[16], *params, *snapshot = NULL;
    int rc, resuming;
    if (cur == NULL)
        return err->code;
    if ((rc = snapshot_field(b, &snapshot, err)) != 0) {
        json_decref(cur);
        return rc;
    }
    cron = str(b, "cron") ? str(b, "cron") : str(cur, "cron");
    zone = str(b, "timezone") ? str(b, "timezone") : str(cur, "timezone");
    resuming = json_is_false(paused) && json_is_true(json_object_get(cur, "paused"));
    if ((rc = check_timing(cron, zone, next, err)) ||
        (rc = check_agent(db, call->ws, str(b, "agent_id"), err))) {
        json_decref(cur);
        free(snapshot);
        return rc;
    }
    params = json_object_get(b, "params") ? json_dumps(json_object_get(b, "params"), JSON_COMPACT)
                                          : NULL;
    /* A new time, or a resume, starts from now: a pause is not caught up. */
    rc = cl_db_run(db,
                   "UPDATE schedules SET name = coalesce($3, name), cron = $4, timezone = $5, "
                   "params = coalesce($6::jsonb, params), agent_id = CASE WHEN $7::boolean THEN "
                   "$8::uuid ELSE agent_id END, grace_s = coalesce($9::int, grace_s), catch_up = "
                   "coalesce($10, catch_up), catch_up_max = coalesce($11::int, catch_up_max), "
                   "paused = coalesce($12::boolean, paused), next_due = CASE WHEN $13::boolean "
                   "THEN $14::timestamptz ELSE next_due END, snapshot = coalesce($15::jsonb, "
                   "snapshot), updated_at = now() WHERE id = $1 AND workspace_id = $2",
                   CL_ARGS(id, call->ws, str(b, "name"), cron, zone, params,
                           json_object_get(b, "agent_id") ? "true" : "false", str(b, "agent_id"),
                           num(b, "grace_s", grace, sizeof(grace)), str(b, "catch_up"),
                           num(b, "catch_up_max", keep, sizeof(keep)),
                           paused ? (json_is_true(paused) ? "true" : "false") : NULL,
                           str(b, "cron") || str(b, "timezone") || resuming ? "true" : "false",
                           next, snapshot),
                   err);
    free(params);
    free(snapshot);
    json_decref(cur);
    if (rc == 0)
        rc = cl_audit(db, r, call->ws,
                      paused ? (json_is_true(paused) ? "schedule.pause" : "schedule.resume")
                             : "schedule.update",
                      "schedule", id, json_deep_copy(b), err);
    if (rc)
        return rc;
    return (t->out = schedule_json(db, call->ws, id, err)) ? 0 : err->code;
}

void h_schedule_update(struct http_req *r) { cl_run(r, update_tx, NULL, 200); }

static int delete_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    json_t *cur = schedule_json(db, call->ws, id, err);
    int rc;
    if (cur == NULL)
        return err->code;
    json_decref(cur);
    if ((rc = cl_db_run(db, "DELETE FROM schedules WHERE id = $1", CL_ARGS(id), err)) ||
        (rc = cl_audit(db, t->r, call->ws, "schedule.delete", "schedule", id, NULL, err)))
        return rc;
    t->out = json_pack("{s:s, s:b}", "id", id, "deleted", 1);
    return 0;
}

void h_schedule_delete(struct http_req *r) { cl_run(r, delete_tx, NULL, 200); }

static int trigger_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    json_t *cur = schedule_json(db, call->ws, id, err);
    struct pd_buf q = PD_BUF_INIT;
    char occ[40];
    PGresult *res;
    int rc;
    if (cur == NULL)
        return err->code;
    json_decref(cur);
    pd_uuid7(occ);
    if ((rc = cl_db_run(db,
                        "INSERT INTO occurrences (id, schedule_id, workspace_id, due_at, "
                        "grace_until, manual, state, reason) SELECT $1, s.id, s.workspace_id, "
                        "clock_timestamp(), clock_timestamp() + make_interval(secs => s.grace_s), "
                        "true, 'due', 'run now' FROM schedules s WHERE s.id = $2",
                        CL_ARGS(occ, id), err)) ||
        (rc = cl_audit(db, t->r, call->ws, "schedule.trigger", "schedule", id,
                       json_pack("{s:s}", "occurrence_id", occ), err)))
        return rc;
    pd_buf_addf(&q, "%s WHERE o.id = $1", OCCURRENCE_COLUMNS);
    res = cl_db_exec(db, q.ptr, CL_ARGS(occ), err);
    pd_buf_release(&q);
    if (res == NULL)
        return err->code;
    t->out = cl_row_json(res, 0);
    PQclear(res);
    return 0;
}

void h_schedule_trigger(struct http_req *r) { cl_run(r, trigger_tx, NULL, 201); }

/* ---- polling --------------------------------------------------------------------- */

struct poll {
    const char *agent; /* whose view: an agent's id, or NULL for any */
    char etag[96];
    char modified[64];
    int not_modified;
};

/* HTTP's date of a PostgreSQL timestamp ("Thu, 03 Dec 2026 17:49:11 GMT"). */
static void http_date(int64_t t, char out[64])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static int64_t parse_http_date(const char *s)
{
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    if (end == NULL || *end)
        return -1;
    return cl_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) *
               86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

static int due_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    struct poll *p = t->arg;
    const char *inm = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    int64_t ims = parse_http_date(http_header(r, MHD_HTTP_HEADER_IF_MODIFIED_SINCE));
    double changed;
    struct pd_buf q = PD_BUF_INIT;
    PGresult *res = cl_db_exec(db,
                               "SELECT generation, extract(epoch FROM changed_at)::float8 FROM "
                               "schedule_generations WHERE workspace_id = $1",
                               CL_ARGS(call->ws), err);
    if (res == NULL)
        return err->code;
    snprintf(p->etag, sizeof(p->etag), "\"g%s-%.8s\"", PQntuples(res) ? PQgetvalue(res, 0, 0) : "0",
             p->agent ? p->agent : "any");
    changed = PQntuples(res) ? strtod(PQgetvalue(res, 0, 1), NULL) : 0;
    PQclear(res);
    /* HTTP dates have whole seconds: the next one, so a change later in this second still shows. */
    http_date((int64_t)changed + 1, p->modified);
    if ((inm && strstr(inm, p->etag)) || (inm == NULL && ims >= 0 && changed < (double)ims)) {
        p->not_modified = 1;
        return 0;
    }
    pd_buf_addf(&q, "%s WHERE o.workspace_id = $1 AND o.state IN ('due', 'missed') AND NOT "
                    "s.paused AND ($2::uuid IS NULL OR s.agent_id IS NULL OR s.agent_id = $2) "
                    "ORDER BY o.due_at, o.id LIMIT 500",
                OCCURRENCE_COLUMNS);
    res = cl_db_exec(db, q.ptr, CL_ARGS(call->ws, p->agent), err);
    pd_buf_release(&q);
    if (res == NULL)
        return err->code;
    t->out = json_pack("{s:o, s:s}", "occurrences", cl_rows_json(res), "etag", p->etag);
    PQclear(res);
    return 0;
}

void h_schedule_due(struct http_req *r)
{
    const struct cl_call *call = call_of(r);
    const char *agent = http_query(r, "agent_id");
    struct poll p = {0};
    struct cl_tx t = {.status = 200};
    struct MHD_Response *resp;
    if (call->kind == CL_AGENT) {
        if (agent && strcmp(agent, call->agent_id) != 0) {
            http_reply_error(r, PD_EDENIED, "an agent polls for itself only");
            return;
        }
        agent = call->agent_id;
    } else if (agent && !cl_is_uuid(agent)) {
        http_reply_status(r, 422, "invalid_field", "agent_id must be an agent token's id");
        return;
    }
    p.agent = agent;
    if (cl_exec(r, due_tx, &p, &t) != 0)
        return;
    if (p.not_modified) {
        json_decref(t.out);
        resp = pd_mhd.MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        http_reply_response(r, 304, resp);
    } else {
        http_reply_json(r, 200, t.out);
    }
    pd_mhd.MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ETAG, p.etag);
    pd_mhd.MHD_add_response_header(r->resp, MHD_HTTP_HEADER_LAST_MODIFIED, p.modified);
    pd_mhd.MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
}

/* ---- ack ----------------------------------------------------------------------------- */

static int ack_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    const char *id = http_param(r, "id"), *occ = str(r->body, "occurrence_id");
    const char *status = str(r->body, "status"), *run = str(r->body, "run_id");
    struct pd_buf q = PD_BUF_INIT;
    char me[64], state[16], by[64] = "", bound[40] = "", prev_run[40] = "";
    const char *to;
    PGresult *res;
    int rc;
    if (!cl_is_uuid(id) || !cl_is_uuid(occ))
        return pd_fail(err, PD_ENOTFOUND, "no occurrence %s of schedule %s", occ, id);
    if (run && !cl_is_uuid(run))
        return pd_fail(err, PD_EFIELD, "field 'run_id' must be the run's UUID");
    claimant(call, me);
    /* The occurrence's row lock: two agents claiming at once are one after the other. */
    res = cl_db_exec(db,
                     "SELECT o.state, coalesce(o.claimed_by, ''), coalesce(s.agent_id::text, ''), "
                     "coalesce(o.run_id::text, '') FROM occurrences o JOIN schedules s ON s.id = "
                     "o.schedule_id WHERE o.id = $1 AND o.schedule_id = $2 AND o.workspace_id = $3 "
                     "FOR UPDATE OF o",
                     CL_ARGS(occ, id, call->ws), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pd_fail(err, PD_ENOTFOUND, "no occurrence %s of schedule %s", occ, id);
    }
    snprintf(state, sizeof(state), "%s", PQgetvalue(res, 0, 0));
    snprintf(by, sizeof(by), "%s", PQgetvalue(res, 0, 1));
    snprintf(bound, sizeof(bound), "%s", PQgetvalue(res, 0, 2));
    snprintf(prev_run, sizeof(prev_run), "%s", PQgetvalue(res, 0, 3));
    PQclear(res);
    if (call->kind == CL_AGENT && *bound && strcmp(bound, call->agent_id) != 0)
        return pd_fail(err, PD_EDENIED, "this schedule runs on agent %s, not on this one", bound);
    if (strcmp(status, "started") == 0) {
        if (strcmp(state, "started") == 0 && strcmp(by, me) == 0 &&
            (run == NULL || strcmp(prev_run, run) == 0))
            goto answer; /* a retried claim */
        if (strcmp(state, "started") == 0 || strcmp(state, "finished") == 0)
            return pd_fail(err, PD_EEXIST, "this occurrence was claimed by %s",
                           strcmp(by, me) == 0 ? "you, with another run" : "another agent");
        if (strcmp(state, "skipped") == 0)
            return pd_fail(err, PD_EEXIST, "this occurrence was skipped; wait for the next one");
        if (run == NULL)
            return pd_fail(err, PD_EFIELD, "a claim (status started) needs field 'run_id'");
        to = "started";
    } else if (strcmp(status, "finished") == 0) {
        if (strcmp(state, "finished") == 0 && strcmp(by, me) == 0)
            goto answer;
        if (strcmp(state, "started") != 0 || strcmp(by, me) != 0)
            return pd_fail(err, PD_EEXIST, "%s",
                           strcmp(state, "started") == 0 ? "this is another agent's occurrence"
                                                         : "only a started occurrence can finish");
        to = "finished";
    } else { /* skipped: the agent will not run it */
        if (strcmp(state, "skipped") == 0)
            goto answer;
        if (!(strcmp(state, "due") == 0 || strcmp(state, "missed") == 0 ||
              (strcmp(state, "started") == 0 && strcmp(by, me) == 0)))
            return pd_fail(err, PD_EEXIST, "this occurrence is %s%s", state,
                           strcmp(by, me) != 0 && *by ? " by another agent" : "");
        to = "skipped";
    }
    if ((rc = cl_db_run(db,
                        "UPDATE occurrences SET state = $2, claimed_by = CASE WHEN $2 = 'started' "
                        "THEN $3 ELSE claimed_by END, claimed_at = CASE WHEN $2 = 'started' THEN "
                        "now() ELSE claimed_at END, run_id = coalesce($4::uuid, run_id), reason = "
                        "CASE WHEN $2 = 'skipped' THEN coalesce($5, 'skipped by the agent') ELSE "
                        "reason END, updated_at = now() WHERE id = $1",
                        CL_ARGS(occ, to, me, run, str(r->body, "reason")), err)) ||
        (rc = cl_audit(db, r, call->ws, "schedule.ack", "occurrence", occ,
                       json_pack("{s:s, s:s}", "schedule_id", id, "status", to), err)))
        return rc;
answer:
    pd_buf_addf(&q, "%s WHERE o.id = $1", OCCURRENCE_COLUMNS);
    res = cl_db_exec(db, q.ptr, CL_ARGS(occ), err);
    pd_buf_release(&q);
    if (res == NULL)
        return err->code;
    t->out = cl_row_json(res, 0);
    PQclear(res);
    return 0;
}

void h_schedule_ack(struct http_req *r) { cl_run(r, ack_tx, NULL, 200); }

static int occurrences_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    json_t *s = schedule_json(db, call_of(t->r)->ws, http_param(t->r, "id"), err);
    if (s == NULL)
        return err->code;
    json_decref(s);
    t->out = cl_db_select(db, OCCURRENCE_COLUMNS,
                          "WHERE o.schedule_id = $1 ORDER BY o.due_at DESC LIMIT "
                          "least(coalesce($2::int, 50), 1000)",
                          0, NULL, CL_ARGS(http_param(t->r, "id"), http_query(t->r, "limit")), err);
    return t->out ? 0 : err->code;
}

void h_schedule_occurrences(struct http_req *r)
{
    const char *limit = http_query(r, "limit");
    if (limit && (strspn(limit, "0123456789") != strlen(limit) || !*limit)) {
        http_reply_status(r, 422, "invalid_field", "limit must be a whole number");
        return;
    }
    cl_run(r, occurrences_tx, NULL, 200);
}
