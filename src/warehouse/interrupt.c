/*
 * interrupt.c - a small locked list of cancel callbacks keyed by connection id.
 */
#include "warehouse/interrupt.h"

#include "base/alloc.h"

#include <pthread.h>
#include <stdlib.h>

struct canceler {
    uint64_t token;
    idx_t conn_id;
    pd_cancel_fn fn;
    void *arg;
    const int64_t *rows;
    struct canceler *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct canceler *head;
static uint64_t next_token = 1;

uint64_t pd_cancel_register(idx_t conn_id, pd_cancel_fn fn, void *arg, const int64_t *rows)
{
    struct canceler *c = xmalloc(sizeof(*c));
    uint64_t token;

    pthread_mutex_lock(&mu);
    token = next_token++;
    *c = (struct canceler){token, conn_id, fn, arg, rows, head};
    head = c;
    pthread_mutex_unlock(&mu);
    return token;
}

void pd_cancel_unregister(uint64_t token)
{
    pthread_mutex_lock(&mu);
    for (struct canceler **p = &head; *p; p = &(*p)->next) {
        if ((*p)->token == token) {
            struct canceler *c = *p;
            *p = c->next;
            free(c);
            break;
        }
    }
    pthread_mutex_unlock(&mu);
}

idx_t pd_connection_id(duckdb_connection conn)
{
    duckdb_client_context ctx;
    idx_t id;

    duckdb_connection_get_client_context(conn, &ctx);
    id = duckdb_client_context_get_connection_id(ctx);
    duckdb_destroy_client_context(&ctx);
    return id;
}

void pd_interrupt(duckdb_connection conn)
{
    idx_t id = pd_connection_id(conn);

    duckdb_interrupt(conn);
    /* Callbacks run under the lock, so unregister waits for a running one. */
    pthread_mutex_lock(&mu);
    for (struct canceler *c = head; c; c = c->next)
        if (c->conn_id == id)
            c->fn(c->arg);
    pthread_mutex_unlock(&mu);
}

int64_t pd_activity_rows(idx_t conn_id)
{
    int64_t sum = 0;

    pthread_mutex_lock(&mu);
    for (struct canceler *c = head; c; c = c->next)
        if (c->conn_id == conn_id && c->rows)
            sum += __atomic_load_n(c->rows, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&mu);
    return sum;
}
