/*
 * logread.h - reading and following the JSON-lines log with filters.
 */
#ifndef PD_LOGREAD_H
#define PD_LOGREAD_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

#include "base/log.h"

struct pd_err;

struct pd_logread_opts {
    enum pd_log_level min_level;
    int64_t since_ms;    /* 0: from the start */
    const char *run_id;  /* matches run_id, query_id or trace_id; NULL: all */
    long last;           /* only the last N matching records of what exists now; 0: all */
    int follow;          /* then wait for new records until *stop */
    const volatile sig_atomic_t *stop;
};

/*
 * Called per matching record: line is the raw JSON text (no newline), record
 * its parsed form (borrowed). Lines that are not JSON objects are skipped.
 */
typedef void (*pd_logread_fn)(void *ctx, const char *line, json_t *record);

/* Read path with opts. A missing file is PD_ENOTFOUND unless following (then it waits). */
int pd_logread(const char *path, const struct pd_logread_opts *opts, pd_logread_fn fn, void *ctx,
               struct pd_err *err);

#endif
