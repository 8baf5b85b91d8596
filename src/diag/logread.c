/*
 * logread.c - filtered reading and polling-follow of the log (see logread.h).
 */
#include "diag/logread.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOLLOW_POLL_US 200000

struct state {
    const struct pd_logread_opts *o;
    char since_iso[40];
    pd_logread_fn fn;
    void *ctx;
    char **ring; /* the last `last` matches, while reading the existing part */
    long ring_n, ring_pos;
    int buffering;
};

static int matches(const struct state *st, json_t *rec)
{
    enum pd_log_level lv = PD_LOG_INFO;
    const char *level = json_string_value(json_object_get(rec, "level"));
    const char *ts = json_string_value(json_object_get(rec, "ts"));

    if (level && pd_log_level_parse(level, &lv) == 0 && lv < st->o->min_level)
        return 0;
    if (st->o->since_ms && (ts == NULL || strcmp(ts, st->since_iso) < 0))
        return 0;
    if (st->o->run_id) {
        static const char *const keys[] = {"run_id", "query_id", "trace_id"};
        for (size_t i = 0; i < 3; i++) {
            const char *v = json_string_value(json_object_get(rec, keys[i]));
            if (v && strcmp(v, st->o->run_id) == 0)
                return 1;
        }
        return 0;
    }
    return 1;
}

static void emit(struct state *st, const char *line)
{
    json_t *rec = json_loads(line, 0, NULL);
    if (json_is_object(rec))
        st->fn(st->ctx, line, rec);
    json_decref(rec);
}

static void take(struct state *st, char *line)
{
    json_t *rec;
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n')
        line[n - 1] = '\0';
    rec = json_loads(line, 0, NULL);
    if (json_is_object(rec) && matches(st, rec)) {
        if (st->buffering) {
            free(st->ring[st->ring_pos]);
            st->ring[st->ring_pos] = xstrdup(line);
            st->ring_pos = (st->ring_pos + 1) % st->ring_n;
        } else {
            st->fn(st->ctx, line, rec);
        }
    }
    json_decref(rec);
}

static void flush_ring(struct state *st)
{
    if (!st->buffering)
        return;
    for (long i = 0; i < st->ring_n; i++) {
        long k = (st->ring_pos + i) % st->ring_n;
        if (st->ring[k])
            emit(st, st->ring[k]);
        free(st->ring[k]);
    }
    free(st->ring);
    st->ring = NULL;
    st->buffering = 0;
}

static int stopped(const struct pd_logread_opts *o)
{
    return o->stop && *o->stop;
}

int pd_logread(const char *path, const struct pd_logread_opts *o, pd_logread_fn fn, void *ctx,
               struct pd_err *err)
{
    struct state st = {.o = o, .fn = fn, .ctx = ctx};
    FILE *f = fopen(path, "r");
    char *line = NULL, *partial = NULL;
    size_t cap = 0;
    ssize_t n;
    off_t pos = 0;

    if (f == NULL && !o->follow)
        return pd_fail(err, PD_ENOTFOUND, "no log at '%s' yet", path);
    if (o->since_ms)
        pd_time_iso(o->since_ms, st.since_iso, sizeof(st.since_iso));
    if (o->last > 0) {
        st.ring_n = o->last;
        st.ring = xcalloc((size_t)o->last, sizeof(char *));
        st.buffering = 1;
    }
    for (;;) {
        while (f && (n = getline(&line, &cap, f)) > 0) {
            if (line[n - 1] != '\n') { /* a record still being written: wait for its end */
                char *joined = xasprintf("%s%s", partial ? partial : "", line);
                free(partial);
                partial = joined;
                continue;
            }
            if (partial) {
                char *joined = xasprintf("%s%s", partial, line);
                free(partial);
                partial = NULL;
                take(&st, joined);
                free(joined);
            } else {
                take(&st, line);
            }
        }
        flush_ring(&st);
        fflush(stdout);
        if (!o->follow || stopped(o))
            break;
        if (f) {
            struct stat sb;
            pos = ftello(f);
            clearerr(f);
            /* Truncated or replaced: start again from the top. */
            if (stat(path, &sb) == 0 && sb.st_size < pos) {
                fclose(f);
                f = NULL;
            }
        }
        usleep(FOLLOW_POLL_US);
        if (stopped(o))
            break;
        if (f == NULL)
            f = fopen(path, "r");
    }
    if (f)
        fclose(f);
    free(line);
    free(partial);
    return 0;
}
