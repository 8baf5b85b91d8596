/*
 * call.h - running a handler's work in one transaction (call.c): the work
 * fills t->out, or returns an error (all of it rolled back), or commits and
 * still refuses with cl_tx_refuse (a failed sign-in is counted, a reused
 * refresh token revokes its family, then the request is refused).
 */
#ifndef PD_CLOUD_CALL_H
#define PD_CLOUD_CALL_H

#include <jansson.h>
#include <stdarg.h>

#include "base/err.h"

struct cl_db;
struct http_req;
struct cl_tx;

typedef int (*cl_tx_handler)(struct cl_db *db, struct cl_tx *t, struct pd_err *err);

struct cl_tx {
    struct http_req *r;
    cl_tx_handler fn;
    void *arg;
    json_t *out;        /* the answer */
    unsigned status;    /* its status (set by cl_run; the work may change it) */
    int fail;           /* cl_tx_refuse: commit, then answer this code */
    char fail_msg[PD_ERR_MSG_MAX];
    const char *retry_after; /* a Retry-After for the refusal */
    const char *fail_name;   /* cl_tx_refuse_as: the refusal's code, answered 400 */
};

/*
 * Run fn in a transaction, leaving its answer in t->out (t->status as given
 * on entry): 0, or -1 when it answered an error itself.
 */
int cl_exec(struct http_req *r, cl_tx_handler fn, void *arg, struct cl_tx *t);
/* Run fn in a transaction and answer (status, or the error). */
void cl_run(struct http_req *r, cl_tx_handler fn, void *arg, unsigned status);
/* Commit what the work did, then refuse with code: returns 0 for the work to return. */
int cl_tx_refuse(struct cl_tx *t, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with a code of its own, answered 400 (the errors of RFC 8628's token endpoint). */
int cl_tx_refuse_as(struct cl_tx *t, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An optional object field as JSON text ("{}" when absent), malloc'd. */
char *cl_object_text(const json_t *v);

/* 1 when s has the shape of a UUID. */
int cl_is_uuid(const char *s);

#endif
