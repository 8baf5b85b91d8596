#!/usr/bin/env bash
# The web UI's figures, measured in headless Chromium against a real server: the
# JavaScript and CSS shipped on first load (gzipped), the time to first render of
# the SQL workbench, and the frame times while scrolling a 100k-row result.
# Run scripts/setup.sh first (it builds web/dist and the binary).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export PD_BIN="$top/build/bin/pluto-duck" PD_BUILD="$top/build"
node "$top/web/e2e/run.mjs" perf | grep -v '^ok\|^all passed'
node "$top/web/e2e/run.mjs" '100k-row' | grep -v '^ok\|^all passed'
node "$top/web/e2e/run.mjs" 'bench: sort and filter' | grep -v '^ok\|^all passed'
node "$top/web/e2e/run.mjs" 'bench: the catalog' | grep -v '^ok\|^all passed'
