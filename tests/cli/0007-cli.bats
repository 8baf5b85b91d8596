#!/usr/bin/env bats
# The command line itself: help for every command, version, exit codes.
load helper

setup() { setup_home; }

@test "--help on every command, generated from the table" {
    for cmd in init sql shell history profile config logs doctor version; do
        run pd $cmd --help
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "usage: pluto-duck $cmd"* ]]
        [[ "$output" == *"--home DIR"* ]]
    done
    run pd sql --help
    [[ "$output" == *"--timeout DURATION"* ]]
    [[ "$output" == *"--format FMT"* ]]
    run pd --help
    [ "$status" -eq 0 ]
    for cmd in init sql shell history profile config logs doctor version; do
        [[ "$output" == *"  $cmd "* ]]
    done
}

@test "version prints ours and DuckDB's" {
    run pd version
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^pluto-duck\ [0-9]+\.[0-9]+\.[0-9]+\ \(build\ [0-9a-f]{12},\ DuckDB\ v1\.4\.4\)$ ]]
    run pd --version
    [[ "$output" == *"v1.4.4"* ]]
    run pd version --format json
    echo "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["duckdb"]=="v1.4.4"; assert len(d["build"])==40'
}

@test "usage errors exit 2 with a pointer to help" {
    run pd
    [ "$status" -eq 2 ]
    run pd frobnicate
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown command 'frobnicate' (see: pluto-duck --help)"* ]]
    run pd --bogus
    [ "$status" -eq 2 ]
    run pd profile
    [ "$status" -eq 2 ]
    [[ "$output" == *"expected TABLE"* ]]
    run pd -c nokey sql "select 1"
    [ "$status" -eq 2 ]
    run pd -c no.such=1 version
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown setting 'no.such'"* ]]
}

@test "the binary runs without LD_LIBRARY_PATH" {
    run env -u LD_LIBRARY_PATH "$PD" version
    [ "$status" -eq 0 ]
    run readelf -d "$PD"
    [[ "$output" == *'$ORIGIN/../lib'* ]]
}

@test "start-up loads only what the command uses; version and --help touch no warehouse" {
    # the connectors', HTTP client's, keychain's, server's and line editor's libraries are
    # loaded when first used: a query needs none of them
    pd init >/dev/null
    LD_DEBUG=files "$PD" sql "select 1" >/dev/null 2>"$BATS_TEST_TMPDIR/ld"
    grep -q "file=libduckdb.so" "$BATS_TEST_TMPDIR/ld" # the check sees what is loaded
    for lib in libpq libmariadb libcurl libsecret libmicrohttpd libedit libgnutls libssl; do
        if grep -q "file=$lib" "$BATS_TEST_TMPDIR/ld"; then echo "loaded $lib"; false; fi
    done
    run readelf -d "$PD"
    [[ "$output" != *libpq* && "$output" != *libcurl* && "$output" != *libmicrohttpd* ]]
    # a source that needs one loads it then
    LD_DEBUG=files "$PD" source attach pg --type postgres --dsn "postgresql://u@127.0.0.1:1/db" \
        >/dev/null 2>"$BATS_TEST_TMPDIR/ld" || true
    grep -q "file=libpq.so" "$BATS_TEST_TMPDIR/ld"
    grep -q "cannot connect to postgres source pg" "$BATS_TEST_TMPDIR/ld"
    # version and --help work without a data home, and make none
    run env PLUTO_DUCK_HOME="$BATS_TEST_TMPDIR/nowhere" "$PD" version
    [ "$status" -eq 0 ]
    run env PLUTO_DUCK_HOME="$BATS_TEST_TMPDIR/nowhere" "$PD" --help
    [ "$status" -eq 0 ]
    [ ! -e "$BATS_TEST_TMPDIR/nowhere" ]
}

@test "options may follow arguments, and --home works after the command" {
    "$PD" --home "$BATS_TEST_TMPDIR/h3" init >/dev/null
    run pd sql "select 1 as x" --home "$BATS_TEST_TMPDIR/h3" --format csv
    output_is $'x\n1'
}
