/*
 * store.h - Pluto Cloud's PostgreSQL: a pool of libpq connections, queries
 * with parameters (never text pasted into SQL), transactions, and rows as
 * JSON.
 *
 * The server keeps no state of its own: everything several pluto-cloud
 * processes must agree on lives here. A connection that breaks (the database
 * restarted) fails its request with PD_EUNAVAIL (503) and is reconnected when
 * it is next borrowed, so the server recovers without a restart.
 *
 * Errors map to codes a client can act on: a unique violation is PD_EEXIST
 * (409), a check or foreign-key violation PD_EINVAL, a lost connection
 * PD_EUNAVAIL; anything else is PD_EINTERNAL, its detail only in the log.
 */
#ifndef PD_CLOUD_STORE_H
#define PD_CLOUD_STORE_H

#include <jansson.h>
#include <libpq-fe.h>

struct pd_err;
struct cl_store;

/* A connection borrowed from the pool. */
struct cl_db {
    PGconn *conn;
    int in_tx;
    int broken; /* a statement failed for the connection's sake: reset before reuse */
};

/* A pool of at most size connections to dsn (connects lazily; checks one now). */
int cl_store_open(struct cl_store **out, const char *dsn, int size, struct pd_err *err);
void cl_store_close(struct cl_store *s);

/* Borrow a connection (waits for one when all are out), or NULL with PD_EUNAVAIL. */
struct cl_db *cl_db_get(struct cl_store *s, struct pd_err *err);
/* Give it back (a transaction still open is rolled back). */
void cl_db_put(struct cl_store *s, struct cl_db *db);

/*
 * Run sql with n text parameters ($1..$n; a NULL one is SQL NULL). Returns the
 * result (free with PQclear) or NULL with err set as above.
 */
PGresult *cl_db_exec(struct cl_db *db, const char *sql, int n, const char *const *params,
                     struct pd_err *err);
/* The same, for a statement whose rows are not wanted: 0 or the code. */
int cl_db_run(struct cl_db *db, const char *sql, int n, const char *const *params,
              struct pd_err *err);

#define CL_ARGS(...) (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                     (const char *const[]){__VA_ARGS__}

int cl_db_begin(struct cl_db *db, struct pd_err *err);
int cl_db_commit(struct cl_db *db, struct pd_err *err);
void cl_db_rollback(struct cl_db *db);

/*
 * Run fn(db, arg, err) in one transaction on a borrowed connection: committed
 * when fn returns 0, rolled back otherwise (nothing it did is kept). A
 * serialization failure or deadlock is retried a few times.
 */
typedef int (*cl_tx_fn)(struct cl_db *db, void *arg, struct pd_err *err);
int cl_store_tx(struct cl_store *s, cl_tx_fn fn, void *arg, struct pd_err *err);
/*
 * The same for work that only reads, without BEGIN and COMMIT: at READ
 * COMMITTED each statement sees its own snapshot inside a transaction too, so
 * a read loses nothing and saves two round trips.
 */
int cl_store_read(struct cl_store *s, cl_tx_fn fn, void *arg, struct pd_err *err);

/*
 * The rows of columns (a SELECT ... FROM ...) followed by rest (WHERE ...,
 * ORDER BY ...; NULL: none) as JSON: with one, the first row as an object, or
 * NULL with PD_ENOTFOUND "no WHAT" when there is none; else an array of
 * objects. NULL with err on a failed query.
 */
json_t *cl_db_select(struct cl_db *db, const char *columns, const char *rest, int one,
                     const char *what, int n, const char *const *params, struct pd_err *err);
/* How many rows a statement (UPDATE, DELETE) changed, or -1 with err. */
long cl_db_changed(struct cl_db *db, const char *sql, int n, const char *const *params,
                   struct pd_err *err);

/*
 * Row i of a result as a JSON object, each column by its type: booleans,
 * integers, numbers, json/jsonb parsed, timestamps as RFC 3339 UTC
 * ("2026-12-03T17:49:11.123456Z"), everything else as text; NULL as null.
 */
json_t *cl_row_json(const PGresult *res, int i);
/* Every row, as an array of such objects. */
json_t *cl_rows_json(const PGresult *res);
/* Column col of row i as text ("" for NULL). */
const char *cl_val(const PGresult *res, int i, const char *col);

#endif
