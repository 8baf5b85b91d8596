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
