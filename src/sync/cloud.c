/*
 * cloud.c - the session with Pluto Cloud and requests made in it (see cloud.h).
 */
#include "sync/cloud.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/httpc.h"
#include "base/jexact.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "sources/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SESSION_FILE "cloud/session.json"
#define ACCESS_KEY "cloud.access_token"
#define REFRESH_KEY "cloud.refresh_token"
#define REFRESH_MARGIN_MS 60000 /* refresh this long before the access token expires */

static char *session_path(const char *home)
{
    return xasprintf("%s/%s", home, SESSION_FILE);
}

static void copy(char *dst, size_t size, const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(dst, size, "%s", v ? v : "");
}

int pd_cloud_load(const char *home, struct pd_cloud_session *s, struct pd_err *err)
{
    char *path = session_path(home);
    json_t *doc = json_load_file(path, 0, NULL);
    free(path);
    memset(s, 0, sizeof(*s));
    if (doc == NULL || !json_is_object(doc)) {
        json_decref(doc);
        return pd_fail(err, PD_ENOTFOUND,
                       "not signed in to Pluto Cloud: run pluto-duck cloud login URL");
    }
    copy(s->url, sizeof(s->url), doc, "url");
    copy(s->email, sizeof(s->email), doc, "email");
    copy(s->user_id, sizeof(s->user_id), doc, "user_id");
    copy(s->workspace_id, sizeof(s->workspace_id), doc, "workspace_id");
    copy(s->workspace_name, sizeof(s->workspace_name), doc, "workspace_name");
    s->access_expires_ms = json_integer_value(json_object_get(doc, "access_expires_ms"));
    s->signed_in_ms = json_integer_value(json_object_get(doc, "signed_in_ms"));
    s->last_sync_ms = json_integer_value(json_object_get(doc, "last_sync_ms"));
    json_decref(doc);
    return 0;
}

int pd_cloud_save(const char *home, const struct pd_cloud_session *s, struct pd_err *err)
{
    char *dir = xasprintf("%s/cloud", home), *path = session_path(home);
    char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "url", s->url, "email",
                            s->email, "user_id", s->user_id, "workspace_id", s->workspace_id,
                            "workspace_name", s->workspace_name, "access_expires_ms",
                            (json_int_t)s->access_expires_ms, "signed_in_ms",
                            (json_int_t)s->signed_in_ms, "last_sync_ms",
                            (json_int_t)s->last_sync_ms);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    int fd, rc = 0;
    json_decref(doc);
    if (pd_mkdir_p(dir, 0700, err) != 0) {
        rc = err->code;
    } else if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
               write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) != 0 ||
               close(fd) != 0 || rename(tmp, path) != 0) {
        rc = pd_fail(err, PD_EIO, "cannot save %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(text);
    free(dir);
    free(path);
    free(tmp);
    return rc;
}

/* ---- one request ---------------------------------------------------------------------- */

/* A conditional GET: the entity tag sent, and the one answered. */
struct cond {
    const char *if_none_match;
    char *etag; /* [128] */
};

/*
 * method url with body (may be NULL) and token (c: conditional, may be NULL):
 * the status and parsed answer, or an error.
 */
static int request_if(const char *method, const char *url, const json_t *body, const char *token,
                      struct cond *c, json_t **out, long *status, struct pd_err *err)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct pd_httpc_req req = {.method = method, .url = url, .bearer = token,
                               .body = text ? text : (strcmp(method, "GET") ? "{}" : NULL),
                               .if_none_match = c ? c->if_none_match : NULL,
                               .timeout_s = 30, .what = "Pluto Cloud"};
    struct pd_httpc_resp resp;
    int rc = pd_httpc_do(&req, &resp, err);
    *out = NULL;
    *status = resp.status;
    if (c)
        snprintf(c->etag, 128, "%s", resp.etag);
    if (rc == 0 && resp.body.len) {
        *out = pd_json_loadb_exact(resp.body.ptr, resp.body.len, 0, NULL);
        if (*out == NULL && resp.status < 300)
            rc = pd_fail(err, PD_EIO, "Pluto Cloud at %s answered something that is not JSON", url);
    }
    pd_httpc_release(&resp);
    free(text);
    return rc;
}

static int request(const char *method, const char *url, const json_t *body, const char *token,
                   json_t **out, long *status, struct pd_err *err)
{
    return request_if(method, url, body, token, NULL, out, status, err);
}

/* The error an answer with an envelope stands for. */
static int envelope_error(long status, const json_t *doc, struct pd_err *err)
{
    const char *msg = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
    int code = status == 401   ? PD_EAUTH
               : status == 403 ? PD_EDENIED
               : status == 404 ? PD_ENOTFOUND
               : status == 409 ? PD_EEXIST
               : status == 413 ? PD_ETOOBIG
               : status == 422 ? PD_EFIELD
               : status == 429 ? PD_ERATE
               : status == 503 ? PD_EUNAVAIL
               : status >= 500 ? PD_EIO
                               : PD_EINVAL;
    return pd_fail(err, code, "Pluto Cloud: %s", msg ? msg : "the request was refused");
}

static int save_tokens(const char *home, struct pd_cloud_session *s, const json_t *tokens,
                       struct pd_err *err)
{
    const char *access = json_string_value(json_object_get(tokens, "access_token"));
    const char *refresh = json_string_value(json_object_get(tokens, "refresh_token"));
    json_int_t expires = json_integer_value(json_object_get(tokens, "expires_in"));
    int rc;
    if (access == NULL || refresh == NULL)
        return pd_fail(err, PD_EIO, "Pluto Cloud answered no tokens");
    if ((rc = pd_secret_put(home, ACCESS_KEY, access, err)) ||
        (rc = pd_secret_put(home, REFRESH_KEY, refresh, err)))
        return rc;
    /* This machine's clock, from now: a skewed clock does not matter. */
    s->access_expires_ms = pd_now_ms() + (int64_t)expires * 1000;
    return 0;
}

/* Trade the refresh token for new tokens: 0, or PD_EAUTH (signed out). */
static int refresh(const char *home, struct pd_cloud_session *s, struct pd_err *err)
{
    char *token = pd_secret_get(home, REFRESH_KEY), url[600];
    json_t *body, *out = NULL;
    long status = 0;
    int rc;
    if (token == NULL)
        return pd_fail(err, PD_EAUTH, "signed out of Pluto Cloud: run pluto-duck cloud login %s",
                       s->url);
    snprintf(url, sizeof(url), "%s/api/v1/auth/refresh", s->url);
    body = json_pack("{s:s}", "refresh_token", token);
    rc = request("POST", url, body, NULL, &out, &status, err);
    json_decref(body);
    free(token);
    if (rc == 0 && status == 200)
        rc = save_tokens(home, s, out, err) || pd_cloud_save(home, s, err);
    else if (rc == 0 && status == 401) {
        pd_secret_delete(home, ACCESS_KEY);
        pd_secret_delete(home, REFRESH_KEY);
        rc = pd_fail(err, PD_EAUTH, "signed out of Pluto Cloud (%s): run pluto-duck cloud login %s",
                     json_string_value(json_object_get(json_object_get(out, "error"), "message"))
                         ? json_string_value(json_object_get(json_object_get(out, "error"), "message"))
                         : "the sign-in was revoked",
                     s->url);
    } else if (rc == 0)
        rc = envelope_error(status, out, err);
    json_decref(out);
    return rc ? err->code : 0;
}

/*
 * One refresh at a time in a data home, among threads and processes: a refresh
 * token used twice counts as stolen and revokes the sign-in. Whoever waited
 * finds the tokens another refreshed (the access token is no longer the one it
 * saw) and uses them.
 */
static pthread_mutex_t refresh_mutex = PTHREAD_MUTEX_INITIALIZER;

static int refresh_once(const char *home, struct pd_cloud_session *s, const char *seen,
                        struct pd_err *err)
{
    char *path = xasprintf("%s/cloud/refresh.lock", home), *now;
    int fd, rc;
    pthread_mutex_lock(&refresh_mutex);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (fd >= 0)
        flock(fd, LOCK_EX);
    if ((rc = pd_cloud_load(home, s, err)) == 0) {
        now = pd_secret_get(home, ACCESS_KEY);
        if (!(now && seen && strcmp(now, seen) != 0 &&
              pd_now_ms() < s->access_expires_ms - REFRESH_MARGIN_MS))
            rc = refresh(home, s, err);
        free(now);
    }
    if (fd >= 0)
        close(fd); /* and the lock with it */
    pthread_mutex_unlock(&refresh_mutex);
    return rc;
}

static int call(const char *home, const char *method, const char *path, json_t *body,
                struct cond *c, json_t **out, long *status, struct pd_err *err)
{
    struct pd_cloud_session s;
    char url[1200], *token = NULL;
    int rc, attempt;
    *out = NULL;
    if ((rc = pd_cloud_load(home, &s, err)) != 0) {
        json_decref(body);
        return rc;
    }
    snprintf(url, sizeof(url), "%s/api/v1%s", s.url, path);
    token = pd_secret_get(home, ACCESS_KEY);
    for (attempt = 0; attempt < 2; attempt++) {
        if (attempt == 1 || token == NULL ||
            pd_now_ms() > s.access_expires_ms - REFRESH_MARGIN_MS) {
            if ((rc = refresh_once(home, &s, token, err)) != 0)
                break;
            free(token);
            token = pd_secret_get(home, ACCESS_KEY);
        }
        json_decref(*out);
        *out = NULL;
        if ((rc = request_if(method, url, body, token, c, out, status, err)) != 0 ||
            *status != 401)
            break;
    }
    if (rc == 0 && *status >= 400) {
        rc = envelope_error(*status, *out, err);
        json_decref(*out);
        *out = NULL;
    }
    free(token);
    json_decref(body);
    return rc;
}

int pd_cloud_call(const char *home, const char *method, const char *path, json_t *body,
                  json_t **out, long *status, struct pd_err *err)
{
    return call(home, method, path, body, NULL, out, status, err);
}

int pd_cloud_get_if(const char *home, const char *path, const char *etag, char etag_out[128],
                    json_t **out, long *status, struct pd_err *err)
{
    struct cond c = {.if_none_match = etag, .etag = etag_out};
    return call(home, "GET", path, NULL, &c, out, status, err);
}

/* ---- the device grant ----------------------------------------------------------------- */

int pd_cloud_device_start(const char *url, const char *client_name, struct pd_cloud_device *d,
                          struct pd_err *err)
{
    char target[700];
    json_t *body = json_pack("{s:s}", "client_name", client_name), *out = NULL;
    long status = 0;
    int rc;
    memset(d, 0, sizeof(*d));
    snprintf(target, sizeof(target), "%s/api/v1/auth/device", url);
    rc = request("POST", target, body, NULL, &out, &status, err);
    json_decref(body);
    if (rc == 0 && status != 200)
        rc = status == 404 ? pd_fail(err, PD_EINVAL, "%s is not a Pluto Cloud server", url)
                           : envelope_error(status, out, err);
    if (rc == 0) {
        copy(d->device_code, sizeof(d->device_code), out, "device_code");
        copy(d->user_code, sizeof(d->user_code), out, "user_code");
        copy(d->verification_uri, sizeof(d->verification_uri), out, "verification_uri");
        copy(d->verification_uri_complete, sizeof(d->verification_uri_complete), out,
             "verification_uri_complete");
        d->interval_s = (int)json_integer_value(json_object_get(out, "interval"));
        d->expires_in_s = (int)json_integer_value(json_object_get(out, "expires_in"));
        if (!d->device_code[0] || d->interval_s <= 0)
            rc = pd_fail(err, PD_EIO, "%s answered no device code", url);
    }
    json_decref(out);
    return rc;
}

/* After the tokens came: who we are, saved with the server. */
static int start_session(const char *home, const char *url, const json_t *tokens,
                         struct pd_err *err)
{
    struct pd_cloud_session s;
    json_t *me = NULL;
    long status = 0;
    char target[700];
    int rc;
    memset(&s, 0, sizeof(s));
    snprintf(s.url, sizeof(s.url), "%s", url);
    s.signed_in_ms = pd_now_ms();
    if ((rc = save_tokens(home, &s, tokens, err)) != 0)
        return rc;
    snprintf(target, sizeof(target), "%s/api/v1/me", url);
    rc = request("GET", target, NULL, json_string_value(json_object_get(tokens, "access_token")),
                 &me, &status, err);
    if (rc == 0 && status != 200)
        rc = envelope_error(status, me, err);
    if (rc == 0) {
        json_t *first = json_array_get(json_object_get(me, "workspaces"), 0);
        copy(s.email, sizeof(s.email), me, "email");
        copy(s.user_id, sizeof(s.user_id), me, "id");
        if (json_array_size(json_object_get(me, "workspaces")) == 1) { /* the only one: in use */
            copy(s.workspace_id, sizeof(s.workspace_id), first, "id");
            copy(s.workspace_name, sizeof(s.workspace_name), first, "name");
        }
        rc = pd_cloud_save(home, &s, err);
    }
    json_decref(me);
    return rc;
}

int pd_cloud_device_poll(const char *home, const char *url, const struct pd_cloud_device *d,
                         int *interval_s, struct pd_err *err)
{
    char target[700];
    json_t *body = json_pack("{s:s, s:s}", "grant_type",
                             "urn:ietf:params:oauth:grant-type:device_code", "device_code",
                             d->device_code),
           *out = NULL;
    const char *code;
    long status = 0;
    int rc;
    snprintf(target, sizeof(target), "%s/api/v1/auth/token", url);
    rc = request("POST", target, body, NULL, &out, &status, err);
    json_decref(body);
    if (rc != 0) {
        json_decref(out);
        return rc;
    }
    code = json_string_value(json_object_get(json_object_get(out, "error"), "code"));
    if (status == 200)
        rc = start_session(home, url, out, err);
    else if (code && strcmp(code, "authorization_pending") == 0)
        rc = 1;
    else if (code && strcmp(code, "slow_down") == 0) {
        *interval_s += 5;
        rc = 1;
    } else if (code && strcmp(code, "access_denied") == 0)
        rc = pd_fail(err, PD_EAUTH, "the sign-in was refused on the approval page");
    else if (code && strcmp(code, "expired_token") == 0)
        rc = pd_fail(err, PD_ETIMEOUT, "the code expired before it was approved: run pluto-duck "
                                       "cloud login again");
    else
        rc = envelope_error(status, out, err);
    json_decref(out);
    return rc;
}

int pd_cloud_login_start(const char *given_url, const char *name, struct pd_cloud_login *l,
                         struct pd_err *err)
{
    char client[300];
    int rc;
    memset(l, 0, sizeof(*l));
    if ((rc = pd_cloud_url(given_url, l->url, sizeof(l->url), err)) != 0)
        return rc;
    pd_cloud_client_name(name, client, sizeof(client));
    if ((rc = pd_cloud_device_start(l->url, client, &l->d, err)) != 0)
        return rc;
    l->interval_s = l->d.interval_s;
    l->next_poll_s = pd_mono_s() + l->interval_s;
    l->expires_s = pd_mono_s() + l->d.expires_in_s;
    return 0;
}

double pd_cloud_login_wait(const struct pd_cloud_login *l)
{
    double left = l->next_poll_s - pd_mono_s();
    return left > 0 ? left : 0;
}

int pd_cloud_login_poll(const char *home, struct pd_cloud_login *l, struct pd_err *err)
{
    int rc;
    if (pd_mono_s() > l->expires_s)
        return pd_fail(err, PD_ETIMEOUT,
                       "the code expired before it was approved: start the sign-in again");
    if (pd_cloud_login_wait(l) > 0)
        return 1;
    rc = pd_cloud_device_poll(home, l->url, &l->d, &l->interval_s, err);
    l->next_poll_s = pd_mono_s() + l->interval_s;
    return rc;
}

int pd_cloud_logout(const char *home, struct pd_err *err)
{
    struct pd_cloud_session s;
    char *access = pd_secret_get(home, ACCESS_KEY), *refresh_token = pd_secret_get(home, REFRESH_KEY);
    char url[700], *path;
    json_t *body, *out = NULL;
    long status = 0;
    int rc = pd_cloud_load(home, &s, err);
    if (rc == 0 && refresh_token) {
        struct pd_err ignored = PD_ERR_INIT; /* offline: forget it here all the same */
        snprintf(url, sizeof(url), "%s/api/v1/auth/logout", s.url);
        body = json_pack("{s:s}", "refresh_token", refresh_token);
        request("POST", url, body, access, &out, &status, &ignored);
        json_decref(body);
        json_decref(out);
    }
    pd_secret_delete(home, ACCESS_KEY);
    pd_secret_delete(home, REFRESH_KEY);
    path = session_path(home);
    unlink(path);
    free(path);
    if (access)
        free(access);
    if (refresh_token)
        free(refresh_token);
    return rc;
}

/* ---- the pieces of signing in and choosing a workspace ----------------------------- */

int pd_cloud_url(const char *given, char *url_out, size_t size, struct pd_err *err)
{
    size_t n;
    if (given == NULL || (strncmp(given, "http://", 7) != 0 && strncmp(given, "https://", 8) != 0))
        return pd_fail(err, PD_EUSAGE, "the server's URL starts with https:// (or http://): '%s'",
                       given ? given : "");
    if (strlen(given) >= size)
        return pd_fail(err, PD_EUSAGE, "the server's URL is too long");
    snprintf(url_out, size, "%s", given);
    for (n = strlen(url_out); n > 0 && url_out[n - 1] == '/';)
        url_out[--n] = '\0';
    return 0;
}

void pd_cloud_client_name(const char *name, char *out, size_t size)
{
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "this machine");
    host[sizeof(host) - 1] = '\0';
    snprintf(out, size, "pluto-duck on %s", name && *name ? name : host);
}

int pd_cloud_workspaces(const char *home, json_t **out, struct pd_err *err)
{
    struct pd_cloud_session s;
    json_t *list = NULL, *w;
    long status = 0;
    size_t i;
    int rc;
    if ((rc = pd_cloud_load(home, &s, err)) != 0 ||
        (rc = pd_cloud_call(home, "GET", "/workspaces", NULL, &list, &status, err)) != 0)
        return rc;
    json_array_foreach(list, i, w) {
        const char *id = json_string_value(json_object_get(w, "id"));
        json_object_set_new(w, "in_use", json_boolean(id && strcmp(id, s.workspace_id) == 0));
    }
    *out = list;
    return 0;
}

int pd_cloud_use_workspace(const char *home, const char *which, json_t **chosen,
                           struct pd_err *err)
{
    struct pd_cloud_session s;
    json_t *list = NULL, *w;
    size_t i;
    int rc;
    if ((rc = pd_cloud_workspaces(home, &list, err)) != 0 || (rc = pd_cloud_load(home, &s, err)))
        goto out;
    rc = pd_fail(err, PD_ENOTFOUND,
                 "you are not a member of a workspace '%s' (see pluto-duck cloud workspace list)",
                 which);
    json_array_foreach(list, i, w) {
        const char *id = json_string_value(json_object_get(w, "id"));
        const char *name = json_string_value(json_object_get(w, "name"));
        if (strcmp(id, which) == 0 || strcmp(name, which) == 0) {
            pd_err_clear(err);
            snprintf(s.workspace_id, sizeof(s.workspace_id), "%s", id);
            snprintf(s.workspace_name, sizeof(s.workspace_name), "%s", name);
            if ((rc = pd_cloud_save(home, &s, err)) == 0) {
                json_object_del(w, "in_use");
                *chosen = json_incref(w);
            }
            break;
        }
    }
out:
    json_decref(list);
    return rc;
}
