#!/usr/bin/env bash
# Pluto Cloud benchmarks (not part of the tests): 1,000 agents polling with
# ETags, polls at full speed against pgbench on the same queries, a burst of
# 100 runs/s with logs, and two servers on one database with agents racing for
# occurrences. See bench/cloud_bench.py. SECONDS=30 by default.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/pd-bench-cloud.XXXXXX)
chmod 711 "$work" # as root, the postgres user passes through it
trap 'rm -rf "$work"' EXIT
python3 "$top/bench/cloud_bench.py" "$top/build/bin/pluto-cloud" "$work/w" "${PACE_SECONDS:-30}"
