#!/usr/bin/env bats
# pluto-duck history and profile.
load helper

setup() { init_home; }

@test "a command that only reads leaves the warehouse as it was (no log to replay, no checkpoint); its history is there when read" {
    data=$PLUTO_DUCK_HOME/data
    pd history >/dev/null # whatever init left is folded in
    pd sql "select 11 as eleven" >/dev/null
    pd sql "select 12 as twelve" >/dev/null
    [ ! -s "$data/warehouse.duckdb.wal" ]
    [ -s "$data/warehouse.duckdb.journal" ]
    # plain SQL on _pluto sees them (and folds them in)
    [ "$(pd sql --format csv "select count(*) from _PLUTO.query_history where sql in ('select 11 as eleven', 'select 12 as twelve')" | tail -1)" = 2 ]
    [ ! -e "$data/warehouse.duckdb.journal" ]
    # a run that writes commits them with its own rows, in order
    pd sql "select 13 as thirteen" >/dev/null
    pd sql "create table t13 as select 13 as n" >/dev/null
    [ ! -e "$data/warehouse.duckdb.journal" ]
    run pd history --limit 4 --format jsonl
    echo "$output" | python3 -c '
import json, sys
sqls = [json.loads(l)["sql"] for l in sys.stdin]
assert sqls[:2] == ["create table t13 as select 13 as n", "select 13 as thirteen"], sqls'
    # a record of an older version (an INSERT statement) is run; a record torn by a
    # killed process is dropped, and nothing else
    pd sql "select 14 as fourteen" >/dev/null
    sed -n 2p "$data/warehouse.duckdb.journal" | grep -q '^\["query_history","'
    old="INSERT INTO _pluto.query_history (id, sql, statement_type, started_at, duration_ms, rows, status, error, origin) VALUES ('legacy-1', 'select 16 as legacy', 'SELECT', to_timestamp(1), 1.5, 1, 'ok', NULL, 'cli')"
    printf '%d\n%s\n' "${#old}" "$old" >>"$data/warehouse.duckdb.journal"
    printf '40\nselect 15 as fift' >>"$data/warehouse.duckdb.journal"
    run pd history --limit 3 --format jsonl
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *'select 14 as fourteen'* ]]
    [[ "$output" != *fift* ]]
    [ "$(pd sql --format csv "select count(*) from _pluto.query_history where id = 'legacy-1'" | tail -1)" = 1 ]
}

@test "history lists statements newest first with status, rows and duration" {
    pd sql "select 1 as first" >/dev/null
    pd sql "select * from orders limit 7" >/dev/null
    pd sql "selec broken" 2>/dev/null || true
    run pd history --format csv
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "id,started_at,duration_ms,status,rows,statement_type,sql,error" ]
    run pd history --format jsonl
    [ "$status" -eq 0 ]
    echo "$output" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r["sql"] for r in rows] == ["selec broken", "select * from orders limit 7", "select 1 as first"], rows
assert rows[0]["status"] == "error" and "syntax error" in rows[0]["error"]
assert rows[1]["rows"] == 7 and rows[1]["statement_type"] == "SELECT" and rows[1]["error"] is None
assert rows[2]["duration_ms"] >= 0'
    run pd history --limit 1 --format jsonl
    [ "${#lines[@]}" -eq 1 ]
    run pd history --failed --format jsonl
    [ "${#lines[@]}" -eq 1 ]
    run pd history --limit -3
    [ "$status" -eq 2 ]
    ls "$PLUTO_DUCK_HOME"/artifacts/queries/*.jsonl
    [ "$(cat "$PLUTO_DUCK_HOME"/artifacts/queries/*.jsonl | wc -l)" -eq 3 ]
}

@test "profile: type, null %, distinct, min, max, mean per column" {
    run pd profile orders --format csv
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "column,type,null_pct,approx_distinct,min,max,mean" ]
    [[ "$output" == *"order_id,INTEGER,0.0,"*",1,3000,1500.5"* ]]
    [[ "$output" == *"status,VARCHAR,0.0,"*",cancelled,shipped,"* ]]
    run pd profile main.customers
    [ "$status" -eq 0 ]
    [[ "$output" == *"signup_date"* ]]
}

@test "profile of a missing table or a bad name is a clear error" {
    run pd profile nosuch
    [ "$status" -eq 1 ]
    [[ "$output" == *"nosuch"* ]]
    run pd profile 'a.b.c'
    [ "$status" -eq 1 ]
    [[ "$output" == *"not a table name"* ]]
    run pd profile 'x"; drop table orders; --'
    [ "$status" -eq 1 ]
    run pd sql --format csv "select count(*) from orders"
    [ "${lines[1]}" = "3000" ]
}

@test "history --search: statements whose SQL contains the text, any case; % and _ are plain characters" {
    pd sql "select 'x_y' as v" >/dev/null
    pd sql "select 'xay' as v" >/dev/null
    pd sql "select 42 as Answer" >/dev/null
    run pd history --search "X_Y" --format csv
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ] && [[ "${lines[1]}" == *"select 'x_y' as v"* ]]
    run pd history --search "answer" --format csv
    [[ "${lines[1]}" == *"select 42 as Answer"* ]]
    run pd history --search "x%y" --format csv
    [ "${#lines[@]}" -eq 1 ]
}
