/*
 * arena.c - bump allocator in chained blocks, plus a cleanup stack (see arena.h).
 */
#include "base/arena.h"

#include "base/alloc.h"

#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 16384

struct block {
    struct block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *data;
};

struct pd_arena {
    struct block *blocks;
    struct cleanup *cleanups;
};

struct pd_arena *pd_arena_new(void)
{
    return xcalloc(1, sizeof(struct pd_arena));
}

void pd_arena_free(struct pd_arena *a)
{
    if (a == NULL)
        return;
    while (a->cleanups) {
        struct cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->data);
    }
    while (a->blocks) {
        struct block *b = a->blocks;
        a->blocks = b->next;
        free(b);
    }
    free(a);
}

void *pd_arena_alloc(struct pd_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    struct block *b = a->blocks;
    void *p;

    n = (n + align - 1) & ~(align - 1);
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = xmalloc(sizeof(*b) + size);
        b->used = 0;
        b->size = size;
        /* A big one-off allocation goes behind the current block so its space is not lost. */
        if (a->blocks && size > ARENA_BLOCK) {
            b->next = a->blocks->next;
            a->blocks->next = b;
        } else {
            b->next = a->blocks;
            a->blocks = b;
        }
    }
    p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *pd_arena_strndup(struct pd_arena *a, const char *s, size_t n)
{
    char *p = pd_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *pd_arena_strdup(struct pd_arena *a, const char *s)
{
    return pd_arena_strndup(a, s, strlen(s));
}

char *pd_arena_sprintf(struct pd_arena *a, const char *fmt, ...)
{
    va_list ap, cp;
    int n;
    char *p;

    va_start(ap, fmt);
    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    p = pd_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void pd_arena_cleanup_add(struct pd_arena *a, void (*fn)(void *), void *data)
{
    struct cleanup *c = pd_arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->data = data;
    c->next = a->cleanups;
    a->cleanups = c;
}
