/*
 * cold_start.c - cold start of `pluto-duck sql "select 1"` against the floor:
 * a minimal C program that opens the same warehouse with the DuckDB C API and
 * runs the same query. Both are run as fresh processes, alternately, in the
 * same run; the ratio of medians is printed (goal: <= 1.3).
 *
 *   bench_cold_start PLUTO_DUCK_BIN HOME [RUNS]     (HOME initialised already)
 *   bench_cold_start --minimal WAREHOUSE_FILE       (the floor itself)
 */
#include "benchlib.h"

#include <duckdb.h>
#include <string.h>

static int minimal(const char *path)
{
    duckdb_database db;
    duckdb_connection conn;
    duckdb_result res;
    duckdb_data_chunk chunk;

    if (duckdb_open(path, &db) == DuckDBError || duckdb_connect(db, &conn) == DuckDBError)
        return 1;
    if (duckdb_query(conn, "select 1", &res) == DuckDBError)
        return 1;
    chunk = duckdb_fetch_chunk(res);
    printf("%d\n", ((int32_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0)))[0]);
    duckdb_destroy_data_chunk(&chunk);
    duckdb_destroy_result(&res);
    duckdb_disconnect(&conn);
    duckdb_close(&db);
    return 0;
}

int main(int argc, char **argv)
{
    char ours[4096], floor_cmd[4096];
    int runs;
    double a, b;

    if (argc == 3 && strcmp(argv[1], "--minimal") == 0)
        return minimal(argv[2]);
    if (argc < 3) {
        fprintf(stderr, "usage: bench_cold_start PLUTO_DUCK_BIN HOME [RUNS]\n");
        return 2;
    }
    runs = argc > 3 ? atoi(argv[3]) : 30;
    snprintf(ours, sizeof(ours), "PLUTO_DUCK_HOME='%s' '%s' sql 'select 1' >/dev/null", argv[2],
             argv[1]);
    snprintf(floor_cmd, sizeof(floor_cmd), "'%s' --minimal '%s/data/warehouse.duckdb' >/dev/null",
             argv[0], argv[2]);
    a = bench_median(ours, runs);
    b = bench_median(floor_cmd, runs);
    printf("cold start, median of %d runs:\n", runs);
    printf("  pluto-duck sql \"select 1\"      %8.2f ms\n", a * 1000);
    printf("  minimal DuckDB C program       %8.2f ms\n", b * 1000);
    printf("  ratio                          %8.2fx  (goal <= 1.3x)\n", a / b);
    return 0;
}
