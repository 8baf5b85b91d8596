/*
 * migrate.h - the versioned schema of Pluto Cloud's database.
 *
 * Migrations are numbered SQL files (src/cloud/migrations/NNN_name.sql,
 * compiled in), applied in order, each once, recorded in schema_migrations.
 * Several servers starting at once on one database take an advisory lock, so
 * one applies and the others find it done. A database newer than this build
 * (a migration it does not know) is refused rather than used.
 */
#ifndef PD_CLOUD_MIGRATE_H
#define PD_CLOUD_MIGRATE_H

struct cl_store;
struct pd_err;

/* Bring the schema up to date; *applied (may be NULL) counts what was applied now. */
int cl_migrate(struct cl_store *s, int *applied, struct pd_err *err);

/* The latest version this build knows. */
int cl_schema_version(void);

#endif
