/*
 * cache.h - cached tables: local copies of a source's tables in schema cache.
 *
 * `source cache NAME TABLE` copies NAME.TABLE (filtered on the remote by
 * --where) into cache.LOCAL in one transaction, so a failure half-way leaves
 * the previous copy as it was. _sources.cached_tables records what each copy
 * holds and when it expires (--ttl).
 */
#ifndef PD_CACHE_H
#define PD_CACHE_H

#include <duckdb.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>

#include "base/strv.h"
#include "sources/load.h"

struct pd_err;
struct pd_sink;
struct pd_sources;

struct pd_cache_req {
    const char *source, *table;
    const char *local;   /* NULL: SOURCE_TABLE */
    const char *where;   /* remote SQL condition, or NULL */
    const char *ttl;     /* duration text ("24h"), or NULL: never expires */
    pd_progress_fn progress;
    volatile sig_atomic_t *interrupted;
};

struct pd_cache_result {
    char *local; /* heap */
    int64_t rows;
    double seconds;
    struct pd_strv warnings; /* values read as NULL (sources.bad_values), said by the copy */
};

void pd_cache_result_clear(struct pd_cache_result *r);

int pd_cache_create(struct pd_sources *S, const struct pd_cache_req *req,
                    struct pd_cache_result *res, struct pd_err *err);

/* Copy again with the recorded filter and TTL. */
int pd_cache_refresh(struct pd_sources *S, const char *local, pd_progress_fn progress,
                     volatile sig_atomic_t *interrupted, struct pd_cache_result *res,
                     struct pd_err *err);

int pd_cache_drop(struct pd_sources *S, const char *local, struct pd_err *err);

/* Drop every expired copy; *dropped tells how many. */
int pd_cache_cleanup(struct pd_sources *S, int *dropped, struct pd_err *err);

int pd_cache_list(struct pd_sources *S, struct pd_sink *sink, struct pd_err *err);

/* What reading an expired copy does (cache.on_expired). */
enum pd_on_expired { PD_EXPIRED_WARN, PD_EXPIRED_REFRESH, PD_EXPIRED_ERROR };

/*
 * Before a query whose tree (sqltree.h) reads cache.X: for each copy past its
 * TTL, warn (a notice on conn's statement), copy it again first, or refuse the
 * query (PD_EINVAL saying how to refresh it).
 */
int pd_cache_check_reads(struct pd_sources *S, duckdb_connection conn, const json_t *tree,
                         enum pd_on_expired policy, struct pd_err *err);

struct pd_cache_estimate {
    int64_t rows, bytes; /* -1 when unknown */
    int recommend;
    const char *reason;
};

int pd_cache_estimate(struct pd_sources *S, const char *source, const char *table,
                      struct pd_cache_estimate *out, struct pd_err *err);

#endif
