/*
 * h_pipelines.c - pipelines and their versions: upload a bundle, list and
 * read versions, compare two, roll back. A version is immutable and numbered;
 * identical content comes back as the version that has it; an upload made
 * from an older version is kept as the newest one, marked as diverged.
 */
#include "cloud/bundle.h"
#include "cloud/call.h"
#include "cloud/cloud.h"
#include "cloud/handlers.h"
#include "cloud/store.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/diff.h"
#include "base/err.h"
#include "base/id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char PIPELINE_COLUMNS[] =
    "SELECT p.id, p.name, p.kind, p.current_version, p.pinned_version, p.created_at, p.updated_at, "
    "(SELECT email FROM users WHERE id = p.created_by) AS created_by FROM pipelines p";

static const char VERSION_COLUMNS[] =
    "SELECT v.number, v.digest, v.parent, v.diverged_from, v.rollback_of, (SELECT email FROM "
    "users WHERE id = v.author_id) AS author, v.message, v.file_count, v.size, v.created_at "
    "FROM pipeline_versions v";

static json_t *pipeline_json(struct cl_db *db, const char *ws, const char *id, struct pd_err *err)
{
    char what[80];
    snprintf(what, sizeof(what), "pipeline %s in this workspace", id);
    if (!cl_is_uuid(id)) {
        pd_fail(err, PD_ENOTFOUND, "no %s", what);
        return NULL;
    }
    return cl_db_select(db, PIPELINE_COLUMNS, "WHERE p.workspace_id = $1 AND p.id = $2", 1, what,
                        CL_ARGS(ws, id), err);
}

static json_t *version_json(struct cl_db *db, const char *pipeline, const char *number,
                            struct pd_err *err)
{
    char what[64];
    snprintf(what, sizeof(what), "version %s of this pipeline", number);
    return cl_db_select(db, VERSION_COLUMNS, "WHERE v.pipeline_id = $1 AND v.number = $2::int", 1,
                        what, CL_ARGS(pipeline, number), err);
}

/* A version number from text: 1 or more, else 0. */
static int version_number(const char *text)
{
    char *end;
    long n = text ? strtol(text, &end, 10) : 0;
    return text && *text && *end == '\0' && n >= 1 && n < 1000000000 ? (int)n : 0;
}

/* The files of a version as {path: content}. */
static json_t *files_json(struct cl_db *db, const char *pipeline, int number, struct pd_err *err)
{
    char num[16];
    PGresult *res;
    json_t *files;
    snprintf(num, sizeof(num), "%d", number);
    res = cl_db_exec(db,
                     "SELECT path, content FROM pipeline_files WHERE pipeline_id = $1 AND number "
                     "= $2::int ORDER BY path",
                     CL_ARGS(pipeline, num), err);
    if (res == NULL)
        return NULL;
    files = json_object();
    for (int i = 0; i < PQntuples(res); i++)
        json_object_set_new(files, PQgetvalue(res, i, 0),
                            json_stringn(PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1)));
    PQclear(res);
    return files;
}

/*
 * Add b as a version of pipeline (locked here). parent 0: the current one.
 * rollback_of non-zero: a rollback, always new. Fills t->out.
 */
static int add_version(struct cl_db *db, struct cl_tx *t, const char *pipeline,
                       const struct cl_bundle *b, int parent, int rollback_of, const char *message,
                       struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    PGresult *res;
    int current, number, diverged, rc;
    char num[16], par[16], div[16], rb[16], size[24], count[16], *files;
    json_t *version, *details;

    res = cl_db_exec(db, "SELECT current_version FROM pipelines WHERE id = $1 FOR UPDATE",
                     CL_ARGS(pipeline), err);
    if (res == NULL)
        return err->code;
    current = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    if (current < 0)
        return pd_fail(err, PD_ENOTFOUND, "no pipeline %s", pipeline);
    if (!rollback_of) {
        res = cl_db_exec(db,
                         "SELECT number FROM pipeline_versions WHERE pipeline_id = $1 AND digest = "
                         "$2 ORDER BY number DESC LIMIT 1",
                         CL_ARGS(pipeline, b->digest), err);
        if (res == NULL)
            return err->code;
        if (PQntuples(res)) { /* the same content: the version that has it */
            snprintf(num, sizeof(num), "%s", PQgetvalue(res, 0, 0));
            PQclear(res);
            if ((version = version_json(db, pipeline, num, err)) == NULL)
                return err->code;
            t->out = json_pack("{s:o, s:b, s:b}", "version", version, "created", 0, "diverged", 0);
            t->status = 200;
            return 0;
        }
        PQclear(res);
    }
    if (parent == 0)
        parent = current;
    if (parent > current || parent < 0)
        return pd_fail(err, PD_EFIELD, "no version %d to build on (the newest is %d)", parent,
                       current);
    number = current + 1;
    diverged = current > 0 && parent != current;
    snprintf(num, sizeof(num), "%d", number);
    snprintf(par, sizeof(par), "%d", parent);
    snprintf(div, sizeof(div), "%d", current);
    snprintf(rb, sizeof(rb), "%d", rollback_of);
    snprintf(size, sizeof(size), "%zu", b->size);
    snprintf(count, sizeof(count), "%zu", b->count);
    files = json_dumps(b->files, JSON_COMPACT);
    rc = cl_db_run(db,
                   "INSERT INTO pipeline_versions (pipeline_id, number, digest, parent, "
                   "diverged_from, rollback_of, author_id, message, file_count, size) VALUES ($1, "
                   "$2::int, $3, nullif($4::int, 0), $5::int, nullif($6::int, 0), $7, $8, $9::int, "
                   "$10::bigint)",
                   CL_ARGS(pipeline, num, b->digest, par, diverged ? div : NULL, rb,
                           call->kind == CL_PERSON ? call->user_id : NULL, message ? message : "",
                           count, size),
                   err);
    if (rc == 0)
        rc = cl_db_run(db,
                       "INSERT INTO pipeline_files (pipeline_id, number, path, content, sha256) "
                       "SELECT $1, $2::int, key, value, encode(sha256(convert_to(value, 'UTF8')), "
                       "'hex') FROM json_each_text($3::json)",
                       CL_ARGS(pipeline, num, files), err);
    free(files);
    if (rc == 0)
        rc = cl_db_run(db,
                       "UPDATE pipelines SET current_version = $2::int, updated_at = now() WHERE "
                       "id = $1",
                       CL_ARGS(pipeline, num), err);
    if (rc)
        return rc;
    details = json_pack("{s:i, s:s, s:i}", "version", number, "digest", b->digest, "files",
                        (int)b->count);
    if (diverged)
        json_object_set_new(details, "diverged_from", json_integer(current));
    if (rollback_of)
        json_object_set_new(details, "rollback_of", json_integer(rollback_of));
    if ((rc = cl_audit(db, t->r, call->ws, rollback_of ? "pipeline.rollback" : "pipeline.version",
                       "pipeline", pipeline, details, err)))
        return rc;
    if ((version = version_json(db, pipeline, num, err)) == NULL)
        return err->code;
    t->out = json_pack("{s:o, s:b, s:b}", "version", version, "created", 1, "diverged", diverged);
    if (diverged)
        json_object_set_new(
            t->out, "note",
            json_sprintf("version %d was made from version %d, but the newest was %d: it is kept "
                         "as the newest version; compare it with version %d before you run it",
                         number, parent, current, current));
    t->status = 201;
    return 0;
}

/* ---- the handlers ---------------------------------------------------------------- */

static int list_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    t->out = cl_db_select(db, PIPELINE_COLUMNS, "WHERE p.workspace_id = $1 ORDER BY p.name", 0,
                          NULL, CL_ARGS(call_of(t->r)->ws), err);
    return t->out ? 0 : err->code;
}

void h_pipeline_list(struct http_req *r) { cl_run(r, list_tx, NULL, 200); }

static int create_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const struct cl_bundle *b = t->arg;
    const char *name = json_string_value(json_object_get(t->r->body, "name"));
    char id[40];
    int rc;
    json_t *version;
    pd_uuid7(id);
    rc = cl_db_run(db,
                   "INSERT INTO pipelines (id, workspace_id, name, kind, created_by) VALUES ($1, "
                   "$2, $3, $4, $5)",
                   CL_ARGS(id, call->ws, name, b->kind, call->user_id), err);
    if (rc == PD_EEXIST) {
        pd_err_clear(err);
        return pd_fail(err, PD_EEXIST,
                       "a pipeline named %s exists in this workspace: upload a new version of it",
                       name);
    }
    if (rc == PD_EINVAL) {
        pd_err_clear(err);
        return pd_fail(err, PD_EFIELD,
                       "field 'name' must start with a letter or _, then letters, digits, _ or - "
                       "(at most 63)");
    }
    if (rc || (rc = cl_audit(db, t->r, call->ws, "pipeline.create", "pipeline", id,
                             json_pack("{s:s, s:s}", "name", name, "kind", b->kind), err)) ||
        (rc = add_version(db, t, id, b, 0, 0,
                          json_string_value(json_object_get(t->r->body, "message")), err)))
        return rc;
    version = json_incref(json_object_get(t->out, "version"));
    json_decref(t->out);
    if ((t->out = pipeline_json(db, call->ws, id, err)) == NULL) {
        json_decref(version);
        return err->code;
    }
    json_object_set_new(t->out, "version", version);
    t->status = 201;
    return 0;
}

/* The bundle of the body's files, or answers 413/422 and returns -1. */
static int body_bundle(struct http_req *r, struct cl_bundle *b)
{
    struct pd_err err = PD_ERR_INIT;
    if (cl_bundle_check(json_object_get(r->body, "files"), b, &err) == 0)
        return 0;
    if (err.code == PD_EINVAL)
        err.code = PD_EFIELD;
    http_reply_err(r, &err);
    return -1;
}

void h_pipeline_create(struct http_req *r)
{
    struct cl_bundle b;
    if (body_bundle(r, &b) == 0)
        cl_run(r, create_tx, &b, 201);
}

static int get_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    t->out = pipeline_json(db, call_of(t->r)->ws, http_param(t->r, "id"), err);
    return t->out ? 0 : err->code;
}

void h_pipeline_get(struct http_req *r) { cl_run(r, get_tx, NULL, 200); }

/* Pin the pipeline to a version of its own (what its schedules run), or unpin it (null). */
static int update_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    json_t *pin = json_object_get(t->r->body, "pinned_version");
    char number[24] = "";
    int rc;
    json_t *p = pipeline_json(db, call->ws, id, err);
    if (p == NULL)
        return err->code;
    if (json_is_integer(pin)) {
        snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(pin));
        if (json_integer_value(pin) < 1 ||
            json_integer_value(pin) > json_integer_value(json_object_get(p, "current_version"))) {
            json_decref(p);
            return pd_fail(err, PD_EFIELD, "field 'pinned_version': the pipeline has no version %s",
                           number);
        }
    }
    json_decref(p);
    if ((rc = cl_db_run(db,
                        "UPDATE pipelines SET pinned_version = $2::int, updated_at = now() WHERE "
                        "id = $1",
                        CL_ARGS(id, *number ? number : NULL), err)) ||
        (rc = cl_audit(db, t->r, call->ws, *number ? "pipeline.pin" : "pipeline.unpin",
                       "pipeline", id, json_pack("{s:O}", "pinned_version", pin), err)))
        return rc;
    t->out = pipeline_json(db, call->ws, id, err);
    return t->out ? 0 : err->code;
}

void h_pipeline_update(struct http_req *r)
{
    json_t *pin = json_object_get(r->body, "pinned_version");
    if (!json_is_integer(pin) && !json_is_null(pin)) {
        http_reply_status(r, 422, "invalid_field",
                          "field 'pinned_version' must be a version number, or null to unpin");
        return;
    }
    cl_run(r, update_tx, NULL, 200);
}

static int delete_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    int rc;
    json_t *p = pipeline_json(db, call->ws, id, err);
    if (p == NULL)
        return err->code;
    if ((rc = cl_db_run(db, "DELETE FROM pipelines WHERE id = $1", CL_ARGS(id), err)) ||
        (rc = cl_audit(db, t->r, call->ws, "pipeline.delete", "pipeline", id,
                       json_pack("{s:O}", "name", json_object_get(p, "name")), err))) {
        json_decref(p);
        return rc;
    }
    json_decref(p);
    t->out = json_pack("{s:s, s:b}", "id", id, "deleted", 1);
    return 0;
}

void h_pipeline_delete(struct http_req *r) { cl_run(r, delete_tx, NULL, 200); }

static int versions_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const char *id = http_param(t->r, "id");
    json_t *p = pipeline_json(db, call_of(t->r)->ws, id, err);
    if (p == NULL)
        return err->code;
    json_decref(p);
    t->out = cl_db_select(db, VERSION_COLUMNS, "WHERE v.pipeline_id = $1 ORDER BY v.number DESC",
                          0, NULL, CL_ARGS(id), err);
    return t->out ? 0 : err->code;
}

void h_version_list(struct http_req *r) { cl_run(r, versions_tx, NULL, 200); }

static int version_get_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const char *id = http_param(t->r, "id"), *n = http_param(t->r, "n");
    json_t *p = pipeline_json(db, call_of(t->r)->ws, id, err), *files;
    if (p == NULL)
        return err->code;
    json_decref(p);
    if (!version_number(n))
        return pd_fail(err, PD_ENOTFOUND, "no version %s of this pipeline", n);
    if ((t->out = version_json(db, id, n, err)) == NULL ||
        (files = files_json(db, id, version_number(n), err)) == NULL)
        return err->code;
    json_object_set_new(t->out, "files", files);
    return 0;
}

void h_version_get(struct http_req *r) { cl_run(r, version_get_tx, NULL, 200); }

static int version_create_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    json_t *p = pipeline_json(db, call->ws, id, err), *parent;
    const struct cl_bundle *b = t->arg;
    int rc;
    if (p == NULL)
        return err->code;
    if (strcmp(json_string_value(json_object_get(p, "kind")), b->kind) != 0) {
        rc = pd_fail(err, PD_EFIELD, "this pipeline is a %s project; the bundle is a %s project",
                     json_string_value(json_object_get(p, "kind")), b->kind);
        json_decref(p);
        return rc;
    }
    json_decref(p);
    parent = json_object_get(t->r->body, "parent");
    return add_version(db, t, id, b, parent ? (int)json_integer_value(parent) : 0, 0,
                       json_string_value(json_object_get(t->r->body, "message")), err);
}

void h_version_create(struct http_req *r)
{
    struct cl_bundle b;
    if (body_bundle(r, &b) == 0)
        cl_run(r, version_create_tx, &b, 201);
}

struct diff_args {
    int from, to;
};

static int by_path(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The files that differ between two sets, in path order, each with its unified diff. */
static json_t *file_diffs(const json_t *a, const json_t *b, int from, int to)
{
    json_t *out = json_array(), *unused;
    const char *path, **paths = xmalloc((json_object_size(a) + json_object_size(b) + 1) *
                                        sizeof(*paths));
    size_t n = 0;
    json_object_foreach((json_t *)a, path, unused)
        paths[n++] = path;
    json_object_foreach((json_t *)b, path, unused)
        if (json_object_get(a, path) == NULL)
            paths[n++] = path;
    qsort(paths, n, sizeof(*paths), by_path);
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_object_get(a, paths[i]), *y = json_object_get(b, paths[i]);
        struct pd_buf d = PD_BUF_INIT;
        char na[300], nb[300];
        size_t changed;
        snprintf(na, sizeof(na), "a/%s", paths[i]);
        snprintf(nb, sizeof(nb), "b/%s", paths[i]);
        changed = pd_unified_diff(&d, x ? json_string_value(x) : NULL, x ? json_string_length(x) : 0,
                                  y ? json_string_value(y) : NULL, y ? json_string_length(y) : 0,
                                  na, nb, 3);
        if (changed)
            json_array_append_new(out, json_pack("{s:s, s:s, s:i, s:s#}", "path", paths[i],
                                                 "status", !x ? "added" : !y ? "removed" : "modified",
                                                 "changed_lines", (int)changed, "diff",
                                                 d.ptr ? d.ptr : "", d.len));
        pd_buf_release(&d);
    }
    free(paths);
    (void)from;
    (void)to;
    return out;
}

static int diff_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct diff_args *a = t->arg;
    const char *id = http_param(t->r, "id");
    json_t *p = pipeline_json(db, call_of(t->r)->ws, id, err), *fa = NULL, *fb = NULL;
    int current, from = a->from, to = a->to, rc = 0;
    if (p == NULL)
        return err->code;
    current = (int)json_integer_value(json_object_get(p, "current_version"));
    json_decref(p);
    if (to == 0)
        to = current;
    if (from == 0)
        from = to > 1 ? to - 1 : to;
    if (from > current || to > current)
        return pd_fail(err, PD_ENOTFOUND, "no version %d of this pipeline (the newest is %d)",
                       from > current ? from : to, current);
    if ((fa = files_json(db, id, from, err)) == NULL || (fb = files_json(db, id, to, err)) == NULL)
        rc = err->code;
    else
        t->out = json_pack("{s:i, s:i, s:o}", "from", from, "to", to, "files",
                           file_diffs(fa, fb, from, to));
    json_decref(fa);
    json_decref(fb);
    return rc;
}

void h_version_diff(struct http_req *r)
{
    const char *from = http_query(r, "from"), *to = http_query(r, "to");
    struct diff_args a = {from ? version_number(from) : 0, to ? version_number(to) : 0};
    if ((from && !a.from) || (to && !a.to)) {
        http_reply_status(r, 422, "invalid_field", "from and to must be version numbers (1, 2, ...)");
        return;
    }
    cl_run(r, diff_tx, &a, 200);
}

static int rollback_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const struct cl_call *call = call_of(t->r);
    const char *id = http_param(t->r, "id");
    int to = (int)json_integer_value(json_object_get(t->r->body, "to"));
    json_t *p = pipeline_json(db, call->ws, id, err), *files;
    struct cl_bundle b;
    char msg[64];
    int rc;
    if (p == NULL)
        return err->code;
    json_decref(p);
    if ((files = files_json(db, id, to, err)) == NULL)
        return err->code;
    if (json_object_size(files) == 0) {
        json_decref(files);
        return pd_fail(err, PD_ENOTFOUND, "no version %d of this pipeline", to);
    }
    snprintf(msg, sizeof(msg), "rollback to version %d", to);
    if ((rc = cl_bundle_check(files, &b, err)) == 0)
        rc = add_version(db, t, id, &b, 0, to, msg, err);
    json_decref(files);
    return rc;
}

void h_version_rollback(struct http_req *r) { cl_run(r, rollback_tx, NULL, 201); }
