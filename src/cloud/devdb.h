/*
 * devdb.h - the private PostgreSQL cluster of `pluto-cloud serve --dev`:
 * created under the data directory on first use with Debian's PostgreSQL
 * (initdb, pg_ctl), listening only on a Unix socket in a 0700 folder, started
 * with the server and stopped when it exits.
 */
#ifndef PD_CLOUD_DEVDB_H
#define PD_CLOUD_DEVDB_H

struct pd_err;
struct cl_devdb;

/*
 * Create (first time) and start the cluster under dir/postgres; *dsn is the
 * connection string to its database (owned by the devdb). PD_ECONFIG when no
 * PostgreSQL is installed, PD_ELOCKED when another server runs it already.
 */
int cl_devdb_start(struct cl_devdb **out, const char *dir, const char **dsn, struct pd_err *err);
/* Stop the cluster (fast shutdown) and free. NULL is fine. */
void cl_devdb_stop(struct cl_devdb *d);

#endif
