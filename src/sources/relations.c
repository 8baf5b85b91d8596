/*
 * relations.c - classify warehouse relations from the source registry (see relations.h).
 */
#include "sources/relations.h"

#include "base/alloc.h"
#include "base/duck.h"
#include "base/hmap.h"
#include "duckpipe/duckpipe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* When a relation last changed and, for a cached copy, the table it copies. */
struct stamp {
    int64_t ms;
    char *origin; /* "source:SOURCE.TABLE", or NULL */
};

struct pd_relations {
    struct pd_hmap sources;  /* lower-case source name -> 1 */
    struct pd_hmap cached;   /* lower-case local name -> struct stamp* */
    struct pd_hmap ingested; /* lower-case schema.table -> struct stamp* */
    struct stamp **stamps;   /* owned; the maps point at them */
    size_t nstamps, cap;
};

static struct stamp *keep_stamp(struct pd_relations *r, int64_t ms, char *origin)
{
    struct stamp *t = xmalloc(sizeof(*t));
    *t = (struct stamp){ms, origin};
    if (r->nstamps == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->stamps = xrealloc(r->stamps, r->cap * sizeof(*r->stamps));
    }
    r->stamps[r->nstamps++] = t;
    return t;
}

/*
 * Fill into from sql's rows: a key, then (with_stamp) when it changed in ms and,
 * when the query has a third column, what it copies.
 */
static void load_map(struct pd_relations *r, duckdb_connection conn, const char *sql,
                     struct pd_hmap *into, int with_stamp)
{
    duckdb_result res;
    if (duckdb_query(conn, sql, &res) == DuckDBSuccess) {
        int origins = duckdb_column_count(&res) > 2;
        duckdb_data_chunk chunk;
        while ((chunk = duckdb_fetch_chunk(res)) != NULL) {
            for (idx_t i = 0; i < duckdb_data_chunk_get_size(chunk); i++) {
                char *key = pd_chunk_text(chunk, 0, i);
                char *ms = with_stamp ? pd_chunk_text(chunk, 1, i) : NULL;
                char *origin = origins ? pd_chunk_text(chunk, 2, i) : NULL;
                if (key && !pd_hmap_has(into, key))
                    pd_hmap_put(into, key,
                                with_stamp ? (void *)keep_stamp(r, ms ? strtoll(ms, NULL, 10) : 0,
                                                                origin)
                                           : (void *)1);
                else
                    free(origin);
                free(key);
                free(ms);
            }
            duckdb_destroy_data_chunk(&chunk);
        }
    }
    duckdb_destroy_result(&res);
}

struct pd_relations *pd_relations_load(duckdb_connection conn)
{
    struct pd_relations *r = xcalloc(1, sizeof(*r));
    load_map(r, conn, "SELECT lower(name) FROM _sources.attached WHERE status <> 'detached'",
             &r->sources, 0);
    load_map(r, conn,
             "SELECT lower(local_name), epoch_ms(cached_at)::VARCHAR, "
             "'source:' || source || '.' || source_table FROM _sources.cached_tables",
             &r->cached, 1);
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
    pd_hmap_clear(&r->ingested);
    for (size_t i = 0; i < r->nstamps; i++) {
        free(r->stamps[i]->origin);
        free(r->stamps[i]);
    }
    free(r->stamps);
    free(r);
}

int pd_relations_lookup(void *arg, const char *schema, const char *table, struct dp_rel_info *info)
{
    struct pd_relations *r = arg;
    struct stamp *t;
    if (!strcmp(schema, "cache") && (t = pd_hmap_get(&r->cached, table)) != NULL) {
        info->kind = DP_REL_CACHE;
        info->changed_ms = t->ms;
        info->origin = t->origin ? xstrdup(t->origin) : NULL;
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
        info->changed_ms = t->ms;
        return 0;
    }
    return -1;
}
