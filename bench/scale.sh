#!/usr/bin/env bash
# Figures at scale that have no goal yet (they set the next ones). Not part of the tests.
#   1. peak RSS of `pluto-duck sql` writing a ROWS-row result (default 10M) in each
#      output format: of a stored table (against DuckDB's own COPY of it, whose
#      buffer pool keeps the blocks it read) and of generated rows (against
#      `select 1`: a result streams, so memory must not grow with the rows);
#   2. `pluto-duck run`'s RSS after about QUERIES POST /query?wait (default 100,000),
#      against its RSS after the first second's;
#   3. opening a warehouse of TABLES tables (default 10,000) and listing them with
#      the shell's .tables, against DuckDB's own SHOW TABLES on the same file;
#   4. ingesting a CSV of CSV_GB (default 10) generated here (and deleted after),
#      against DuckDB's CREATE TABLE AS read_csv of the same file.
#
#   bench/scale.sh                 all four (about half an hour on 2 cores)
#   PARTS="rss tables" bench/scale.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bin/pluto-duck"
b="$top/build/bench"
ROWS=${ROWS:-10000000}
QUERIES=${QUERIES:-100000}
TABLES=${TABLES:-10000}
CSV_GB=${CSV_GB:-10}
PARTS=${PARTS:-rss run tables csv}
. "$top/bench/home.sh"
bench_home scale
wants() { [[ " $PARTS " == *" $1 "* ]]; }

# Peak RSS (kB) of a command run by the shell, its output thrown away.
peak_kb() {
    python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1], shell=True, stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$1"
}

if wants rss; then
    "$bin" sql "create table big as select range as id, range * 1.5 as x, md5(range::varchar) as s,
                timestamp '2024-01-01' + to_seconds(range) as ts from range($ROWS)" >/dev/null
    base=$(peak_kb "'$bin' sql 'select 1'")
    copy=$(peak_kb "'$bin' sql \"copy (select * from big) to '/dev/null' (format csv)\"")
    echo "== 1. peak RSS of sql over $ROWS rows x 4 columns (select 1: $((base / 1024)) MB;" \
        "DuckDB's COPY of the table to /dev/null: $((copy / 1024)) MB)"
    for fmt in csv json jsonl table; do
        kb=$(peak_kb "'$bin' sql --format $fmt 'select * from big'")
        gen=$(peak_kb "'$bin' sql --format $fmt 'select range as id, range * 1.5 as x, md5(range::varchar) as s from range($ROWS)'")
        printf '  --format %-6s the table %5d MB (%.2fx COPY); generated rows %4d MB (%.2fx select 1)\n' \
            "$fmt" $((kb / 1024)) "$(echo "$kb / $copy" | bc -l)" $((gen / 1024)) "$(echo "$gen / $base" | bc -l)"
    done
fi

if wants run; then
    cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"sql":"select 42"}'
wrk.headers["Content-Type"] = "application/json"
LUA
    "$bin" run --port 18197 2>/dev/null &
    server=$!
    sleep 1
    rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
    served() { awk '/requests in/ {print $1}'; }
    n1=$(wrk -t2 -c16 -d1s -s "$work/post.lua" "http://127.0.0.1:18197/api/v1/query?wait=10" | served)
    first=$(rss)
    # wrk runs for a time: long enough for QUERIES at the first second's pace, and once more if short
    secs=$(( QUERIES / (n1 > 0 ? n1 : 1) + 5 ))
    n2=$(wrk -t2 -c16 -d"${secs}s" -s "$work/post.lua" "http://127.0.0.1:18197/api/v1/query?wait=10" | served)
    last=$(rss)
    echo "== 2. pluto-duck run after $((n1 + n2)) queries ($secs s)"
    printf '  RSS after %d: %d MB; after %d: %d MB (%.2fx)\n' "$n1" $((first / 1024)) $((n1 + n2)) \
        $((last / 1024)) "$(echo "$last / $first" | bc -l)"
    kill "$server"; wait "$server" 2>/dev/null || true
    server=
fi

if wants tables; then
    home2="$work/tables"
    PLUTO_DUCK_HOME="$home2" "$bin" init --no-sample >/dev/null
    python3 -c "
for i in range($TABLES):
    print(f'create table t{i:05d} (id bigint, name varchar, created timestamp);')" > "$work/tables.sql"
    PLUTO_DUCK_HOME="$home2" "$bin" sql -f "$work/tables.sql" >/dev/null
    wh="$home2/data/warehouse.duckdb"
    t0=$(date +%s.%N)
    n=$(echo ".tables" | PLUTO_DUCK_HOME="$home2" "$bin" shell 2>/dev/null | grep -o '^[0-9,]* rows' || true)
    ours=$(echo "$(date +%s.%N) - $t0" | bc -l)
    cat > "$work/show.c" <<'C'
#include <duckdb.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    duckdb_database db; duckdb_connection c; duckdb_result r;
    if (duckdb_open(argv[1], &db) || duckdb_connect(db, &c) || duckdb_query(c, "SHOW TABLES", &r))
        return 1;
    printf("%llu\n", (unsigned long long)duckdb_row_count(&r));
    return 0;
}
C
    cc -O2 -I"$top/third_party/duckdb/include" "$work/show.c" -L"$top/third_party/duckdb/lib" \
        -lduckdb -Wl,-rpath,"$top/third_party/duckdb/lib" -o "$work/show"
    t0=$(date +%s.%N)
    "$work/show" "$wh" >/dev/null
    theirs=$(echo "$(date +%s.%N) - $t0" | bc -l)
    echo "== 3. a warehouse of $TABLES tables ($wh)"
    printf '  shell .tables: %.0f ms (%s); DuckDB SHOW TABLES: %.0f ms; ratio %.2f\n' \
        "$(echo "$ours * 1000" | bc -l)" "$n" "$(echo "$theirs * 1000" | bc -l)" "$(echo "$ours / $theirs" | bc -l)"
fi

if wants csv; then
    csv="$work/big.csv"
    rows=$((CSV_GB * 1000 * 1000000 / 100))
    echo "== 4. ingest of a ${CSV_GB} GB CSV ($rows rows, generated in $work)"
    "$bin" sql "copy (select range as id, range * 1.5 as x, md5(range::varchar) as s,
                timestamp '2024-01-01' + to_seconds(range) as ts, 'some text ' || (range % 1000) as note
                from range($rows)) to '$csv' (header)" >/dev/null
    printf 'source: {type: file, path: %s}\ntable: big\ntarget: csv_copy\n' "$csv" > "$PLUTO_DUCK_HOME/csv_ingest.yaml"
    echo "  $(du -m "$csv" | cut -f1) MB"
    RUNS=1 "$b/bench_sources" csv "$bin" "$PLUTO_DUCK_HOME" "$csv" | sed 's/^/  /'
fi
