/*
 * err.h - error codes and the error-detail struct every fallible function takes.
 *
 * Functions return 0 or a negative PD_E* code and put the human message into a
 * caller-supplied struct pd_err; the first failure recorded wins. One X-macro
 * list gives each code its name (for JSON), HTTP status and CLI exit code, so the
 * front ends never translate codes by hand. This file must never print or exit.
 */
#ifndef PD_ERR_H
#define PD_ERR_H

#include <stddef.h>

/* XX(suffix, value, name, http_status, exit_code) */
#define PD_ERR_MAP(XX)                                                   \
    XX(EINVAL, -1, "invalid", 400, 1)                                    \
    XX(EUSAGE, -2, "usage", 400, 2)                                      \
    XX(ENOTFOUND, -3, "not_found", 404, 1)                               \
    XX(EEXIST, -4, "conflict", 409, 1)                                   \
    XX(ESQL, -5, "sql_error", 400, 1)                                    \
    XX(ETIMEOUT, -6, "timeout", 408, 1)                                  \
    XX(ECANCELED, -7, "cancelled", 499, 130)                             \
    XX(ELOCKED, -8, "locked", 423, 1)                                    \
    XX(ENOHOME, -9, "no_home", 409, 1)                                   \
    XX(ECONFIG, -10, "config_error", 500, 1)                             \
    XX(EIO, -11, "io_error", 500, 1)                                     \
    XX(ETOOBIG, -12, "too_big", 413, 1)                                  \
    XX(EINTERNAL, -13, "internal", 500, 3)                               \
    XX(EAUTH, -14, "unauthorized", 401, 1)                               \
    XX(EDENIED, -15, "forbidden", 403, 1)                                \
    XX(ERATE, -16, "rate_limited", 429, 1)                               \
    XX(EUNAVAIL, -17, "unavailable", 503, 1)                             \
    XX(EFIELD, -18, "invalid_field", 422, 1)

enum pd_errcode {
    PD_OK = 0,
#define PD_ERR_ENUM_(suffix, value, name, http, exitc) PD_##suffix = value,
    PD_ERR_MAP(PD_ERR_ENUM_)
#undef PD_ERR_ENUM_
};

#define PD_ERR_MSG_MAX 1024

/* The detail of a failure. Zero-initialise (PD_ERR_INIT) before use. */
struct pd_err {
    int code;                  /* 0 while no error was recorded */
    char msg[PD_ERR_MSG_MAX];  /* lowercase, no full stop, NUL-terminated */
};

#define PD_ERR_INIT {.code = 0, .msg = {0}}

/*
 * Record a failure in err (unless one is recorded already: the first wins) and
 * return code, so callers can write `return pd_fail(err, PD_ENOTFOUND, "...")`.
 * err may be NULL. Messages longer than PD_ERR_MSG_MAX-1 are cut.
 */
int pd_fail(struct pd_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Put "PREFIX" in front of a recorded message ("file.yaml: " + msg); nothing when no error. */
void pd_err_prefix(struct pd_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forget a recorded failure so err can be used again. */
void pd_err_clear(struct pd_err *err);

/* The stable snake_case name of code ("not_found"); "ok" for 0, "internal" if unknown. */
const char *pd_err_name(int code);

/* The HTTP status for code (200 for 0, 500 if unknown). */
int pd_err_http_status(int code);

/* The CLI exit code for code (0 for 0, 3 if unknown). */
int pd_err_exit_code(int code);

#endif
