/*
 * ticker.c - one thread ticking for everything registered (see ticker.h).
 *
 * Each tick runs under the ticker's lock, so removing an entry (under the same
 * lock) waits for a tick in progress and no tick can see it afterwards.
 */
#include "base/ticker.h"

#include "base/timeutil.h"

#include <pthread.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct pd_tick *ticks;
static int started, sleeping;

/* Ticks go on for a second after the last entry left (short queries come in runs), then it sleeps. */
static void *run(void *arg)
{
    int idle = 0;
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        if (ticks == NULL && idle * PD_TICK_MS >= 1000) {
            sleeping = 1;
            while (ticks == NULL)
                pthread_cond_wait(&cv, &mu);
            sleeping = 0;
        }
        struct timespec ts = pd_abstime_in_ms(PD_TICK_MS);
        pthread_cond_timedwait(&cv, &mu, &ts);
        idle = ticks ? 0 : idle + 1;
        for (struct pd_tick *t = ticks; t; t = t->next)
            t->fn(t->arg);
    }
    return NULL;
}

void pd_ticker_add(struct pd_tick *t)
{
    pthread_mutex_lock(&mu);
    if (!started) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, run, NULL) == 0) {
            pthread_detach(thread);
            started = 1;
        }
    }
    t->next = ticks;
    t->prev = &ticks;
    if (ticks)
        ticks->prev = &t->next;
    ticks = t;
    if (sleeping)
        pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

void pd_ticker_remove(struct pd_tick *t)
{
    pthread_mutex_lock(&mu);
    if (t->prev) {
        *t->prev = t->next;
        if (t->next)
            t->next->prev = t->prev;
        t->next = NULL;
        t->prev = NULL;
    }
    pthread_mutex_unlock(&mu);
}
