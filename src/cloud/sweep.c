/*
 * sweep.c - recording due occurrences and expiring unclaimed ones (see sweep.h).
 */
#include "cloud/sweep.h"

#include "cloud/cron.h"
#include "cloud/store.h"
#include "cloud/tz.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/timeutil.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Occurrences recorded per schedule and sweep at most (a long outage is not replayed minute by minute). */
#define MAX_PER_SWEEP 1000

static void rfc3339(int64_t t, char out[32])
{
    pd_time_iso(t * 1000, out, 32);
}

json_t *cl_schedule_preview(const char *cron, const char *zone, int64_t after, int n)
{
    struct cl_cron c;
    struct cl_tz *z;
    struct pd_err err = PD_ERR_INIT;
    json_t *out = json_array();
    if (cl_cron_parse(cron, &c, &err) != 0 || cl_tz_load(zone, &z, &err) != 0)
        return out;
    for (int i = 0; i < n && after >= 0; i++) {
        char text[32];
        if ((after = cl_cron_next(&c, z, after)) < 0)
            break;
        rfc3339(after, text);
        json_array_append_new(out, json_string(text));
    }
    cl_tz_free(z);
    return out;
}

/* Record the due occurrences of the schedules whose next one has come (db in a transaction). */
static int record_due(struct cl_db *db, int64_t now, struct pd_err *err)
{
    char nowtext[32];
    PGresult *res;
    int rc = 0;
    rfc3339(now, nowtext);
    res = cl_db_exec(db,
                     "SELECT id, workspace_id, cron, timezone, grace_s, extract(epoch FROM "
                     "next_due)::bigint FROM schedules WHERE NOT paused AND next_due <= $1 ORDER "
                     "BY next_due LIMIT 200 FOR UPDATE SKIP LOCKED",
                     CL_ARGS(nowtext), err);
    if (res == NULL)
        return err->code;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        const char *id = PQgetvalue(res, i, 0), *ws = PQgetvalue(res, i, 1);
        int64_t t = strtoll(PQgetvalue(res, i, 5), NULL, 10);
        struct cl_cron c;
        struct cl_tz *z = NULL;
        char due[32], next[32], occ[40];
        int n = 0;
        if (cl_cron_parse(PQgetvalue(res, i, 2), &c, err) != 0 ||
            cl_tz_load(PQgetvalue(res, i, 3), &z, err) != 0) {
            pd_log(PD_LOG_WARN, "a schedule cannot be evaluated", "{s:s, s:s}", "schedule", id,
                   "error", err->msg);
            pd_err_clear(err);
            continue;
        }
        /* After a long outage only the last MAX_PER_SWEEP instants are kept. */
        for (; t >= 0 && t <= now && rc == 0; t = cl_cron_next(&c, z, t)) {
            if (++n > MAX_PER_SWEEP)
                continue;
            rfc3339(t, due);
            pd_uuid7(occ);
            rc = cl_db_run(db,
                           "INSERT INTO occurrences (id, schedule_id, workspace_id, due_at, "
                           "grace_until, state) VALUES ($1, $2, $3, $4::timestamptz, "
                           "$4::timestamptz + make_interval(secs => $5::int), 'due') ON CONFLICT "
                           "(schedule_id, due_at) DO NOTHING",
                           CL_ARGS(occ, id, ws, due, PQgetvalue(res, i, 4)), err);
        }
        cl_tz_free(z);
        if (rc == 0) {
            if (t >= 0)
                rfc3339(t, next);
            rc = cl_db_run(db, "UPDATE schedules SET next_due = $2::timestamptz WHERE id = $1",
                           CL_ARGS(id, t >= 0 ? next : NULL), err);
        }
    }
    PQclear(res);
    return rc;
}

/* Occurrences past their grace period with no claim: missed, then skipped beyond catch-up. */
static int expire(struct cl_db *db, int64_t now, struct pd_err *err)
{
    char nowtext[32];
    int rc;
    rfc3339(now, nowtext);
    rc = cl_db_run(db,
                   "UPDATE occurrences o SET state = CASE WHEN s.catch_up = 'none' THEN 'skipped' "
                   "ELSE 'missed' END, reason = 'no agent online', updated_at = now() FROM "
                   "schedules s WHERE s.id = o.schedule_id AND o.state = 'due' AND o.grace_until "
                   "< $1::timestamptz",
                   CL_ARGS(nowtext), err);
    if (rc)
        return rc;
    /* Of the missed ones, only the newest the policy keeps stay open. */
    return cl_db_run(db,
                     "UPDATE occurrences o SET state = 'skipped', reason = 'no agent online (a "
                     "newer occurrence is caught up instead)', updated_at = now() FROM (SELECT "
                     "o2.id, row_number() OVER (PARTITION BY o2.schedule_id ORDER BY o2.due_at "
                     "DESC) AS n, CASE WHEN s.catch_up = 'latest' THEN 1 ELSE s.catch_up_max END "
                     "AS keep FROM occurrences o2 JOIN schedules s ON s.id = o2.schedule_id WHERE "
                     "o2.state = 'missed') m WHERE m.id = o.id AND m.n > m.keep",
                     0, NULL, err);
}

static int sweep_tx(struct cl_db *db, void *arg, struct pd_err *err)
{
    int64_t now = *(int64_t *)arg;
    int rc = record_due(db, now, err);
    return rc ? rc : expire(db, now, err);
}

int cl_sweep(struct cl_store *s, int64_t now, struct pd_err *err)
{
    return cl_store_tx(s, sweep_tx, &now, err);
}

/* ---- the thread ------------------------------------------------------------------- */

struct cl_sweeper {
    struct cl_store *store;
    double interval_s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

static void *sweeper_main(void *arg)
{
    struct cl_sweeper *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec until = pd_abstime_in_ms((long)(w->interval_s * 1000));
        struct pd_err err = PD_ERR_INIT;
        pthread_mutex_unlock(&w->mu);
        if (cl_sweep(w->store, pd_now_ms() / 1000, &err) != 0 && err.code != PD_EUNAVAIL)
            pd_log(PD_LOG_WARN, "the schedule sweep failed", "{s:s}", "error", err.msg);
        pthread_mutex_lock(&w->mu);
        if (!w->stop)
            pthread_cond_timedwait(&w->cv, &w->mu, &until);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct cl_sweeper *cl_sweeper_start(struct cl_store *s, double interval_s)
{
    struct cl_sweeper *w = xcalloc(1, sizeof(*w));
    w->store = s;
    w->interval_s = interval_s > 0 ? interval_s : 10;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, sweeper_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return NULL;
    }
    return w;
}

void cl_sweeper_stop(struct cl_sweeper *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
