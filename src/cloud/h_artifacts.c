/*
 * h_artifacts.c - a run's artifacts (reports, log files, snapshots): the
 * server hands out a pre-signed upload URL, checks the uploaded object's size
 * and SHA-256 against what the client declared, and only then lists it.
 * Only metadata is kept in PostgreSQL. The local object store's own URLs
 * (/objects/KEY) are served here too.
 */
#include "cloud/call.h"
#include "http/libmhd.h"
#include "cloud/cloud.h"
#include "cloud/handlers.h"
#include "cloud/objects.h"
#include "cloud/runs.h"
#include "cloud/store.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/id.h"
#include "base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define URL_TTL_S 900

/* Someone's upload is never a page of this origin: always a download. */
static void object_headers(struct MHD_Response *resp)
{
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, "attachment");
    pd_mhd.MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    pd_mhd.MHD_add_response_header(resp, "Content-Security-Policy", "sandbox; default-src 'none'");
}
#define MAX_S3_OBJECT ((int64_t)5 << 30) /* one PUT */

static const char ARTIFACT_COLUMNS[] =
    "SELECT a.id, a.run_id, a.kind, a.name, a.content_type, a.size, a.sha256, a.state, "
    "a.created_by, a.created_at, a.completed_at FROM artifacts a JOIN runs r ON r.id = a.run_id";

static json_t *artifact_json(struct cl_db *db, const char *ws, const char *run, const char *id,
                             struct pd_err *err)
{
    char what[96];
    snprintf(what, sizeof(what), "artifact %.40s of this run", id);
    if (!cl_is_uuid(id)) {
        pd_fail(err, PD_ENOTFOUND, "no %s", what);
        return NULL;
    }
    return cl_db_select(db, ARTIFACT_COLUMNS,
                        "WHERE r.workspace_id = $1 AND a.run_id = $2 AND a.id = $3", 1, what,
                        CL_ARGS(ws, run, id), err);
}

/* {method, url, expires_at} for key. */
static json_t *signed_url(struct cloud *c, const char *method, const char *key)
{
    int64_t now = pd_now_ms() / 1000;
    char *url = cl_objects_presign(c->objects, c->o.public_url, method, key, URL_TTL_S, now),
         at[40];
    json_t *u;
    pd_time_iso((now + URL_TTL_S) * 1000, at, sizeof(at));
    u = json_pack("{s:s, s:s, s:s}", "method", method, "url", url, "expires_at", at);
    free(url);
    return u;
}

/* The largest object the store takes in one upload. */
static int64_t max_object(const struct cloud *c)
{
    return strcmp(cl_objects_kind(c->objects), "s3") == 0 ? MAX_S3_OBJECT
                                                           : (int64_t)c->o.max_upload;
}

static int create_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    struct cloud *c = cloud_of(r);
    json_t *b = r->body, *run;
    const char *runid = http_param(r, "id"), *name = json_string_value(json_object_get(b, "name"));
    const char *kind = json_string_value(json_object_get(b, "kind"));
    const char *ctype = json_string_value(json_object_get(b, "content_type"));
    const char *sha = json_string_value(json_object_get(b, "sha256"));
    json_int_t size = json_integer_value(json_object_get(b, "size"));
    char id[40], sizetext[24], by[80];
    PGresult *res;
    int rc;
    if ((run = cl_run_json(db, call->ws, runid, err)) == NULL)
        return err->code;
    json_decref(run);
    if (size > max_object(c))
        return pd_fail(err, PD_ETOOBIG, "an artifact of %lld bytes is over this store's limit of "
                                        "%lld bytes",
                       (long long)size, (long long)max_object(c));
    /* The same artifact declared again (a retry): the pending one, with a fresh URL. */
    res = cl_db_exec(db,
                     "SELECT id, state, size = $3::bigint AND sha256 = $4 AS same FROM artifacts "
                     "WHERE run_id = $1 AND name = $2 FOR UPDATE",
                     CL_ARGS(runid, name, (snprintf(sizetext, sizeof(sizetext), "%lld",
                                                    (long long)size),
                                           sizetext),
                             sha),
                     err);
    if (res == NULL)
        return err->code;
    if (PQntuples(res)) {
        int same = cl_val(res, 0, "same")[0] == 't', pending = strcmp(cl_val(res, 0, "state"),
                                                                     "pending") == 0;
        snprintf(id, sizeof(id), "%s", cl_val(res, 0, "id"));
        PQclear(res);
        if (!same || !pending)
            return pd_fail(err, PD_EEXIST, "this run has an artifact named %s already", name);
        t->status = 200;
    } else {
        PQclear(res);
        pd_uuid7(id);
        snprintf(by, sizeof(by), "%s", call->kind == CL_PERSON ? call->user_id : call->agent_id);
        if ((rc = cl_db_run(db,
                            "INSERT INTO artifacts (id, run_id, kind, name, content_type, size, "
                            "sha256, object_key, created_by) VALUES ($1::uuid, $2, $3, $4, $5, "
                            "$6::bigint, $7, $1::text, $8)",
                            CL_ARGS(id, runid, kind, name, ctype ? ctype : "application/octet-stream",
                                    sizetext, sha, by),
                            err)))
            return rc;
    }
    if ((t->out = artifact_json(db, call->ws, runid, id, err)) == NULL)
        return err->code;
    json_object_set_new(t->out, "upload", signed_url(c, "PUT", id));
    return 0;
}

void h_artifact_create(struct http_req *r)
{
    const char *sha = json_string_value(json_object_get(r->body, "sha256"));
    if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64) {
        http_reply_status(r, 422, "invalid_field", "field 'sha256' must be 64 lowercase hex digits");
        return;
    }
    cl_run(r, create_tx, NULL, 201);
}

static int complete_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    struct http_req *r = t->r;
    const struct cl_call *call = call_of(r);
    struct cloud *c = cloud_of(r);
    const char *run = http_param(r, "id"), *id = http_param(r, "aid");
    json_t *a = artifact_json(db, call->ws, run, id, err);
    char sha[65], *path;
    int64_t size;
    int rc;
    if (a == NULL)
        return err->code;
    if (strcmp(json_string_value(json_object_get(a, "state")), "complete") == 0) {
        t->out = a; /* a retried callback */
        t->status = 200;
        return 0;
    }
    if ((rc = cl_objects_stat(c->objects, id, &size, sha, err)) != 0) {
        json_decref(a);
        return rc;
    }
    if (size != json_integer_value(json_object_get(a, "size")) ||
        strcmp(sha, json_string_value(json_object_get(a, "sha256"))) != 0) {
        /* A local upload that does not match is removed, so the client can send it again. */
        if ((path = cl_objects_local_path(c->objects, id)) != NULL) {
            unlink(path);
            free(path);
        }
        rc = cl_tx_refuse(t, PD_EEXIST,
                          "the uploaded object (%lld bytes, sha256 %.12s...) is not the one "
                          "declared (%lld bytes, sha256 %.12s...): upload it again",
                          (long long)size, sha, (long long)json_integer_value(json_object_get(a, "size")),
                          json_string_value(json_object_get(a, "sha256")));
        json_decref(a);
        return rc;
    }
    json_decref(a);
    if ((rc = cl_db_run(db,
                        "UPDATE artifacts SET state = 'complete', completed_at = now() WHERE id = $1",
                        CL_ARGS(id), err)) ||
        (rc = cl_audit(db, r, call->ws, "artifact.complete", "artifact", id,
                       json_pack("{s:s, s:s}", "run_id", run, "sha256", sha), err)))
        return rc;
    return (t->out = artifact_json(db, call->ws, run, id, err)) ? 0 : err->code;
}

void h_artifact_complete(struct http_req *r) { cl_run(r, complete_tx, NULL, 200); }

static int list_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const char *ws = call_of(t->r)->ws, *run = http_param(t->r, "id");
    json_t *r = cl_run_json(db, ws, run, err);
    if (r == NULL)
        return err->code;
    json_decref(r);
    t->out = cl_db_select(db, ARTIFACT_COLUMNS,
                          "WHERE r.workspace_id = $1 AND a.run_id = $2 ORDER BY a.created_at, a.id",
                          0, NULL, CL_ARGS(ws, run), err);
    return t->out ? 0 : err->code;
}

void h_artifact_list(struct http_req *r) { cl_run(r, list_tx, NULL, 200); }

static int download_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const char *ws = call_of(t->r)->ws, *run = http_param(t->r, "id"), *id = http_param(t->r, "aid");
    json_t *a = artifact_json(db, ws, run, id, err);
    int done;
    if (a == NULL)
        return err->code;
    done = strcmp(json_string_value(json_object_get(a, "state")), "complete") == 0;
    json_decref(a);
    if (!done)
        return pd_fail(err, PD_EEXIST, "the artifact %s is not uploaded yet", id);
    t->out = signed_url(cloud_of(t->r), "GET", id);
    return 0;
}

void h_artifact_download(struct http_req *r) { cl_run(r, download_tx, NULL, 200); }

/* The largest artifact a page is given to show (a report in a sandboxed frame). */
#define CONTENT_MAX ((size_t)20 << 20)

static int content_tx(struct cl_db *db, struct cl_tx *t, struct pd_err *err)
{
    const char *ws = call_of(t->r)->ws, *run = http_param(t->r, "id"), *id = http_param(t->r, "aid");
    json_t *a = artifact_json(db, ws, run, id, err);
    if (a == NULL)
        return err->code;
    if (strcmp(json_string_value(json_object_get(a, "state")), "complete") != 0) {
        json_decref(a);
        return pd_fail(err, PD_EEXIST, "the artifact %s is not uploaded yet", id);
    }
    if (json_integer_value(json_object_get(a, "size")) > (json_int_t)CONTENT_MAX) {
        json_decref(a);
        return pd_fail(err, PD_ETOOBIG,
                       "the artifact %s is larger than %zu MB: download it instead", id,
                       CONTENT_MAX >> 20);
    }
    t->out = a;
    return 0;
}

void h_artifact_content(struct http_req *r)
{
    struct cl_tx t = {.status = 200};
    struct pd_err err = PD_ERR_INIT;
    struct pd_buf b = PD_BUF_INIT;
    struct MHD_Response *resp;
    if (cl_exec(r, content_tx, NULL, &t) != 0)
        return;
    json_decref(t.out);
    /* read outside the transaction: no connection is held while the store answers */
    if (cl_objects_read(cloud_of(r)->objects, http_param(r, "aid"), CONTENT_MAX, &b, &err) != 0) {
        pd_buf_release(&b);
        http_reply_err(r, &err);
        return;
    }
    {
        size_t n = b.len;
        resp = pd_mhd.MHD_create_response_from_buffer(n, pd_buf_detach(&b, NULL), MHD_RESPMEM_MUST_FREE);
    }
    object_headers(resp);
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-store");
    http_reply_response(r, 200, resp);
}

/* ---- the local store's URLs ------------------------------------------------------ */

/* 0 when the request carries a valid signature for its method and key, else answered. */
static int signed_request(struct http_req *r, const char *method)
{
    struct pd_err err = PD_ERR_INIT;
    if (cl_objects_local_check(cloud_of(r)->objects, method, http_param(r, "key"),
                               http_query(r, "expires"), http_query(r, "signature"),
                               pd_now_ms() / 1000, &err) == 0)
        return 0;
    http_reply_err(r, &err);
    return -1;
}

void h_object_put(struct http_req *r)
{
    struct cloud *c = cloud_of(r);
    char *path, *tmp;
    struct pd_buf b = PD_BUF_INIT;
    int fd, rc = 0;
    if (signed_request(r, "PUT") != 0)
        return;
    path = cl_objects_local_path(c->objects, http_param(r, "key"));
    pd_buf_addf(&b, "%s.%s.part", path, r->trace_id);
    tmp = pd_buf_detach(&b, NULL);
    if (access(path, F_OK) == 0) {
        http_reply_error(r, PD_EEXIST, "this object was uploaded already");
    } else if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        http_reply_error(r, PD_EIO, "cannot store the object: %s", strerror(errno));
    } else {
        size_t off = 0;
        while (off < r->raw_len && rc == 0) {
            ssize_t n = write(fd, r->raw + off, r->raw_len - off);
            if (n < 0 && errno != EINTR)
                rc = -1;
            else if (n > 0)
                off += (size_t)n;
        }
        /* Whole or not at all: the file appears under its name only once complete. */
        if (rc != 0 || fsync(fd) != 0 || close(fd) != 0 || link(tmp, path) != 0) {
            http_reply_error(r, errno == EEXIST ? PD_EEXIST : PD_EIO, "cannot store the object: %s",
                             strerror(errno));
        } else {
            http_reply_json(r, 200, json_pack("{s:s, s:I}", "key", http_param(r, "key"), "size",
                                              (json_int_t)r->raw_len));
        }
        unlink(tmp);
    }
    free(tmp);
    free(path);
}

void h_object_get(struct http_req *r)
{
    struct cloud *c = cloud_of(r);
    struct MHD_Response *resp;
    struct stat st;
    char *path;
    int fd;
    if (signed_request(r, "GET") != 0)
        return;
    path = cl_objects_local_path(c->objects, http_param(r, "key"));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        http_reply_error(r, PD_ENOTFOUND, "no such object");
        return;
    }
    resp = pd_mhd.MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    object_headers(resp);
    http_reply_response(r, 200, resp);
}
