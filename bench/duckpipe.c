/*
 * duckpipe.c - duckpipe benchmarks.
 *
 * 1. compile of a generated 10,000-analysis project (layered DAG, each analysis
 *    reading 1-3 earlier ones): load + reference extraction + plan, cold, then a
 *    second compile of the same unchanged files (in the same process, as a server
 *    compiles a project again; the files last changed a minute before). Goals: <= 400 ms and <= 50 ms.
 * 2. per-step overhead of running analyses against executing the same SQL
 *    directly (CREATE OR REPLACE TABLE ... AS ...) on the same connection.
 *    Goal: <= 2 ms per step.
 * Prints JSON lines. Usage: bench_duckpipe [N_ANALYSES] [N_STEPS]
 */
#include "duckpipe/duckpipe.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"

static void write_project(const char *dir, int n)
{
    char path[8192];
    mkdir(dir, 0755);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/a%05d.yaml", dir, i);
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            exit(1);
        }
        fprintf(f, "id: a%05d\nmaterialize: view\nsql: |-\n", i);
        if (i < 10) {
            fprintf(f, "  select %d as id, %d * 2 as v\n", i, i);
        } else {
            int refs = 1 + i % 3;
            fprintf(f, "  select x.id, x.v");
            for (int r = 1; r < refs; r++)
                fprintf(f, " + r%d.v", r);
            fprintf(f, " as v\n  from {{ ref('a%05d') }} x\n", i - 1 - (i * 7) % 10);
            for (int r = 1; r < refs; r++)
                fprintf(f, "  join {{ ref('a%05d') }} r%d using (id)\n", (i * (r + 3)) % (i - 5), r);
        }
        fclose(f);
        /* last changed a minute ago, as a project compiled again is (a file changed in the
           last two seconds is always read again: see project.c) */
        struct timespec t[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
        utimensat(AT_FDCWD, path, t, 0);
    }
}

static double last_load_s;

/* Load + compile dir once; the load part is left in last_load_s. */
static double compile_once(const char *dir, duckdb_database db, duckdb_connection conn,
                           size_t *steps)
{
    struct dp_project *p = NULL;
    struct dp_plan *plan = NULL;
    struct pd_err err = PD_ERR_INIT;
    struct dp_env env = {.conn = conn, .db = db};
    double t0 = bench_now();
    if (dp_project_load("bench", dir, &p, &err) != 0) {
        fprintf(stderr, "load: %s\n", err.msg);
        exit(1);
    }
    last_load_s = bench_now() - t0;
    if (dp_compile(p, &env, NULL, &plan, &err) != 0) {
        fprintf(stderr, "compile: %s\n", err.msg);
        exit(1);
    }
    double t = bench_now() - t0;
    *steps = plan->n;
    dp_plan_free(plan);
    dp_project_free(p);
    return t;
}

static double step_overhead(duckdb_connection conn, const char *dir, int n)
{
    char path[8192];
    mkdir(dir, 0755);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/s%04d.yaml", dir, i);
        FILE *f = fopen(path, "w");
        fprintf(f, "id: s%04d\nmaterialize: table\nsql: select range as i, range * 2 as v from range(1000)\n", i);
        fclose(f);
    }
    struct dp_project *p = NULL;
    struct dp_plan *plan = NULL;
    struct pd_err err = PD_ERR_INIT;
    struct dp_env env = {.conn = conn};
    struct dp_compile_opts o = {.force = 1};
    struct dp_run_result res;
    if (dp_project_load("steps", dir, &p, &err) != 0 || dp_compile(p, &env, &o, &plan, &err) != 0) {
        fprintf(stderr, "steps: %s\n", err.msg);
        exit(1);
    }
    double best_run = 1e9, best_direct = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = bench_now();
        if (dp_run(plan, &env, NULL, &res, &err) != 0) {
            fprintf(stderr, "run: %s\n", err.msg);
            exit(1);
        }
        double t_run = bench_now() - t0;
        dp_run_result_clear(&res);
        t0 = bench_now();
        for (int i = 0; i < n; i++) {
            char sql[256];
            duckdb_result r;
            snprintf(sql, sizeof(sql), "BEGIN; CREATE OR REPLACE TABLE analysis.d%04d AS select range as i, "
                                       "range * 2 as v from range(1000); COMMIT", i);
            duckdb_query(conn, sql, &r);
            duckdb_destroy_result(&r);
        }
        double t_direct = bench_now() - t0;
        if (t_run < best_run)
            best_run = t_run;
        if (t_direct < best_direct)
            best_direct = t_direct;
    }
    printf("{\"bench\":\"step_overhead\",\"steps\":%d,\"run_s\":%.4f,\"direct_s\":%.4f,"
           "\"overhead_ms_per_step\":%.3f,\"goal_ms\":2}\n",
           n, best_run, best_direct, (best_run - best_direct) * 1000.0 / n);
    dp_plan_free(plan);
    dp_project_free(p);
    return (best_run - best_direct) / n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000, nsteps = argc > 2 ? atoi(argv[2]) : 200;
    char tmpl[] = "/tmp/pd-bench-duckpipe-XXXXXX";
    char *root = mkdtemp(tmpl), dir[4096], dir2[4096];
    duckdb_database db;
    duckdb_connection conn;
    duckdb_result r;
    size_t steps;

    snprintf(dir, sizeof(dir), "%s/analyses", root);
    snprintf(dir2, sizeof(dir2), "%s/steps", root);
    write_project(dir, n);
    duckdb_open(NULL, &db);
    duckdb_connect(db, &conn);
    duckdb_query(conn, DP_STATE_DDL, &r);
    duckdb_destroy_result(&r);
    double cold = compile_once(dir, db, conn, &steps), cold_load = last_load_s;
    double warm = compile_once(dir, db, conn, &steps), warm_load = last_load_s;
    printf("{\"bench\":\"compile\",\"analyses\":%zu,\"cold_ms\":%.1f,\"cold_load_ms\":%.1f,"
           "\"second_ms\":%.1f,\"second_load_ms\":%.1f,\"goal_cold_ms\":400,\"goal_second_ms\":50,"
           "\"cold_ratio\":%.2f,\"second_ratio\":%.2f}\n",
           steps, cold * 1000, cold_load * 1000, warm * 1000, warm_load * 1000, cold * 1000 / 400,
           warm * 1000 / 50);
    step_overhead(conn, dir2, nsteps);
    duckdb_disconnect(&conn);
    duckdb_close(&db);
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
