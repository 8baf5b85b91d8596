/*
 * load.c - a statement with a watcher thread for progress and Ctrl-C.
 */
#include "sources/load.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "warehouse/interrupt.h"
#include "warehouse/warehouse.h"

#include <pthread.h>

#define TICK_MS 250

struct watch {
    duckdb_connection conn;
    const struct pd_load_opts *o;
    idx_t conn_id;
    double start;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, canceled;
};

static void *watcher(void *arg)
{
    struct watch *w = arg;

    pthread_mutex_lock(&w->mu);
    while (!w->done) {
        struct timespec ts = pd_abstime_in_ms(TICK_MS);
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        if (w->done)
            break;
        if (w->o->interrupted && *w->o->interrupted) {
            w->canceled = 1;
            pd_interrupt(w->conn);
        }
        if (w->o->progress)
            w->o->progress(w->o->label, pd_activity_rows(w->conn_id), w->o->expected_rows,
                           pd_mono_s() - w->start);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int pd_load_exec(duckdb_connection conn, const char *sql, const struct pd_load_opts *o,
                 struct pd_err *err)
{
    struct watch w = {.conn = conn, .o = o, .start = pd_mono_s()};
    pthread_t t;
    int rc, watching = o->progress || o->interrupted;

    w.conn_id = pd_connection_id(conn);
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    if (watching && pthread_create(&t, NULL, watcher, &w) != 0)
        watching = 0;
    rc = pd_exec(conn, sql, err);
    if (watching) {
        pthread_mutex_lock(&w.mu);
        w.done = 1;
        pthread_cond_signal(&w.cv);
        pthread_mutex_unlock(&w.mu);
        pthread_join(t, NULL);
    }
    if (rc != 0 && (w.canceled || (o->interrupted && *o->interrupted))) {
        pd_err_clear(err);
        rc = pd_fail(err, PD_ECANCELED, "cancelled; nothing was changed");
    }
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    return rc;
}

int pd_load_atomic(duckdb_connection conn, const char *sql, const struct pd_load_opts *o,
                   struct pd_err *err)
{
    struct pd_buf all = PD_BUF_INIT;
    int rc;

    pd_buf_addf(&all, "BEGIN TRANSACTION;\n%s\nCOMMIT;", sql);
    rc = pd_load_exec(conn, all.ptr, o, err);
    if (rc != 0) {
        struct pd_err ignored = PD_ERR_INIT;
        pd_exec(conn, "ROLLBACK", &ignored);
        pd_log(PD_LOG_WARN, "rolled back", "{s:s, s:s}", "what", o->label ? o->label : "",
               "error", err->msg);
    }
    pd_buf_release(&all);
    return rc;
}
