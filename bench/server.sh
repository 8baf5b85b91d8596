#!/usr/bin/env bash
# API server benchmarks (not part of the tests), each against its limit measured
# in the same run:
#   1. wrk, 16 connections: POST /query?wait=10 with `select 42` on pluto-duck run
#      vs bench_mhd_min (libmicrohttpd + DuckDB, a prepared SELECT 42, nothing else);
#      and GET /health.
#   2. a ROWS-row result (default 10M) as Arrow and as Parquet over HTTP vs DuckDB
#      `COPY ... TO` a local file of the same format.
#   3. the idle server's RSS.
#   4. GET /health while eight slow requests run (source tests against a server
#      that never answers) vs GET /health idle: the slow ones must not hold the
#      HTTP workers.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bin/pluto-duck"
min="$top/build/bench/bench_mhd_min"
ROWS=${ROWS:-10000000}
DURATION=${DURATION:-10s}
. "$top/bench/home.sh"
bench_home server

rps() { awk '/Requests\/sec/ {print $2}'; }
post_lua="$work/post.lua"
cat > "$post_lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"sql":"select 42"}'
wrk.headers["Content-Type"] = "application/json"
LUA

"$min" 18199 4 &
minpid=$!
sleep 0.5
min_rps=$(wrk -t2 -c16 -d"$DURATION" -s "$post_lua" http://127.0.0.1:18199/ | rps)
kill "$minpid"; wait "$minpid" 2>/dev/null || true

"$bin" run --port 18198 2>/dev/null &
server=$!
sleep 1
kill -0 "$server" 2>/dev/null || { echo "bench: the server did not start (is port 18198 taken?)" >&2; exit 1; }
idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
pd_rps=$(wrk -t2 -c16 -d"$DURATION" -s "$post_lua" "http://127.0.0.1:18198/api/v1/query?wait=10" | rps)
health_rps=$(wrk -t2 -c16 -d"$DURATION" http://127.0.0.1:18198/api/v1/health | rps)
printf 'POST /query?wait select 42: %s req/s; minimal MHD+DuckDB: %s req/s; ratio %.2f\n' \
    "$pd_rps" "$min_rps" "$(echo "$pd_rps / $min_rps" | bc -l)"
printf 'GET /health: %s req/s\n' "$health_rps"
printf 'idle server RSS: %s kB\n' "$idle_rss"

# Result transfer: the query job, then its result streamed over loopback.
sql="select range as id, range * 1.5 as x, md5(range::varchar) as s from range($ROWS)"
id=$(curl -s -X POST "http://127.0.0.1:18198/api/v1/query?wait=60" -H 'Content-Type: application/json' \
    --data "{\"sql\":\"$sql\",\"limit\":1}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
for fmt in arrow parquet; do
    t0=$(date +%s.%N)
    curl -s -o "$work/r.$fmt" "http://127.0.0.1:18198/api/v1/query/$id/result?format=$fmt"
    t1=$(date +%s.%N)
    http_s=$(echo "$t1 - $t0" | bc -l)
    size=$(stat -c %s "$work/r.$fmt")
    rm -f "$work/r.$fmt"
    kill "$server"; wait "$server" 2>/dev/null || true
    server=
    if [ "$fmt" = arrow ]; then
        # DuckDB writes no Arrow IPC file here: the local limit is the same rows to Parquet
        # uncompressed, the cheapest full local write DuckDB has.
        copy="copy ($sql) to '$work/l.parquet' (format parquet, compression uncompressed)"
    else
        copy="copy ($sql) to '$work/l.parquet' (format parquet)"
    fi
    t0=$(date +%s.%N)
    "$bin" sql "$copy" >/dev/null
    t1=$(date +%s.%N)
    local_s=$(echo "$t1 - $t0" | bc -l)
    rm -f "$work/l.parquet"
    printf '%s over HTTP: %.2f s (%d MB); local COPY: %.2f s; ratio (local/http) %.2f\n' \
        "$fmt" "$http_s" $((size / 1000000)) "$local_s" "$(echo "$local_s / $http_s" | bc -l)"
    "$bin" run --port 18198 2>/dev/null &
    server=$!
    sleep 1
    id=$(curl -s -X POST "http://127.0.0.1:18198/api/v1/query?wait=60" -H 'Content-Type: application/json' \
        --data "{\"sql\":\"$sql\",\"limit\":1}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
done

# /health while eight slow handlers run: a listener that accepts and never answers.
python3 "$top/tests/servers/silent_server.py" 20 > "$work/silent.port" &
silent=$!
sleep 0.3
silent_port=$(cat "$work/silent.port")
health_ms() {
    for _ in 1 2 3 4 5 6 7 8 9; do
        curl -s -o /dev/null -w '%{time_total}\n' http://127.0.0.1:18198/api/v1/health
    done | sort -n | awk 'NR == 5 {printf "%.2f", $1 * 1000}'
}
idle_ms=$(health_ms)
slow=()
for i in $(seq 8); do
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        --data "{\"type\":\"postgres\",\"config\":{\"dsn\":\"postgresql://u@127.0.0.1:$silent_port/db\"}}" \
        http://127.0.0.1:18198/api/v1/source/test &
    slow+=($!)
done
sleep 1
busy_ms=$(health_ms)
wait "${slow[@]}" 2>/dev/null || true
kill "$silent" 2>/dev/null || true
printf 'GET /health median: %s ms while eight slow requests run, %s ms idle; ratio %.2f\n' \
    "$busy_ms" "$idle_ms" "$(echo "$busy_ms / $idle_ms" | bc -l)"
