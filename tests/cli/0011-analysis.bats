#!/usr/bin/env bats
# Saved analyses (duckpipe): files, refs, parameters, materializations, plans,
# freshness, run history, lineage, and every bad input the issue lists.
load helper

setup() {
    init_home
    A="$PLUTO_DUCK_HOME/projects/default/analyses"
}

chain() {
    pd analysis new a --sql "select 1 as v" >/dev/null
    pd analysis new b --sql "select v*2 as v from {{ref('a')}}" >/dev/null
    pd analysis new c --sql "select v*3 as v from {{ref('b')}}" --materialize table >/dev/null
}

@test "chain: run +c builds a, b, c in order and analysis.c = 6" {
    chain
    run pd analysis run +c
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "1/3 a: ok"* ]]
    [[ "${lines[1]}" == "2/3 b: ok"* ]]
    [[ "${lines[2]}" == "3/3 c: ok, 1 rows (table)"* ]]
    [ "$(pd sql 'select v from analysis.c' --format csv | tail -1)" = 6 ]
    # files are plain YAML with the SQL as written
    grep -q "{{ref('a')}}" "$A/b.yaml"
    grep -q "^materialize: table" "$A/c.yaml"
}

@test "freshness: fresh after a run, force runs, re-running a makes b and c stale, failures stay stale" {
    chain
    pd analysis run +c >/dev/null
    run pd analysis compile +c --plan-only
    [ "${lines[1]}" = "1     a         view         skip    fresh" ]
    [ "${lines[3]}" = "3     c         table        skip    fresh" ]
    run pd analysis compile +c --plan-only --force
    [[ "${lines[3]}" == *"run     forced" ]]
    sleep 0.01
    pd analysis run a --force >/dev/null
    run pd analysis freshness
    [[ "${lines[1]}" == "a "*"fresh"* ]]
    [[ "${lines[2]}" == "b "*"stale   upstream rebuilt"* ]]
    [[ "${lines[3]}" == "c "*"stale   upstream stale"* ]]
    run pd analysis list --stale --format csv
    [ "${#lines[@]}" -eq 3 ]
    # a failing run never makes an analysis fresh
    pd analysis run +c >/dev/null
    pd analysis new c --replace --sql "select v*3 as v, nonexistent from {{ref('b')}}" --materialize table >/dev/null
    run pd analysis run c
    [ "$status" -eq 1 ]
    [[ "$output" == *"analysis c ("*"c.yaml): "*"nonexistent"* ]]
    [ "$(pd sql 'select v from analysis.c' --format csv | tail -1)" = 6 ]   # old table kept
    run pd analysis freshness c
    [[ "${lines[1]}" == *"stale"* ]]
}

@test "history: two runs give two rows with run ids; logs carry the run id" {
    pd analysis new a --sql "select 1 as v" >/dev/null
    pd analysis run a --force >/dev/null
    pd analysis run a --force --format json > run2.json
    run pd analysis history a --format csv
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[1]}" == *",a,"*",ok,"* ]]
    id=$(python3 -c 'import json; print(json.load(open("run2.json"))["run_id"])')
    grep -q "\"run_id\":\"$id\"" "$PLUTO_DUCK_HOME/logs/pluto-duck.log"
    [ "$(pd sql "select count(*) from _duckpipe.run_history where run_id = '$id'" --format csv | tail -1)" = 1 ]
}

@test "preview creates nothing in schema analysis" {
    pd analysis new a --sql "select 41 + 1 as answer" --materialize table >/dev/null
    run pd analysis preview a --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = 42 ]
    [ "$(pd sql "select count(*) from duckdb_tables() where schema_name = 'analysis'" --format csv | tail -1)" = 0 ]
    [ "$(pd sql "select count(*) from duckdb_views() where schema_name = 'analysis'" --format csv | tail -1)" = 0 ]
}

@test "parameters: bound values round-trip, lists expand, defaults apply, errors name the parameter" {
    pd analysis new p --sql "select :value as value, {{ param('name') }} as name, (select count(*) from range(10) t(i) where i in (:ids)) as n" \
        --param value:int --param name:string=hello --param 'ids:list=[0]' >/dev/null
    run pd analysis preview p --params '{"value": 42, "ids": [1,2,3]}' --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "42,hello,3" ]
    run pd analysis preview p --params "value=7,name=it's,ids=[1]" --format csv
    [ "${lines[1]}" = "7,it's,1" ]
    run pd analysis preview p --params "value=1; drop table analysis.x" --format csv
    [ "$status" -eq 1 ]
    [[ "$output" == *"parameter value: '1; drop table analysis.x' is not a valid int"* ]]
    run pd analysis preview p
    [ "$status" -eq 1 ]
    [[ "$output" == *"missing required parameter value (int)"* ]]
    run pd analysis preview p --params value=1,bogus=2
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown parameter 'bogus'"* ]]
    run pd analysis new q --sql "select :undeclared as x" --materialize table
    [ "$status" -eq 1 ]
    [[ "$output" == *":undeclared"* ]]
    # values are never pasted into the SQL text
    pd analysis run p --params value=5 >/dev/null
    [ "$(pd sql 'select name, n from analysis.p' --format csv | tail -1)" = "hello,1" ]
    ! grep -q "5 as value" "$PLUTO_DUCK_HOME/artifacts/queries/"*.jsonl 2>/dev/null
}

@test "append twice doubles the rows and reports the rows inserted each time" {
    pd analysis new ap --sql "select i from range(3) t(i)" --materialize append >/dev/null
    run pd analysis run ap
    [[ "${lines[0]}" == "1/1 ap: ok, 3 rows (append)"* ]]
    run pd analysis run ap --force
    [[ "${lines[0]}" == "1/1 ap: ok, 3 rows (append)"* ]]
    [ "$(pd sql 'select count(*) from analysis.ap' --format csv | tail -1)" = 6 ]
}

@test "incremental: unique_key delete+insert, is_incremental and this, --full-refresh; no key is refused" {
    run pd analysis new bad --sql "select 1 as id" --materialize incremental
    [ "$status" -eq 1 ]
    [[ "$output" == *"incremental but has no unique_key"* ]]
    pd analysis new inc --unique-key id --sql "select i as id, i * 10 as v from range(5) t(i)
        {% if is_incremental() %} where i >= (select max(id) - 1 from {{ this }}) {% endif %}" >/dev/null
    grep -q "^materialize: incremental" "$A/inc.yaml"
    run pd analysis run inc
    [[ "${lines[0]}" == *"ok, 5 rows"* ]]
    run pd analysis run inc --force
    [[ "${lines[0]}" == *"ok, 2 rows"* ]]
    [ "$(pd sql 'select count(*), count(distinct id) from analysis.inc' --format csv | tail -1)" = "5,5" ]
    run pd analysis run inc --force --full-refresh
    [[ "${lines[0]}" == *"ok, 5 rows"* ]]
}

@test "parquet writes its path; an unwritable path fails and keeps nothing half-written" {
    pd analysis new pq --sql "select 7 as a" --materialize parquet --path "$BATS_TEST_TMPDIR/out.parquet" >/dev/null
    pd analysis run pq >/dev/null
    [ "$(pd sql "select a from read_parquet('$BATS_TEST_TMPDIR/out.parquet')" --format csv | tail -1)" = 7 ]
    [ "$(pd sql 'select a from analysis.pq' --format csv | tail -1)" = 7 ]
    pd analysis new pq2 --sql "select 1 as a" --materialize parquet --path /proc/nope/x.parquet >/dev/null
    run pd analysis run pq2
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot write /proc/nope/x.parquet"* ]]
}

@test "ephemeral analyses are inlined as CTEs and never materialized" {
    pd analysis new e --sql "select 5 as e" --materialize ephemeral >/dev/null
    pd analysis new u --sql "with z as (select 1 as q) select e, q from {{ ref('e') }}, z" >/dev/null
    run pd analysis run +u
    [ "$status" -eq 0 ]
    [ "$(pd sql 'select e + q from analysis.u' --format csv | tail -1)" = 6 ]
    [ "$(pd sql "select count(*) from duckdb_views() where view_name = 'e'" --format csv | tail -1)" = 0 ]
}

@test "references: plain SQL, CTE-aware; unknown refs are errors naming them" {
    pd analysis new t --sql "select count(*) as n from orders" >/dev/null
    pd analysis new w --sql "with orders as (select 1) select * from orders" >/dev/null
    run pd analysis new x --sql "select * from {{ ref('nope') }}"
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown reference ref('nope')"* ]]
    run pd analysis new y --sql "select * from no_such_table"
    [ "$status" -eq 1 ]
    [[ "$output" == *"reads no_such_table, which does not exist"* ]]
    run pd analysis new z --sql "select * from analysis.ghost"
    [ "$status" -eq 1 ]
    [[ "$output" == *"has no analysis ghost"* ]]
    run pd analysis new f --sql "select * from 'missing.parquet'"
    [ "$status" -eq 1 ]
    [[ "$output" == *"reads the file missing.parquet, which does not exist"* ]]
    run pd analysis new s --sql "select * from {{ ref('source:nosrc.t') }}"
    [ "$status" -eq 1 ]
    [[ "$output" == *"nosrc.t, which does not exist"* ]]
    run pd analysis show t --format csv
    [[ "$output" == *"reads,table:main.orders"* ]]
    [ ! -e "$A/x.yaml" ] && [ ! -e "$A/y.yaml" ]
}

@test "cycles are errors that print the path; duplicate and invalid ids are refused" {
    pd analysis new a --sql "select 1 as v" >/dev/null
    pd analysis new b --sql "select * from {{ ref('a') }}" >/dev/null
    run pd analysis new a --replace --sql "select * from {{ ref('b') }}"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cycle: "*"a -> b -> a"* || "$output" == *"cycle: "*"b -> a -> b"* ]]
    grep -q "select 1 as v" "$A/a.yaml"     # nothing saved
    run pd analysis new a --sql "select 2"
    [ "$status" -eq 1 ]
    [[ "$output" == *"exists already"* ]]
    for bad in 1a a-b "x;drop" ""; do
        run pd analysis new "$bad" --sql "select 1"
        [ "$status" -ne 0 ]
        [[ "$output" == *"invalid analysis name"* || "$output" == *"id is empty"* ]]
    done
    # a duplicate id by hand (two files claiming one id) and a file whose id differs
    printf 'id: a\nsql: select 3\n' > "$A/dup.yaml"
    run pd analysis list
    [ "$status" -eq 1 ]
    [[ "$output" == *"dup.yaml: id 'a' does not match the file name"* ]]
}

@test "hand edits are picked up; YAML errors name file:line; saving unchanged rewrites identical bytes" {
    pd analysis new a --sql "select 1 as v" --tag daily >/dev/null
    cp "$A/a.yaml" before.yaml
    pd analysis new a --replace --sql "select 1 as v" --tag daily >/dev/null
    cmp before.yaml "$A/a.yaml"
    sed -i 's/select 1 as v/select 2 as v/' "$A/a.yaml"
    run pd analysis preview a --format csv
    [ "${lines[1]}" = 2 ]
    run pd analysis list --tag daily --format csv
    [[ "${lines[1]}" == a,* ]]
    printf 'id: b\nsql: [unclosed\n' > "$A/b.yaml"
    run pd analysis list
    [ "$status" -eq 1 ]
    [[ "$output" == *"b.yaml:"[0-9]* ]]
    printf 'id: b\nsql: select 1\nbogus: 1\n' > "$A/b.yaml"
    run pd analysis list
    [[ "$output" == *"unknown key 'bogus'"* ]]
    printf 'id: b\nsql: select * frm x\n' > "$A/b.yaml"
    run pd analysis list
    [ "$status" -eq 1 ]
    [[ "$output" == *"b.yaml: analysis b: "*"syntax error"* ]]
}

@test "delete refuses while others depend on it unless --force, and drops what it made" {
    pd analysis new a --sql "select 1 as v" --materialize table >/dev/null
    pd analysis new b --sql "select * from {{ ref('a') }}" >/dev/null
    pd analysis run +b >/dev/null
    run pd analysis delete a
    [ "$status" -eq 1 ]
    [[ "$output" == *"analysis a is read by b"* ]]
    [ -e "$A/a.yaml" ]
    pd analysis delete b
    run pd analysis delete a
    [ "$status" -eq 0 ]
    [ ! -e "$A/a.yaml" ]
    [ "$(pd sql "select count(*) from duckdb_tables() where schema_name = 'analysis'" --format csv | tail -1)" = 0 ]
}

@test "lineage: mermaid, dot and json for the graph; column lineage from the SELECT list" {
    pd analysis new j --sql "select o.customer_id, c.name, sum(o.amount) as total from orders o join customers c on c.customer_id = o.customer_id group by all" --materialize table >/dev/null
    pd analysis new k --sql "select total * 2 as doubled from {{ ref('j') }}" >/dev/null
    run pd analysis lineage k --format mermaid
    [ "${lines[0]}" = "graph LR" ]
    [[ "$output" == *'["k<br/>analysis"]'* ]]
    [[ "$output" == *'[("main.orders<br/>table")]'* ]]
    run pd analysis lineage --format dot
    [[ "$output" == *'"analysis:j" -> "analysis:k";'* ]]
    [[ "$output" == *'"table:main.orders" -> "analysis:j";'* ]]
    pd analysis lineage k --format json > g.json
    python3 - <<'PY'
import json
g = json.load(open("g.json"))
ids = {n["id"] for n in g["nodes"]}
assert {"analysis:j", "analysis:k", "table:main.orders", "table:main.customers"} <= ids, ids
j = [n for n in g["nodes"] if n["id"] == "analysis:j"][0]
assert j["columns"] == {"customer_id": ["main.orders.customer_id"], "name": ["main.customers.name"],
                        "total": ["main.orders.amount"]}, j["columns"]
PY
    run pd analysis lineage k --columns
    output_is '{"doubled":["analysis.j.total"]}'
}

@test "sources: a live source makes dependents stale unless assume_fresh; a refreshed cache makes them stale" {
    sqlite3 lite.db "create table t (x integer); insert into t values (1), (2);"
    pd source attach lite --type sqlite --path lite.db >/dev/null
    pd source cache lite t --as lite_t >/dev/null
    pd analysis new live --sql "select sum(x) as s from lite.t" >/dev/null
    pd analysis new calm --sql "select sum(x) as s from lite.t" --freshness assume_fresh >/dev/null
    pd analysis new cached --sql "select sum(x) as s from cache.lite_t" >/dev/null
    pd analysis run >/dev/null
    run pd analysis freshness --format csv
    [[ "$output" == *"cached,fresh,fresh"* ]]
    [[ "$output" == *"calm,fresh,fresh"* ]]
    [[ "$output" == *"live,stale,live source"* ]]
    sleep 0.01
    pd cache refresh lite_t >/dev/null
    run pd analysis freshness cached --format csv
    [[ "${lines[1]}" == "cached,stale,source refreshed"* ]]
    run pd analysis show live --format csv
    [[ "$output" == *"reads,source:lite.t"* ]]
}

@test "continue-on-failure: dependents of a failure are skipped, independent steps still run" {
    pd analysis new ok1 --sql "select 1 as v" >/dev/null
    pd analysis new bad --sql "select 1 as v" --materialize table >/dev/null
    pd analysis new dep --sql "select * from {{ ref('bad') }}" >/dev/null
    pd analysis new ok2 --sql "select 2 as v" >/dev/null
    sed -i 's/select 1 as v/select error(\x27boom\x27) as v/' "$A/bad.yaml"
    run pd analysis run --continue-on-failure
    [ "$status" -eq 1 ]
    [[ "$output" == *"bad: failed: "*"boom"* ]]
    [[ "$output" == *"dep: skipped, upstream failed"* ]]
    [[ "$output" == *"Done: 2 ok, 1 failed, 1 skipped"* ]]
    [ "$(pd sql "select status from _duckpipe.run_history where analysis = 'dep'" --format csv | tail -1)" = skipped ]
}

@test "a step timeout cancels it and leaves the previous result" {
    pd analysis new slow --sql "select 1 as v" --materialize table >/dev/null
    pd analysis run slow >/dev/null
    sed -i 's/select 1 as v/select count(*) as v from range(100000000000)/' "$A/slow.yaml"
    run pd analysis run slow --timeout 1s
    [ "$status" -eq 1 ]
    [[ "$output" == *"timed out after 1 s"* ]]
    [ "$(pd sql 'select v from analysis.slow' --format csv | tail -1)" = 1 ]
}

@test "project create|list|show|delete on the CLI; analyses per project in their own schema" {
    run pd analysis new n --project sales --sql "select 1 as v"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no project 'sales'"*"pluto-duck project create sales"* ]]
    run pd project create sales --description "the sales team"
    [ "$status" -eq 0 ]
    run pd project create sales
    [ "$status" -eq 1 ]
    [[ "$output" == *"exists already"* ]]
    pd analysis new n --project sales --sql "select 1 as v" -m table >/dev/null
    pd analysis new n --sql "select 2 as v" -m table >/dev/null
    pd analysis run --project sales >/dev/null
    pd analysis run >/dev/null
    [ "$(pd sql --format csv 'select (select v from analysis_sales.n) || (select v from analysis.n) as x' | tail -1)" = 12 ]
    run pd project list --format csv
    [ "${lines[0]}" = "id,description,analyses,boards,schema,folder,created_at" ]
    [[ "${lines[1]}" == "default,the default project,1,0,analysis,"* ]]
    [[ "${lines[2]}" == "sales,the sales team,1,0,analysis_sales,"* ]]
    run pd project delete sales </dev/null
    [ "$status" -eq 1 ]
    [[ "$output" == *"type its name to confirm (--confirm sales"* ]]
    run pd project delete default --confirm default
    [ "$status" -eq 1 ]
    [ "$(pd sql --format csv 'select v from analysis_sales.n' | tail -1)" = 1 ]
    run pd project delete sales --confirm sales
    [ "$status" -eq 0 ]
    [ ! -e "$PLUTO_DUCK_HOME/projects/sales" ]
    run pd project show sales
    [ "$status" -eq 1 ]
    [ "$(pd sql --format csv 'select v from analysis.n' | tail -1)" = 2 ]
}

@test "found by fuzzing: an unclosed for, a minus at the end, a file that is not UTF-8 - each a clear error" {
    pd analysis new ok --sql "select 1 as v" >/dev/null
    printf 'id: loop\nsql: "select {%% for c in [1] %%}{{ c }}"\n' > "$A/loop.yaml"
    run pd analysis run loop
    [ "$status" -ne 0 ]
    [[ "$output" == *"missing {% endfor %}"* ]]
    rm "$A/loop.yaml"
    printf 'id: minus\nsql: "select {{ [1] ~ - }}"\n' > "$A/minus.yaml"
    run pd analysis run minus
    [ "$status" -ne 0 ]
    [[ "$output" == *"minus.yaml:2: unexpected 'end' in an expression"* ]]
    rm "$A/minus.yaml"
    printf '%%i\x9ad\n' > "$A/bad.yaml" # libfyaml looped for ever on this
    run timeout 20 "$PD" analysis list
    [ "$status" -ne 124 ]
    [[ "$output" == *"bad.yaml:1: not valid UTF-8 (byte 0x9A): save the file as UTF-8"* ]]
}
