/*
 * warehouse.c - open/lock/migrate/pool for the DuckDB file (see warehouse.h).
 */
#include "warehouse/warehouse.h"
#include "warehouse/journal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strv.h"
#include "duckpipe/duckpipe.h"
#include "sync/outbox.h"
#include "warehouse/value.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX 8

/* Bookkeeping rows (history, job records) are committed in batches this often. */
#define JOURNAL_INTERVAL_MS 100

struct pd_warehouse {
    duckdb_database db;
    char *path;
    int schema_version;
    pthread_mutex_t lock;
    duckdb_connection idle[POOL_MAX];
    int n_idle;
    struct pd_journal *journal;
    pd_statement_hook before_statement;
    void *before_statement_arg;
};

/*
 * The internal schemas' migrations, in order. A step is applied once, in one
 * transaction; later issues append steps (never edit a shipped one).
 */
static const struct migration {
    int version;
    const char *name;
    const char *sql;
} migrations[] = {
    {1, "query history",
     "CREATE SCHEMA IF NOT EXISTS _pluto;"
     "CREATE TABLE _pluto.query_history ("
     "  id VARCHAR PRIMARY KEY,"
     "  sql VARCHAR NOT NULL,"
     "  statement_type VARCHAR,"
     "  started_at TIMESTAMPTZ NOT NULL,"
     "  duration_ms DOUBLE NOT NULL,"
     "  rows BIGINT,"
     "  status VARCHAR NOT NULL,"
     "  error VARCHAR,"
     "  origin VARCHAR NOT NULL"
     ");"},
    {2, "sources",
     "CREATE SCHEMA IF NOT EXISTS _sources;"
     "CREATE SCHEMA IF NOT EXISTS cache;"
     "CREATE TABLE _sources.attached ("
     "  name VARCHAR PRIMARY KEY,"
     "  type VARCHAR NOT NULL,"
     "  config JSON NOT NULL,"
     "  status VARCHAR NOT NULL,"
     "  error VARCHAR,"
     "  description VARCHAR,"
     "  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
     "  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()"
     ");"
     "CREATE TABLE _sources.cached_tables ("
     "  local_name VARCHAR PRIMARY KEY,"
     "  source VARCHAR NOT NULL,"
     "  source_table VARCHAR NOT NULL,"
     "  filter VARCHAR,"
     "  rows BIGINT NOT NULL,"
     "  cached_at TIMESTAMPTZ NOT NULL,"
     "  expires_at TIMESTAMPTZ"
     ");"
     "CREATE TABLE _sources.ingest_runs ("
     "  id VARCHAR PRIMARY KEY,"
     "  recipe VARCHAR NOT NULL,"
     "  source VARCHAR,"
     "  target VARCHAR NOT NULL,"
     "  mode VARCHAR NOT NULL,"
     "  rows BIGINT,"
     "  started_at TIMESTAMPTZ NOT NULL,"
     "  finished_at TIMESTAMPTZ,"
     "  status VARCHAR NOT NULL,"
     "  error VARCHAR,"
     "  watermark VARCHAR"
     ");"},
    {3, "duckpipe", DP_STATE_DDL},
    {4, "server: jobs, projects, boards",
     "CREATE TABLE _pluto.jobs ("
     "  id VARCHAR PRIMARY KEY,"
     "  kind VARCHAR NOT NULL,"
     "  status VARCHAR NOT NULL,"
     "  started_at TIMESTAMPTZ NOT NULL,"
     "  finished_at TIMESTAMPTZ,"
     "  error VARCHAR,"
     "  args JSON"
     ");"
     "CREATE TABLE _pluto.projects ("
     "  id VARCHAR PRIMARY KEY,"
     "  description VARCHAR,"
     "  created_at TIMESTAMPTZ NOT NULL DEFAULT now()"
     ");"
     "INSERT INTO _pluto.projects (id, description) VALUES ('default', 'the default project');"
     "CREATE TABLE _pluto.boards ("
     "  id VARCHAR PRIMARY KEY,"
     "  project VARCHAR NOT NULL,"
     "  name VARCHAR NOT NULL,"
     "  description VARCHAR,"
     "  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
     "  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()"
     ");"
     "CREATE TABLE _pluto.board_items ("
     "  id VARCHAR PRIMARY KEY,"
     "  board_id VARCHAR NOT NULL,"
     "  type VARCHAR NOT NULL,"
     "  title VARCHAR,"
     "  position JSON NOT NULL,"
     "  payload JSON NOT NULL,"
     "  render JSON,"
     "  snapshot JSON,"
     "  snapshot_at TIMESTAMPTZ,"
     "  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
     "  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()"
     ");"},
    /* Rows of _pluto.jobs were updated by concurrent jobs; DuckDB 1.4 can
       invalidate the database on such updates, so the record is append-only. */
    {5, "server: jobs as an append-only log",
     "CREATE TABLE _pluto.job_log ("
     "  job_id VARCHAR NOT NULL,"
     "  kind VARCHAR NOT NULL,"
     "  seq INTEGER NOT NULL," /* 0: started, 1: ended */
     "  status VARCHAR NOT NULL,"
     "  logged_at TIMESTAMPTZ NOT NULL,"
     "  error VARCHAR,"
     "  args JSON"
     ");"
     "INSERT INTO _pluto.job_log SELECT id, kind, 0, 'running', started_at, NULL, args"
     "  FROM _pluto.jobs;"
     "INSERT INTO _pluto.job_log SELECT id, kind, 1, status, coalesce(finished_at, now()), error,"
     "  NULL FROM _pluto.jobs WHERE status <> 'running';"
     "DROP TABLE _pluto.jobs;"
     "CREATE VIEW _pluto.jobs AS SELECT job_id AS id, any_value(kind) AS kind,"
     "  arg_max(status, seq) AS status, min(logged_at) AS started_at,"
     "  max(logged_at) FILTER (WHERE seq = 1) AS finished_at, max(error) AS error,"
     "  any_value(args) FILTER (WHERE seq = 0) AS args"
     "  FROM _pluto.job_log GROUP BY job_id;"},
    /* Conversations are written append-only too (no UPDATE): a conversation's
       last activity is its newest message. */
    {6, "agent: conversations, messages, run events",
     "CREATE TABLE _pluto.conversations ("
     "  id VARCHAR PRIMARY KEY,"
     "  project VARCHAR NOT NULL,"
     "  title VARCHAR NOT NULL,"
     "  created_at TIMESTAMPTZ NOT NULL DEFAULT now()"
     ");"
     "CREATE TABLE _pluto.messages ("
     "  conversation_id VARCHAR NOT NULL,"
     "  run_id VARCHAR,"
     "  role VARCHAR NOT NULL," /* user, assistant */
     "  content VARCHAR NOT NULL,"
     "  data JSON," /* assistant: {sql, result, chart, answered, error} */
     "  created_at TIMESTAMPTZ NOT NULL DEFAULT now()"
     ");"
     "CREATE TABLE _pluto.agent_events ("
     "  run_id VARCHAR NOT NULL,"
     "  sequence BIGINT NOT NULL,"
     "  event JSON NOT NULL"
     ");"},
    /* Documents that hold result rows are kept as the text we wrote: DuckDB's JSON
       type reads numbers as doubles (a DECIMAL(20,5) lost digits, a HUGEINT became
       2.77e+27). Readers embed them with pd_json_unembed. */
    {7, "result documents as text: exact numbers",
     "ALTER TABLE _pluto.board_items ALTER snapshot SET DATA TYPE VARCHAR;"
     "ALTER TABLE _pluto.messages ALTER data SET DATA TYPE VARCHAR;"
     "ALTER TABLE _pluto.agent_events ALTER event SET DATA TYPE VARCHAR;"},
    {8, "the cloud outbox and the runs of schedules", PD_OUTBOX_DDL},
    {9, "a board's filter bar", "ALTER TABLE _pluto.boards ADD COLUMN filters VARCHAR;"},
};

const char *pd_duckdb_version(void)
{
    return duckdb_library_version();
}

/* DuckDB says: Could not set lock on file "X": Conflicting lock is held in EXE (PID N) ... */
static int lock_error(const char *path, const char *msg, struct pd_err *err)
{
    const char *held = strstr(msg, "held in ");
    const char *pid = strstr(msg, "(PID ");
    if (held && pid && pid > held) {
        const char *exe = held + strlen("held in ");
        int exe_len = (int)(pid - exe);
        while (exe_len > 0 && exe[exe_len - 1] == ' ')
            exe_len--;
        return pd_fail(err, PD_ELOCKED,
                       "warehouse '%s' is in use by another process (pid %ld, %.*s): close it, "
                       "or stop the other pluto-duck, and try again",
                       path, strtol(pid + 5, NULL, 10), exe_len, exe);
    }
    return pd_fail(err, PD_ELOCKED,
                   "warehouse '%s' is in use by another process: close it and try again (%s)",
                   path, msg);
}

static int set_option(duckdb_config cfg, const char *name, const char *value, struct pd_err *err)
{
    if (duckdb_set_config(cfg, name, value) == DuckDBError)
        return pd_fail(err, PD_ECONFIG, "DuckDB rejected setting %s = '%s'", name, value);
    return 0;
}

/* The applied schema version, or -1 when the migrations table does not exist yet. */
static int applied_version(duckdb_connection conn)
{
    duckdb_result res;
    duckdb_data_chunk chunk;
    int version = -1;

    if (duckdb_query(conn, "SELECT coalesce(max(version), 0)::INTEGER FROM _pluto.schema_migrations",
                     &res) == DuckDBSuccess &&
        (chunk = duckdb_fetch_chunk(res)) != NULL) {
        version = ((int32_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0)))[0];
        duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&res);
    return version;
}

static int migrate(struct pd_warehouse *wh, duckdb_connection conn, struct pd_err *err)
{
    const int latest = migrations[sizeof(migrations) / sizeof(migrations[0]) - 1].version;
    int version = applied_version(conn), rc;

    /* The common case reads one row and writes nothing: start-up stays cheap. */
    if (version == latest) {
        wh->schema_version = version;
        return 0;
    }
    if (version < 0) {
        rc = pd_exec(conn,
                     "CREATE SCHEMA IF NOT EXISTS _pluto;"
                     "CREATE TABLE IF NOT EXISTS _pluto.schema_migrations ("
                     "  version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                     "  applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                     err);
        if (rc)
            return rc;
        version = 0;
    }
    for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
        const struct migration *m = &migrations[i];
        struct pd_buf sql = PD_BUF_INIT;
        if (m->version <= version)
            continue;
        pd_buf_addf(&sql, "BEGIN; %s INSERT INTO _pluto.schema_migrations (version, name) VALUES (%d, ",
                    m->sql, m->version);
        pd_sql_literal(&sql, m->name);
        pd_buf_adds(&sql, "); COMMIT;");
        rc = pd_exec(conn, sql.ptr, err);
        pd_buf_release(&sql);
        if (rc) {
            pd_exec(conn, "ROLLBACK", NULL);
            return pd_fail(err, PD_EINTERNAL, "migration %d (%s) failed", m->version, m->name);
        }
        pd_log(PD_LOG_INFO, "migration applied", "{s:i, s:s}", "version", m->version, "name",
               m->name);
        version = m->version;
    }
    wh->schema_version = version;
    return 0;
}

int pd_warehouse_open(struct pd_warehouse **out, const struct pd_warehouse_opts *opts,
                      struct pd_err *err)
{
    struct pd_warehouse *wh;
    duckdb_config cfg;
    duckdb_connection conn;
    char *open_err = NULL;
    char num[32];
    int rc = 0;

    if (duckdb_create_config(&cfg) == DuckDBError)
        return pd_fail(err, PD_EINTERNAL, "cannot create a DuckDB configuration");
    if (opts->threads > 0) {
        snprintf(num, sizeof(num), "%ld", opts->threads);
        rc = set_option(cfg, "threads", num, err);
    }
    if (rc == 0 && opts->memory_limit && strcmp(opts->memory_limit, "auto") != 0)
        rc = set_option(cfg, "memory_limit", opts->memory_limit, err);
    if (rc) {
        duckdb_destroy_config(&cfg);
        return rc;
    }

    wh = xcalloc(1, sizeof(*wh));
    wh->path = xstrdup(opts->path);
    pthread_mutex_init(&wh->lock, NULL);
    if (duckdb_open_ext(opts->path, &wh->db, cfg, &open_err) == DuckDBError) {
        const char *m = open_err ? open_err : "unknown error";
        if (strstr(m, "Could not set lock") || strstr(m, "Conflicting lock"))
            rc = lock_error(opts->path, m, err);
        else
            rc = pd_fail(err, PD_EIO, "cannot open warehouse '%s': %s", opts->path, m);
        duckdb_free(open_err);
        duckdb_destroy_config(&cfg);
        free(wh->path);
        free(wh);
        return rc;
    }
    duckdb_destroy_config(&cfg);

    if ((rc = pd_warehouse_acquire(wh, &conn, err)) == 0) {
        rc = migrate(wh, conn, err);
        pd_warehouse_release(wh, conn, rc == 0);
    }
    if (rc) {
        pd_warehouse_close(wh);
        return rc;
    }
    wh->journal = pd_journal_new(wh, JOURNAL_INTERVAL_MS);
    *out = wh;
    return 0;
}

struct pd_journal *pd_warehouse_journal(struct pd_warehouse *wh)
{
    return wh->journal;
}

void pd_warehouse_close(struct pd_warehouse *wh)
{
    if (wh == NULL)
        return;
    pd_journal_free(wh->journal); /* its last batch needs a connection */
    for (int i = 0; i < wh->n_idle; i++)
        duckdb_disconnect(&wh->idle[i]);
    duckdb_close(&wh->db);
    pthread_mutex_destroy(&wh->lock);
    free(wh->path);
    free(wh);
}

int pd_warehouse_acquire(struct pd_warehouse *wh, duckdb_connection *conn, struct pd_err *err)
{
    pthread_mutex_lock(&wh->lock);
    if (wh->n_idle > 0) {
        *conn = wh->idle[--wh->n_idle];
        pthread_mutex_unlock(&wh->lock);
        return 0;
    }
    pthread_mutex_unlock(&wh->lock);
    if (duckdb_connect(wh->db, conn) == DuckDBError)
        return pd_fail(err, PD_EINTERNAL, "cannot connect to warehouse '%s'", wh->path);
    /* Progress of statements that run a while, for duckdb_query_progress (never printed). */
    duckdb_query(*conn, "SET enable_progress_bar = true; SET enable_progress_bar_print = false;"
                        " SET progress_bar_time = 200", NULL);
    return 0;
}

void pd_warehouse_release(struct pd_warehouse *wh, duckdb_connection conn, int reusable)
{
    pthread_mutex_lock(&wh->lock);
    if (reusable && wh->n_idle < POOL_MAX) {
        wh->idle[wh->n_idle++] = conn;
        conn = NULL;
    }
    pthread_mutex_unlock(&wh->lock);
    if (conn)
        duckdb_disconnect(&conn);
}

void pd_warehouse_set_statement_hook(struct pd_warehouse *wh, pd_statement_hook fn, void *arg)
{
    wh->before_statement = fn;
    wh->before_statement_arg = arg;
}

int pd_warehouse_before_statement(struct pd_warehouse *wh, duckdb_connection conn, const char *sql,
                                  char **rewritten, struct pd_err *err)
{
    *rewritten = NULL;
    return wh->before_statement
               ? wh->before_statement(wh->before_statement_arg, conn, sql, rewritten, err)
               : 0;
}

duckdb_database pd_warehouse_db(const struct pd_warehouse *wh)
{
    return wh->db;
}

const char *pd_warehouse_path(const struct pd_warehouse *wh)
{
    return wh->path;
}

int pd_warehouse_schema_version(const struct pd_warehouse *wh)
{
    return wh->schema_version;
}

/* Call fn(text, arg) for the first column of each row (at most max rows; NULLs skipped). */
static void each_text(duckdb_connection conn, const char *sql, size_t max,
                      void (*fn)(const char *text, void *arg), void *arg)
{
    duckdb_result res;
    duckdb_data_chunk chunk;
    struct pd_coltype *type = NULL;
    struct pd_buf text = PD_BUF_INIT;
    size_t seen = 0;

    if (duckdb_query(conn, sql, &res) != DuckDBSuccess) {
        duckdb_destroy_result(&res);
        return;
    }
    if (duckdb_column_count(&res) > 0) {
        duckdb_logical_type lt = duckdb_column_logical_type(&res, 0);
        type = pd_coltype_new(lt);
        duckdb_destroy_logical_type(&lt);
    }
    while (type && seen < max && (chunk = duckdb_fetch_chunk(res)) != NULL) {
        duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 0);
        for (idx_t r = 0; r < duckdb_data_chunk_get_size(chunk) && seen < max; r++, seen++) {
            if (pd_value_is_null(v, r))
                continue;
            pd_buf_reset(&text);
            pd_value_text(&text, type, v, r);
            fn(text.ptr ? text.ptr : "", arg);
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    pd_coltype_free(type);
    pd_buf_release(&text);
    duckdb_destroy_result(&res);
}

static void keep_first(const char *text, void *arg)
{
    *(char **)arg = xstrdup(text);
}

static void push_text(const char *text, void *arg)
{
    pd_strv_push(arg, text);
}

char *pd_query_text(duckdb_connection conn, const char *sql)
{
    char *out = NULL;
    each_text(conn, sql, 1, keep_first, &out);
    return out;
}

int64_t pd_query_count(duckdb_connection conn, const char *sql)
{
    char *s = pd_query_text(conn, sql);
    int64_t n = s ? strtoll(s, NULL, 10) : 0;
    free(s);
    return n;
}

void pd_query_texts(duckdb_connection conn, const char *sql, struct pd_strv *out)
{
    each_text(conn, sql, (size_t)-1, push_text, out);
}
