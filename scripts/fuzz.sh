#!/usr/bin/env bash
# Build the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) in build-fuzz/
# and run each on its corpus.
#
#   scripts/fuzz.sh                     every target for 30 minutes each
#   scripts/fuzz.sh --time 30           every target for 30 seconds
#   scripts/fuzz.sh --runs 10000000 jinja sql   these targets, 10 million inputs each
#
# Seeds are tests/fuzz/corpus/NAME (read only) and tests/fuzz/regressions/NAME
# (inputs that once crashed or hung, run first); what a run learns goes to
# build-fuzz/corpus/NAME. A crash or a hang (over 10 s on one input) is saved
# under build-fuzz/artifacts/ and fails the run. Prints each target's
# executions. Run scripts/setup.sh once first.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build-fuzz"
limit=(-max_total_time=1800)
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --time) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option '$1' (try: scripts/fuzz.sh --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$top"/tests/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c)
        targets+=("${n#fuzz_}")
    done
fi

command -v clang >/dev/null || { echo "fuzz: clang is missing: run scripts/setup.sh" >&2; exit 1; }
cmake -S "$top" -B "$out" -DCMAKE_C_COMPILER=clang -DPD_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" -j"$(nproc)" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for t in "${targets[@]}"; do
    bin="$out/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "fuzz: no target '$t' (tests/fuzz/fuzz_$t.c)" >&2; exit 2; }
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
    seeds=("$top/tests/fuzz/corpus/$t")
    [ -d "$top/tests/fuzz/regressions/$t" ] && seeds+=("$top/tests/fuzz/regressions/$t")
    log="$out/artifacts/$t/last.log"
    extra=()
    # DuckDB keeps caches from one input to the next, so libFuzzer would stop the
    # world for a leak check after nearly every input (30 times slower); the
    # sanitizer suite checks the Arrow writer for leaks
    [ "$t" = arrow ] && extra=(-detect_leaks=0)
    # libfyaml has no frame pointers: a leak's stack stops at its first frame unless
    # unwound slowly, and tests/lsan.supp silences libfyaml's own leak by a function
    # deeper down (slower by half, but a leak of ours inside libfyaml still counts)
    asan=$ASAN_OPTIONS
    case $t in analysis | recipe | skill) asan="$asan:fast_unwind_on_malloc=0" ;; esac
    if (cd "$out/artifacts/$t" && ASAN_OPTIONS=$asan "$bin" "${limit[@]}" "${extra[@]}" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
        "$out/corpus/$t" "${seeds[@]}") >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed=1
    fi
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    printf 'fuzz %-9s %s: %s executions\n' "$t" "$status" "${runs:-?}"
    if [ "$status" = FAILED ]; then
        grep -E 'ERROR|SUMMARY|Test unit written|ALARM' "$log" | head -5 | sed 's/^/    /'
        echo "    (the whole log: $log)"
    fi
done
exit $failed
