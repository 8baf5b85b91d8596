/*
 * reply.c - the ways a handler answers (JSON, bytes, the error envelope) and
 * reads the arguments of its JSON body (see http.h).
 */
#include "http/http.h"
#include "http/libmhd.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/jexact.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- answers ------------------------------------------------------------ */

void http_reply_response(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
    if (r->resp)
        pd_mhd.MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
    r->answered = 1;
}

void http_reply_bytes(struct http_req *r, unsigned status, const char *ctype, const void *data,
                     size_t n)
{
    struct MHD_Response *resp =
        pd_mhd.MHD_create_response_from_buffer(n, (void *)data, MHD_RESPMEM_MUST_COPY);
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    http_reply_response(r, status, resp);
}

void http_reply_json(struct http_req *r, unsigned status, json_t *doc)
{
    char *text = pd_json_dumps_exact(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    struct MHD_Response *resp;
    size_t n = strlen(text);
    json_decref(doc);
    text = xrealloc(text, n + 2);
    text[n++] = '\n';
    resp = pd_mhd.MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    http_reply_response(r, status, resp);
}

/* The error envelope, written by hand: msg may hold any bytes a client sent. */
static void reply_envelope(struct http_req *r, unsigned status, const char *code, const char *msg)
{
    struct pd_buf b = PD_BUF_INIT;
    pd_log(status >= 500 ? PD_LOG_ERROR : PD_LOG_INFO, "request failed",
           "{s:s, s:s, s:i, s:s, s:s}", "trace_id", r->trace_id, "path", r->url, "status",
           (int)status, "code", code, "error", msg);
    pd_buf_adds(&b, "{\"error\":{\"code\":");
    pd_json_add_string(&b, code, strlen(code));
    pd_buf_adds(&b, ",\"message\":");
    pd_json_add_string(&b, msg, strlen(msg));
    pd_buf_adds(&b, ",\"trace_id\":");
    pd_json_add_string(&b, r->trace_id, strlen(r->trace_id));
    pd_buf_adds(&b, "}}\n");
    http_reply_bytes(r, status, "application/json", b.ptr, b.len);
    pd_buf_release(&b);
}

void http_reply_status(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[PD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_envelope(r, status, code, msg);
}

void http_reply_error(struct http_req *r, int code, const char *fmt, ...)
{
    char msg[PD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_envelope(r, (unsigned)pd_err_http_status(code), pd_err_name(code), msg);
}

void http_reply_err(struct http_req *r, const struct pd_err *err)
{
    int code = err->code ? err->code : PD_EINTERNAL;
    reply_envelope(r, (unsigned)pd_err_http_status(code), pd_err_name(code),
                   err->code ? err->msg : "internal error");
}

json_t *http_strv_json(const struct pd_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

/* ---- body arguments ----------------------------------------------------- */

static json_t *field(struct http_req *r, const char *name)
{
    json_t *v = r->body ? json_object_get(r->body, name) : NULL;
    return v && !json_is_null(v) ? v : NULL;
}

int http_arg_string(struct http_req *r, const char *name, int required, const char **out)
{
    json_t *v = field(r, name);
    if (v == NULL) {
        if (!required)
            return 0;
        http_reply_status(r, 422, "invalid_field", "field '%s' is required (a string)", name);
        return -1;
    }
    if (!json_is_string(v)) {
        http_reply_status(r, 422, "invalid_field", "field '%s' must be a string", name);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int http_arg_path(struct http_req *r, const char *name, int required, const char **out)
{
    const char *v = NULL;
    if (http_arg_string(r, name, required, &v) != 0)
        return -1;
    if (v && v[0] != '/') {
        /* The server's working directory means nothing to the client. */
        http_reply_status(r, 422, "invalid_field",
                         "field '%s' must be an absolute path on this machine, got '%s'", name, v);
        return -1;
    }
    if (v)
        *out = v;
    return 0;
}

int http_arg_number(struct http_req *r, const char *name, double min, double max, double *out)
{
    json_t *v = field(r, name);
    if (v == NULL)
        return 0;
    if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max) {
        http_reply_status(r, 422, "invalid_field", "field '%s' must be a number from %g to %g",
                         name, min, max);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

int http_arg_bool(struct http_req *r, const char *name, int *out)
{
    json_t *v = field(r, name);
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v)) {
        http_reply_status(r, 422, "invalid_field", "field '%s' must be true or false", name);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

int http_arg_object(struct http_req *r, const char *name, json_t **out)
{
    json_t *v = field(r, name);
    if (v == NULL)
        return 0;
    if (!json_is_object(v)) {
        http_reply_status(r, 422, "invalid_field", "field '%s' must be an object", name);
        return -1;
    }
    *out = v;
    return 0;
}

int http_arg_strings(struct http_req *r, const char *name, struct pd_strv *out)
{
    json_t *v = field(r, name), *e;
    size_t i;
    if (v == NULL)
        return 0;
    if (json_is_string(v)) {
        pd_strv_push(out, json_string_value(v));
        return 0;
    }
    json_array_foreach(v, i, e)
        if (!json_is_string(e))
            break;
    if (!json_is_array(v) || i < json_array_size(v)) {
        http_reply_status(r, 422, "invalid_field", "field '%s' must be an array of strings", name);
        return -1;
    }
    json_array_foreach(v, i, e)
        pd_strv_push(out, json_string_value(e));
    return 0;
}

