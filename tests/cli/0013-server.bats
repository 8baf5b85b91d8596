#!/usr/bin/env bats
# pluto-duck run: the HTTP API black box, with curl against a real server.

load server

setup() {
    init_home
    start_server
}

teardown() {
    stop_server
}

@test "health answers with versions; runtime file has the port and is private" {
    api GET /health
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = ok ]
    [ "$(json_get 'd["duckdb_version"]')" = v1.4.4 ]
    [ "$(json_get 'd["build"]')" = "$(pd version --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["build"])')" ]
    [ "$(stat -c %a "$PLUTO_DUCK_HOME/runtime/server.json")" = 600 ]
    grep -q "\"pid\": $SERVER_PID" "$PLUTO_DUCK_HOME/runtime/server.json"
}

@test "query with wait returns columns, types and rows; params bind" {
    post '/query?wait=10' '{"sql":"select count(*) as n, $1::int + 1 as p from orders","params":[41]}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get 'd["result"]["rows"]')" = "[[3000, 42]]" ]
    [ "$(json_get 'd["result"]["columns"][0]["type"]')" = BIGINT ]
    post '/query?wait=10' '{"sql":"select $name as v","params":{"name":"hi"}}'
    [ "$(json_get 'd["result"]["rows"][0][0]')" = hi ]
}

@test "query without wait is a job: 202, status, events replay to a late subscriber" {
    post /query '{"sql":"select * from orders"}'
    [ "$status_code" = 202 ]
    id=$(json_get 'd["job_id"]')
    [ "$(json_get 'd["events_url"]')" = "/api/v1/query/$id/events" ]
    run curl -s -N --max-time 20 "$BASE/query/$id/events"
    [ "$status" -eq 0 ]
    [[ "$output" == *"event: started"* ]]
    [[ "$output" == *"event: completed"* ]]
    api GET "/query/$id"
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get 'd["result"]["row_count"]')" = 3000 ]
    [ "$(json_get 'len(d["result"]["rows"])')" = 100 ]
    # Last-Event-ID resumes after the first event
    run curl -s -N --max-time 20 -H 'Last-Event-ID: 1' "$BASE/query/$id/events"
    [[ "$output" != *"event: started"* ]]
    [[ "$output" == *"event: completed"* ]]
}

@test "a failing query reports the SQL error; its history says so" {
    post '/query?wait=10' '{"sql":"select nope from orders"}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = failed ]
    [[ "$(json_get 'd["error"]["message"]')" == *nope* ]]
    api GET '/query/history?failed=true'
    [ "$status_code" = 200 ]
    [[ "$body" == *"select nope from orders"* ]]
}

@test "DELETE cancels a running query; a finished one is 409" {
    post /query '{"sql":"select count(*) from range(100000000000) a"}'
    id=$(json_get 'd["job_id"]')
    sleep 0.5
    api DELETE "/query/$id"
    [ "$status_code" = 202 ]
    post "/query?wait=0" '{"sql":"select 1"}'
    for i in $(seq 50); do
        api GET "/query/$id"
        [ "$(json_get 'd["status"]')" = cancelled ] && break
        sleep 0.1
    done
    [ "$(json_get 'd["status"]')" = cancelled ]
    api DELETE "/query/$id"
    [ "$status_code" = 409 ]
}

@test "a timeout ends the query as failed with code timeout" {
    post '/query?wait=20' '{"sql":"select count(*) from range(100000000000) a","timeout_s":0.3}'
    [ "$(json_get 'd["status"]')" = failed ]
    [ "$(json_get 'd["error"]["code"]')" = timeout ]
}

@test "whole result as CSV, JSON, Parquet and Arrow; Arrow matches JSON value by value" {
    post '/query?wait=10' '{"sql":"select order_id, customer_id, amount, status, order_date from orders order by order_id"}'
    id=$(json_get 'd["job_id"]')
    curl -s -f "$BASE/query/$id/result?format=csv" -o out.csv
    [ "$(wc -l < out.csv)" -eq 3001 ]
    curl -s -f "$BASE/query/$id/result?format=json" -o out.json
    [ "$(python3 -c 'import json; print(len(json.load(open("out.json"))))')" = 3000 ]
    curl -s -f "$BASE/query/$id/result?format=parquet" -o out.parquet
    [ "$(pd sql --format csv "select count(*) as n from 'out.parquet'" | tail -1)" = 3000 ]
    run curl -s -D headers -f "$BASE/query/$id/result?format=arrow" -o out.arrows
    grep -qi 'content-type: application/vnd.apache.arrow.stream' headers
    node "$PD_BUILD/../tests/http/arrow_check.mjs" out.arrows out.json
}

@test "result of a statement that is not a SELECT is refused (409)" {
    post '/query?wait=10' '{"sql":"create table t1 as select 1 as x"}'
    id=$(json_get 'd["job_id"]')
    api GET "/query/$id/result?format=csv"
    [ "$status_code" = 409 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"not a single SELECT"* ]]
}

@test "bad input: malformed JSON, wrong types, missing field, size, content type" {
    post /query '{"sql": '
    [ "$status_code" = 400 ]
    [ "$(json_get 'd["error"]["code"]')" = malformed_json ]
    [[ "$(json_get 'd["error"]["message"]')" == *"line 1"* ]]
    [ -n "$(json_get 'd["error"]["trace_id"]')" ]
    post /query '{"sql": 42}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"'sql'"* ]]
    post /query '{}'
    [ "$status_code" = 422 ]
    post /query '[1,2]'
    [ "$status_code" = 422 ]
    post /query '{"sql":"select 1","timeout_s":"soon"}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == *timeout_s* ]]
    api POST /query -H 'Content-Type: text/plain' --data 'select 1'
    [ "$status_code" = 415 ]
    head -c 11000000 /dev/zero | tr '\0' 'a' > big
    api POST /query -H 'Content-Type: application/json' --data-binary @big
    [ "$status_code" = 413 ]
    post '/query?wait=soon' '{"sql":"select 1"}'
    [ "$status_code" = 400 ]
}

@test "unknown route 404, wrong method 405 with Allow, bad path parameters 400, unknown ids 404" {
    api GET /nope
    [ "$status_code" = 404 ]
    [ "$(json_get 'd["error"]["code"]')" = not_found ]
    run curl -s -i -X PUT "$BASE/health"
    [[ "$output" == *"405 Method Not Allowed"* ]]
    [[ "$output" == *"Allow: GET"* ]]
    api GET "/query/..%2F..%2Fetc"
    [ "$status_code" = 400 ] || [ "$status_code" = 404 ]
    api GET "/source/x;drop%20table%20orders"
    [ "$status_code" = 400 ]
    api GET /query/01a1fcfa-0000-7000-8000-000000000000
    [ "$status_code" = 404 ]
    api GET /asset/analysis/nope
    [ "$status_code" = 404 ]
    [ "$(pd sql --format csv 'select count(*) from orders' | tail -1)" = 3000 ]
}

@test "the contract: openapi-spec-validator and swagger-parser pass the document; every operation's live answers fit it" {
    find_spec_python
    cp -r "$PD_BUILD/../tests/fixtures/jaffle" jaffle
    run "$SPEC_PY" "$PD_BUILD/../tests/http/contract_check.py" "$BASE" "$PWD" "$PWD/jaffle"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == "ok: 77 operations called, every answer fits the document" ]]
}

@test "unknown or mistyped body fields are refused with 422 naming them; nothing runs" {
    post /query '{"sql":"create table t_unknown as select 1","sqll":"x"}'
    [ "$status_code" = 422 ]
    [ "$(json_get 'd["error"]["message"]')" = "unknown field 'sqll' (allowed: sql, params, timeout_s, limit, read_only)" ]
    post /boards '{"name":"b","colour":"red"}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == "unknown field 'colour' (allowed: name, description, project)" ]]
    post /source/cache/x/refresh '{"where":"1=1"}'
    [ "$status_code" = 422 ]
    [ "$(json_get 'd["error"]["message"]')" = "unknown field 'where' (allowed: none)" ]
    post /query '{"sql":"select 1","limit":"ten"}'
    [ "$status_code" = 422 ]
    [ "$(json_get 'd["error"]["message"]')" = "field 'limit' must be a number" ]
    post /dbt/run '{"project_dir":"/x","select":[1]}'
    [ "$status_code" = 422 ]
    api GET /jobs
    [ "$(json_get 'len(d["jobs"])')" = 0 ]
    post '/query?wait=10' '{"sql":"select count(*) from information_schema.tables where table_name = '"'"'t_unknown'"'"'"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[0]]" ]
}

@test "openapi document is valid OpenAPI 3.1 and lists every route; actions catalog has schemas" {
    api GET /openapi.json
    [ "$status_code" = 200 ]
    echo "$body" > openapi.json
    node "$PD_BUILD/../tests/http/openapi_check.mjs" openapi.json
    [[ "$body" == *'"/query/{id}/result"'* ]]
    # every operation has its own id (three were "system_(null)")
    python3 -c '
import json, sys, collections
d = json.load(open(sys.argv[1]))
ids = [op["operationId"] for p in d["paths"].values() for op in p.values() if isinstance(op, dict) and "operationId" in op]
dup = [i for i, n in collections.Counter(ids).items() if n > 1]
assert not dup and all("(null)" not in i for i in ids), dup' openapi.json
    api GET /actions
    [ "$(json_get '[a["name"] for a in d["actions"] if a["name"]=="query.run"][0]')" = query.run ]
    [ "$(json_get '[a for a in d["actions"] if a["name"]=="query.run"][0]["parameters"]["required"]')" = "['sql']" ]
    [ "$(json_get '[a for a in d["actions"] if a["name"]=="analysis.get"][0]["parameters"]["required"]')" = "['id']" ]
}

@test "the CLI runs through the server while it holds the warehouse, same output and exit codes" {
    run pd sql --format csv "select count(*) as n from orders"
    [ "$status" -eq 0 ]
    output_is "$(printf 'n\n3000')"
    run pd sql "select nope"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Binder Error"* ]]
    run bash -c "echo 'select 7 as seven' | '$PD' sql --format csv"
    output_is "$(printf 'seven\n7')"
    echo 'select 8 as eight' > q.sql
    run pd sql --format csv -f q.sql
    output_is "$(printf 'eight\n8')"
    run pd analysis new top --sql "select customer_id, sum(amount) as total from orders group by 1"
    [ "$status" -eq 0 ]
    [ -f "$PLUTO_DUCK_HOME/projects/default/analyses/top.yaml" ]
    run pd shell
    [ "$status" -eq 1 ]
    [[ "$output" == *"holds the warehouse"* ]]
}

@test "a command from another build is not sent to the server: it says to restart the server" {
    runtime="$PLUTO_DUCK_HOME/runtime/server.json"
    cp "$runtime" server.json.orig
    python3 - "$runtime" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["build"] = "0123456789abcdef" * 2; d["version"] = "0.0.9"
json.dump(d, open(sys.argv[1], "w"))
PY
    run pd analysis new other --sql "select 1 as x"
    [ "$status" -ne 0 ]
    [[ "$output" == *"is another build (0.0.9, build 0123456789ab) than this command"* ]]
    [[ "$output" == *"kill $SERVER_PID"* ]]
    [ ! -f "$PLUTO_DUCK_HOME/projects/default/analyses/other.yaml" ]
    # a server from before builds were written down
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["build"], d["version"]; json.dump(d, open(sys.argv[1], "w"))' "$runtime"
    run pd sql "select 1"
    [ "$status" -ne 0 ]
    [[ "$output" == *"is another build (an older version) than this command"* ]]
    cp server.json.orig "$runtime"
    run pd sql --format csv "select 1 as x"
    [ "$status" -eq 0 ]
    output_is "$(printf 'x\n1')"
}

@test "analyses over HTTP: create, list, compile, execute with step events, data, freshness, lineage, history, delete" {
    post /asset/analysis '{"id":"big","sql":"select * from orders where amount > 100","materialize":"table"}'
    [ "$status_code" = 201 ]
    [ "$(json_get 'd["status"]')" = stale ]
    post /asset/analysis '{"id":"n_big","sql":"select count(*) as n from {{ ref('"'"'big'"'"') }}"}'
    [ "$status_code" = 201 ]
    post /asset/analysis '{"id":"big","sql":"select 1"}'
    [ "$status_code" = 409 ]
    post /asset/analysis '{"id":"1bad","sql":"select 1"}'
    [ "$status_code" = 422 ]
    api GET /asset/analyses
    [ "$(json_get 'sorted(a["id"] for a in d["analyses"])')" = "['big', 'n_big']" ]
    post /asset/analysis/n_big/compile '{"upstream":true}'
    [ "$status_code" = 200 ]
    [[ "$body" == *'"id":"big"'* ]]
    post '/asset/analysis/n_big/execute?wait=30' '{"upstream":true}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get 'd["result"]["ok"]')" = 2 ]
    id=$(json_get 'd["job_id"]')
    run curl -s --max-time 10 "$BASE/jobs/$id/events"
    [[ "$output" == *"event: step"* ]]
    [[ "$output" == *'"analysis":"big"'* ]]
    api GET /asset/analysis/big/freshness
    [ "$(json_get 'd["fresh"]')" = True ]
    api GET '/asset/analysis/n_big/data?limit=5'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["columns"][0]["name"]')" = n ]
    api GET '/asset/analysis/n_big/lineage?format=mermaid'
    [[ "$body" == *big* ]]
    api GET /asset/lineage-graph
    [ "$status_code" = 200 ]
    api GET /asset/analysis/big/history
    [ "$(json_get 'len(d)')" -ge 1 ]
    api PATCH /asset/analysis/big -H 'Content-Type: application/json' --data '{"description":"over 100"}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["description"]')" = "over 100" ]
    api DELETE /asset/analysis/big
    [ "$status_code" = 409 ]
    api DELETE /asset/analysis/n_big
    [ "$status_code" = 200 ]
}

@test "analyses: a draft compiles without being saved; freshness is a field" {
    post /asset/analysis '{"id":"big","sql":"select * from orders where amount > 100","materialize":"table"}'
    [ "$status_code" = 201 ]
    [ "$(json_get 'd["freshness"]')" = default ]
    # changes to a saved analysis: compiled with its parameter, nothing saved
    post /asset/analysis/big/compile '{"sql":"select * from orders where amount > :floor","parameters":["floor:int=7"]}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["draft"]')" = True ]
    [[ "$(json_get 'd["steps"][0]["sql"]')" == *'amount > $1'* ]]
    api GET /asset/analysis/big
    [[ "$(json_get 'd["sql"]')" == *'amount > 100'* ]]
    # a new analysis reading it: its compiled SQL names the table it reads
    post /asset/analysis/n_new/compile '{"sql":"select count(*) from {{ ref('"'"'big'"'"') }}"}'
    [ "$status_code" = 200 ]
    [[ "$(json_get 'd["steps"][-1]["sql"]')" == *'"big"'* ]]
    api GET /asset/analysis/n_new
    [ "$status_code" = 404 ]
    # a draft that does not compile says why, and leaves nothing behind
    post /asset/analysis/n_new/compile '{"sql":"select * from {{ ref('"'"'nope'"'"') }}"}'
    [ "$status_code" -ge 400 ] && [ "$status_code" -lt 500 ]
    [[ "$body" == *nope* ]]
    post /asset/analysis/1bad/compile '{"sql":"select 1"}'
    [ "$status_code" = 422 ]
    post /asset/analysis/big/compile '{"materialize":"sometimes"}'
    [ "$status_code" = 422 ]
    # without a draft an unknown id is still 404
    post /asset/analysis/n_new/compile '{}'
    [ "$status_code" = 404 ]
    # freshness
    api PATCH /asset/analysis/big -H 'Content-Type: application/json' --data '{"freshness":"assume_fresh"}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["freshness"]')" = assume_fresh ]
    grep -q "assume_fresh" "$PLUTO_DUCK_HOME"/projects/default/analyses/big.yaml
    api PATCH /asset/analysis/big -H 'Content-Type: application/json' --data '{"freshness":"often"}'
    [ "$status_code" = 422 ]
    [[ "$body" == *"assume_fresh or default"* ]]
    api PATCH /asset/analysis/big -H 'Content-Type: application/json' --data '{"freshness":"default"}'
    [ "$(json_get 'd["freshness"]')" = default ]
}

@test "sources and cache over HTTP: attach a SQLite file, list, tables, cache as a job, drop, detach" {
    sqlite3 shop.db "create table items(id integer primary key, name text); insert into items values (1,'a'),(2,'b');"
    post /source "{\"name\":\"lite\",\"type\":\"sqlite\",\"config\":{\"path\":\"$PWD/shop.db\"}}"
    [ "$status_code" = 201 ]
    [ "$(json_get 'd["tables"]')" = "['items']" ]
    post /source '{"name":"x;drop","type":"sqlite","config":{}}'
    [ "$status_code" = 400 ]
    api GET /source
    [[ "$body" == *'"name":"lite"'* ]]
    api GET /source/lite/tables
    [[ "$body" == *items* ]]
    post '/source/cache?wait=30' '{"source":"lite","table":"items"}'
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get 'd["result"]["rows"]')" = 2 ]
    api GET /source/cache
    [[ "$body" == *lite_items* ]]
    api DELETE /source/cache/lite_items
    [ "$status_code" = 200 ]
    api DELETE /source/lite
    [ "$status_code" = 200 ]
    api GET /source/lite
    [ "$status_code" = 404 ]
}

@test "analyses: runs sent at once all complete (one after another)" {
    post /asset/analysis '{"id":"wide","sql":"select o.*, r.range as k from orders o, range(50) r","materialize":"table"}'
    [ "$status_code" = 201 ]
    post /asset/analysis '{"id":"n_wide","sql":"select count(*) as n from {{ ref('"'"'wide'"'"') }}","materialize":"table"}'
    local run='curl -s -X POST "$BASE/asset/analysis/n_wide/execute?wait=120" -H "Content-Type: application/json" \
        --data "{\"upstream\":true}" |
        python3 -c "import json,sys; print(json.load(sys.stdin)[\"status\"])"'
    at_once "$run" "$run" "$run" "$run"
    output_is "$(printf 'completed\ncompleted\ncompleted\ncompleted')"
    run pd sql --format csv "select n from analysis.n_wide"
    output_is "$(printf 'n\n150000')"
}

@test "sources: refreshes and attaches sent at once all succeed" {
    sqlite3 shop.db "create table items(id integer primary key); insert into items values (1);"
    post /source "{\"name\":\"lite\",\"type\":\"sqlite\",\"config\":{\"path\":\"$PWD/shop.db\"}}"
    [ "$status_code" = 201 ]
    local refresh='code POST /source/lite/refresh' attach='code POST /source --data "{\"name\":\"lite$K\",\"type\":\"sqlite\",\"config\":{\"path\":\"$PWD/shop.db\"}}"'
    at_once "$refresh" "K=1 && $attach" "$refresh" "K=2 && $attach" "$refresh" "K=3 && $attach" "$refresh" "K=4 && $attach"
    output_is "$(printf '200\n200\n200\n200\n201\n201\n201\n201')"
    run pd sql --format csv "select count(*) as n from lite4.items"
    output_is "$(printf 'n\n1')"
}

@test "ingest an inline recipe as a job" {
    printf 'id,v\n1,x\n2,y\n' > data.csv
    post '/ingest?wait=30' "{\"recipe\":{\"source\":{\"type\":\"file\",\"path\":\"$PWD/data.csv\"},\"table\":\"data\",\"target\":\"loaded\",\"mode\":\"replace\"}}"
    [ "$(json_get 'd["status"]')" = completed ] || { echo "$body"; false; }
    post '/query?wait=10' '{"sql":"select count(*) from loaded"}'
    [ "$(json_get 'd["result"]["rows"][0][0]')" = 2 ]
    post /ingest '{}'
    [ "$status_code" = 422 ]
}

@test "SIGTERM stops cleanly: runtime file removed, warehouse usable, running job cancelled" {
    post /query '{"sql":"select count(*) from range(100000000000) a"}'
    sleep 0.3
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
    SERVER_PID=
    [ ! -f "$PLUTO_DUCK_HOME/runtime/server.json" ]
    [ "$(pd sql --format csv 'select status from _pluto.jobs' | tail -1)" = cancelled ]
}
