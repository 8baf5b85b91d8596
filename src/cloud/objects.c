/*
 * objects.c - the two object stores behind pre-signed URLs (see objects.h).
 */
#include "cloud/objects.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cl_objects {
    struct cl_objects_opts o;
    char *dir;
    unsigned char key[32];
    char *endpoint, *bucket, *region, *access_key, *secret_key;
};

int cl_objects_open(struct cl_objects **out, const struct cl_objects_opts *o, struct pd_err *err)
{
    struct cl_objects *s = xcalloc(1, sizeof(*s));
    *out = NULL;
    if (o->s3_endpoint) {
        if (!o->s3_bucket || !o->s3_access_key || !o->s3_secret_key) {
            free(s);
            return pd_fail(err, PD_EUSAGE,
                           "S3 needs --s3-bucket and credentials (AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY)");
        }
        s->endpoint = xstrdup(o->s3_endpoint);
        while (*s->endpoint && s->endpoint[strlen(s->endpoint) - 1] == '/')
            s->endpoint[strlen(s->endpoint) - 1] = '\0';
        s->bucket = xstrdup(o->s3_bucket);
        s->region = xstrdup(o->s3_region ? o->s3_region : "us-east-1");
        s->access_key = xstrdup(o->s3_access_key);
        s->secret_key = xstrdup(o->s3_secret_key);
    } else {
        if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
            pd_fail(err, PD_EIO, "cannot create %s: %s", o->dir, strerror(errno));
            free(s);
            return PD_EIO;
        }
        s->dir = xstrdup(o->dir);
        /* Its own key, from the shared one: a URL signature is never a token signature. */
        crypto_auth_hmacsha256(s->key, (const unsigned char *)"pluto-cloud objects", 19, o->key);
    }
    *out = s;
    return 0;
}

void cl_objects_close(struct cl_objects *s)
{
    if (s == NULL)
        return;
    sodium_memzero(s->key, sizeof(s->key));
    if (s->secret_key)
        sodium_memzero(s->secret_key, strlen(s->secret_key));
    free(s->dir);
    free(s->endpoint);
    free(s->bucket);
    free(s->region);
    free(s->access_key);
    free(s->secret_key);
    free(s);
}

const char *cl_objects_kind(const struct cl_objects *s) { return s->endpoint ? "s3" : "local"; }

/* ---- SigV4 ----------------------------------------------------------------------- */

static void hmac(const unsigned char *key, size_t klen, const char *data, unsigned char out[32])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, strlen(data));
    crypto_auth_hmacsha256_final(&st, out);
}

static void hex(const unsigned char *bin, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, bin, n);
}

/* AWS's URI encoding: unreserved characters stay, every other byte is %XX; '/' too unless path. */
static void uri_encode(struct pd_buf *b, const char *s, int path)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (path && c == '/'))
            pd_buf_addc(b, (char)c);
        else
            pd_buf_addf(b, "%%%02X", c);
    }
}

char *cl_s3_presign(const char *endpoint, const char *bucket, const char *region,
                    const char *access_key, const char *secret_key, const char *method,
                    const char *key, int expires_s, int64_t now)
{
    struct pd_buf path = PD_BUF_INIT, query = PD_BUF_INIT, canon = PD_BUF_INIT, sts = PD_BUF_INIT,
                  cred = PD_BUF_INIT, url = PD_BUF_INIT;
    const char *host = strstr(endpoint, "://") ? strstr(endpoint, "://") + 3 : endpoint;
    char date[16], amzdate[24], hash[65], sig[65];
    unsigned char k[32], k2[32], digest[32];
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y%m%d", &tm);
    strftime(amzdate, sizeof(amzdate), "%Y%m%dT%H%M%SZ", &tm);

    pd_buf_addc(&path, '/');
    uri_encode(&path, bucket, 1);
    pd_buf_addc(&path, '/');
    uri_encode(&path, key, 1);
    pd_buf_addf(&cred, "%s/%s/%s/s3/aws4_request", access_key, date, region);
    /* The query, its parameters in byte order. */
    pd_buf_adds(&query, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
    uri_encode(&query, cred.ptr, 0);
    pd_buf_addf(&query, "&X-Amz-Date=%s&X-Amz-Expires=%d&X-Amz-SignedHeaders=host", amzdate,
                expires_s);
    pd_buf_addf(&canon, "%s\n%s\n%s\nhost:%.*s\n\nhost\nUNSIGNED-PAYLOAD", method, path.ptr,
                query.ptr, (int)strcspn(host, "/"), host);
    crypto_hash_sha256(digest, (const unsigned char *)canon.ptr, canon.len);
    hex(digest, 32, hash);
    pd_buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s", amzdate, date, region,
                hash);
    /* The signing key: HMAC("AWS4" secret, date) -> region -> service -> "aws4_request". */
    {
        struct pd_buf secret = PD_BUF_INIT;
        pd_buf_addf(&secret, "AWS4%s", secret_key);
        hmac((const unsigned char *)secret.ptr, secret.len, date, k);
        sodium_memzero(secret.ptr, secret.len);
        pd_buf_release(&secret);
    }
    hmac(k, 32, region, k2);
    hmac(k2, 32, "s3", k);
    hmac(k, 32, "aws4_request", k2);
    hmac(k2, 32, sts.ptr, digest);
    hex(digest, 32, sig);
    sodium_memzero(k, sizeof(k));
    sodium_memzero(k2, sizeof(k2));
    pd_buf_addf(&url, "%s%s?%s&X-Amz-Signature=%s", endpoint, path.ptr, query.ptr, sig);
    pd_buf_release(&path);
    pd_buf_release(&query);
    pd_buf_release(&canon);
    pd_buf_release(&sts);
    pd_buf_release(&cred);
    return pd_buf_detach(&url, NULL);
}

/* ---- the local store ---------------------------------------------------------------- */

static void local_sig(const struct cl_objects *s, const char *method, const char *key,
                      const char *expires, char out[65])
{
    struct pd_buf b = PD_BUF_INIT;
    unsigned char mac[32];
    pd_buf_addf(&b, "%s\n%s\n%s", method, key, expires);
    hmac(s->key, sizeof(s->key), b.ptr, mac);
    hex(mac, 32, out);
    pd_buf_release(&b);
}

char *cl_objects_presign(struct cl_objects *s, const char *base_url, const char *method,
                         const char *key, int expires_s, int64_t now)
{
    struct pd_buf url = PD_BUF_INIT;
    char expires[24], sig[65];
    if (s->endpoint)
        return cl_s3_presign(s->endpoint, s->bucket, s->region, s->access_key, s->secret_key,
                             method, key, expires_s, now);
    snprintf(expires, sizeof(expires), "%lld", (long long)(now + expires_s));
    local_sig(s, method, key, expires, sig);
    pd_buf_addf(&url, "%s/api/v1/objects/%s?expires=%s&signature=%s", base_url, key, expires, sig);
    return pd_buf_detach(&url, NULL);
}

int cl_objects_local_check(struct cl_objects *s, const char *method, const char *key,
                           const char *expires, const char *sig, int64_t now, struct pd_err *err)
{
    char want[65];
    char *end;
    long long at;
    if (s->endpoint)
        return pd_fail(err, PD_ENOTFOUND, "this server keeps its objects in S3");
    if (expires == NULL || sig == NULL)
        return pd_fail(err, PD_EDENIED, "this URL is not signed (ask for a new one)");
    at = strtoll(expires, &end, 10);
    if (*expires == '\0' || *end != '\0')
        return pd_fail(err, PD_EDENIED, "this URL's expiry is malformed");
    local_sig(s, method, key, expires, want);
    if (strlen(sig) != 64 || sodium_memcmp(want, sig, 64) != 0)
        return pd_fail(err, PD_EDENIED,
                       "this URL's signature does not match (it was changed, or is for another "
                       "method)");
    if (at < now)
        return pd_fail(err, PD_EDENIED, "this URL expired: ask for a new one");
    return 0;
}

char *cl_objects_local_path(struct cl_objects *s, const char *key)
{
    struct pd_buf b = PD_BUF_INIT;
    if (s->endpoint)
        return NULL;
    pd_buf_addf(&b, "%s/%s", s->dir, key);
    return pd_buf_detach(&b, NULL);
}

/* ---- reading what was uploaded ---------------------------------------------------------- */

/* Takes each piece of an object's bytes; fewer than size * n taken stops the read. */
typedef size_t (*sink_fn)(char *data, size_t size, size_t n, void *arg);

struct hashing {
    crypto_hash_sha256_state st;
    int64_t size;
};

static size_t hash_bytes(char *data, size_t size, size_t n, void *arg)
{
    struct hashing *h = arg;
    crypto_hash_sha256_update(&h->st, (const unsigned char *)data, size * n);
    h->size += (int64_t)(size * n);
    return size * n;
}

struct collecting {
    struct pd_buf *out;
    size_t max;
    int over;
};

static size_t collect_bytes(char *data, size_t size, size_t n, void *arg)
{
    struct collecting *c = arg;
    if (c->out->len + size * n > c->max) {
        c->over = 1;
        return 0;
    }
    pd_buf_add(c->out, data, size * n);
    return size * n;
}

static int read_s3(struct cl_objects *s, const char *key, sink_fn sink, void *arg,
                   struct pd_err *err)
{
    struct pd_buf url = PD_BUF_INIT, provider = PD_BUF_INIT, user = PD_BUF_INIT;
    CURL *c = curl_easy_init();
    CURLcode rc;
    long status = 0;
    int out = 0;
    pd_buf_addf(&url, "%s/", s->endpoint);
    uri_encode(&url, s->bucket, 1);
    pd_buf_addc(&url, '/');
    uri_encode(&url, key, 1);
    pd_buf_addf(&provider, "aws:amz:%s:s3", s->region);
    pd_buf_addf(&user, "%s:%s", s->access_key, s->secret_key);
    curl_easy_setopt(c, CURLOPT_URL, url.ptr);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, provider.ptr);
    curl_easy_setopt(c, CURLOPT_USERPWD, user.ptr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, arg);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_WRITE_ERROR)
        out = 1; /* the sink stopped it */
    else if (rc != CURLE_OK)
        out = pd_fail(err, PD_EUNAVAIL, "the object store does not answer: %s",
                      curl_easy_strerror(rc));
    else if (status == 404)
        out = pd_fail(err, PD_ENOTFOUND, "nothing was uploaded for this artifact");
    else if (status != 200)
        out = pd_fail(err, PD_EUNAVAIL, "the object store answered %ld", status);
    curl_easy_cleanup(c);
    sodium_memzero(user.ptr, user.len);
    pd_buf_release(&url);
    pd_buf_release(&provider);
    pd_buf_release(&user);
    return out;
}

static int read_local(struct cl_objects *s, const char *key, sink_fn sink, void *arg,
                      struct pd_err *err)
{
    char *path = cl_objects_local_path(s, key), buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
    ssize_t n;
    free(path);
    if (fd < 0)
        return errno == ENOENT ? pd_fail(err, PD_ENOTFOUND, "nothing was uploaded for this artifact")
                               : pd_fail(err, PD_EIO, "cannot read the object: %s", strerror(errno));
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (sink(buf, 1, (size_t)n, arg) < (size_t)n) {
            rc = 1;
            break;
        }
    if (n < 0)
        rc = pd_fail(err, PD_EIO, "cannot read the object: %s", strerror(errno));
    close(fd);
    return rc;
}

/* Every byte of key to sink: 0, 1 when the sink stopped it, or a PD_E* code. */
static int read_object(struct cl_objects *s, const char *key, sink_fn sink, void *arg,
                       struct pd_err *err)
{
    return s->endpoint ? read_s3(s, key, sink, arg, err) : read_local(s, key, sink, arg, err);
}

int cl_objects_read(struct cl_objects *s, const char *key, size_t max, struct pd_buf *out,
                    struct pd_err *err)
{
    struct collecting c = {out, max, 0};
    int rc = read_object(s, key, collect_bytes, &c, err);
    if (rc == 1 || c.over)
        return pd_fail(err, PD_ETOOBIG, "the object is larger than %zu bytes", max);
    return rc;
}

int cl_objects_stat(struct cl_objects *s, const char *key, int64_t *size, char sha256[65],
                    struct pd_err *err)
{
    struct hashing h = {.size = 0};
    unsigned char digest[32];
    int rc;
    crypto_hash_sha256_init(&h.st);
    if ((rc = read_object(s, key, hash_bytes, &h, err)) != 0)
        return rc;
    crypto_hash_sha256_final(&h.st, digest);
    hex(digest, 32, sha256);
    *size = h.size;
    return 0;
}
