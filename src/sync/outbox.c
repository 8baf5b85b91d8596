/*
 * outbox.c - the queue of requests owed to Pluto Cloud and its sender (see outbox.h).
 */
#include "sync/outbox.h"

#include "base/alloc.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/httpc.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "sync/cloud.h"
#include "warehouse/warehouse.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIRST_WAIT_MS 1000
#define LAST_WAIT_MS 300000
#define SIGNED_OUT_WAIT_MS 30000
#define KEEP_SENT "INTERVAL 7 DAY"

int pd_outbox_put(duckdb_connection conn, const char *run_id, const char *method,
                  const char *path, const json_t *body, struct pd_err *err)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    const char *vals[] = {run_id, method, path, text};
    int rc = pd_exec_params(conn,
                            "INSERT INTO _pluto.cloud_outbox (run_id, method, path, body) VALUES "
                            "($1, $2, $3, $4)",
                            vals, 4, NULL, err);
    free(text);
    return rc;
}

/* The size and SHA-256 of a file, read in pieces. */
static int hash_file(const char *file, int64_t *size, char hex[65], struct pd_err *err)
{
    crypto_hash_sha256_state st;
    unsigned char buf[1 << 16], h[crypto_hash_sha256_BYTES];
    FILE *f = fopen(file, "rb");
    size_t n;
    if (f == NULL)
        return pd_fail(err, PD_EIO, "cannot read %s: %s", file, strerror(errno));
    crypto_hash_sha256_init(&st);
    *size = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        crypto_hash_sha256_update(&st, buf, n);
        *size += (int64_t)n;
    }
    if (ferror(f)) {
        fclose(f);
        return pd_fail(err, PD_EIO, "cannot read %s", file);
    }
    fclose(f);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof(h));
    return 0;
}

int pd_outbox_put_file(duckdb_connection conn, const char *run_id, const char *path,
                       const json_t *decl, const char *file, struct pd_err *err)
{
    json_t *body = json_deep_copy(decl);
    char sha[65], *text;
    int64_t size;
    int rc = hash_file(file, &size, sha, err);
    if (rc == 0) {
        const char *vals[] = {run_id, path, NULL, file};
        json_object_set_new(body, "size", json_integer(size));
        json_object_set_new(body, "sha256", json_string(sha));
        vals[2] = text = json_dumps(body, JSON_COMPACT);
        rc = pd_exec_params(conn,
                            "INSERT INTO _pluto.cloud_outbox (run_id, method, path, body, file) "
                            "VALUES ($1, 'POST', $2, $3, $4)",
                            vals, 4, NULL, err);
        free(text);
    }
    json_decref(body);
    return rc;
}

int pd_outbox_counts(duckdb_connection conn, struct pd_outbox_counts *c, struct pd_err *err)
{
    duckdb_result res;
    int rc;
    memset(c, 0, sizeof(*c));
    rc = pd_exec_params(conn,
                        "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE "
                        "state = 'failed'), count(*) FILTER (WHERE state = 'sent'), "
                        "coalesce(epoch_ms(min(created_at) FILTER (WHERE state = 'pending')), 0), "
                        "coalesce(arg_min(last_error, seq) FILTER (WHERE state = 'pending' AND "
                        "last_error IS NOT NULL), '') FROM _pluto.cloud_outbox",
                        NULL, 0, &res, err);
    if (rc)
        return rc;
    c->pending = duckdb_value_int64(&res, 0, 0);
    c->failed = duckdb_value_int64(&res, 1, 0);
    c->sent = duckdb_value_int64(&res, 2, 0);
    c->oldest_pending_ms = duckdb_value_int64(&res, 3, 0);
    char *e = duckdb_value_varchar(&res, 4, 0);
    snprintf(c->last_error, sizeof(c->last_error), "%s", e ? e : "");
    duckdb_free(e);
    duckdb_destroy_result(&res);
    return 0;
}

/* ---- delivering one row --------------------------------------------------------------- */

struct row {
    int64_t seq;
    char *run_id, *method, *path, *body, *file;
    int attempts;
    int64_t next_at_ms; /* 0: now */
};

static void row_clear(struct row *r)
{
    free(r->run_id);
    free(r->method);
    free(r->path);
    free(r->body);
    free(r->file);
    memset(r, 0, sizeof(*r));
}

static char *text_or_null(duckdb_result *res, idx_t col)
{
    char *v, *out;
    if (duckdb_value_is_null(res, col, 0))
        return NULL;
    v = duckdb_value_varchar(res, col, 0);
    out = xstrdup(v ? v : "");
    duckdb_free(v);
    return out;
}

/* The oldest pending row: 1 when there is one, 0 when none, or an error. */
static int oldest(duckdb_connection conn, struct row *r, struct pd_err *err)
{
    duckdb_result res;
    int rc = pd_exec_params(conn,
                            "SELECT seq, run_id, method, path, body, file, attempts, "
                            "coalesce(epoch_ms(next_at), 0) FROM _pluto.cloud_outbox WHERE state "
                            "= 'pending' ORDER BY seq LIMIT 1",
                            NULL, 0, &res, err);
    if (rc)
        return -1;
    if (duckdb_row_count(&res) == 0) {
        duckdb_destroy_result(&res);
        return 0;
    }
    r->seq = duckdb_value_int64(&res, 0, 0);
    r->run_id = text_or_null(&res, 1);
    r->method = text_or_null(&res, 2);
    r->path = text_or_null(&res, 3);
    r->body = text_or_null(&res, 4);
    r->file = text_or_null(&res, 5);
    r->attempts = duckdb_value_int32(&res, 6, 0);
    r->next_at_ms = duckdb_value_int64(&res, 7, 0);
    duckdb_destroy_result(&res);
    return 1;
}

/* 1 when a failure may pass by itself (try again later), 0 when retrying cannot help. */
static int transient(int code)
{
    return code == PD_EIO || code == PD_ETIMEOUT || code == PD_EUNAVAIL || code == PD_ERATE ||
           code == PD_EAUTH || code == PD_ECANCELED;
}

/* Declare, upload and complete an artifact. */
static int send_file(const char *home, const struct row *r, struct pd_err *err)
{
    json_t *decl = json_loads(r->body, 0, NULL), *out = NULL, *done = NULL;
    const char *id, *url;
    char path[600];
    long status = 0;
    int rc;
    struct stat st;
    if (decl == NULL)
        return pd_fail(err, PD_EINVAL, "the queued artifact is not JSON");
    if (stat(r->file, &st) != 0 ||
        st.st_size != json_integer_value(json_object_get(decl, "size"))) {
        json_decref(decl);
        return pd_fail(err, PD_EINVAL, "the file %s changed or went away since it was queued",
                       r->file);
    }
    if ((rc = pd_cloud_call(home, "POST", r->path, decl, &out, &status, err)) != 0)
        return rc;
    id = json_string_value(json_object_get(out, "id"));
    url = json_string_value(json_object_get(json_object_get(out, "upload"), "url"));
    if (id && json_string_value(json_object_get(out, "state")) &&
        strcmp(json_string_value(json_object_get(out, "state")), "complete") == 0) {
        json_decref(out); /* delivered before; the answer was lost */
        return 0;
    }
    if (id == NULL || url == NULL) {
        json_decref(out);
        return pd_fail(err, PD_EIO, "Pluto Cloud answered no upload address for %s", r->file);
    }
    {
        struct pd_httpc_req req = {.method = "PUT", .url = url, .upload_file = r->file,
                                   .content_type = "application/octet-stream",
                                   .timeout_s = 3600, .what = "the object store"};
        struct pd_httpc_resp resp;
        rc = pd_httpc_do(&req, &resp, err);
        if (rc == 0 && (resp.status < 200 || resp.status >= 300))
            rc = pd_fail(err, resp.status == 413 ? PD_ETOOBIG : PD_EIO,
                         "the object store refused the upload of %s (HTTP %ld)", r->file,
                         resp.status);
        pd_httpc_release(&resp);
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/%s/complete", r->path, id);
        rc = pd_cloud_call(home, "POST", path, json_object(), &done, &status, err);
        if (rc == PD_EEXIST) /* the object is not the one declared: send it again */
            rc = pd_fail(err, PD_EIO, "%s", err->msg);
        json_decref(done);
    }
    json_decref(out);
    return rc;
}

static int send_row(const char *home, const struct row *r, struct pd_err *err)
{
    json_t *body = NULL, *out = NULL;
    long status = 0;
    int rc;
    if (r->file)
        return send_file(home, r, err);
    if (r->body && (body = json_loads(r->body, 0, NULL)) == NULL)
        return pd_fail(err, PD_EINVAL, "the queued request is not JSON");
    rc = pd_cloud_call(home, r->method, r->path, body, &out, &status, err);
    json_decref(out);
    return rc;
}

/* The wait before attempt n+1: 1 s doubling to 5 min, 80-120 % of it. */
static int64_t backoff_ms(int attempts)
{
    int64_t w = FIRST_WAIT_MS;
    for (int i = 1; i < attempts && w < LAST_WAIT_MS; i++)
        w *= 2;
    if (w > LAST_WAIT_MS)
        w = LAST_WAIT_MS;
    return w * (80 + (int64_t)randombytes_uniform(41)) / 100;
}

static int record_outcome(duckdb_connection conn, const struct row *r, int rc, int64_t wait_ms,
                          const char *msg, struct pd_err *err)
{
    char seq[24], wait[24];
    const char *vals[] = {seq, wait, msg};
    snprintf(seq, sizeof(seq), "%lld", (long long)r->seq);
    snprintf(wait, sizeof(wait), "%lld", (long long)wait_ms);
    if (rc == 0)
        return pd_exec_params(conn,
                              "UPDATE _pluto.cloud_outbox SET state = 'sent', sent_at = now(), "
                              "attempts = attempts + 1, last_error = NULL WHERE seq = $1::BIGINT",
                              vals, 1, NULL, err);
    if (!transient(rc))
        return pd_exec_params(conn,
                              "UPDATE _pluto.cloud_outbox SET state = 'failed', attempts = "
                              "attempts + 1, last_error = $3 WHERE seq = $1::BIGINT",
                              vals, 3, NULL, err);
    return pd_exec_params(conn,
                          "UPDATE _pluto.cloud_outbox SET attempts = attempts + 1, next_at = "
                          "now() + to_milliseconds($2::BIGINT), last_error = $3 WHERE seq = "
                          "$1::BIGINT",
                          vals, 3, NULL, err);
}

int pd_outbox_drain(struct pd_warehouse *wh, const char *home, const volatile int *stop,
                    int64_t *wait_ms, int *sent, struct pd_err *err)
{
    struct pd_cloud_session s;
    duckdb_connection conn;
    int rc, n = 0;
    *wait_ms = -1;
    if (pd_warehouse_acquire(wh, &conn, err) != 0)
        return err->code;
    pd_exec(conn,
            "DELETE FROM _pluto.cloud_outbox WHERE state = 'sent' AND sent_at < now() - " KEEP_SENT,
            NULL);
    for (;;) {
        struct row r = {0};
        struct pd_err e = PD_ERR_INIT;
        int64_t now = pd_now_ms(), wait;
        if (stop && *stop) {
            rc = 0;
            break;
        }
        if ((rc = oldest(conn, &r, err)) <= 0) {
            rc = rc < 0 ? err->code : 0;
            break;
        }
        if (r.next_at_ms > now) {
            *wait_ms = r.next_at_ms - now;
            row_clear(&r);
            rc = 0;
            break;
        }
        if (pd_cloud_load(home, &s, &e) != 0) { /* signed out: it waits for a sign-in */
            *wait_ms = SIGNED_OUT_WAIT_MS;
            row_clear(&r);
            rc = 0;
            break;
        }
        rc = send_row(home, &r, &e);
        wait = rc == 0 ? 0 : rc == PD_EAUTH ? SIGNED_OUT_WAIT_MS : backoff_ms(r.attempts + 1);
        if (rc)
            pd_log(transient(rc) ? PD_LOG_WARN : PD_LOG_ERROR,
                   transient(rc) ? "cloud delivery postponed" : "cloud delivery refused",
                   "{s:I, s:s?, s:s, s:s, s:s, s:I}", "seq", (json_int_t)r.seq, "run_id", r.run_id,
                   "method", r.method, "path", r.path, "error", e.msg, "retry_in_ms",
                   (json_int_t)(transient(rc) ? wait : -1));
        if (record_outcome(conn, &r, rc, wait, e.msg, err) != 0) {
            row_clear(&r);
            rc = err->code;
            break;
        }
        row_clear(&r);
        if (rc == 0) {
            n++;
        } else if (transient(rc)) {
            *wait_ms = wait;
            rc = 0;
            break;
        }
        rc = 0;
    }
    pd_warehouse_release(wh, conn, rc == 0);
    if (sent)
        *sent = n;
    return rc;
}

/* ---- the sender ------------------------------------------------------------------------ */

struct pd_outbox_sender {
    struct pd_warehouse *wh;
    char *home;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int kicked;
    volatile int stopping;
};

static void *sender_main(void *arg)
{
    struct pd_outbox_sender *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        int64_t wait_ms = -1;
        int sent = 0;
        struct pd_err err = PD_ERR_INIT;
        struct timespec until;
        s->kicked = 0;
        pthread_mutex_unlock(&s->lock);
        if (pd_outbox_drain(s->wh, s->home, &s->stopping, &wait_ms, &sent, &err) != 0) {
            pd_log(PD_LOG_ERROR, "cloud outbox unreadable", "{s:s}", "error", err.msg);
            wait_ms = LAST_WAIT_MS;
        }
        if (sent)
            pd_log(PD_LOG_INFO, "cloud outbox delivered", "{s:i}", "requests", sent);
        pthread_mutex_lock(&s->lock);
        if (s->kicked || s->stopping)
            continue;
        if (wait_ms < 0)
            wait_ms = LAST_WAIT_MS; /* idle: a kick wakes it sooner */
        until = pd_abstime_in_ms((long)wait_ms);
        while (!s->kicked && !s->stopping)
            if (pthread_cond_timedwait(&s->wake, &s->lock, &until) != 0)
                break;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

struct pd_outbox_sender *pd_outbox_sender_start(struct pd_warehouse *wh, const char *home)
{
    struct pd_outbox_sender *s = xcalloc(1, sizeof(*s));
    s->wh = wh;
    s->home = xstrdup(home);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
        pd_log(PD_LOG_ERROR, "cloud outbox sender did not start", NULL);
        free(s->home);
        free(s);
        return NULL;
    }
    return s;
}

void pd_outbox_sender_kick(struct pd_outbox_sender *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->kicked = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

void pd_outbox_sender_stop(struct pd_outbox_sender *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s->home);
    free(s);
}
