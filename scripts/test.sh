#!/usr/bin/env bash
# Run the whole test suite (cmocka units + bats CLI tests) through ctest.
#
#   scripts/test.sh              test the normal build in build/
#   scripts/test.sh --sanitize   build and test build-asan/ (AddressSanitizer + UBSan)
#
# Run scripts/setup.sh once first. Exits non-zero when any test fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=build
extra=()
for arg in "$@"; do
    case "$arg" in
    --sanitize) dir=build-asan; extra=(-DPD_SANITIZE=ON) ;;
    -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test: unknown option '$arg' (try: scripts/test.sh --help)" >&2; exit 2 ;;
    esac
done

werror=OFF
[ "${CI:-}" = true ] && werror=ON
cmake -S "$top" -B "$top/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPD_WERROR=$werror "${extra[@]}" >/dev/null
cmake --build "$top/$dir" -j "$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$top/$dir"
ctest --output-on-failure -j "$(nproc)"
