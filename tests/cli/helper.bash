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

# Wait until process $1 holds the warehouse: it opens it within a second, and
# probing earlier could take the lock first and make it fail instead.
wait_for_lock() {
    sleep 1
    kill -0 "$1"
}

# output_is TEXT: $output (from run) is exactly TEXT; on failure both are shown.
output_is() {
    [ "$output" = "$1" ] && return 0
    printf -- '--- expected output:\n%s\n--- got:\n%s\n---\n' "$1" "$output"
    return 1
}

# A Python with jsonschema and openapi-spec-validator (the machine's own has them;
# Debian packages only jsonschema), into $SPEC_PY; fails saying so when there is none.
find_spec_python() {
    local p
    SPEC_PY=
    for p in python3 "$HOME/.pyenv/shims/python3" /usr/local/bin/python3; do
        if "$p" -c 'import jsonschema, openapi_spec_validator' 2>/dev/null; then SPEC_PY=$p; return 0; fi
    done
    echo "no python3 with jsonschema and openapi-spec-validator" >&2
    return 1
}
