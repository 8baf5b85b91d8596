/*
 * provider_openai.c - any OpenAI-compatible Chat Completions API (OpenAI,
 * Ollama, llama.cpp's server, vLLM, ...) over libcurl: tools, streamed deltas
 * (each text piece reported as it comes), retries with backoff on 429 and 5xx
 * honouring Retry-After, a time limit per request.
 */
#include "agent/agent.h"
#include "base/libcurl.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_RETRIES 2
#define MAX_TOOL_CALLS 32
#define MAX_RETRY_WAIT_S 30

struct openai {
    struct ag_provider base;
    char *url, *model, *key;
    double timeout_s;
};

/* What one response brought: a stream of deltas or one JSON body. */
struct response {
    struct ag_provider *p;
    int sse;
    long retry_after;
    struct pd_buf line, body, content;
    struct {
        struct pd_buf id, name, args;
    } calls[MAX_TOOL_CALLS];
    int ncalls;
    json_int_t tokens; /* the usage the API reported; 0: none */
};

static void delta(struct response *r, json_t *chunk)
{
    json_t *d = json_object_get(json_array_get(json_object_get(chunk, "choices"), 0), "delta");
    const char *text = json_string_value(json_object_get(d, "content"));
    json_t *call;
    size_t i;
    if (json_is_integer(json_object_get(json_object_get(chunk, "usage"), "total_tokens")))
        r->tokens = json_integer_value(json_object_get(json_object_get(chunk, "usage"), "total_tokens"));
    if (text && *text) {
        pd_buf_adds(&r->content, text);
        if (r->p->on_text)
            r->p->on_text(r->p->on_text_arg, text);
    }
    json_array_foreach(json_object_get(d, "tool_calls"), i, call) {
        json_t *fn = json_object_get(call, "function");
        json_int_t k = json_is_integer(json_object_get(call, "index"))
                           ? json_integer_value(json_object_get(call, "index"))
                           : (json_int_t)i;
        if (k < 0 || k >= MAX_TOOL_CALLS)
            continue;
        if (k >= r->ncalls)
            r->ncalls = (int)k + 1;
        if (json_string_value(json_object_get(call, "id")))
            pd_buf_adds(&r->calls[k].id, json_string_value(json_object_get(call, "id")));
        if (json_string_value(json_object_get(fn, "name")))
            pd_buf_adds(&r->calls[k].name, json_string_value(json_object_get(fn, "name")));
        if (json_string_value(json_object_get(fn, "arguments")))
            pd_buf_adds(&r->calls[k].args, json_string_value(json_object_get(fn, "arguments")));
    }
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct response *r = arg;
    size_t len = size * n;
    if (len > 13 && strncasecmp(data, "content-type:", 13) == 0)
        r->sse = memmem(data, len, "text/event-stream", 17) != NULL;
    else if (len > 12 && strncasecmp(data, "retry-after:", 12) == 0)
        r->retry_after = strtol(data + 12, NULL, 10);
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct response *r = arg;
    size_t len = size * n;
    if (!r->sse) {
        pd_buf_add(&r->body, data, len);
        return len;
    }
    pd_buf_add(&r->line, data, len);
    for (;;) {
        char *nl = memchr(r->line.ptr, '\n', r->line.len);
        size_t used;
        if (nl == NULL)
            break;
        *nl = '\0';
        if (strncmp(r->line.ptr, "data:", 5) == 0) {
            const char *payload = r->line.ptr + 5;
            while (*payload == ' ')
                payload++;
            if (strncmp(payload, "[DONE]", 6) != 0) {
                json_t *chunk = json_loads(payload, 0, NULL);
                if (chunk)
                    delta(r, chunk);
                json_decref(chunk);
            }
        }
        used = (size_t)(nl - r->line.ptr) + 1;
        memmove(r->line.ptr, r->line.ptr + used, r->line.len - used);
        pd_buf_truncate(&r->line, r->line.len - used);
    }
    return len;
}

static void response_init(struct response *r, struct ag_provider *p)
{
    memset(r, 0, sizeof(*r));
    r->p = p;
    r->retry_after = -1;
    pd_buf_init(&r->line, 0);
    pd_buf_init(&r->body, 0);
    pd_buf_init(&r->content, 0);
    for (int i = 0; i < MAX_TOOL_CALLS; i++) {
        pd_buf_init(&r->calls[i].id, 0);
        pd_buf_init(&r->calls[i].name, 0);
        pd_buf_init(&r->calls[i].args, 0);
    }
}

static void response_clear(struct response *r)
{
    pd_buf_release(&r->line);
    pd_buf_release(&r->body);
    pd_buf_release(&r->content);
    for (int i = 0; i < MAX_TOOL_CALLS; i++) {
        pd_buf_release(&r->calls[i].id);
        pd_buf_release(&r->calls[i].name);
        pd_buf_release(&r->calls[i].args);
    }
}

/* The assistant message of a finished response. */
static json_t *reply_of(struct response *r, struct pd_err *err)
{
    json_t *m;
    if (!r->sse) {
        json_t *doc = json_loadb(r->body.ptr, r->body.len, 0, NULL);
        m = json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message");
        if (!json_is_object(m)) {
            pd_fail(err, PD_EIO, "the model API answered something that is not a chat completion");
            json_decref(doc);
            return NULL;
        }
        m = json_deep_copy(m);
        r->tokens = json_integer_value(json_object_get(json_object_get(doc, "usage"), "total_tokens"));
        json_decref(doc);
        json_object_set_new(m, "role", json_string("assistant"));
        return m;
    }
    m = json_pack("{s:s, s:o}", "role", "assistant", "content",
                  json_stringn(r->content.ptr, r->content.len));
    if (m == NULL) {
        pd_fail(err, PD_EIO, "the model's reply is not valid UTF-8 text");
        return NULL;
    }
    if (r->ncalls) {
        json_t *calls = json_array();
        for (int i = 0; i < r->ncalls; i++)
            json_array_append_new(
                calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id",
                                 r->calls[i].id.len ? r->calls[i].id.ptr : "call", "type",
                                 "function", "function", "name", r->calls[i].name.ptr,
                                 "arguments", r->calls[i].args.ptr));
        json_object_set_new(m, "tool_calls", calls);
    }
    return m;
}

/* The messages as the API takes them: without our own pd_* fields. */
static json_t *wire_messages(const json_t *messages)
{
    json_t *out = json_array(), *m;
    size_t i;
    json_array_foreach(messages, i, m) {
        json_t *copy = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)m, k, v)
            if (strncmp(k, "pd_", 3) != 0)
                json_object_set(copy, k, v);
        json_array_append_new(out, copy);
    }
    return out;
}

/* The error message in an API's error body, or the body's start. */
static void api_error(const struct pd_buf *body, long status, struct pd_err *err)
{
    json_t *doc = json_loadb(body->ptr, body->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
    pd_fail(err, PD_EIO, "the model API answered %ld: %.300s", status,
            msg ? msg : body->len ? body->ptr : "(no message)");
    json_decref(doc);
}

static void pause_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int next(struct ag_provider *p, const json_t *messages, const json_t *tools, json_t **reply,
                struct pd_err *err)
{
    struct openai *o = (struct openai *)p;
    if (pd_curl_load(err) != 0)
        return err->code;
    json_t *req = json_pack("{s:s, s:o, s:O, s:b, s:{s:b}}", "model", o->model, "messages",
                            wire_messages(messages), "tools", tools, "stream", 1,
                            "stream_options", "include_usage", 1);
    char *body = pd_json_dumps_exact(req, JSON_COMPACT);
    struct curl_slist *headers = NULL;
    int rc = 0;

    json_decref(req);
    headers = pd_curl.curl_slist_append(headers, "Content-Type: application/json");
    headers = pd_curl.curl_slist_append(headers, "Accept: text/event-stream, application/json");
    if (o->key && *o->key) {
        char *auth = xasprintf("Authorization: Bearer %s", o->key);
        headers = pd_curl.curl_slist_append(headers, auth);
        free(auth);
    }
    for (int attempt = 0;; attempt++) {
        struct response r;
        CURL *h = pd_curl.curl_easy_init();
        long status = 0;
        CURLcode cc;
        response_init(&r, p);
        pd_curl.curl_easy_setopt(h, CURLOPT_URL, o->url);
        pd_curl.curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        pd_curl.curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        pd_curl.curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        pd_curl.curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
        pd_curl.curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        pd_curl.curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
        pd_curl.curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000));
        pd_curl.curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        pd_curl.curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        cc = pd_curl.curl_easy_perform(h);
        pd_curl.curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        pd_curl.curl_easy_cleanup(h);
        if (cc == CURLE_OK && status == 200) {
            *reply = reply_of(&r, err);
            rc = *reply ? 0 : PD_EIO;
            if (*reply) { /* what it cost: as reported, or about 4 characters a token */
                size_t out = r.sse ? r.content.len : r.body.len;
                for (int i = 0; i < r.ncalls; i++)
                    out += r.calls[i].args.len;
                json_object_set_new(*reply, "pd_tokens",
                                    json_integer(r.tokens > 0 ? r.tokens
                                                              : (json_int_t)((strlen(body) + out) / 4)));
            }
        } else if (attempt < MAX_RETRIES &&
                   (cc == CURLE_OPERATION_TIMEDOUT || status == 429 || status >= 500)) {
            double wait = r.retry_after >= 0 ? (double)r.retry_after : 0.5 * (1 << attempt);
            if (wait > MAX_RETRY_WAIT_S)
                wait = MAX_RETRY_WAIT_S;
            pd_log(PD_LOG_WARN, "model request retried", "{s:i, s:i, s:f}", "status", (int)status,
                   "attempt", attempt + 1, "wait_s", wait);
            response_clear(&r);
            pause_s(wait);
            continue;
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
            rc = pd_fail(err, PD_ETIMEOUT, "the model did not answer within %g s (tried %d times)",
                         o->timeout_s, attempt + 1);
        } else if (cc != CURLE_OK) {
            rc = pd_fail(err, PD_EIO, "cannot reach the model at %s: %s", o->url,
                         pd_curl.curl_easy_strerror(cc));
        } else {
            api_error(&r.body, status, err);
            rc = PD_EIO;
        }
        response_clear(&r);
        break;
    }
    pd_curl.curl_slist_free_all(headers);
    free(body);
    return rc;
}

static void openai_free(struct ag_provider *p)
{
    struct openai *o = (struct openai *)p;
    free(o->url);
    free(o->model);
    free(o->key);
    free(o);
}

struct ag_provider *ag_provider_openai(const char *base_url, const char *model, const char *key,
                                       double timeout_s)
{
    struct openai *o = xcalloc(1, sizeof(*o));
    size_t n = strlen(base_url);
    while (n && base_url[n - 1] == '/')
        n--;
    o->base.name = "openai";
    o->base.next = next;
    o->base.free = openai_free;
    o->url = xasprintf("%.*s/chat/completions", (int)n, base_url);
    o->model = xstrdup(model);
    o->key = key ? xstrdup(key) : NULL;
    o->timeout_s = timeout_s > 0 ? timeout_s : 60;
    return &o->base;
}
