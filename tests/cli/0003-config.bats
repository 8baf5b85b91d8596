#!/usr/bin/env bats
# pluto-duck config: layers, origins, set, warnings and invalid values.
load helper

setup() { init_home; }

@test "config list shows every key, its value and where it came from" {
    run pd config list
    [ "$status" -eq 0 ]
    [[ "$output" == *"home"*"$PLUTO_DUCK_HOME"*"env PLUTO_DUCK_HOME"* ]]
    for k in warehouse.threads warehouse.memory_limit query.timeout query.preview_rows log.level server.host server.port; do
        [[ "$output" == *"$k"* ]]
    done
    run pd config list --format json
    echo "$output" | python3 -c 'import json,sys; d={r["key"]: r for r in json.load(sys.stdin)}; assert d["server.port"]["value"]=="8123" and d["server.port"]["origin"]=="default"'
}

@test "precedence: config.yaml < .plutoduck < env < flag" {
    pd config set log.level warn 2>/dev/null
    run pd config get log.level
    output_is "warn"
    mkdir -p proj/sub && printf 'log:\n  level: error\n' > proj/.plutoduck
    cd proj/sub
    run pd config list --format csv
    [[ "$output" == *"log.level,error,$BATS_TEST_TMPDIR/proj/.plutoduck:2"* ]]
    PLUTO_DUCK_LOG_LEVEL=debug run pd config list --format csv
    [[ "$output" == *"log.level,debug,env PLUTO_DUCK_LOG_LEVEL"* ]]
    PLUTO_DUCK_LOG_LEVEL=debug run pd -c log.level=info config list --format csv
    [[ "$output" == *"log.level,info,flag --set"* ]]
}

@test ".plutoduck can point at another home" {
    unset PLUTO_DUCK_HOME
    mkdir proj && printf 'home: ./local-home\n' > proj/.plutoduck
    cd proj
    run pd init
    [ "$status" -eq 0 ]
    [ -f "$BATS_TEST_TMPDIR/proj/local-home/data/warehouse.duckdb" ]
    run pd config get home
    output_is "$BATS_TEST_TMPDIR/proj/./local-home"
}

@test "config set keeps comments and validates" {
    run pd config set warehouse.threads 2
    [ "$status" -eq 0 ]
    grep -q '^  threads: 2$' "$PLUTO_DUCK_HOME/config.yaml"
    grep -q '^# Pluto Duck settings' "$PLUTO_DUCK_HOME/config.yaml"
    grep -q 'Threads DuckDB may use' "$PLUTO_DUCK_HOME/config.yaml"
    run pd config list --format csv
    [[ "$output" == *"warehouse.threads,2,$PLUTO_DUCK_HOME/config.yaml:"* ]]
    run pd config set warehouse.threads lots
    [ "$status" -eq 1 ]
    [[ "$output" == *"'warehouse.threads' must be a whole number from 0 to 1024, got 'lots'"* ]]
    run pd config set no.such 1
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown setting 'no.such'"* ]]
    run pd config get no.such
    [ "$status" -eq 1 ]
    run pd config frobnicate
    [ "$status" -eq 2 ]
}

@test "unknown keys warn and name the key" {
    printf 'logging:\n  level: debug\n' >> "$PLUTO_DUCK_HOME/config.yaml"
    run pd sql "select 1"
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: $PLUTO_DUCK_HOME/config.yaml:"*"unknown setting 'logging.level'"* ]]
}

@test "invalid values fail with file:line and what is expected" {
    printf 'server:\n  port: 99999\n' > "$PLUTO_DUCK_HOME/config.yaml"
    run pd sql "select 1"
    [ "$status" -eq 1 ]
    output_is "error: $PLUTO_DUCK_HOME/config.yaml:2: 'server.port' must be a port number from 1 to 65535, got '99999'"
    printf 'server:\n  port: 9000\n' > "$PLUTO_DUCK_HOME/config.yaml"
    PLUTO_DUCK_QUERY_TIMEOUT=forever run pd config list
    [ "$status" -eq 1 ]
    [[ "$output" == *"PLUTO_DUCK_QUERY_TIMEOUT: 'query.timeout' must be a duration"* ]]
}

@test "broken YAML in config fails with config.yaml:LINE" {
    printf 'log:\n  level: info\n  - oops: [\n' > "$PLUTO_DUCK_HOME/config.yaml"
    run pd sql "select 1"
    [ "$status" -eq 1 ]
    [[ "$output" =~ ^"error: $PLUTO_DUCK_HOME/config.yaml:"[34]": " ]]
    run pd doctor
    [ "$status" -eq 1 ]
    [[ "$output" =~ "config      fail    $PLUTO_DUCK_HOME/config.yaml:"[34] ]]
}

@test "settings reach DuckDB" {
    pd config set warehouse.threads 1 2>/dev/null
    pd config set warehouse.memory_limit 512MB 2>/dev/null
    run pd sql --format csv "select current_setting('threads') as t, current_setting('memory_limit') as m"
    [ "${lines[1]}" = "1,488.2 MiB" ]
}
