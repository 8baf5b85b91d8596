/*
 * h_runs.c - the run ledger: runs that clients report (created with their own
 * UUIDv7, so a retry is recognised), their state machine, and their log
 * chunks (numbered, so a retried chunk is stored once).
 */
#include "cloud/bundle.h"
#include "cloud/call.h"
#include "cloud/cloud.h"
#include "cloud/handlers.h"
#include "cloud/runs.h"
#include "cloud/store.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHUNK_LINES 10000

static const char RUN_COLUMNS[] =
    "SELECT r.id, r.pipeline_id, r.pipeline_version, r.state, r.trigger, r.schedule_id, "
    "r.occurrence_id, (SELECT email FROM users WHERE id = r.user_id) AS user, r.agent_id, "
    "r.params, r.environment, r.error_class, r.error_message, r.created_at, r.started_at, "
    "r.finished_at, r.updated_at, CASE WHEN r.finished_at IS NOT NULL AND r.started_at IS NOT "
    "NULL THEN extract(epoch FROM r.finished_at - r.started_at)::float8 END AS duration_s, "
    "(SELECT coalesce(max(seq), 0) FROM run_logs WHERE run_id = r.id) AS log_chunks FROM runs r";

json_t *cl_run_json(struct cl_db *db, const char *ws, const char *id, struct pd_err *err)
{
    char what[96];
    snprintf(what, sizeof(what), "run %.40s in this workspace", id);
    if (!cl_is_uuid(id)) {
        pd_fail(err, PD_ENOTFOUND, "no %s", what);
        return NULL;
    }
    return cl_db_select(db, RUN_COLUMNS, "WHERE r.workspace_id = $1 AND r.id = $2", 1, what,
                        CL_ARGS(ws, id), err);
}

/* ---- the state machine ------------------------------------------------------ */

static const struct {
    const char *from, *to;
} transitions[] = {
    {"pending", "running"}, {"pending", "skipped"},  {"pending", "cancelled"},
    {"pending", "failed"},  {"running", "success"},  {"running", "failed"},
    {"running", "cancelled"},
};

static int terminal(const char *state)
{
    return strcmp(state, "pending") != 0 && strcmp(state, "running") != 0;
}

int cl_run_transition_ok(const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
        if (strcmp(transitions[i].from, from) == 0 && strcmp(transitions[i].to, to) == 0)
            return 1;
    return 0;
}

/* The states a run in state from may move to, as text. */
static void next_states(const char *from, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
        if (strcmp(transitions[i].from, from) == 0)
            n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s", n ? ", " : "",
                                  transitions[i].to);
    if (n == 0)
        snprintf(out, size, "none: it has ended");
}

/* ---- POST /runs ---------------------------------------------------------------- */

/* 1 when id is a UUID of version 7 (time-ordered, made by the client). */
static int is_uuid7(const char *id)
{
    return id && cl_is_uuid(id) && id[14] == '7';
}

static int create_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    json_t *b = r->body;
    const char *id = json_string_value(json_object_get(b, "run_id"));
    const char *pipeline = json_string_value(json_object_get(b, "pipeline_id"));
    const char *trigger = json_string_value(json_object_get(b, "trigger"));
    const char *state = json_string_value(json_object_get(b, "state"));
    const char *digest = t->arg;
    char version[16], *params, *env;
    PGresult *res;
    int rc;

    /* The same id again: the same body is the run already made, another is a conflict. */
    res = cl_db_exec(db, "SELECT request_digest, workspace_id FROM runs WHERE id = $1",
                     CL_ARGS(id), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res)) {
        int same = strcmp(PQgetvalue(res, 0, 0), digest) == 0 &&
                   strcmp(PQgetvalue(res, 0, 1), call->ws) == 0;
        PQclear(res);
        if (!same)
            return pd_fail(err, PD_EEXIST,
                           "a different run exists with the id %s: make a new UUIDv7 for a new run",
                           id);
        t->status = 200;
        return (t->out = cl_run_json(db, call->ws, id, err)) ? 0 : err->code;
    }
    PQclear(res);
    /* The version: the one given, else the pipeline's newest, of a pipeline of this workspace. */
    res = cl_db_exec(db,
                     "SELECT current_version, coalesce(pinned_version, current_version) FROM pipelines "
                     "WHERE id = $1 AND workspace_id = $2",
                     CL_ARGS(pipeline, call->ws), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pd_fail(err, PD_EFIELD, "no pipeline %s in this workspace", pipeline);
    }
    if (json_object_get(b, "version")) {
        json_int_t v = json_integer_value(json_object_get(b, "version"));
        if (v < 1 || v > atoi(PQgetvalue(res, 0, 0))) {
            PQclear(res);
            return pd_fail(err, PD_EFIELD, "the pipeline has no version %lld", (long long)v);
        }
        snprintf(version, sizeof(version), "%lld", (long long)v);
    } else {
        snprintf(version, sizeof(version), "%s", PQgetvalue(res, 0, 1)); /* the pinned one */
    }
    PQclear(res);
    params = cl_object_text(json_object_get(b, "params"));
    env = cl_object_text(json_object_get(b, "environment"));
    rc = cl_db_run(db,
                   "INSERT INTO runs (id, workspace_id, pipeline_id, pipeline_version, state, "
                   "trigger, schedule_id, occurrence_id, user_id, agent_id, params, environment, "
                   "request_digest, started_at) VALUES ($1, $2, $3, $4::int, $5, $6, $7, $8, $9, "
                   "$10, $11::jsonb, $12::jsonb, $13, CASE WHEN $5 = 'running' THEN now() END)",
                   CL_ARGS(id, call->ws, pipeline, version, state ? state : "pending",
                           trigger ? trigger : "manual",
                           json_string_value(json_object_get(b, "schedule_id")),
                           json_string_value(json_object_get(b, "occurrence_id")),
                           call->kind == CL_PERSON ? call->user_id : NULL,
                           call->kind == CL_AGENT ? call->agent_id : NULL, params, env, digest),
                   err);
    free(params);
    free(env);
    if (rc == 0)
        rc = cl_audit(db, r, call->ws, "run.create", "run", id,
                      json_pack("{s:s, s:s}", "pipeline_id", pipeline, "state",
                                state ? state : "pending"),
                      err);
    if (rc)
        return rc;
    return (t->out = cl_run_json(db, call->ws, id, err)) ? 0 : err->code;
}

void h_run_create(struct http_req *r)
{
    const char *id = json_string_value(json_object_get(r->body, "run_id"));
    const char *pipeline = json_string_value(json_object_get(r->body, "pipeline_id"));
    const char *schedule = json_string_value(json_object_get(r->body, "schedule_id"));
    char *canonical, digest[65];
    if (!is_uuid7(id)) {
        http_reply_status(r, 422, "invalid_field",
                          "field 'run_id' must be a UUIDv7 the client makes (time-ordered, so "
                          "retries and ordering work)");
        return;
    }
    if (!cl_is_uuid(pipeline) || (schedule && !cl_is_uuid(schedule))) {
        http_reply_status(r, 422, "invalid_field", "field '%s' must be a UUID",
                          !cl_is_uuid(pipeline) ? "pipeline_id" : "schedule_id");
        return;
    }
    /* A retry is recognised by its body: the same fields, in any order. */
    canonical = json_dumps(r->body, JSON_COMPACT | JSON_SORT_KEYS);
    cl_sha256_hex(canonical, strlen(canonical), digest);
    free(canonical);
    cl_run(r, create_tx, digest, 201);
}

/* ---- list, get, PATCH -------------------------------------------------------------- */

static int list_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    t->out = cl_db_select(db, RUN_COLUMNS,
                          "WHERE r.workspace_id = $1 AND ($2::text IS NULL OR r.pipeline_id::text "
                          "= $2) AND ($3::text IS NULL OR r.state = $3) AND ($4::text IS NULL OR "
                          "r.schedule_id::text = $4) AND ($6::text IS NULL OR r.agent_id::text = "
                          "$6) AND ($7::timestamptz IS NULL OR r.created_at >= $7) AND "
                          "($8::timestamptz IS NULL OR r.created_at < $8) ORDER BY r.id DESC "
                          "LIMIT least(coalesce($5::int, 50), 1000)",
                          0, NULL,
                          CL_ARGS(call_of(r)->ws, http_query(r, "pipeline_id"),
                                  http_query(r, "state"), http_query(r, "schedule_id"),
                                  http_query(r, "limit"), http_query(r, "agent_id"),
                                  http_query(r, "since"), http_query(r, "until")),
                          err);
    return t->out ? 0 : err->code;
}

void h_run_list(struct http_req *r) { cl_run(r, list_tx, NULL, 200); }

static int get_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    t->out = cl_run_json(db, call_of(t->r)->ws, http_param(t->r, "id"), err);
    return t->out ? 0 : err->code;
}

void h_run_get(struct http_req *r) { cl_run(r, get_tx, NULL, 200); }

static int update_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    const char *id = http_param(r, "id"), *to = json_string_value(json_object_get(r->body, "state"));
    const char *cls = json_string_value(json_object_get(r->body, "error_class"));
    const char *msg = json_string_value(json_object_get(r->body, "error_message"));
    json_t *env = json_object_get(r->body, "environment");
    char from[16], allowed[96], *env_text;
    PGresult *res;
    int rc;
    if (!cl_is_uuid(id))
        return pd_fail(err, PD_ENOTFOUND, "no run %s in this workspace", id);
    res = cl_db_exec(db, "SELECT state FROM runs WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
                     CL_ARGS(id, call->ws), err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pd_fail(err, PD_ENOTFOUND, "no run %s in this workspace", id);
    }
    snprintf(from, sizeof(from), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (strcmp(from, to) == 0) /* a retried report: nothing changes */
        return (t->out = cl_run_json(db, call->ws, id, err)) ? 0 : err->code;
    if (!cl_run_transition_ok(from, to)) {
        next_states(from, allowed, sizeof(allowed));
        return pd_fail(err, PD_EEXIST, "a run that is %s cannot become %s (it may become: %s)",
                       from, to, allowed);
    }
    if (strcmp(to, "failed") == 0 && cls == NULL)
        return pd_fail(err, PD_EFIELD,
                       "a failed run needs field 'error_class' (source, permission, network, "
                       "sql or internal)");
    env_text = env ? json_dumps(env, JSON_COMPACT) : NULL;
    rc = cl_db_run(db,
                   "UPDATE runs SET state = $3, error_class = coalesce($4, error_class), "
                   "error_message = coalesce($5, error_message), environment = "
                   "coalesce($6::jsonb, environment), started_at = CASE WHEN $3 = 'running' THEN "
                   "now() ELSE started_at END, finished_at = CASE WHEN $7 THEN now() ELSE "
                   "finished_at END, updated_at = now() WHERE id = $1 AND workspace_id = $2",
                   CL_ARGS(id, call->ws, to, cls, msg, env_text, terminal(to) ? "true" : "false"),
                   err);
    free(env_text);
    if (rc == 0)
        rc = cl_audit(db, r, call->ws, "run.update", "run", id,
                      json_pack("{s:s, s:s}", "from", from, "to", to), err);
    if (rc)
        return rc;
    return (t->out = cl_run_json(db, call->ws, id, err)) ? 0 : err->code;
}

void h_run_update(struct http_req *r) { cl_run(r, update_tx, NULL, 200); }

/* ---- logs ------------------------------------------------------------------------------ */

struct chunk {
    json_t *lines; /* the chunk's lines, parsed */
    char digest[65];
};

static int append_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    const struct chunk *c = t->arg;
    const char *id = http_param(r, "id");
    json_int_t seq = json_integer_value(json_object_get(r->body, "seq"));
    char seqtext[24], *lines;
    PGresult *res;
    int next, rc;
    if (!cl_is_uuid(id))
        return pd_fail(err, PD_ENOTFOUND, "no run %s in this workspace", id);
    /* Lock the run: chunks of one run are numbered one at a time. */
    res = cl_db_exec(db,
                     "SELECT (SELECT coalesce(max(seq), 0) FROM run_logs WHERE run_id = r.id), "
                     "(SELECT digest FROM run_logs WHERE run_id = r.id AND seq = $3::int) FROM "
                     "runs r WHERE r.id = $1 AND r.workspace_id = $2 FOR UPDATE",
                     CL_ARGS(id, call->ws, (snprintf(seqtext, sizeof(seqtext), "%lld",
                                                     (long long)seq),
                                            seqtext)),
                     err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pd_fail(err, PD_ENOTFOUND, "no run %s in this workspace", id);
    }
    next = atoi(PQgetvalue(res, 0, 0)) + 1;
    if (!PQgetisnull(res, 0, 1)) { /* that chunk arrived before: a retry, or a clash */
        int same = strcmp(PQgetvalue(res, 0, 1), c->digest) == 0;
        PQclear(res);
        if (!same)
            return pd_fail(err, PD_EEXIST,
                           "chunk %lld of this run's log was stored with other lines", (long long)seq);
        t->out = json_pack("{s:I, s:b, s:i}", "seq", (json_int_t)seq, "stored", 0, "next_seq", next);
        t->status = 200;
        return 0;
    }
    PQclear(res);
    if (seq != next)
        return pd_fail(err, PD_EEXIST, "chunk %lld is out of sequence: the next is %d",
                       (long long)seq, next);
    lines = json_dumps(c->lines, JSON_COMPACT);
    rc = cl_db_run(db,
                   "INSERT INTO run_logs (run_id, seq, lines, digest) VALUES ($1, $2::int, "
                   "$3::jsonb, $4)",
                   CL_ARGS(id, seqtext, lines, c->digest), err);
    free(lines);
    if (rc)
        return rc;
    t->out = json_pack("{s:I, s:b, s:i}", "seq", (json_int_t)seq, "stored", 1, "next_seq", next + 1);
    return 0;
}

void h_run_log_append(struct http_req *r)
{
    const char *text = json_string_value(json_object_get(r->body, "lines"));
    size_t n = json_string_length(json_object_get(r->body, "lines")), lineno = 0;
    struct chunk c = {.lines = json_array()};
    for (const char *p = text, *end = text + n; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_error_t jerr;
        json_t *line;
        if (len == 0 && nl) { /* an empty line: nothing */
            p = nl + 1;
            continue;
        }
        line = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(line) || json_array_size(c.lines) >= MAX_CHUNK_LINES) {
            json_decref(line);
            json_decref(c.lines);
            if (json_array_size(c.lines) >= MAX_CHUNK_LINES)
                http_reply_error(r, PD_ETOOBIG, "a chunk holds at most %d lines: send more chunks",
                                 MAX_CHUNK_LINES);
            else
                http_reply_status(r, 422, "invalid_field",
                                  "line %zu of the chunk is not a JSON object (JSON lines: one "
                                  "object per line)",
                                  lineno + 1);
            return;
        }
        json_array_append_new(c.lines, line);
        p = nl ? nl + 1 : end;
    }
    cl_sha256_hex(text, n, c.digest);
    cl_run(r, append_tx, &c, 201);
    json_decref(c.lines);
}

static int logs_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const char *id = http_param(r, "id");
    json_t *run = cl_run_json(db, call_of(r)->ws, id, err), *chunks;
    PGresult *res;
    int last = 0;
    if (run == NULL)
        return err->code;
    json_decref(run);
    res = cl_db_exec(db,
                     "SELECT seq, lines, received_at FROM run_logs WHERE run_id = $1 AND seq > "
                     "coalesce($2::int, 0) ORDER BY seq LIMIT least(coalesce($3::int, 100), 1000)",
                     CL_ARGS(id, http_query(r, "after"), http_query(r, "limit")), err);
    if (res == NULL)
        return err->code;
    chunks = cl_rows_json(res);
    if (PQntuples(res))
        last = atoi(PQgetvalue(res, PQntuples(res) - 1, 0));
    PQclear(res);
    t->out = json_pack("{s:o, s:i}", "chunks", chunks, "after", last);
    return 0;
}

void h_run_logs(struct http_req *r)
{
    const char *after = http_query(r, "after"), *limit = http_query(r, "limit");
    if ((after && strspn(after, "0123456789") != strlen(after)) ||
        (limit && (strspn(limit, "0123456789") != strlen(limit) || !*limit))) {
        http_reply_status(r, 422, "invalid_field", "after and limit must be whole numbers");
        return;
    }
    cl_run(r, logs_tx, NULL, 200);
}
