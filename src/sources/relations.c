/*
 * relations.c - classify warehouse relations from the source registry (see relations.h).
 */
#include "sources/relations.h"

#include "base/alloc.h"
#include "base/duck.h"
#include "base/hmap.h"
#include "base/strv.h"
#include "duckpipe/duckpipe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pd_relations {
    struct pd_hmap sources;  /* lower-case source name -> 1 */
    struct pd_hmap cached;   /* lower-case local name -> int64_t* ms */
    struct pd_hmap copies;   /* lower-case local name -> "source:SOURCE.TABLE" (in origins) */
    struct pd_strv origins;
    struct pd_hmap ingested; /* lower-case schema.table -> int64_t* ms */
    int64_t **times; /* owned; the maps point at them */
    size_t ntimes, cap;
};

static int64_t *keep_time(struct pd_relations *r, int64_t ms)
{
    int64_t *t = xmalloc(sizeof(*t));
    *t = ms;
    if (r->ntimes == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->times = xrealloc(r->times, r->cap * sizeof(*r->times));
    }
    r->times[r->ntimes++] = t;
    return t;
}

static void load_map(struct pd_relations *r, duckdb_connection conn, const char *sql,
                     struct pd_hmap *into, int with_time)
{
    duckdb_result res;
    if (duckdb_query(conn, sql, &res) == DuckDBSuccess) {
        duckdb_data_chunk chunk;
        while ((chunk = duckdb_fetch_chunk(res)) != NULL) {
            for (idx_t i = 0; i < duckdb_data_chunk_get_size(chunk); i++) {
                char *key = pd_chunk_text(chunk, 0, i);
                char *ms = with_time ? pd_chunk_text(chunk, 1, i) : NULL;
                if (key)
                    pd_hmap_put(into, key,
                                with_time ? (void *)keep_time(r, ms ? strtoll(ms, NULL, 10) : 0)
                                          : (void *)1);
                free(key);
                free(ms);
            }
            duckdb_destroy_data_chunk(&chunk);
        }
    }
    duckdb_destroy_result(&res);
}

/* Which source table each cached copy copies. */
static void load_copies(struct pd_relations *r, duckdb_connection conn)
{
    duckdb_result res;
    if (duckdb_query(conn,
                     "SELECT lower(local_name), 'source:' || source || '.' || source_table "
                     "FROM _sources.cached_tables",
                     &res) != DuckDBSuccess) {
        duckdb_destroy_result(&res);
        return;
    }
    duckdb_data_chunk chunk;
    while ((chunk = duckdb_fetch_chunk(res)) != NULL) {
        for (idx_t i = 0; i < duckdb_data_chunk_get_size(chunk); i++) {
            char *key = pd_chunk_text(chunk, 0, i), *origin = pd_chunk_text(chunk, 1, i);
            if (key && origin && !pd_hmap_has(&r->copies, key)) {
                pd_strv_push(&r->origins, origin);
                pd_hmap_put(&r->copies, key, r->origins.v[r->origins.n - 1]);
            }
            free(origin);
            free(key);
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&res);
}

struct pd_relations *pd_relations_load(duckdb_connection conn)
{
    struct pd_relations *r = xcalloc(1, sizeof(*r));
    load_map(r, conn, "SELECT lower(name) FROM _sources.attached WHERE status <> 'detached'",
             &r->sources, 0);
    load_map(r, conn,
             "SELECT lower(local_name), epoch_ms(cached_at)::VARCHAR FROM _sources.cached_tables",
             &r->cached, 1);
    load_copies(r, conn);
    load_map(r, conn,
             "SELECT lower(CASE WHEN contains(target, '.') THEN target ELSE 'main.' || target END), "
             "max(epoch_ms(finished_at))::VARCHAR FROM _sources.ingest_runs WHERE status = 'ok' "
             "GROUP BY 1",
             &r->ingested, 1);
    return r;
}

void pd_relations_free(struct pd_relations *r)
{
    if (!r)
        return;
    pd_hmap_clear(&r->sources);
    pd_hmap_clear(&r->cached);
    pd_hmap_clear(&r->copies);
    pd_strv_clear(&r->origins);
    pd_hmap_clear(&r->ingested);
    for (size_t i = 0; i < r->ntimes; i++)
        free(r->times[i]);
    free(r->times);
    free(r);
}

int pd_relations_lookup(void *arg, const char *schema, const char *table, struct dp_rel_info *info)
{
    struct pd_relations *r = arg;
    int64_t *t;
    if (!strcmp(schema, "cache") && (t = pd_hmap_get(&r->cached, table)) != NULL) {
        const char *origin = pd_hmap_get(&r->copies, table);
        info->kind = DP_REL_CACHE;
        info->changed_ms = *t;
        info->origin = origin ? xstrdup(origin) : NULL;
        return 0;
    }
    if (pd_hmap_has(&r->sources, schema)) {
        info->kind = DP_REL_SOURCE;
        info->label = xasprintf("source:%s.%s", schema, table);
        return 0;
    }
    char *key = xasprintf("%s.%s", schema, table);
    t = pd_hmap_get(&r->ingested, key);
    free(key);
    if (t) {
        info->kind = DP_REL_INGESTED;
        info->changed_ms = *t;
        return 0;
    }
    return -1;
}
