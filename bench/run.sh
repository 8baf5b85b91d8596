#!/usr/bin/env bash
# Run every benchmark against a scratch home; prints each ratio. Not part of the tests.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bin/pluto-duck"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
PLUTO_DUCK_HOME="$home" "$bin" init >/dev/null
"$top/build/bench/bench_cold_start" "$bin" "$home" "${RUNS:-30}"
"$top/build/bench/bench_json_encode" "$bin" "$home" "${JSON_RUNS:-5}"
