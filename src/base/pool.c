/*
 * pool.c - the thread pool (see pool.h): a mutex, a condition variable and a
 * singly linked queue.
 */
#include "base/pool.h"

#include "base/alloc.h"

#include <pthread.h>
#include <stdlib.h>

struct task {
    pd_pool_fn fn;
    void *arg;
    struct task *next;
};

struct pd_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct task *head, **tail;
    int stopping, busy, n;
    pthread_t *threads;
};

static void *pool_main(void *arg)
{
    struct pd_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct task *t;
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->head == NULL)
            break;
        t = p->head;
        p->head = t->next;
        if (p->head == NULL)
            p->tail = &p->head;
        pthread_mutex_unlock(&p->mu);
        t->fn(t->arg);
        free(t);
        pthread_mutex_lock(&p->mu);
        p->busy--;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct pd_pool *pd_pool_new(int n)
{
    struct pd_pool *p = xcalloc(1, sizeof(*p));
    p->n = n < 1 ? 1 : n;
    p->tail = &p->head;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = xcalloc((size_t)p->n, sizeof(*p->threads));
    for (int i = 0; i < p->n; i++)
        if (pthread_create(&p->threads[i], NULL, pool_main, p) != 0)
            PD_BUG("pd_pool_new: cannot create a thread");
    return p;
}

void pd_pool_submit(struct pd_pool *p, pd_pool_fn fn, void *arg)
{
    struct task *t = xcalloc(1, sizeof(*t));
    t->fn = fn;
    t->arg = arg;
    pthread_mutex_lock(&p->mu);
    *p->tail = t;
    p->tail = &t->next;
    p->busy++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int pd_pool_busy(struct pd_pool *p)
{
    int n;
    pthread_mutex_lock(&p->mu);
    n = p->busy;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void pd_pool_free(struct pd_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}
