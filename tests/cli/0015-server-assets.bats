#!/usr/bin/env bats
# pluto-duck run: dbt jobs, projects and boards over HTTP (curl against a real server).

load server

setup() {
    init_home
    start_server
}

teardown() {
    stop_server
}

# wait_job ID: poll until the job ends; leaves its document in $body.
wait_job() {
    local i
    for i in $(seq 200); do
        api GET "/jobs/$1"
        case "$(json_get 'd["status"]')" in completed|failed|cancelled) return 0 ;; esac
        sleep 0.1
    done
    return 1
}

@test "dbt build, run and test as jobs: an event per node, the tally as result" {
    cp -r "$BATS_TEST_DIRNAME/../fixtures/jaffle" proj
    dir=$PWD/proj
    post '/dbt/build?wait=60' "{\"project_dir\":\"$dir\"}"
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get '[d["result"][k] for k in ("pass","error","skip","total")]')" = "[15, 0, 0, 15]" ]
    [ "$(json_get '[n["name"] for n in d["result"]["nodes"] if n["kind"]=="model"][-1]')" = customers ]
    [ "$(json_get '[n["rows"] for n in d["result"]["nodes"] if n["name"]=="raw_customers"][0]')" = 3 ]
    id=$(json_get 'd["id"]')
    run curl -s -N --max-time 20 "$BASE/jobs/$id/events"
    [[ "$output" == *'"kind":"model","name":"stg_orders","outcome":"started"'* ]]
    [[ "$output" == *'"kind":"model","name":"stg_orders","outcome":"pass"'* ]]
    [ "$(grep -c '^event: node' <<<"$output")" = 30 ]
    # the tables are in the warehouse the server holds
    post '/query?wait=10' '{"sql":"select count(*) from customers"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[3]]" ]

    # a failing test: the job fails, the result still says which
    sqlite_bad="insert into raw_orders values (99, 1, DATE '2024-01-01', 'bogus')"
    post '/query?wait=10' "{\"sql\":\"$sqlite_bad\"}"
    [ "$(json_get 'd["status"]')" = completed ]
    post '/dbt/run?wait=60' "{\"project_dir\":\"$dir\",\"select\":\"+orders\"}"
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get 'd["result"]["total"]')" = 3 ]
    post '/dbt/test?wait=60' "{\"project_dir\":\"$dir\"}"
    [ "$(json_get 'd["status"]')" = failed ]
    [ "$(json_get 'd["error"]["message"]')" = "1 of 7 failed" ]
    [ "$(json_get '[(n["name"], n["failures"]) for n in d["result"]["nodes"] if n["outcome"]=="fail"]')" = "[('accepted_values_orders_status', 1)]" ]
}

@test "dbt: bad input is refused before a job starts" {
    post /dbt/run '{"project_dir":"proj"}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"absolute path"* ]]
    post /dbt/run '{}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"'project_dir' is required"* ]]
    post /dbt/run '{"project_dir":"/nonexistent/x"}'
    [ "$status_code" = 404 ]
    post /dbt/run '{"project_dir":"/tmp","select":[1]}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"'select' must be an array of strings"* ]]
    # a folder that is not a dbt project: the job fails saying so
    post '/dbt/run?wait=30' "{\"project_dir\":\"$BATS_TEST_TMPDIR\"}"
    [ "$(json_get 'd["status"]')" = failed ]
    [[ "$(json_get 'd["error"]["message"]')" == *"has no dbt_project.yml"* ]]
}

@test "projects: create, list, show; analyses of two projects do not collide" {
    api GET /projects
    [ "$(json_get '[p["id"] for p in d]')" = "['default']" ]
    post /projects '{"id":"sales","description":"the sales team"}'
    [ "$status_code" = 201 ]
    [ "$(json_get 'd["schema"]')" = analysis_sales ]
    [ -d "$PLUTO_DUCK_HOME/projects/sales/analyses" ]
    post /projects '{"id":"sales"}'
    [ "$status_code" = 409 ]
    # the same analysis id in both projects: each in its own schema
    post '/asset/analysis?project=sales' '{"id":"n","sql":"select 1 as v","materialize":"table"}'
    [ "$status_code" = 201 ]
    post /asset/analysis '{"id":"n","sql":"select 2 as v","materialize":"table"}'
    [ "$status_code" = 201 ]
    post '/asset/analysis/n/execute?project=sales&wait=30' '{}'
    [ "$(json_get 'd["status"]')" = completed ]
    post '/asset/analysis/n/execute?wait=30' '{}'
    [ "$(json_get 'd["status"]')" = completed ]
    post '/query?wait=10' '{"sql":"select (select v from analysis_sales.n), (select v from analysis.n)"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[1, 2]]" ]
    api GET /projects/sales
    [ "$(json_get '[d["analyses"], d["boards"], d["description"]]')" = "[1, 0, 'the sales team']" ]
    # a folder copied in by hand is a project
    mkdir -p "$PLUTO_DUCK_HOME/projects/handmade/analyses"
    api GET /projects
    [ "$(json_get '[p["id"] for p in d]')" = "['default', 'handmade', 'sales']" ]
    # unknown projects are refused, not created
    api GET '/asset/analyses?project=nope'
    [ "$status_code" = 404 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"no project 'nope'"* ]]
    api GET /projects/nope
    [ "$status_code" = 404 ]
}

@test "projects: delete needs the name typed back; default stays; everything of it goes" {
    post /projects '{"id":"tmp"}'
    post '/asset/analysis?project=tmp' '{"id":"t","sql":"select 1 as v","materialize":"table"}'
    post '/asset/analysis/t/execute?project=tmp&wait=30' '{}'
    api DELETE /projects/tmp
    [ "$status_code" = 400 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"type its name to confirm"* ]]
    api DELETE '/projects/tmp?confirm=tmpx'
    [ "$status_code" = 400 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"does not match"* ]]
    # refused deletes changed nothing
    post '/query?wait=10' '{"sql":"select v from analysis_tmp.t"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[1]]" ]
    api DELETE '/projects/default?confirm=default'
    [ "$status_code" = 400 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"default project cannot be deleted"* ]]
    api DELETE '/projects/tmp?confirm=tmp'
    [ "$status_code" = 200 ]
    [ ! -e "$PLUTO_DUCK_HOME/projects/tmp" ]
    post '/query?wait=10' '{"sql":"select count(*) from information_schema.schemata where schema_name = '"'"'analysis_tmp'"'"'"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[0]]" ]
    post '/query?wait=10' '{"sql":"select count(*) from _duckpipe.run_history where project = '"'"'tmp'"'"'"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[0]]" ]
    api DELETE '/projects/tmp?confirm=tmp'
    [ "$status_code" = 404 ]
    # bad names
    post /projects '{"id":"../etc"}'
    [ "$status_code" = 422 ]
    post /projects '{"id":"a;drop table x"}'
    [ "$status_code" = 422 ]
    api GET '/projects/..%2Fetc'
    [ "$status_code" = 404 ]
    api DELETE '/projects/a;b?confirm=a;b'
    [ "$status_code" = 400 ]
}
