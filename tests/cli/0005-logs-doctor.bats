#!/usr/bin/env bats
# pluto-duck logs and doctor.
load helper

setup() { init_home; }

@test "the log is JSON lines with ts, level, msg and trace_id" {
    pd sql "select 1" >/dev/null
    run python3 -c "
import json
for l in open('$PLUTO_DUCK_HOME/logs/pluto-duck.log'):
    r = json.loads(l)
    assert {'ts', 'level', 'msg'} <= set(r), r
    assert r['ts'].endswith('Z')
print('ok')"
    output_is ok
    grep -q '"msg":"statement done".*"trace_id"' "$PLUTO_DUCK_HOME/logs/pluto-duck.log"
}

@test "logs: human-readable, raw jsonl, level and run-id filters, limit" {
    pd sql "select 1" >/dev/null
    pd sql "selec 1" 2>/dev/null || true
    run pd logs
    [ "$status" -eq 0 ]
    [[ "$output" =~ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:.]+\ INFO\ +statement\ done ]]
    run pd logs --format jsonl --level warn
    [[ "$output" == *'"msg":"statement failed"'* ]]
    [[ "$output" != *'"level":"info"'* ]]
    qid=$(pd logs --format jsonl | grep '"statement done"' | head -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["query_id"])')
    run pd logs --format jsonl --run-id "$qid"
    [ "${#lines[@]}" -eq 1 ]
    run pd logs -n 1 --format jsonl
    [ "${#lines[@]}" -eq 1 ]
    run pd logs --since 1h --format jsonl
    [ "${#lines[@]}" -ge 2 ]
    run pd logs --since 2999-01-01 --format jsonl
    [ -z "$output" ]
    run pd logs --level loud
    [ "$status" -eq 2 ]
    run pd logs --since whenever
    [ "$status" -eq 2 ]
}

@test "logs -f prints records written later and stops on Ctrl-C" {
    "$PD" logs -f --format jsonl > follow.txt &
    pid=$!
    sleep 0.5
    pd sql "select 'followed' as x" >/dev/null
    sleep 0.6
    kill -INT $pid
    wait $pid || true
    grep -q '"msg":"statement done"' follow.txt
    [ "$(grep -c statement follow.txt)" -ge 1 ]
}

@test "log level from config keeps debug records out" {
    pd -v sql "select 1" 2> verbose.txt >/dev/null
    grep -q 'DEBUG command start' verbose.txt
    ! grep -q '"level":"debug"' "$PLUTO_DUCK_HOME/logs/pluto-duck.log"
    pd -c log.level=debug sql "select 1" >/dev/null
    grep -q '"level":"debug"' "$PLUTO_DUCK_HOME/logs/pluto-duck.log"
}

@test "doctor: every check ok on a fresh home, json too" {
    run pd doctor
    [ "$status" -eq 0 ]
    for c in duckdb config home disk warehouse connectors logs; do
        [[ "$output" == *"$c"* ]]
    done
    [[ "$output" == *"DuckDB v1.4.4"* ]]
    run pd doctor --format json
    echo "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert all(c["status"]=="ok" for c in d), d; assert len(d)==8'
}

@test "doctor fails without a home and names the fix" {
    export PLUTO_DUCK_HOME="$BATS_TEST_TMPDIR/none"
    run pd doctor
    [ "$status" -eq 1 ]
    [[ "$output" == *"home"*"fail"*"run: pluto-duck init"* ]]
    [[ "${lines[-1]}" == "error: 2 checks failed" ]]
}
