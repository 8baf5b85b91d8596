/*
 * connector.h - what every kind of source implements, and the registry of them.
 *
 * A connector is one file (conn_<type>.c) exporting one const struct
 * pd_connector; connectors.c lists them. Two kinds:
 *
 *   remote  PostgreSQL, MySQL/MariaDB, SQLite: we read the rows ourselves and
 *           hand them to DuckDB through the table function in scan.c. The
 *           connector opens a connection, lists and describes tables (mapping
 *           remote types to DuckDB types), and scans a table or a pass-through
 *           query with only the projected columns, straight into data chunks.
 *   native  DuckDB files, CSV/Parquet/JSON files, files over HTTP: DuckDB reads
 *           them itself; the connector says which tables there are and the SQL
 *           that reads each one.
 *
 * Connectors never touch the warehouse's own tables, never print, and never put
 * a secret into an error message.
 */
#ifndef PD_CONNECTOR_H
#define PD_CONNECTOR_H

#include <duckdb.h>
#include <jansson.h>
#include <stdint.h>

#include "base/strv.h"

struct pd_buf;
struct pd_err;

/*
 * What a remote value that does not fit its column's DuckDB type becomes
 * (sources.bad_values): NULL, counted and told when the statement ends (the
 * default: one odd value never fails a query); the column read as text; or an
 * error that fails the query.
 */
enum pd_bad_values { PD_BAD_NULL, PD_BAD_TEXT, PD_BAD_ERROR };

/* A source as its connector sees it: the registry row with its secret read back. */
struct pd_source {
    char *name;
    const struct pd_connector *ops;
    json_t *config;          /* type-specific settings; never a secret */
    char *secret;            /* password or token, or NULL */
    long connect_timeout_s;  /* sources.connect_timeout */
    int scan_parts;          /* sources.scan_parts: most parts a large table is read in (0: cores) */
    enum pd_bad_values bad_values; /* sources.bad_values */
    char *home;              /* the data home (the HTTP cache lives under it) */
};

/* One column of a remote table or query: DuckDB's view of it and how to read it. */
struct pd_rcol {
    char *name;
    duckdb_logical_type type;
    int kind;        /* connector-private: how to decode */
    int aux;         /* connector-private: decimal scale, element kind ... */
    char *read_expr; /* remote SQL reading the column ("x"::text); NULL: just the name */
    unsigned push;   /* PD_PUSH_*: the comparisons the remote may filter this column by */
};

/*
 * What a filter on one column may be handed to the remote as (pd_rcol.push): only
 * comparisons whose remote answer keeps every row DuckDB's own answer keeps (a
 * collation that folds case may keep more; the local WHERE stays). A connector
 * sets them in describe; a column read through an expression gets none.
 */
enum {
    PD_PUSH_EQ = 1 << 0,      /* = and IN (...) */
    PD_PUSH_NE = 1 << 1,      /* <> */
    PD_PUSH_RANGE = 1 << 2,   /* < <= > >= BETWEEN */
    PD_PUSH_LIKE = 1 << 3,    /* LIKE 'prefix%' */
    PD_PUSH_NULL = 1 << 4,    /* IS NULL: a NULL here is NULL there (no value read as NULL) */
    PD_PUSH_NOTNULL = 1 << 5, /* IS NOT NULL */
    PD_PUSH_ORDERED = PD_PUSH_EQ | PD_PUSH_NE | PD_PUSH_RANGE | PD_PUSH_NOTNULL,
};

/* How the remote writes literals for pushed filters (remote_filter.c). */
enum pd_dialect { PD_DIALECT_NONE, PD_DIALECT_POSTGRES, PD_DIALECT_MYSQL, PD_DIALECT_SQLITE };

/* The columns of a table or pass-through query, and what to read them from. */
struct pd_relation {
    struct pd_rcol *cols;
    size_t ncols;
    char *from;               /* remote FROM item: quoted table, or (query) AS q */
    struct pd_strv warnings;  /* lossy mappings ("numeric(50,2) read as DOUBLE") */
    /* Set before describe (which keeps it): with PD_BAD_TEXT, a column whose values
       may not fit the type it declares is described as VARCHAR and read as text. */
    enum pd_bad_values bad_values;
    int64_t *bad; /* per column: values read as NULL because they did not fit (or NULL) */
    /* Set before describe (owned; may be NULL): {column: DuckDB type} for columns whose
       type comes from their values (a PostgreSQL numeric without precision), as chosen
       when the source was attached; describe adds the ones it had to choose itself. */
    json_t *type_hints;
};

void pd_relation_add(struct pd_relation *rel, const char *name, duckdb_logical_type type, int kind,
                     int aux, const char *read_expr);
void pd_relation_clear(struct pd_relation *rel);

/*
 * Column i of rel got a value that does not fit its type, err saying which and why:
 * with PD_BAD_ERROR that fails the scan (returns err's code); otherwise v[row]
 * becomes NULL, the value is counted in rel->bad, err is cleared and 0 returned.
 */
int pd_bad_value(const struct pd_relation *rel, size_t i, duckdb_vector v, idx_t row,
                 struct pd_err *err);
/* A value with no meaning as its type (MySQL's zero date): NULL, counted the same way. */
void pd_null_counted(const struct pd_relation *rel, size_t i, duckdb_vector v, idx_t row);

/*
 * What one remote read asks for: columns cols[0..ncols) of the relation (an index
 * past its columns stands for DuckDB's row id), only rows matching where (remote
 * SQL, or NULL), at most limit rows (-1: all).
 */
struct pd_scan_req {
    const idx_t *cols;
    idx_t ncols;
    const char *where;
    int64_t limit;
};

/* Which columns a scan reads: output vector j gets rel->cols[cols[j]]. */
struct pd_projection {
    const struct pd_relation *rel;
    idx_t *cols; /* an index past rel's columns stands for DuckDB's row id */
    idx_t ncols;
    int64_t row; /* rows produced so far */
};

void pd_projection_init(struct pd_projection *pr, const struct pd_relation *rel, const idx_t *cols,
                        idx_t ncols);
void pd_projection_clear(struct pd_projection *pr);

/*
 * The relation column output vector v (number j) reads; NULL when it is the row
 * id, which this then writes at out_row.
 */
const struct pd_rcol *pd_projection_column(const struct pd_projection *pr, duckdb_vector v,
                                           idx_t j, idx_t out_row);

struct pd_remote; /* an open connection, connector-private */
struct pd_rscan;  /* a running scan, connector-private */

struct pd_connector {
    const char *type;    /* "postgres" */
    const char *summary; /* one line for `source types` */
    const char *options; /* attach options it uses, for --help */
    char quote;          /* how the remote quotes identifiers: '"' (when 0) or '`' */
    enum pd_dialect dialect; /* how it writes pushed filters' literals; NONE: push nothing */
    int types_from_values;   /* describe may choose a column's type from its values (type_hints):
                                attach and refresh keep the choices in the views */
    const char *password_env; /* the client's own password variable (PGPASSWORD), or NULL */

    /* Check and complete the attach options in config (move a password into *secret). */
    int (*configure)(json_t *config, char **secret, struct pd_err *err);

    /* Remote connectors. query_function names the pass-through table function. */
    const char *query_function;
    int (*open)(const struct pd_source *src, struct pd_remote **out, struct pd_err *err);
    int (*list_tables)(struct pd_remote *r, struct pd_strv *out, struct pd_err *err);
    /* Describe a table (table != NULL) or a pass-through query. */
    int (*describe)(struct pd_remote *r, const char *table, const char *query,
                    struct pd_relation *rel, struct pd_err *err);
    /* Start reading what req asks of rel (pd_scan_req). */
    int (*scan)(struct pd_remote *r, const struct pd_relation *rel, const struct pd_scan_req *req,
                struct pd_rscan **out, struct pd_err *err);
    /* Fill out with the next rows: returns how many (0 at the end), or -1 with err set. */
    long (*fetch)(struct pd_rscan *s, duckdb_data_chunk out, struct pd_err *err);
    void (*scan_close)(struct pd_rscan *s);
    /* Stop the remote statement; called from another thread while fetch blocks. */
    void (*cancel)(struct pd_remote *r);
    /*
     * Parallel reads of a table (optional). split: when the table is large enough to
     * gain from it, at most max_parts conditions (remote SQL) that together select
     * every row once, and a snapshot (heap) the parts read at: r holds it until it
     * closes. 0 parts: read it in one. join: make part, a connection of its own, see
     * that snapshot before it scans.
     */
    int (*split)(struct pd_remote *r, const struct pd_relation *rel, int max_parts,
                 struct pd_strv *parts, char **snapshot, struct pd_err *err);
    int (*join)(struct pd_remote *part, const char *snapshot, struct pd_err *err);
    /* Row count and size estimate from the remote's statistics (-1 when unknown). */
    int (*estimate)(struct pd_remote *r, const char *table, int64_t *rows, int64_t *bytes,
                    struct pd_err *err);
    void (*close)(struct pd_remote *r);

    /*
     * Native connectors: run once per process before the views are used (ATTACH,
     * fetching a file over HTTP). revalidate: check the original again even when
     * a local copy exists (attach, refresh) rather than only when there is none.
     */
    int (*load)(const struct pd_source *src, duckdb_connection conn, int revalidate,
                struct pd_err *err);
    void (*unload)(const struct pd_source *src, duckdb_connection conn);
    int (*tables)(const struct pd_source *src, duckdb_connection conn, struct pd_strv *out,
                  struct pd_err *err);
    /* Append the SQL (a FROM item) that reads table. */
    int (*relation)(const struct pd_source *src, const char *table, struct pd_buf *sql,
                    struct pd_err *err);
};

/* The connector for type, or NULL. */
const struct pd_connector *pd_connector_find(const char *type);

/* The i-th connector, or NULL past the end. */
const struct pd_connector *pd_connector_at(size_t i);

/* "postgres, mysql, ..." for messages. */
const char *pd_connector_names(void);

/* Helpers for connectors writing into a data chunk's vectors. */
void pd_vec_null(duckdb_vector v, idx_t row);
void pd_vec_str(duckdb_vector v, idx_t row, const char *s, size_t len);

/* Append name quoted with quote (" or `), the quote doubled inside. */
void pd_remote_ident(struct pd_buf *out, const char *name, char quote);

/*
 * Append "SELECT <projected columns> FROM <rel->from> [WHERE (where)] [LIMIT n]"
 * for the remote. Indexes past the relation (DuckDB's row id) read nothing; with
 * no real column the remote selects a constant so rows can still be counted.
 */
void pd_relation_select(struct pd_buf *out, const struct pd_relation *rel,
                        const struct pd_scan_req *req, char quote);

/*
 * Parse "YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]" into days since 1970 (want_date) or
 * microseconds since 1970. Returns 0, or -1 when s is not such a text.
 */
int pd_parse_datetime(const char *s, size_t len, int want_date, int64_t *out);

/*
 * Append DuckDB's reader for a data file: read_csv('path'), read_parquet(...),
 * read_json(...), with options (reader_options.h; may be NULL) as its named
 * parameters. format: "csv", "parquet", "json", or NULL/"auto" to go by the
 * extension. pd_files_reader reads several files or globs as one relation.
 */
int pd_file_reader(const char *path, const char *format, const json_t *options,
                   struct pd_buf *sql, struct pd_err *err);
int pd_files_reader(const struct pd_strv *paths, const char *format, const json_t *options,
                    struct pd_buf *sql, struct pd_err *err);

/* Check config's "path" names an existing file (the --path of type) and make it absolute. */
int pd_cfg_existing_file(json_t *config, const char *type, const char *label, struct pd_err *err);

/*
 * A table name for a data file: its name without folders and data extension,
 * anything but [A-Za-z0-9_] as '_', "t_" in front when it would start with a digit.
 */
char *pd_file_table_name(const char *path);

/* A config string member, or NULL. */
const char *pd_cfg_str(const json_t *config, const char *key);

#endif
