/*
 * sources.h - the source service: attach, list, refresh and detach sources.
 *
 * Attaching a source NAME creates schema NAME with one view per remote table,
 * so NAME.table reads live data when a query runs (through the table function
 * in scan.c for remote engines, through DuckDB's own readers for files). The
 * registry is _sources.attached; passwords go to the secret store (secrets.h).
 * Every change to the warehouse is one transaction: a failure leaves it as it
 * was. Remote sources are only ever read.
 *
 * One struct pd_sources per open warehouse: pd_sources_open registers the table
 * functions and loads the registry; it must be closed after the warehouse.
 */
#ifndef PD_SOURCES_H
#define PD_SOURCES_H

#include <jansson.h>
#include <stdint.h>

#include "base/strv.h"
#include "sources/connector.h"

struct pd_config;
struct pd_err;
struct pd_sink;
struct pd_warehouse;
struct pd_sources;

int pd_sources_open(struct pd_warehouse *wh, const struct pd_config *cfg, struct pd_sources **out,
                    struct pd_err *err);
void pd_sources_close(struct pd_sources *S);

/* What `source attach` asks for. config holds the type's options (dsn, path, url, schema ...). */
struct pd_attach_req {
    const char *name;
    const char *type;
    const char *description;
    json_t *config;      /* borrowed; the service copies what it keeps */
    const char *secret;  /* password or token given apart from config; NULL: the one in
                            config's DSN, else the engine's variable (PGPASSWORD, MYSQL_PWD) */
};

/* Tables found and lossy type mappings seen while attaching or refreshing. */
struct pd_attach_report {
    struct pd_strv tables;
    struct pd_strv added, dropped; /* refresh only */
    struct pd_strv warnings;
};
void pd_attach_report_clear(struct pd_attach_report *r);

int pd_source_attach(struct pd_sources *S, const struct pd_attach_req *req,
                     struct pd_attach_report *rep, struct pd_err *err);
/* Reach a source as attach would (connect, list its tables) without keeping anything;
   req->name (may be NULL) only names it in messages. */
int pd_source_test(struct pd_sources *S, const struct pd_attach_req *req, struct pd_strv *tables,
                   struct pd_err *err);
int pd_source_refresh(struct pd_sources *S, const char *name, struct pd_attach_report *rep,
                      struct pd_err *err);
int pd_source_detach(struct pd_sources *S, const char *name, struct pd_err *err);

/* Rows of the registry (all = include detached ones) / one source / its tables, into sink. */
int pd_source_list(struct pd_sources *S, int all, struct pd_sink *sink, struct pd_err *err);
int pd_source_show(struct pd_sources *S, const char *name, struct pd_sink *sink,
                   struct pd_err *err);
int pd_source_tables(struct pd_sources *S, const char *name, struct pd_sink *sink,
                     struct pd_err *err);

/* The remote's row count and size estimate for NAME.table (-1 when it cannot tell). */
int pd_source_estimate(struct pd_sources *S, const char *name, const char *table, int64_t *rows,
                       int64_t *bytes, struct pd_err *err);


/*
 * A deep copy of attached source name (with its secret), for a scan or the cache
 * service. PD_ENOTFOUND when there is none. Free with pd_source_free.
 */
int pd_sources_get(struct pd_sources *S, const char *name, struct pd_source *out,
                   struct pd_err *err);
void pd_source_free(struct pd_source *src);

/*
 * A source that lives only in this process (an ingest recipe's inline source):
 * configured and checked like an attached one, given a generated name (*name,
 * heap), never written to the registry. Remove it when done.
 */
int pd_sources_add_temporary(struct pd_sources *S, const char *type, json_t *config,
                             const char *secret, char **name, struct pd_err *err);
void pd_sources_remove_temporary(struct pd_sources *S, const char *name);

/* The warehouse these sources belong to. */
struct pd_warehouse *pd_sources_warehouse(struct pd_sources *S);

/* A lossy type mapping met while binding source.table (reported by attach and refresh). */
void pd_sources_warn(struct pd_sources *S, const char *source, const char *table,
                     const char *warning);

/*
 * Whether name is an attached remote source (PostgreSQL, MySQL, SQLite: read by
 * pd_source_scan), compared without case; *source gets its name as attached (heap).
 */
int pd_sources_is_remote(struct pd_sources *S, const char *name, char **source);

/* Register the scan table functions (scan.c) on conn, once per database. */
int pd_scan_register(struct pd_sources *S, duckdb_connection conn, struct pd_err *err);

#endif
