/*
 * relations.h - what the source registry knows about warehouse relations, for
 * duckpipe's freshness and lineage: which schemas are live views over remote
 * sources, and when each cached or ingested table last changed.
 */
#ifndef PD_RELATIONS_H
#define PD_RELATIONS_H

#include <duckdb.h>

struct dp_rel_info;
struct pd_relations;

/* Read the registry once (attached sources, cached tables, ingestion runs). */
struct pd_relations *pd_relations_load(duckdb_connection conn);
void pd_relations_free(struct pd_relations *r);

/* A struct dp_env relation hook: arg is a struct pd_relations. */
int pd_relations_lookup(void *arg, const char *schema, const char *table, struct dp_rel_info *info);

#endif
