/*
 * hmap.c - string-keyed hash map (see hmap.h).
 */
#include "base/hmap.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

uint64_t pd_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static size_t slot_of(const struct pd_hmap *m, const char *key)
{
    size_t i = (size_t)pd_fnv1a(PD_FNV_SEED, key, strlen(key)) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void grow(struct pd_hmap *m)
{
    struct pd_hmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->keys = xcalloc(m->cap, sizeof(*m->keys));
    m->vals = xcalloc(m->cap, sizeof(*m->vals));
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) {
            size_t s = slot_of(m, old.keys[i]);
            m->keys[s] = old.keys[i];
            m->vals[s] = old.vals[i];
        }
    free(old.keys);
    free(old.vals);
}

void pd_hmap_put(struct pd_hmap *m, const char *key, void *val)
{
    if ((m->len + 1) * 4 > m->cap * 3)
        grow(m);
    size_t s = slot_of(m, key);
    if (!m->keys[s]) {
        m->keys[s] = xstrdup(key);
        m->len++;
    }
    m->vals[s] = val;
}

void *pd_hmap_get(const struct pd_hmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t s = slot_of(m, key);
    return m->keys[s] ? m->vals[s] : NULL;
}

int pd_hmap_has(const struct pd_hmap *m, const char *key)
{
    return m->cap && m->keys[slot_of(m, key)] != NULL;
}

void pd_hmap_clear_free(struct pd_hmap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i] && m->vals[i])
            free_val(m->vals[i]);
    pd_hmap_clear(m);
}

void pd_hmap_clear(struct pd_hmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}
