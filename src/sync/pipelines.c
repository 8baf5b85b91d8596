/*
 * pipelines.c - pushing, pulling and comparing a project's files with Pluto
 * Cloud (see pipelines.h).
 */
#include "sync/pipelines.h"

#include "sync/cloud.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/diff.h"
#include "base/err.h"
#include "base/path.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE ".cloud.json"
#define MAX_FILE (5u << 20)

static char *project_dir(const char *home, const char *project)
{
    return xasprintf("%s/projects/%s", home, project);
}

static void sha256_hex(const char *data, size_t n, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)data, n);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* Every file under dir (relative paths to contents), skipping dot-files and target/. */
static int collect(const char *root, const char *rel, json_t *files, struct pd_err *err)
{
    char *dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;
    if (d == NULL) {
        rc = pd_fail(err, PD_ENOTFOUND, "no project folder %s", dir);
        free(dir);
        return rc;
    }
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char *path, *sub;
        struct stat st;
        if (e->d_name[0] == '.' || (!*rel && strcmp(e->d_name, "target") == 0))
            continue;
        sub = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
        path = xasprintf("%s/%s", root, sub);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = collect(root, sub, files, err);
        } else if (S_ISREG(st.st_mode)) {
            struct pd_buf b = PD_BUF_INIT;
            if ((size_t)st.st_size > MAX_FILE)
                rc = pd_fail(err, PD_ETOOBIG, "%s is over 5 MB: a pipeline holds definitions, "
                                              "not data",
                             sub);
            else if (pd_buf_read_file(&b, path) != 0)
                rc = pd_fail(err, PD_EIO, "cannot read %s: %s", path, strerror(errno));
            else if (memchr(b.ptr ? b.ptr : "", '\0', b.len))
                rc = pd_fail(err, PD_EINVAL, "%s is not a text file", sub);
            else
                json_object_set_new(files, sub, json_stringn(b.ptr ? b.ptr : "", b.len));
            pd_buf_release(&b);
        }
        free(path);
        free(sub);
    }
    closedir(d);
    free(dir);
    return rc;
}

/* The files of a project folder as {path: content}. */
static json_t *local_files(const char *home, const char *project, struct pd_err *err)
{
    char *root = project_dir(home, project);
    json_t *files = json_object();
    if (collect(root, "", files, err) != 0) {
        json_decref(files);
        files = NULL;
    }
    free(root);
    return files;
}

static json_t *load_state(const char *home, const char *project)
{
    char *path = xasprintf("%s/projects/%s/" STATE_FILE, home, project);
    json_t *s = json_load_file(path, 0, NULL);
    free(path);
    return s;
}

static int save_state(const char *home, const char *project, const char *pipeline,
                      const char *workspace, json_int_t version, const json_t *files,
                      struct pd_err *err)
{
    char *path = xasprintf("%s/projects/%s/" STATE_FILE, home, project);
    json_t *hashes = json_object(), *v;
    const char *p;
    int rc = 0;
    json_object_foreach((json_t *)files, p, v) {
        char h[65];
        sha256_hex(json_string_value(v), json_string_length(v), h);
        json_object_set_new(hashes, p, json_string(h));
    }
    json_t *s = json_pack("{s:s, s:s, s:I, s:o}", "pipeline_id", pipeline, "workspace_id",
                          workspace, "version", version, "files", hashes);
    if (json_dump_file(s, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
        rc = pd_fail(err, PD_EIO, "cannot write %s", path);
    json_decref(s);
    free(path);
    return rc;
}

/* 1 when files differ from what the state recorded (edited, added or removed). */
static int edited(const json_t *state, const json_t *files)
{
    const json_t *hashes = json_object_get(state, "files");
    const char *p;
    json_t *v;
    if (json_object_size(hashes) != json_object_size(files))
        return 1;
    json_object_foreach((json_t *)files, p, v) {
        char h[65];
        const char *want = json_string_value(json_object_get(hashes, p));
        sha256_hex(json_string_value(v), json_string_length(v), h);
        if (want == NULL || strcmp(want, h) != 0)
            return 1;
    }
    return 0;
}

static int workspace_of(const char *home, struct pd_cloud_session *s, struct pd_err *err)
{
    int rc = pd_cloud_load(home, s, err);
    if (rc == 0 && !s->workspace_id[0])
        rc = pd_fail(err, PD_EUSAGE,
                     "no workspace in use: pluto-duck cloud workspace list, then cloud workspace "
                     "use NAME");
    return rc;
}

int pd_sync_push(const char *home, const char *project, const char *message, json_t **out,
                 struct pd_err *err)
{
    struct pd_cloud_session s;
    json_t *files, *state, *body, *answer = NULL;
    char path[256];
    const char *pipeline = NULL;
    long status = 0;
    int rc;
    *out = NULL;
    if ((rc = workspace_of(home, &s, err)) != 0 || (files = local_files(home, project, err)) == NULL)
        return rc ? rc : err->code;
    state = load_state(home, project);
    if (state && (!json_string_value(json_object_get(state, "workspace_id")) ||
                  strcmp(json_string_value(json_object_get(state, "workspace_id")),
                         s.workspace_id) != 0)) {
        json_decref(state);
        json_decref(files);
        return pd_fail(err, PD_EINVAL,
                       "project %s belongs to another workspace than the one in use (%s)",
                       project, s.workspace_name);
    }
    if (state) {
        pipeline = json_string_value(json_object_get(state, "pipeline_id"));
        snprintf(path, sizeof(path), "/workspaces/%s/pipelines/%s/versions", s.workspace_id,
                 pipeline);
        body = json_pack("{s:O, s:O, s:s}", "files", files, "parent",
                         json_object_get(state, "version"), "message", message ? message : "");
    } else {
        snprintf(path, sizeof(path), "/workspaces/%s/pipelines", s.workspace_id);
        body = json_pack("{s:s, s:O, s:s}", "name", project, "files", files, "message",
                         message ? message : "");
    }
    rc = pd_cloud_call(home, "POST", path, body, &answer, &status, err);
    if (rc == PD_ENOTFOUND && state) {
        pd_err_clear(err);
        rc = pd_fail(err, PD_ENOTFOUND,
                     "the pipeline of project %s is gone from workspace %s (deleted on the "
                     "server, or you lost access): remove projects/%s/" STATE_FILE
                     " to push it as a new pipeline",
                     project, s.workspace_name, project);
    }
    if (rc == 0) {
        json_t *version = json_object_get(answer, "version");
        const char *id = state ? pipeline : json_string_value(json_object_get(answer, "id"));
        rc = save_state(home, project, id, s.workspace_id,
                        json_integer_value(json_object_get(version, "number")), files, err);
        if (!state) /* a new pipeline: say so as a version upload does */
            json_object_set_new(answer, "created", json_true());
        json_object_set_new(answer, "pipeline_id", json_string(id));
        *out = answer;
        answer = NULL;
    }
    json_decref(answer);
    json_decref(state);
    json_decref(files);
    return rc;
}

/* A name as part of a project id: letters, digits and _ only. */
static void id_part(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; *in && n + 1 < size; in++)
        out[n++] = isalnum((unsigned char)*in) ? *in : '_';
    out[n] = '\0';
}

/* A path from the server that stays inside the folder (never trusted blindly). */
static int safe_path(const char *p)
{
    if (*p == '\0' || *p == '/' || strchr(p, '\\'))
        return 0;
    for (const char *c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
    }
    return 1;
}

/* Replace the folder's files with files (those not in it are removed). */
static int write_files(const char *root, const json_t *files, const json_t *old,
                       struct pd_err *err)
{
    const char *p;
    json_t *v;
    json_object_foreach((json_t *)old, p, v)
        if (json_object_get(files, p) == NULL && safe_path(p)) {
            char *path = xasprintf("%s/%s", root, p);
            unlink(path);
            free(path);
        }
    json_object_foreach((json_t *)files, p, v) {
        char *path, *slash, *tmp;
        int fd, rc = 0;
        if (!safe_path(p))
            return pd_fail(err, PD_EINVAL, "the server sent a path outside the project: '%s'", p);
        path = xasprintf("%s/%s", root, p);
        slash = strrchr(path, '/');
        *slash = '\0';
        rc = pd_mkdir_p(path, 0755, err);
        *slash = '/';
        tmp = xasprintf("%s.pull%ld", path, (long)getpid());
        if (rc == 0 && ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
                        write(fd, json_string_value(v), json_string_length(v)) !=
                            (ssize_t)json_string_length(v) ||
                        close(fd) != 0 || rename(tmp, path) != 0))
            rc = pd_fail(err, PD_EIO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        free(path);
        if (rc)
            return rc;
    }
    return 0;
}

/* The local project a pipeline of the session's workspace becomes: WORKSPACE__PIPELINE. */
static void project_name(const struct pd_cloud_session *s, const char *pipeline, char out[64])
{
    char ws[64], pn[80];
    id_part(s->workspace_name, ws, sizeof(ws));
    id_part(pipeline, pn, sizeof(pn));
    snprintf(out, 64, "%.30s__%.31s", ws, pn);
}

int pd_sync_checkout(const char *home, const char *pipeline_id, int version, char project[64],
                     char **dir, struct pd_err *err)
{
    struct pd_cloud_session s;
    json_t *pl = NULL, *v = NULL;
    char path[300], *done;
    long code = 0;
    int rc;
    *dir = NULL;
    if ((rc = workspace_of(home, &s, err)) != 0)
        return rc;
    if (strspn(pipeline_id, "0123456789abcdef-") != strlen(pipeline_id) || !*pipeline_id ||
        strlen(pipeline_id) > 40)
        return pd_fail(err, PD_EINVAL, "the server sent a pipeline id that is not a UUID");
    snprintf(path, sizeof(path), "/workspaces/%s/pipelines/%s", s.workspace_id, pipeline_id);
    if ((rc = pd_cloud_call(home, "GET", path, NULL, &pl, &code, err)) != 0)
        return rc;
    project_name(&s, json_string_value(json_object_get(pl, "name")), project);
    json_decref(pl);
    *dir = xasprintf("%s/cloud/versions/%s/%d", home, pipeline_id, version);
    done = xasprintf("%s/.complete", *dir);
    if (access(done, F_OK) != 0) { /* versions never change: fetched once */
        snprintf(path, sizeof(path), "/workspaces/%s/pipelines/%s/versions/%d", s.workspace_id,
                 pipeline_id, version);
        if ((rc = pd_cloud_call(home, "GET", path, NULL, &v, &code, err)) == 0 &&
            (rc = pd_mkdir_p(*dir, 0700, err)) == 0 &&
            (rc = write_files(*dir, json_object_get(v, "files"), NULL, err)) == 0) {
            int fd = open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0)
                rc = pd_fail(err, PD_EIO, "cannot write %s: %s", done, strerror(errno));
            else
                close(fd);
        }
        json_decref(v);
    }
    free(done);
    if (rc) {
        free(*dir);
        *dir = NULL;
    }
    return rc;
}

static int pull_one(const char *home, const struct pd_cloud_session *s, const json_t *pl,
                    int discard, json_t *report, struct pd_err *err)
{
    const char *id = json_string_value(json_object_get(pl, "id"));
    const char *name = json_string_value(json_object_get(pl, "name"));
    json_int_t current = json_integer_value(json_object_get(pl, "current_version"));
    char project[64], path[256];
    json_t *state, *local, *version = NULL;
    const char *status;
    long code = 0;
    int rc = 0, edits;
    project_name(s, name, project);
    state = load_state(home, project);
    local = state ? local_files(home, project, err) : json_object();
    if (local == NULL) { /* the folder went away: pull it again */
        pd_err_clear(err);
        local = json_object();
        json_decref(state);
        state = NULL;
    }
    edits = state && edited(state, local);
    if (state && !edits && json_integer_value(json_object_get(state, "version")) == current) {
        status = "unchanged";
    } else if (edits && !discard) {
        status = "local_edits";
    } else {
        snprintf(path, sizeof(path), "/workspaces/%s/pipelines/%s/versions/%lld", s->workspace_id,
                 id, (long long)current);
        if ((rc = pd_cloud_call(home, "GET", path, NULL, &version, &code, err)) == 0) {
            char *root = project_dir(home, project);
            json_t *files = json_object_get(version, "files");
            if ((rc = write_files(root, files, local, err)) == 0)
                rc = save_state(home, project, id, s->workspace_id, current, files, err);
            free(root);
        }
        status = edits ? "discarded" : "pulled";
    }
    if (rc == 0)
        json_array_append_new(report, json_pack("{s:s, s:s, s:I, s:s}", "project", project,
                                                "pipeline", name, "version", current, "status",
                                                status));
    json_decref(version);
    json_decref(local);
    json_decref(state);
    return rc;
}

/* Folders holding a pipeline of this workspace that the server no longer lists: kept, and said. */
static void gone(const char *home, const struct pd_cloud_session *s, const json_t *list,
                 json_t *report)
{
    char *dir = xasprintf("%s/projects", home);
    DIR *d = opendir(dir);
    struct dirent *e;
    free(dir);
    while (d && (e = readdir(d)) != NULL) {
        json_t *state, *pl;
        const char *id;
        size_t i;
        int listed = 0;
        if (e->d_name[0] == '.' || (state = load_state(home, e->d_name)) == NULL)
            continue;
        id = json_string_value(json_object_get(state, "pipeline_id"));
        json_array_foreach((json_t *)list, i, pl)
            listed |= id && json_equal(json_object_get(pl, "id"), json_object_get(state, "pipeline_id"));
        if (!listed && json_string_value(json_object_get(state, "workspace_id")) &&
            strcmp(json_string_value(json_object_get(state, "workspace_id")), s->workspace_id) == 0)
            json_array_append_new(report, json_pack("{s:s, s:s, s:O, s:s}", "project", e->d_name,
                                                    "pipeline", "", "version",
                                                    json_object_get(state, "version"), "status",
                                                    "deleted_on_server"));
        json_decref(state);
    }
    if (d)
        closedir(d);
}

int pd_sync_pull(const char *home, int discard, json_t **out, struct pd_err *err)
{
    struct pd_cloud_session s;
    json_t *list = NULL, *pl;
    char path[128];
    long status = 0;
    size_t i;
    int rc;
    *out = NULL;
    if ((rc = workspace_of(home, &s, err)) != 0)
        return rc;
    snprintf(path, sizeof(path), "/workspaces/%s/pipelines", s.workspace_id);
    if ((rc = pd_cloud_call(home, "GET", path, NULL, &list, &status, err)) != 0)
        return rc;
    *out = json_array();
    json_array_foreach(list, i, pl)
        if ((rc = pull_one(home, &s, pl, discard, *out, err)) != 0)
            break;
    if (rc == 0)
        gone(home, &s, list, *out);
    json_decref(list);
    if (rc == 0) {
        s.last_sync_ms = (int64_t)time(NULL) * 1000;
        rc = pd_cloud_save(home, &s, err);
    }
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int pd_sync_diff(const char *home, const char *project, struct pd_buf *out, struct pd_err *err)
{
    struct pd_cloud_session s;
    json_t *state = load_state(home, project), *local = NULL, *version = NULL, *remote, *v;
    char path[256];
    const char *p;
    long status = 0;
    int rc;
    if (state == NULL)
        return pd_fail(err, PD_ENOTFOUND, "project %s was not pulled from or pushed to Pluto Cloud",
                       project);
    if ((rc = pd_cloud_load(home, &s, err)) == 0 && (local = local_files(home, project, err)) == NULL)
        rc = err->code;
    if (rc == 0) {
        snprintf(path, sizeof(path), "/workspaces/%s/pipelines/%s/versions/%lld",
                 json_string_value(json_object_get(state, "workspace_id")),
                 json_string_value(json_object_get(state, "pipeline_id")),
                 (long long)json_integer_value(json_object_get(state, "version")));
        rc = pd_cloud_call(home, "GET", path, NULL, &version, &status, err);
    }
    if (rc == 0) {
        char na[320], nb[320];
        remote = json_object_get(version, "files");
        json_object_foreach(remote, p, v) {
            json_t *mine = json_object_get(local, p);
            snprintf(na, sizeof(na), "a/%s (version %lld)", p,
                     (long long)json_integer_value(json_object_get(state, "version")));
            snprintf(nb, sizeof(nb), "b/%s (local)", p);
            pd_unified_diff(out, json_string_value(v), json_string_length(v),
                            mine ? json_string_value(mine) : NULL, mine ? json_string_length(mine) : 0,
                            na, nb, 3);
        }
        json_object_foreach(local, p, v)
            if (json_object_get(remote, p) == NULL) {
                snprintf(nb, sizeof(nb), "b/%s (local)", p);
                pd_unified_diff(out, NULL, 0, json_string_value(v), json_string_length(v), "", nb, 3);
            }
    }
    json_decref(version);
    json_decref(local);
    json_decref(state);
    return rc;
}
