/*
 * notices.c - a small locked list of notices keyed by connection id (see notices.h).
 */
#include "warehouse/notices.h"

#include "base/alloc.h"
#include "base/strv.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct notice {
    idx_t conn_id;
    enum pd_notice_kind kind;
    char *text;
    struct notice *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct notice *head, **tail = &head;

/* Keep text (heap, taken) unless conn_id has PD_NOTICES_MAX of kind already. */
static void keep(idx_t conn_id, enum pd_notice_kind kind, char *text)
{
    struct notice *n;
    int kept = 0;

    pthread_mutex_lock(&mu);
    for (n = head; n; n = n->next)
        kept += n->conn_id == conn_id && n->kind == kind;
    if (kept < PD_NOTICES_MAX) {
        n = xmalloc(sizeof(*n));
        *n = (struct notice){conn_id, kind, text, NULL};
        *tail = n;
        tail = &n->next;
        text = NULL;
    }
    pthread_mutex_unlock(&mu);
    free(text);
}

void pd_notice_add(idx_t conn_id, const char *fmt, ...)
{
    va_list ap;
    char *text;
    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) < 0)
        text = NULL;
    va_end(ap);
    if (text)
        keep(conn_id, PD_NOTICE_WARNING, text);
}

void pd_notice_add_kind(idx_t conn_id, enum pd_notice_kind kind, const char *text)
{
    keep(conn_id, kind, xstrdup(text));
}

void pd_notices_take(idx_t conn_id, struct pd_strv *out)
{
    pd_notices_take_kind(conn_id, PD_NOTICE_WARNING, out);
}

void pd_notices_take_kind(idx_t conn_id, enum pd_notice_kind kind, struct pd_strv *out)
{
    pthread_mutex_lock(&mu);
    for (struct notice **p = &head; *p;) {
        struct notice *n = *p;
        if (n->conn_id != conn_id || n->kind != kind) {
            p = &n->next;
            continue;
        }
        *p = n->next;
        if (tail == &n->next)
            tail = p;
        pd_strv_push(out, n->text);
        free(n->text);
        free(n);
    }
    pthread_mutex_unlock(&mu);
}
