#!/usr/bin/env bats
# pluto-duck sql: input forms, output formats, limits, files, and every bad input.
load helper

setup() { init_home; }

SLOW="select max(hash(i)) from range(1000000000000) t(i)"

@test "a table with types, right-aligned numbers and a row count" {
    run pd sql "select status, count(*) as n from orders group by 1 order by 1"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "┌"* ]]
    [[ "$output" == *"│ status    │ n      │"* ]]
    [[ "$output" == *"│ VARCHAR   │ BIGINT │"* ]]
    [[ "$output" == *"│ cancelled │    312 │"* ]]
    [ "${lines[-1]}" = "4 rows" ]
}

@test "SQL from a file, from stdin, and several statements" {
    printf 'select 40 + 2 as answer;\n' > q.sql
    run pd sql -f q.sql --format csv
    output_is $'answer\n42'
    run bash -c "echo 'select 7 as seven' | '$PD' sql --format csv"
    output_is $'seven\n7'
    run pd sql --format csv "create table t(a int); insert into t values (1), (2); select sum(a) as s from t"
    [ "$status" -eq 0 ]
    output_is $'s\n3'
    run pd sql "create table t2(a int); insert into t2 values (1), (2)"
    [[ "$output" == *"CREATE"* ]]
    [[ "$output" == *"INSERT 2 rows"* ]]
}

@test "json, jsonl and csv are complete and machine-readable" {
    run pd sql --format json "select * from orders order by order_id"
    [ "$status" -eq 0 ]
    echo "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==3000, len(d); assert d[0]["order_id"]==1'
    run pd sql --format jsonl "select order_id, amount from orders order by 1 limit 3"
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" == '{"order_id":1,"amount":'* ]]
    run pd sql --format csv --limit 2 "select order_id from orders order by 1"
    output_is $'order_id\n1\n2'
    run pd sql --format json "select 1 as x where false"
    output_is "[]"
}

@test "--limit and the preview say how many rows were not shown" {
    run pd sql "select * from range(250)"
    [ "${lines[-1]}" = "250 rows (100 shown; use --limit N, or --format csv|json for all)" ]
    run pd sql --limit 3 "select * from range(250)"
    [[ "${lines[-1]}" == "250 rows (3 shown"* ]]
    run pd -c query.preview_rows=10 sql "select * from range(250)"
    [[ "${lines[-1]}" == "250 rows (10 shown"* ]]
    run pd sql --limit 0 "select 1"
    [ "$status" -eq 2 ]
}

@test "--output writes parquet, csv and json that read back" {
    run pd sql --output "$BATS_TEST_TMPDIR/o.parquet" "select * from orders"
    [ "$status" -eq 0 ]
    [[ "$output" == *"wrote 3000 rows to"* ]]
    pd sql --output "$BATS_TEST_TMPDIR/o.csv" "select * from products" 2>/dev/null
    pd sql --output "$BATS_TEST_TMPDIR/o.json" "select * from customers" 2>/dev/null
    run pd sql --format csv "select (select count(*) from '$BATS_TEST_TMPDIR/o.parquet'), (select count(*) from read_csv('$BATS_TEST_TMPDIR/o.csv')), (select count(*) from read_json('$BATS_TEST_TMPDIR/o.json'))"
    [ "${lines[1]}" = "3000,60,500" ]
    python3 -c "import json; assert len(json.load(open('$BATS_TEST_TMPDIR/o.json'))) == 500"
    run pd sql --output o.xlsx "select 1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"use a .parquet, .csv, .json or .jsonl file"* ]]
}

@test "invalid SQL: DuckDB's message with position, exit 1, recorded in history" {
    run pd sql "selec * from orders"
    [ "$status" -eq 1 ]
    [[ "$output" == *'Parser Error: syntax error at or near "selec"'* ]]
    [[ "$output" == *"LINE 1: selec * from orders"* ]]
    [[ "$output" == *"^"* ]]
    run pd history --failed --format csv
    [[ "$output" == *"selec * from orders"* ]]
    [[ "$output" == *",error,"* ]]
    grep -q '"status":"error"' "$PLUTO_DUCK_HOME"/artifacts/queries/*.jsonl
}

@test "a missing table names it" {
    run pd sql "select * from ordrs"
    [ "$status" -eq 1 ]
    [[ "$output" == *"ordrs"* ]]
    [[ "$output" == *"orders"* ]]
}

@test "timeout cancels with a clear message and exit 1" {
    run pd sql --timeout 1s "$SLOW"
    [ "$status" -eq 1 ]
    output_is "error: query cancelled after 1 s (timeout)"
    run pd -c query.timeout=500ms sql "$SLOW"
    output_is "error: query cancelled after 0.5 s (timeout)"
    run pd history --failed --format csv --limit 1
    [[ "$output" == *",timeout,"* ]]
    run pd sql --timeout soon "select 1"
    [ "$status" -eq 2 ]
    [[ "$output" == *"--timeout must be a duration"* ]]
}

@test "empty SQL and comment-only SQL are user errors" {
    run pd sql ""
    [ "$status" -eq 1 ]
    [[ "$output" == *"no SQL statement to run"* ]]
    run pd sql -- "-- just a comment"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no SQL statement to run"* ]]
    run bash -c "printf '/* nothing */\n' | '$PD' sql"
    [ "$status" -eq 1 ]
}

@test "a statement that returns no rows prints an empty table" {
    run pd sql "select * from orders where false"
    [ "$status" -eq 0 ]
    [[ "$output" == *"order_id"* ]]
    [ "${lines[-1]}" = "0 rows" ]
}

@test "10,000 columns: the table fits the terminal, json has them all" {
    python3 -c "print('select ' + ', '.join(f'{i} as c{i}' for i in range(10000)))" > wide.sql
    COLUMNS=100 run pd sql -f wide.sql
    [ "$status" -eq 0 ]
    [[ "${lines[-1]}" == "1 row, 10000 columns ("*" shown)" ]]
    for l in "${lines[@]}"; do [ "$(printf '%s' "$l" | wc -m)" -le 100 ]; done
    run bash -c "'$PD' sql --format json -f wide.sql | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]))'"
    output_is "10000"
}

@test "a 100 MB string: cut in a table, whole in json" {
    run pd sql "select length(repeat('x', 100000000)) as n, repeat('x', 100000000) as s"
    [ "$status" -eq 0 ]
    [[ "$output" == *"xxxxxxxx…"* ]]
    [ "$(pd sql --format jsonl "select repeat('x', 100000000) as s" | wc -c)" -eq 100000009 ]
}

@test "Ctrl-C cancels, prints cancelled, exits 130 and keeps the warehouse intact" {
    pd sql "create table before_c as select 1 as x" >/dev/null
    "$PD" sql "create table during_c as $SLOW" > out.txt 2> err.txt &
    pid=$!
    sleep 1
    kill -INT $pid
    wait $pid && rc=0 || rc=$?
    [ "$rc" -eq 130 ]
    grep -qx cancelled err.txt
    run pd sql --format csv "select count(*) from information_schema.tables where table_name in ('before_c', 'during_c')"
    [ "${lines[1]}" = "1" ]
    run pd history --failed --format csv --limit 1
    [[ "$output" == *",cancelled,"*"create table during_c"* ]]
}

@test "a warehouse held by another process: says which pid" {
    "$PD" sql --timeout 30s "$SLOW" >/dev/null 2>&1 &
    pid=$!
    wait_for_lock $pid
    run pd sql "select 1"
    kill -INT $pid; wait $pid || true
    [ "$status" -eq 1 ]
    [[ "$output" == *"is in use by another process (pid $pid"* ]]
    [[ "$output" == *"try again"* ]]
}

@test "usage errors exit 2" {
    run pd sql --no-such-flag "select 1"
    [ "$status" -eq 2 ]
    run pd sql --format xml "select 1"
    [ "$status" -eq 2 ]
    [[ "$output" == *"--format must be table, csv, json or jsonl"* ]]
    run pd sql -f q.sql "select 1"
    [ "$status" -eq 2 ]
    run pd sql "select 1" "select 2"
    [ "$status" -eq 2 ]
}
