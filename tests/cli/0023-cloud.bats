#!/usr/bin/env bats
# pluto-cloud, the team control plane: its command line, and the server end to
# end on a private PostgreSQL (tests/cloud/cloud_check.py: tokens, the role
# matrix, IDOR, the audit log, a PostgreSQL restart under it).

load helper

CLOUD=${PD_BUILD:?}/bin/pluto-cloud

setup() {
    cd "$BATS_TEST_TMPDIR"
}

@test "pluto-cloud --help names its commands; a wrong one is a usage error (2)" {
    run "$CLOUD" --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"serve"* && "$output" == *"migrate"* && "$output" == *"user add EMAIL"* ]]
    run "$CLOUD" frobnicate
    [ "$status" -eq 2 ]
    [[ "$output" == *"try --help"* ]]
    run "$CLOUD" serve --port 99999
    [ "$status" -eq 2 ]
    run "$CLOUD" version
    [[ "$output" == "pluto-cloud "* ]]
}

@test "pluto-cloud links no DuckDB" {
    run ldd "$CLOUD"
    [ "$status" -eq 0 ]
    [[ "$output" != *duckdb* ]]
    [[ "$output" == *libpq* ]]
}

@test "migrate without a database says what to give" {
    run "$CLOUD" migrate
    [ "$status" -eq 2 ]
    [[ "$output" == *"--dsn"* ]]
}

@test "the server end to end: sign-in, tokens, roles, IDOR, audit, a database restart" {
    find_spec_python
    # Outside the 0700 bats folder: as root, the postgres user must pass through it.
    local dir
    dir=$(mktemp -d /tmp/pd-cloud.XXXXXX)
    chmod 711 "$dir"
    run timeout 600 "$SPEC_PY" "$PD_BUILD/../tests/cloud/cloud_check.py" "$CLOUD" "$dir/w"
    echo "$output"
    rm -rf "$dir"
    [ "$status" -eq 0 ]
    [[ "$output" == *"role matrix: "*" calls"* ]]
    [[ "$output" == *"all checks passed"* ]]
}

@test "schedules end to end: polls with ETags, one claim wins, grace and catch-up, a real minute swept by two servers" {
    find_spec_python
    local dir
    dir=$(mktemp -d /tmp/pd-cloud.XXXXXX)
    chmod 711 "$dir"
    run timeout 600 "$SPEC_PY" "$PD_BUILD/../tests/cloud/schedule_check.py" "$CLOUD" "$dir/w"
    echo "$output"
    rm -rf "$dir"
    [ "$status" -eq 0 ]
    [[ "$output" == *"schedules: all checks passed"* ]]
}
