/*
 * hmap.h - a string-keyed hash map (open addressing, FNV-1a). Keys are copied;
 * values are borrowed pointers. Not thread-safe.
 */
#ifndef PD_HMAP_H
#define PD_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct pd_hmap {
    char **keys;
    void **vals;
    size_t cap, len;
};

#define PD_HMAP_INIT {NULL, NULL, 0, 0}

/* Set key to val (replacing). */
void pd_hmap_put(struct pd_hmap *m, const char *key, void *val);

/* The value of key, or NULL. */
void *pd_hmap_get(const struct pd_hmap *m, const char *key);

/* 1 when key is present (its value may be NULL). */
int pd_hmap_has(const struct pd_hmap *m, const char *key);

void pd_hmap_clear(struct pd_hmap *m);

/* Clear, handing each value that is not NULL to free_val first (the map owns its values). */
void pd_hmap_clear_free(struct pd_hmap *m, void (*free_val)(void *));

/* 64-bit FNV-1a of n bytes, continuing from h (start with PD_FNV_SEED). */
#define PD_FNV_SEED 1469598103934665603ULL
uint64_t pd_fnv1a(uint64_t h, const void *data, size_t n);

#endif
