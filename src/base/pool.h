/*
 * pool.h - a fixed set of threads running tasks from one queue, first in,
 * first out.
 *
 * For work that must not run on the thread that hands it over (the server's
 * HTTP workers hand over handlers that may take long). A task runs exactly
 * once; stopping runs every task already queued, then joins the threads.
 */
#ifndef PD_POOL_H
#define PD_POOL_H

struct pd_pool;

typedef void (*pd_pool_fn)(void *arg);

/* A pool of n threads (n < 1: 1). Aborts when a thread cannot be made. */
struct pd_pool *pd_pool_new(int n);

/* Queue fn(arg). Never blocks on the tasks; thread-safe. */
void pd_pool_submit(struct pd_pool *p, pd_pool_fn fn, void *arg);

/* Tasks queued or running now. */
int pd_pool_busy(struct pd_pool *p);

/* Run what is queued, join the threads and free. NULL is fine. */
void pd_pool_free(struct pd_pool *p);

#endif
