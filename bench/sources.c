/*
 * sources.c - source benchmarks: our rate against the physical limit measured in
 * the same run.
 *
 *   bench_sources pg   BIN HOME CONNINFO TABLE ROWS     ingest and a federated scan vs raw binary COPY
 *   bench_sources my   BIN HOME MARIADB_ARGS TABLE ROWS  ingest vs `mariadb --quick` to /dev/null
 *   bench_sources csv  BIN HOME CSV_FILE                 ingest vs CREATE TABLE AS read_csv in DuckDB
 *   bench_sources rss  BIN HOME RECIPE                   peak RSS of one ingest
 *   bench_sources lookup BIN HOME PSQL_ARGS TABLE ROWS   point lookup, 1% range, count/sum:
 *                                                        federated vs pass-through vs psql
 *
 * HOME must have the sources attached and the recipes written (bench/sources.sh).
 * Each timing is the best of RUNS (default 3): the limit and ours alike.
 */
#include "benchlib.h"

#include <duckdb.h>
#include <libpq-fe.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int runs(void)
{
    const char *r = getenv("RUNS");
    return r ? atoi(r) : 3;
}

static double best_of(const char *cmd)
{
    double best = 1e30;
    for (int i = 0; i < runs(); i++) {
        double t0 = bench_now();
        if (system(cmd) != 0) {
            fprintf(stderr, "bench: command failed: %s\n", cmd);
            exit(1);
        }
        if (bench_now() - t0 < best)
            best = bench_now() - t0;
    }
    return best;
}

/* Seconds to read every row of `COPY (SELECT cols FROM table) TO STDOUT (FORMAT binary)` and drop it. */
static double raw_copy(const char *conninfo, const char *cols, const char *table)
{
    double best = 1e30;
    char sql[256];

    snprintf(sql, sizeof(sql), "COPY (SELECT %s FROM %s) TO STDOUT (FORMAT binary)", cols, table);
    for (int i = 0; i < runs(); i++) {
        PGconn *c = PQconnectdb(conninfo);
        PGresult *r;
        char *buf;
        double t0;
        if (PQstatus(c) != CONNECTION_OK) {
            fprintf(stderr, "bench: %s", PQerrorMessage(c));
            exit(1);
        }
        t0 = bench_now();
        r = PQexec(c, sql);
        PQclear(r);
        while (PQgetCopyData(c, &buf, 0) > 0)
            PQfreemem(buf);
        while ((r = PQgetResult(c)) != NULL)
            PQclear(r);
        if (bench_now() - t0 < best)
            best = bench_now() - t0;
        PQfinish(c);
    }
    return best;
}

static void report(const char *what, double rows, double ours_s, double limit_s, const char *limit)
{
    printf("%-34s %10.0f rows/s   %s %10.0f rows/s   ratio %.2f\n", what, rows / ours_s, limit,
           rows / limit_s, limit_s / ours_s);
}

static int bench_pg(char **argv)
{
    const char *bin = argv[2], *home = argv[3], *conninfo = argv[4], *table = argv[5];
    double rows = atof(argv[6]), limit = raw_copy(conninfo, "*", table);
    double limit_x = raw_copy(conninfo, "x", table), ingest, scan, scan_all;
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "PLUTO_DUCK_HOME=%s %s ingest %s/pg_ingest.yaml >/dev/null", home,
             bin, home);
    ingest = best_of(cmd);
    snprintf(cmd, sizeof(cmd),
             "PLUTO_DUCK_HOME=%s %s sql 'select count(*), sum(x) from pg.%s' >/dev/null", home,
             bin, table);
    scan = best_of(cmd);
    snprintf(cmd, sizeof(cmd),
             "PLUTO_DUCK_HOME=%s %s sql 'select count(*), sum(id), sum(x), max(s), max(ts) "
             "from pg.%s' >/dev/null",
             home, bin, table);
    scan_all = best_of(cmd);
    /* what writing the same rows costs DuckDB alone (compression, statistics, commit) */
    snprintf(cmd, sizeof(cmd),
             "PLUTO_DUCK_HOME=%s %s sql 'create or replace table bench_write as select * from "
             "t_copy; drop table bench_write' >/dev/null",
             home, bin);
    double write = best_of(cmd);
    printf("PostgreSQL, %.0f rows (bigint, double, text, timestamptz)\n", rows);
    report("  ingest", rows, ingest, limit, "raw binary COPY");
    printf("  ingest %.2f s = read (raw COPY alone %.2f s) + DuckDB's write of the same rows from a\n"
           "  local table (%.2f s): ingest / (COPY + write) ratio %.2f\n",
           ingest, limit, write, (limit + write) / ingest);
    report("  federated count(*), sum(x)", rows, scan, limit_x, "raw COPY of x  ");
    report("  federated, all four columns", rows, scan_all, limit, "raw binary COPY");
    return 0;
}

static int bench_my(char **argv)
{
    const char *bin = argv[2], *home = argv[3], *client = argv[4], *table = argv[5];
    double rows = atof(argv[6]), limit, ingest;
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "%s --quick -e 'select * from %s' >/dev/null", client, table);
    limit = best_of(cmd);
    snprintf(cmd, sizeof(cmd), "PLUTO_DUCK_HOME=%s %s ingest %s/my_ingest.yaml >/dev/null", home,
             bin, home);
    ingest = best_of(cmd);
    printf("MariaDB, %.0f rows\n", rows);
    report("  ingest", rows, ingest, limit, "mariadb --quick");
    return 0;
}

/* CREATE TABLE AS read_csv, in DuckDB directly, on a scratch database. */
static double duckdb_ctas(const char *csv)
{
    double best = 1e30;
    char sql[1024], path[] = "/tmp/pd-bench-ctas.duckdb";

    snprintf(sql, sizeof(sql), "CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('%s')", csv);
    for (int i = 0; i < runs(); i++) {
        duckdb_database db;
        duckdb_connection c;
        double t0;
        unlink(path);
        duckdb_open(path, &db);
        duckdb_connect(db, &c);
        t0 = bench_now();
        if (duckdb_query(c, sql, NULL) != DuckDBSuccess) {
            fprintf(stderr, "bench: CTAS failed\n");
            exit(1);
        }
        duckdb_disconnect(&c);
        duckdb_close(&db);
        if (bench_now() - t0 < best)
            best = bench_now() - t0;
    }
    unlink(path);
    return best;
}

static int bench_csv(char **argv)
{
    const char *bin = argv[2], *home = argv[3], *csv = argv[4];
    double limit = duckdb_ctas(csv), ingest;
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "PLUTO_DUCK_HOME=%s %s ingest %s/csv_ingest.yaml >/dev/null", home,
             bin, home);
    ingest = best_of(cmd);
    printf("CSV %s\n  ingest %.2f s   DuckDB CREATE TABLE AS read_csv %.2f s   ratio %.2f\n", csv,
           ingest, limit, limit / ingest);
    return 0;
}

static int bench_rss(char **argv)
{
    const char *bin = argv[2], *home = argv[3], *recipe = argv[4];
    struct rusage ru;
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        setenv("PLUTO_DUCK_HOME", home, 1);
        freopen("/dev/null", "w", stdout);
        execl(bin, bin, "ingest", recipe, (char *)NULL);
        _exit(127);
    }
    wait4(pid, &status, 0, &ru);
    printf("Peak RSS ingesting %s: %.0f MB (exit %d)\n", recipe, (double)ru.ru_maxrss / 1024.0,
           WEXITSTATUS(status));
    return 0;
}

/* `pluto-duck sql SQL` against home, as a shell command. */
static void pd_sql_cmd(char *cmd, size_t n, const char *bin, const char *home, const char *sql)
{
    snprintf(cmd, n, "PLUTO_DUCK_HOME=%s %s sql \"%s\" >/dev/null", home, bin, sql);
}

/*
 * One query three ways, each a whole command as a user runs it: through the live
 * view (filters pushed), through postgres_query with the SQL written for the
 * remote, and psql. The goal for lookups: federated within 3x of pass-through.
 */
static void lookup_case(const char *label, const char *bin, const char *home, const char *psql,
                        const char *table, const char *where, const char *select)
{
    char cmd[2048], sql[1024];
    double fed, pass, native;

    snprintf(sql, sizeof(sql), "select %s from pg.%s where %s", select, table, where);
    pd_sql_cmd(cmd, sizeof(cmd), bin, home, sql);
    fed = best_of(cmd);
    snprintf(sql, sizeof(sql), "select * from postgres_query('pg', 'select %s from %s where %s')",
             select, table, where);
    pd_sql_cmd(cmd, sizeof(cmd), bin, home, sql);
    pass = best_of(cmd);
    snprintf(cmd, sizeof(cmd), "%s -c \"select %s from %s where %s\" >/dev/null", psql, select,
             table, where);
    native = best_of(cmd);
    printf("  %-28s federated %7.3f s   pass-through %7.3f s   psql %7.3f s   "
           "federated/pass-through %.2f\n", label, fed, pass, native, fed / pass);
}

static int bench_lookup(char **argv)
{
    const char *bin = argv[2], *home = argv[3], *psql = argv[4], *table = argv[5];
    long rows = atol(argv[6]);
    char range[128];

    snprintf(range, sizeof(range), "id between %ld and %ld", rows / 2, rows / 2 + rows / 100 - 1);
    printf("PostgreSQL lookups, %ld rows (primary key id), whole commands, best of %d\n", rows,
           runs());
    lookup_case("point lookup (id = 777777)", bin, home, psql, table, "id = 777777", "*");
    lookup_case("range of 1% of the rows", bin, home, psql, table, range, "count(*), sum(x)");
    lookup_case("count(*), sum(x) of all", bin, home, psql, table, "true", "count(*), sum(x)");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 7 && !strcmp(argv[1], "lookup"))
        return bench_lookup(argv);
    if (argc >= 7 && !strcmp(argv[1], "pg"))
        return bench_pg(argv);
    if (argc >= 7 && !strcmp(argv[1], "my"))
        return bench_my(argv);
    if (argc >= 5 && !strcmp(argv[1], "csv"))
        return bench_csv(argv);
    if (argc >= 5 && !strcmp(argv[1], "rss"))
        return bench_rss(argv);
    fprintf(stderr, "usage: see the comment at the top of bench/sources.c\n");
    return 2;
}
