/*
 * err.c - the error table behind err.h. Pure functions over PD_ERR_MAP; no I/O.
 */
#include "base/err.h"

#include <stdarg.h>
#include <string.h>
#include <stdio.h>

int pd_fail(struct pd_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err->code != 0)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void pd_err_prefix(struct pd_err *err, const char *fmt, ...)
{
    char head[PD_ERR_MSG_MAX], msg[PD_ERR_MSG_MAX];
    va_list ap;
    size_t h, m;

    if (!err || !err->code)
        return;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    h = strlen(head);
    m = strlen(err->msg);
    memcpy(msg, err->msg, m + 1);
    if (h >= sizeof(err->msg) - 1)
        h = sizeof(err->msg) - 1;
    if (h + m >= sizeof(err->msg))
        m = sizeof(err->msg) - 1 - h;
    memcpy(err->msg, head, h);
    memcpy(err->msg + h, msg, m);
    err->msg[h + m] = 0;
}

void pd_err_clear(struct pd_err *err)
{
    err->code = 0;
    err->msg[0] = '\0';
}

const char *pd_err_name(int code)
{
    switch (code) {
    case PD_OK:
        return "ok";
#define PD_ERR_NAME_(suffix, value, name, http, exitc) \
    case value:                                        \
        return name;
        PD_ERR_MAP(PD_ERR_NAME_)
#undef PD_ERR_NAME_
    }
    return "internal";
}

int pd_err_http_status(int code)
{
    switch (code) {
    case PD_OK:
        return 200;
#define PD_ERR_HTTP_(suffix, value, name, http, exitc) \
    case value:                                        \
        return http;
        PD_ERR_MAP(PD_ERR_HTTP_)
#undef PD_ERR_HTTP_
    }
    return 500;
}

int pd_err_exit_code(int code)
{
    switch (code) {
    case PD_OK:
        return 0;
#define PD_ERR_EXIT_(suffix, value, name, http, exitc) \
    case value:                                        \
        return exitc;
        PD_ERR_MAP(PD_ERR_EXIT_)
#undef PD_ERR_EXIT_
    }
    return 3;
}
