/*
 * migrate.c - applies the compiled-in migrations (see migrate.h).
 */
#include "cloud/migrate.h"

#include "cloud/store.h"

#include "base/err.h"
#include "base/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

extern const char cl_migration_001[];
extern const char cl_migration_002[];
extern const char cl_migration_003[];
extern const char cl_migration_004[];
extern const char cl_migration_005[];
extern const char cl_migration_006[];
extern const char cl_migration_007[];

static const struct {
    int version;
    const char *name;
    const char *sql;
} migrations[] = {
    {1, "accounts", cl_migration_001},
    {2, "pipelines", cl_migration_002},
    {3, "runs", cl_migration_003},
    {4, "schedules", cl_migration_004},
    {5, "collaboration", cl_migration_005},
    {6, "pinning", cl_migration_006},
    {7, "snapshots", cl_migration_007},
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

/* The key of the advisory lock migrations hold ("pluto-cloud migrate"). */
#define MIGRATE_LOCK "7290431190183"

int cl_schema_version(void) { return migrations[N_MIGRATIONS - 1].version; }

static int apply(struct cl_db *db, int *applied, struct pd_err *err)
{
    PGresult *res;
    int current, rc;
    unsigned char secret[32];
    char hex[65], bytea[68];

    if (applied)
        *applied = 0; /* a retried transaction counts again */
    if ((rc = cl_db_run(db, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", 0, NULL, err)) ||
        (rc = cl_db_run(db,
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
                        "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                        0, NULL, err)))
        return rc;
    if ((res = cl_db_exec(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL,
                          err)) == NULL)
        return err->code;
    current = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (current > cl_schema_version())
        return pd_fail(err, PD_ECONFIG,
                       "the database's schema is version %d, newer than this pluto-cloud knows "
                       "(%d): upgrade pluto-cloud",
                       current, cl_schema_version());
    for (int i = 0; i < N_MIGRATIONS; i++) {
        char version[16];
        if (migrations[i].version <= current)
            continue;
        res = PQexec(db->conn, migrations[i].sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
            rc = pd_fail(err, PD_EINTERNAL, "migration %03d_%s failed: %s", migrations[i].version,
                         migrations[i].name, PQresultErrorMessage(res));
            PQclear(res);
            return rc;
        }
        PQclear(res);
        snprintf(version, sizeof(version), "%d", migrations[i].version);
        if ((rc = cl_db_run(db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                            CL_ARGS(version, migrations[i].name), err)))
            return rc;
        pd_log(PD_LOG_INFO, "migration applied", "{s:i, s:s}", "version",
               migrations[i].version, "name", migrations[i].name);
        if (applied)
            (*applied)++;
    }
    /* The key that signs access tokens, made once for every server on this database. */
    randombytes_buf(secret, sizeof(secret));
    sodium_bin2hex(hex, sizeof(hex), secret, sizeof(secret));
    snprintf(bytea, sizeof(bytea), "\\x%s", hex);
    sodium_memzero(secret, sizeof(secret));
    rc = cl_db_run(db,
                   "INSERT INTO server_keys (id, jwt_secret) VALUES (1, $1::bytea) "
                   "ON CONFLICT (id) DO NOTHING",
                   CL_ARGS(bytea), err);
    sodium_memzero(bytea, sizeof(bytea));
    return rc;
}

static int apply_tx(struct cl_db *db, void *arg, struct pd_err *err)
{
    return apply(db, arg, err);
}

int cl_migrate(struct cl_store *s, int *applied, struct pd_err *err)
{
    int n = 0, rc = cl_store_tx(s, apply_tx, &n, err);
    if (applied)
        *applied = rc == 0 ? n : 0;
    return rc;
}
