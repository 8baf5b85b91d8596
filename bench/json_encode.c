/*
 * json_encode.c - our streaming JSON encoder against DuckDB's own JSON writer.
 *
 * Builds a 1M-row, 8-column table (BIGINT, INTEGER, DECIMAL, DOUBLE, VARCHAR,
 * DATE, TIMESTAMP, BOOLEAN) in HOME, then times, as fresh processes in the same
 * run: `pluto-duck sql --format json "select * from bench_rows" > file` and
 * `pluto-duck sql "COPY (select * from bench_rows) TO 'file' (FORMAT json, ARRAY true)"`.
 * Both pay the same start-up and query; the difference is the encoding.
 * Prints the ratio of medians (goal: <= 0.8, faster than DuckDB).
 *
 *   bench_json_encode PLUTO_DUCK_BIN HOME [RUNS]     (HOME initialised already)
 */
#include "benchlib.h"

int main(int argc, char **argv)
{
    char cmd[4096], ours[4096], theirs[4096];
    int runs;
    double a, b;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_json_encode PLUTO_DUCK_BIN HOME [RUNS]\n");
        return 2;
    }
    runs = argc > 3 ? atoi(argv[3]) : 5;
    snprintf(cmd, sizeof(cmd),
             "PLUTO_DUCK_HOME='%s' '%s' sql \"create or replace table bench_rows as select "
             "i::BIGINT as id, (i %% 1000)::INTEGER as n, (i %% 100000 / 100.0)::DECIMAL(10,2) as "
             "price, i / 7.0 as ratio, 'name-' || (i %% 5000) as name, "
             "DATE '2020-01-01' + (i %% 2000)::INTEGER as day, "
             "TIMESTAMP '2020-01-01' + to_seconds(i) as ts, i %% 3 = 0 as flag "
             "from range(1000000) t(i)\" >/dev/null",
             argv[2], argv[1]);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench: cannot build the table\n");
        return 1;
    }
    snprintf(ours, sizeof(ours),
             "PLUTO_DUCK_HOME='%s' '%s' sql --format json 'select * from bench_rows' > '%s/ours.json'",
             argv[2], argv[1], argv[2]);
    snprintf(theirs, sizeof(theirs),
             "PLUTO_DUCK_HOME='%s' '%s' sql \"COPY (select * from bench_rows) TO '%s/duck.json' "
             "(FORMAT json, ARRAY true)\" >/dev/null",
             argv[2], argv[1], argv[2]);
    a = bench_median(ours, runs);
    b = bench_median(theirs, runs);
    printf("JSON of 1,000,000 rows x 8 columns, median of %d runs:\n", runs);
    printf("  pluto-duck --format json        %8.1f ms\n", a * 1000);
    printf("  DuckDB COPY ... (FORMAT json)   %8.1f ms\n", b * 1000);
    printf("  ratio                           %8.2fx  (goal <= 0.8x)\n", a / b);
    return 0;
}
