/*
 * conn_http.c - a CSV, Parquet or JSON file over http(s), kept in a local cache.
 *
 * The file is downloaded with libcurl into cache/http/<source>/ under the data
 * home and read there by DuckDB's readers. Attach and refresh revalidate it
 * with If-None-Match / If-Modified-Since (a 304 keeps the copy); opening the
 * warehouse only downloads when there is no copy yet. A download is written
 * aside and renamed, so a failed or cut transfer keeps the previous copy. A
 * token given with --password-stdin is sent as a bearer token.
 */
#include "sources/connector.h"
#include "base/libcurl.h"
#include "sources/reader_options.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The URL's path part without query or fragment, heap. */
static char *url_path(const char *url)
{
    const char *p = strstr(url, "://");
    size_t n;

    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        return xstrdup("/");
    n = strcspn(p, "?#");
    return xstrndup(p, n);
}

/* A file name for the local copy: the URL's last path segment, made safe. */
static char *local_name(const char *url)
{
    char *path = url_path(url), *base = strrchr(path, '/'), *name;

    base = base && base[1] ? base + 1 : "download";
    name = xstrdup(base);
    for (char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == '_'))
            *c = '_';
    free(path);
    return name;
}

static char *local_path(const struct pd_source *src)
{
    char *name = local_name(pd_cfg_str(src->config, "url"));
    char *p = xasprintf("%s/cache/http/%s/%s", src->home, src->name, name);
    free(name);
    return p;
}

static int configure(json_t *config, char **secret, struct pd_err *err)
{
    const char *url = pd_cfg_str(config, "url");

    (void)secret;
    if (!url)
        return pd_fail(err, PD_EUSAGE, "an http source needs --url http(s)://...");
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return pd_fail(err, PD_EINVAL, "--url must start with http:// or https://");
    return pd_reader_options_configure(config, err);
}

/* Validators of the copy we hold (etag, last-modified), kept beside it. */
struct validators {
    char etag[256], modified[128];
};

static void read_validators(const char *meta, struct validators *v)
{
    FILE *f = fopen(meta, "r");
    char line[512];

    memset(v, 0, sizeof(*v));
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!strncmp(line, "etag: ", 6))
            snprintf(v->etag, sizeof(v->etag), "%.*s", (int)sizeof(v->etag) - 1, line + 6);
        else if (!strncmp(line, "last-modified: ", 15))
            snprintf(v->modified, sizeof(v->modified), "%.*s", (int)sizeof(v->modified) - 1, line + 15);
    }
    fclose(f);
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
    struct validators *v = arg;
    size_t len = size * n;
    char line[512];

    snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) - 1 ? len : sizeof(line) - 1),
             buf);
    line[strcspn(line, "\r\n")] = 0;
    if (!strncasecmp(line, "etag:", 5))
        snprintf(v->etag, sizeof(v->etag), "%.*s", (int)sizeof(v->etag) - 1, line + 5 + strspn(line + 5, " "));
    else if (!strncasecmp(line, "last-modified:", 14))
        snprintf(v->modified, sizeof(v->modified), "%.*s", (int)sizeof(v->modified) - 1,
                 line + 14 + strspn(line + 14, " "));
    return len;
}

static int download(const struct pd_source *src, const char *path, struct pd_err *err)
{
    const char *url = pd_cfg_str(src->config, "url");
    char *meta = xasprintf("%s.meta", path), *tmp = xasprintf("%s.part", path);
    char *dir = pd_path_dirname(path), *auth = NULL;
    struct validators have, got = {{0}, {0}};
    struct curl_slist *headers = NULL;
    char hdr[400], cerr[CURL_ERROR_SIZE] = "";
    CURL *c = NULL;
    FILE *f = NULL;
    long status = 0;
    CURLcode cc;
    int rc = 0, exists = access(path, R_OK) == 0;

    if ((rc = pd_curl_load(err)) != 0 || (rc = pd_mkdir_p(dir, 0700, err)) != 0)
        goto out;
    read_validators(meta, &have);
    if (exists && have.etag[0]) {
        snprintf(hdr, sizeof(hdr), "If-None-Match: %s", have.etag);
        headers = pd_curl.curl_slist_append(headers, hdr);
    }
    if (exists && have.modified[0]) {
        snprintf(hdr, sizeof(hdr), "If-Modified-Since: %s", have.modified);
        headers = pd_curl.curl_slist_append(headers, hdr);
    }
    if (src->secret) {
        auth = xasprintf("Authorization: Bearer %s", src->secret);
        headers = pd_curl.curl_slist_append(headers, auth);
    }
    if (!(f = fopen(tmp, "wb"))) {
        rc = pd_fail(err, PD_EIO, "cannot write %s", tmp);
        goto out;
    }
    c = pd_curl.curl_easy_init();
    pd_curl.curl_easy_setopt(c, CURLOPT_URL, url);
    pd_curl.curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    pd_curl.curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    pd_curl.curl_easy_setopt(c, CURLOPT_HEADERDATA, &got);
    pd_curl.curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    pd_curl.curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    pd_curl.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, src->connect_timeout_s);
    pd_curl.curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    pd_curl.curl_easy_setopt(c, CURLOPT_USERAGENT, "pluto-duck/" PD_VERSION);
    pd_curl.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cc = pd_curl.curl_easy_perform(c);
    pd_curl.curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (fclose(f) != 0 && cc == CURLE_OK)
        cc = CURLE_WRITE_ERROR;
    f = NULL;
    if (cc != CURLE_OK) {
        rc = pd_fail(err, PD_EIO, "downloading %s failed: %s%s", url,
                     cerr[0] ? cerr : pd_curl.curl_easy_strerror(cc),
                     exists ? " (the previous copy is kept)" : "");
    } else if (status == 304 && exists) {
        pd_log(PD_LOG_INFO, "http source unchanged", "{s:s, s:s}", "source", src->name, "url", url);
    } else if (status < 200 || status >= 300) {
        rc = pd_fail(err, status == 404 ? PD_ENOTFOUND : PD_EIO, "HTTP %ld from %s%s", status, url,
                     exists ? " (the previous copy is kept)" : "");
    } else if (rename(tmp, path) != 0) {
        rc = pd_fail(err, PD_EIO, "cannot write %s", path);
    } else {
        FILE *m = fopen(meta, "w");
        if (m) {
            fprintf(m, "url: %s\netag: %s\nlast-modified: %s\n", url, got.etag, got.modified);
            fclose(m);
        }
        pd_log(PD_LOG_INFO, "http source downloaded", "{s:s, s:s}", "source", src->name, "url",
               url);
    }
out:
    if (f)
        fclose(f);
    unlink(tmp);
    if (c)
        pd_curl.curl_easy_cleanup(c);
    pd_curl.curl_slist_free_all(headers);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    free(meta);
    free(tmp);
    free(dir);
    return rc;
}

static int ht_load(const struct pd_source *src, duckdb_connection conn, int revalidate,
                   struct pd_err *err)
{
    char *path = local_path(src);
    int rc = 0;

    (void)conn;
    if (revalidate || access(path, R_OK) != 0)
        rc = download(src, path, err);
    free(path);
    return rc;
}

static char *table_of(const struct pd_source *src)
{
    const char *t = pd_cfg_str(src->config, "table");
    char *path, *name;

    if (t)
        return xstrdup(t);
    path = url_path(pd_cfg_str(src->config, "url"));
    name = pd_file_table_name(path);
    free(path);
    return name;
}

static int ht_tables(const struct pd_source *src, duckdb_connection conn, struct pd_strv *out,
                     struct pd_err *err)
{
    char *t = table_of(src), *path = local_path(src);
    struct pd_buf probe = PD_BUF_INIT;
    int rc;

    (void)conn;
    rc = pd_file_reader(path, pd_cfg_str(src->config, "file_format"),
                        json_object_get(src->config, "options"), &probe, err);
    if (rc == 0)
        pd_strv_push(out, t);
    pd_buf_release(&probe);
    free(t);
    free(path);
    return rc;
}

static int ht_relation(const struct pd_source *src, const char *table, struct pd_buf *sql,
                       struct pd_err *err)
{
    char *t = table_of(src), *path = local_path(src);
    int rc = strcmp(t, table) == 0
                 ? pd_file_reader(path, pd_cfg_str(src->config, "file_format"),
                                  json_object_get(src->config, "options"), sql, err)
                 : pd_fail(err, PD_ENOTFOUND, "http source %s has no table %s", src->name, table);
    free(t);
    free(path);
    return rc;
}

const struct pd_connector pd_conn_http = {
    .type = "http",
    .summary = "a CSV, Parquet or JSON file over http(s), cached locally",
    .options = "--url URL [--table NAME] [--file-format csv|parquet|json] [--option NAME=VALUE ...] "
               "[--password-stdin: token]",
    .configure = configure,
    .load = ht_load,
    .tables = ht_tables,
    .relation = ht_relation,
};
