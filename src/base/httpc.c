/*
 * httpc.c - an HTTP request through libcurl (see httpc.h).
 */
#include "base/httpc.h"
#include "base/libcurl.h"

#include "base/err.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <strings.h>

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    pd_buf_add(arg, data, size * n);
    return size * n;
}

/* Keep the value of a header the client acts on. */
static size_t header(char *line, size_t size, size_t n, void *arg)
{
    struct pd_httpc_resp *r = arg;
    static const struct {
        const char *name;
        size_t off, cap;
    } keep[] = {
        {"etag", offsetof(struct pd_httpc_resp, etag), sizeof(((struct pd_httpc_resp *)0)->etag)},
        {"last-modified", offsetof(struct pd_httpc_resp, last_modified),
         sizeof(((struct pd_httpc_resp *)0)->last_modified)},
        {"retry-after", offsetof(struct pd_httpc_resp, retry_after),
         sizeof(((struct pd_httpc_resp *)0)->retry_after)},
        {"content-type", offsetof(struct pd_httpc_resp, content_type),
         sizeof(((struct pd_httpc_resp *)0)->content_type)},
    };
    size_t len = size * n;
    const char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return len;
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        size_t nl = strlen(keep[i].name);
        if ((size_t)(colon - line) == nl && strncasecmp(line, keep[i].name, nl) == 0) {
            const char *v = colon + 1, *end = line + len;
            while (v < end && isspace((unsigned char)*v))
                v++;
            while (end > v && isspace((unsigned char)end[-1]))
                end--;
            snprintf((char *)r + keep[i].off, keep[i].cap, "%.*s", (int)(end - v), v);
        }
    }
    return len;
}

static int progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    const struct pd_httpc_req *req = arg;
    (void)a, (void)b, (void)c, (void)d;
    return req->cancelled && req->cancelled(req->cancel_arg);
}

int pd_httpc_do(const struct pd_httpc_req *req, struct pd_httpc_resp *resp, struct pd_err *err)
{
    if (pd_curl_load(err) != 0)
        return err->code;
    CURL *h = pd_curl.curl_easy_init();
    struct curl_slist *headers = NULL;
    struct pd_buf line = PD_BUF_INIT;
    const char *what = req->what ? req->what : req->url;
    FILE *upload = NULL;
    struct stat st;
    CURLcode cc;
    int rc = 0;

    memset(resp, 0, sizeof(*resp));
    pd_buf_init(&resp->body, 0);
    if (h == NULL)
        return pd_fail(err, PD_EINTERNAL, "libcurl failed to start");
    if (req->upload_file) {
        if ((upload = fopen(req->upload_file, "rb")) == NULL || fstat(fileno(upload), &st) != 0) {
            rc = pd_fail(err, PD_EIO, "cannot read %s: %s", req->upload_file, strerror(errno));
            if (upload)
                fclose(upload);
            pd_curl.curl_easy_cleanup(h);
            return rc;
        }
        pd_curl.curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        pd_curl.curl_easy_setopt(h, CURLOPT_READDATA, upload);
        pd_curl.curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
    }
    if (req->body || req->upload_file) {
        pd_buf_addf(&line, "Content-Type: %s",
                    req->content_type ? req->content_type : "application/json");
        headers = pd_curl.curl_slist_append(headers, line.ptr);
        pd_buf_reset(&line);
    }
    if (req->bearer && *req->bearer) {
        pd_buf_addf(&line, "Authorization: Bearer %s", req->bearer);
        headers = pd_curl.curl_slist_append(headers, line.ptr);
        pd_buf_reset(&line);
    }
    if (req->if_none_match && *req->if_none_match) {
        pd_buf_addf(&line, "If-None-Match: %s", req->if_none_match);
        headers = pd_curl.curl_slist_append(headers, line.ptr);
        pd_buf_reset(&line);
    }
    headers = pd_curl.curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
    pd_curl.curl_easy_setopt(h, CURLOPT_URL, req->url);
    pd_curl.curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    pd_curl.curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    pd_curl.curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    pd_curl.curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (req->direct)
        pd_curl.curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    if (req->body) {
        pd_curl.curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        pd_curl.curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body_len ? req->body_len : strlen(req->body)));
    }
    pd_curl.curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    pd_curl.curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
    pd_curl.curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header);
    pd_curl.curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    pd_curl.curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
    pd_curl.curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)req);
    pd_curl.curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    pd_curl.curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)((req->connect_timeout_s > 0 ? req->connect_timeout_s : 10) * 1000));
    if (req->timeout_s > 0)
        pd_curl.curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(req->timeout_s * 1000));
    cc = pd_curl.curl_easy_perform(h);
    if (cc == CURLE_OK)
        pd_curl.curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    else if (cc == CURLE_ABORTED_BY_CALLBACK)
        rc = pd_fail(err, PD_ECANCELED, "cancelled");
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        rc = pd_fail(err, PD_ETIMEOUT, "%s did not answer in time", what);
    else
        rc = pd_fail(err, PD_EUNAVAIL, "cannot reach %s: %s", what, pd_curl.curl_easy_strerror(cc));
    pd_buf_release(&line);
    pd_curl.curl_slist_free_all(headers);
    pd_curl.curl_easy_cleanup(h);
    if (upload)
        fclose(upload);
    return rc;
}

void pd_httpc_release(struct pd_httpc_resp *resp)
{
    pd_buf_release(&resp->body);
}
