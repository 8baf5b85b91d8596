/*
 * arena.h - per-operation memory with cleanups.
 *
 * One operation (a CLI command, an HTTP request, an agent step) owns an arena;
 * everything allocated from it dies with pd_arena_free. Resources that are not
 * memory (a duckdb_result, a FILE*) register a cleanup that runs at free time,
 * newest first (nginx pool cleanups). Not thread-safe: one arena, one thread.
 */
#ifndef PD_ARENA_H
#define PD_ARENA_H

#include <stddef.h>

struct pd_arena;

/* A new empty arena. Never NULL (allocation aborts on OOM). */
struct pd_arena *pd_arena_new(void);

/* Run the cleanups (newest first), then free all memory and the arena itself. NULL is fine. */
void pd_arena_free(struct pd_arena *a);

/* n bytes aligned for any type, zeroed; valid until the arena is freed. */
void *pd_arena_alloc(struct pd_arena *a, size_t n);

/* Copies of strings, and printf output, living in the arena. */
char *pd_arena_strdup(struct pd_arena *a, const char *s);
char *pd_arena_strndup(struct pd_arena *a, const char *s, size_t n);
char *pd_arena_sprintf(struct pd_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Call fn(data) when the arena is freed. */
void pd_arena_cleanup_add(struct pd_arena *a, void (*fn)(void *), void *data);

#endif
