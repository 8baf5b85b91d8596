/*
 * conns.c - connection limits, time limits and eviction (see conns.h).
 *
 * A doubly linked list of entries in the order they entered their state, so
 * the oldest closable one is found from the head. Entries are only removed by
 * http_conns_closed, which libmicrohttpd calls before it closes the socket; the
 * lock held around shutdown(2) makes sure the fd shut is still the
 * connection's own.
 */
#include "http/conns.h"

#include "base/alloc.h"
#include "base/log.h"
#include "base/timeutil.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum conn_state { CONN_WAITING, CONN_HEAD, CONN_RECEIVING, CONN_BUSY };

struct http_conn {
    int fd;
    unsigned char addr[16];
    int addr_len;
    enum conn_state state;
    int requests;    /* requests begun on it */
    double since;    /* pd_mono_s when it entered its state */
    int closing;     /* shut down, waiting for libmicrohttpd to notice */
    struct http_conn *prev, *next;
};

struct http_conns {
    struct http_conns_opts o;
    pthread_mutex_t mu;
    struct http_conn *head, *tail; /* by time entered the state, oldest first */
    int open;                     /* entries not closing */
};

static int addr_key(const struct sockaddr *sa, socklen_t len, unsigned char out[16])
{
    if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

struct http_conns *http_conns_new(const struct http_conns_opts *o)
{
    struct http_conns *c = xcalloc(1, sizeof(*c));
    c->o = *o;
    if (c->o.max_total <= 0)
        c->o.max_total = 1024;
    if (c->o.max_per_addr <= 0)
        c->o.max_per_addr = 256;
    if (c->o.head_timeout_s <= 0)
        c->o.head_timeout_s = 10;
    if (c->o.idle_timeout_s <= 0)
        c->o.idle_timeout_s = 60;
    if (c->o.body_timeout_s <= 0)
        c->o.body_timeout_s = 60;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void http_conns_free(struct http_conns *c)
{
    if (c == NULL)
        return;
    for (struct http_conn *e = c->head, *n; e; e = n) {
        n = e->next;
        free(e);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void unlink_entry(struct http_conns *c, struct http_conn *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void append_entry(struct http_conns *c, struct http_conn *e)
{
    e->prev = c->tail;
    e->next = NULL;
    if (c->tail)
        c->tail->next = e;
    else
        c->head = e;
    c->tail = e;
}

/* Shut e's socket down (c->mu held); libmicrohttpd closes it on its next look. */
static void close_entry(struct http_conns *c, struct http_conn *e, const char *why)
{
    if (e->closing)
        return;
    e->closing = 1;
    c->open--;
    shutdown(e->fd, SHUT_RDWR);
    pd_log(PD_LOG_DEBUG, "connection closed by the server", "{s:s, s:i}", "reason", why,
           "requests", e->requests);
}

/* The oldest closable entry (of this address when key is given), or NULL. */
static struct http_conn *oldest_closable(struct http_conns *c, const unsigned char *key, int klen)
{
    for (struct http_conn *e = c->head; e; e = e->next) {
        if (e->closing || e->state == CONN_BUSY)
            continue;
        if (key && (e->addr_len != klen || memcmp(e->addr, key, (size_t)klen) != 0))
            continue;
        return e;
    }
    return NULL;
}

int http_conns_admit(struct http_conns *c, const struct sockaddr *addr, socklen_t len)
{
    unsigned char key[16];
    int klen = addr_key(addr, len, key), same = 0, ok = 1;
    pthread_mutex_lock(&c->mu);
    for (struct http_conn *e = c->head; e; e = e->next)
        if (!e->closing && e->addr_len == klen && memcmp(e->addr, key, (size_t)klen) == 0)
            same++;
    if (same >= c->o.max_per_addr) {
        struct http_conn *e = oldest_closable(c, key, klen);
        if (e)
            close_entry(c, e, "too many connections from one address");
        else
            ok = 0;
    }
    if (ok && c->open >= c->o.max_total) {
        struct http_conn *e = oldest_closable(c, NULL, 0);
        if (e)
            close_entry(c, e, "too many connections");
        else
            ok = 0;
    }
    pthread_mutex_unlock(&c->mu);
    if (!ok)
        pd_log(PD_LOG_WARN, "connection refused: every connection is busy", "{s:i}", "limit",
               same >= c->o.max_per_addr ? c->o.max_per_addr : c->o.max_total);
    return ok;
}

struct http_conn *http_conns_opened(struct http_conns *c, int fd, const struct sockaddr *addr,
                                  socklen_t len)
{
    struct http_conn *e = xcalloc(1, sizeof(*e));
    e->fd = fd;
    e->addr_len = addr_key(addr, len, e->addr);
    e->state = CONN_WAITING;
    e->since = pd_mono_s();
    pthread_mutex_lock(&c->mu);
    c->open++;
    append_entry(c, e);
    pthread_mutex_unlock(&c->mu);
    return e;
}

void http_conns_closed(struct http_conns *c, struct http_conn *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    unlink_entry(c, e);
    if (!e->closing)
        c->open--;
    pthread_mutex_unlock(&c->mu);
    free(e);
}

static void set_state(struct http_conns *c, struct http_conn *e, enum conn_state st)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    if (st == CONN_HEAD)
        e->requests++;
    e->state = st;
    e->since = pd_mono_s();
    unlink_entry(c, e);
    append_entry(c, e);
    pthread_mutex_unlock(&c->mu);
}

void http_conn_head(struct http_conns *c, struct http_conn *e)
{
    set_state(c, e, CONN_HEAD);
}

void http_conn_receiving(struct http_conns *c, struct http_conn *e)
{
    set_state(c, e, CONN_RECEIVING);
}

void http_conn_busy(struct http_conns *c, struct http_conn *e)
{
    set_state(c, e, CONN_BUSY);
}

void http_conn_waiting(struct http_conns *c, struct http_conn *e)
{
    set_state(c, e, CONN_WAITING);
}

void http_conns_sweep(struct http_conns *c)
{
    double now = pd_mono_s();
    pthread_mutex_lock(&c->mu);
    for (struct http_conn *e = c->head; e; e = e->next) {
        double limit;
        const char *why;
        if (e->closing || e->state == CONN_BUSY)
            continue;
        if (e->state == CONN_RECEIVING)
            limit = c->o.body_timeout_s, why = "request body too slow";
        else if (e->state == CONN_HEAD || e->requests == 0)
            limit = c->o.head_timeout_s, why = "no request head in time";
        else
            limit = c->o.idle_timeout_s, why = "idle";
        if (now - e->since >= limit)
            close_entry(c, e, why);
    }
    pthread_mutex_unlock(&c->mu);
}

int http_conns_count(struct http_conns *c)
{
    int n;
    pthread_mutex_lock(&c->mu);
    n = c->open;
    pthread_mutex_unlock(&c->mu);
    return n;
}

int http_conns_max(const struct http_conns *c)
{
    return c->o.max_total;
}
