#!/usr/bin/env bash
# Every benchmark with short settings, one after another, then one table of their
# figures. Each figure is against its limit measured in the same run (what the limit
# is: the header of each bench); full-size runs: run a bench on its own. Not part of
# the tests. Needs scripts/setup.sh first (the build, web/dist, PostgreSQL, MariaDB).
#
#   bench/all.sh                    all of them (about ten minutes on 2 cores)
#   ONLY="cold json web" bench/all.sh   (cold json duckpipe server sources web cloud agent scale)
#
# Each bench's whole output is kept in a log directory named at the end.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bin/pluto-duck"
b="$top/build/bench"
logs=$(mktemp -d /tmp/pd-bench-all.XXXXXX)
home="$logs/home"
PLUTO_DUCK_HOME="$home" "$bin" init >/dev/null

# name | what it measures | command (short settings)
benches=(
    "cold|cold start of sql \"select 1\"|RUNS=15; \"$b/bench_cold_start\" \"$bin\" \"$home\" 15"
    "json|JSON of 1M rows x 8 columns|\"$b/bench_json_encode\" \"$bin\" \"$home\" 3"
    "duckpipe|compile of 10,000 analyses; per-step overhead|\"$b/bench_duckpipe\" 10000 100"
    "server|the API's query path, results over HTTP|ROWS=1000000 DURATION=3s \"$top/bench/server.sh\""
    "sources|ingest and federated scans|PG_ROWS=300000 RSS_ROWS=300000 MY_ROWS=300000 LOOKUP_ROWS=300000 CSV_MB=50 RUNS=1 \"$top/bench/sources.sh\""
    "web|the web UI in Chromium|\"$top/bench/web.sh\""
    "cloud|Pluto Cloud: polls, runs, two servers|PACE_SECONDS=10 \"$top/bench/cloud.sh\""
    "agent|an agent run's overhead per step|STEPS=20 \"$top/bench/agent.sh\""
    "scale|memory and time at scale|ROWS=1000000 QUERIES=20000 TABLES=2000 CSV_GB=1 \"$top/bench/scale.sh\""
)

# The lines of a bench's output that are figures (the rest is progress).
figures() {
    case "$1" in
    duckpipe)
        python3 -c '
import json, sys
for line in sys.stdin:
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("bench") == "compile":
        print("compile of %d analyses: cold %.0f ms (goal %d), unchanged %.0f ms (goal %d)" % (
            d["analyses"], d["cold_ms"], d["goal_cold_ms"], d["second_ms"], d["goal_second_ms"]))
    elif d.get("bench") == "step_overhead":
        print("per-step overhead: %.2f ms (goal %s ms), %d steps" % (
            d["overhead_ms_per_step"], d["goal_ms"], d["steps"]))' ;;
    cold | json)
        awk '/^  [a-zA-Z]/ { sub(/^  /, ""); gsub(/  +/, " "); print }' ;;
    *)
        grep -E 'ratio|req/s|RSS|--format|shell .tables|ingest [0-9]|ms per step|of raw|KB of JavaScript|rows shown|listed|frame times|polls|runs/s|duplicate|of COPY|x  \(' |
            sed 's/^ *//' ;;
    esac
}

declare -A took status
order=()
for entry in "${benches[@]}"; do
    IFS='|' read -r name what cmd <<<"$entry"
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then
        continue
    fi
    order+=("$name")
    printf '%-9s %s ... ' "$name" "$what" >&2
    t0=$(date +%s)
    if (cd "$top" && PLUTO_DUCK_HOME="$home" timeout 1800 bash -c "$cmd") >"$logs/$name.log" 2>&1; then
        status[$name]=ok
    else
        status[$name]="failed (exit $?)"
    fi
    took[$name]=$(($(date +%s) - t0))
    echo "${status[$name]}, ${took[$name]} s" >&2
done

echo
printf '%-9s %-7s %s\n' benchmark time figure
printf '%-9s %-7s %s\n' --------- ------- ------
for name in "${order[@]}"; do
    first=1
    while IFS= read -r line; do
        if [ $first = 1 ]; then
            printf '%-9s %-7s %s\n' "$name" "${took[$name]} s" "$line"
            first=0
        else
            printf '%-9s %-7s %s\n' "" "" "$line"
        fi
    done < <(figures "$name" <"$logs/$name.log")
    if [ $first = 1 ]; then
        printf '%-9s %-7s %s\n' "$name" "${took[$name]} s" "${status[$name]}: see $logs/$name.log"
    elif [ "${status[$name]}" != ok ]; then
        printf '%-9s %-7s %s\n' "" "" "${status[$name]}: see $logs/$name.log"
    fi
done
echo
echo "whole outputs: $logs"
