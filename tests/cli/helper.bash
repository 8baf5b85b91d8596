# Shared setup for the CLI black-box tests: every test gets its own data home
# under BATS_TEST_TMPDIR, never the user's. PD_BIN is set by ctest.
PD=${PD_BIN:?PD_BIN must point at the pluto-duck binary}

setup_home() {
    export PLUTO_DUCK_HOME="$BATS_TEST_TMPDIR/home"
    unset COLUMNS
    cd "$BATS_TEST_TMPDIR"
}

init_home() {
    setup_home
    "$PD" init >/dev/null
}

pd() {
    "$PD" "$@"
}

# Wait (up to ~10 s) until a pid's process holds the warehouse lock or exits.
wait_for_lock() {
    for _ in $(seq 1 100); do
        if ! "$PD" sql "select 1" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    return 1
}
