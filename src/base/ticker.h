/*
 * ticker.h - one thread that calls every registered function every tick.
 *
 * What watches running work (a query's cancel flag, its timeout, its progress)
 * needs a clock, not a thread of its own: registering costs a lock and a list
 * insert, where a thread per query cost a clone, a join and two context
 * switches. The thread starts with the first registration and sleeps while
 * nothing is registered.
 */
#ifndef PD_TICKER_H
#define PD_TICKER_H

struct pd_tick {
    void (*fn)(void *arg); /* called on the ticker thread, never for two ticks at once */
    void *arg;
    struct pd_tick *next, **prev;
};

#define PD_TICK_MS 50 /* how often each registered function is called */

/* Call t->fn(t->arg) every PD_TICK_MS from now on. */
void pd_ticker_add(struct pd_tick *t);

/* Stop calling t: when this returns, t->fn is not running and will not run again. */
void pd_ticker_remove(struct pd_tick *t);

#endif
