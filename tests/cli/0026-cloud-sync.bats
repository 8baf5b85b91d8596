#!/usr/bin/env bats
# pluto-duck cloud push / pull / diff against a real pluto-cloud: a project
# becomes a pipeline with versions; another machine (another data home) pulls
# it; a pull never overwrites local edits; an edit made from an older version
# is pushed as a diverged one.

load helper
load cloud

setup_file() {
    cloud_start
    cloud_api POST /workspaces '{"name":"Data team"}' >/dev/null
}

teardown_file() {
    cloud_stop
}

setup() {
    init_home
}

@test "push, pull on another machine, local edits kept, diff, discard, a diverged push" {
    cloud_login
    pd analysis new daily --sql "select 1 as n" >/dev/null
    run pd cloud push default -m first
    [ "$status" -eq 0 ]
    [[ "$output" == "pushed default as version 1" ]]
    run pd cloud push default
    [[ "$output" == "unchanged: default is version 1 of its pipeline" ]]
    sed -i 's/select 1 as n/select 2 as n/' "$PLUTO_DUCK_HOME/projects/default/analyses/daily.yaml"
    run pd cloud push default -m two
    [[ "$output" == "pushed default as version 2" ]]
    first=$PLUTO_DUCK_HOME

    # another machine
    export PLUTO_DUCK_HOME="$BATS_TEST_TMPDIR/second"
    pd init --no-sample >/dev/null
    cloud_login
    run pd cloud pull --format csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"Data_team__default,default,2,pulled"* ]]
    pulled="$PLUTO_DUCK_HOME/projects/Data_team__default/analyses/daily.yaml"
    cmp "$pulled" "$first/projects/default/analyses/daily.yaml"
    run pd analysis list --project Data_team__default --format csv
    [[ "$output" == *daily* ]]

    # the first machine pushes version 3 while the second edits its copy
    PLUTO_DUCK_HOME=$first pd analysis new weekly --sql "select 7 as n" >/dev/null
    PLUTO_DUCK_HOME=$first run pd cloud push default -m three
    [[ "$output" == "pushed default as version 3" ]]
    sed -i 's/select 2 as n/select 22 as n/' "$pulled"
    run pd cloud pull --format csv
    [[ "$output" == *"Data_team__default,default,3,local_edits"* ]]
    grep -q "select 22 as n" "$pulled" # not overwritten
    run pd cloud diff Data_team__default
    echo "$output"
    [[ "$output" == *"(version 2)"* && "$output" == *$'\n-'*"select 2 as n"* && "$output" == *$'\n+'*"select 22 as n"* ]]

    # pushed from version 2 although 3 is the newest: kept as 4, marked diverged
    run pd cloud push Data_team__default
    [ "$status" -eq 0 ]
    [[ "$output" == *"pushed Data_team__default as version 4"* ]]
    [[ "$output" == *"note: version 4 was made from version 2, but the newest was 3"* ]]
    cloud_api GET "/workspaces/$(cloud_api GET /workspaces | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')/pipelines" >pipelines.json
    grep -q '"current_version":4' pipelines.json

    # discarding local edits takes the server's version
    sed -i 's/select 22 as n/select 99 as n/' "$pulled"
    run pd cloud pull --discard --format csv
    [[ "$output" == *"Data_team__default,default,4,discarded"* ]]
    grep -q "select 22 as n" "$pulled"
}

@test "a pipeline deleted on the server while pulled here: pull keeps the folder and says so; push says what to do" {
    cloud_login
    pd project create gone >/dev/null
    pd analysis new g --project gone --sql "select 1" >/dev/null
    run pd cloud push gone
    [[ "$output" == "pushed gone as version 1" ]]
    ws=$(cloud_api GET /workspaces | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pipeline_id"])' "$PLUTO_DUCK_HOME/projects/gone/.cloud.json")
    cloud_api DELETE "/workspaces/$ws/pipelines/$id" >/dev/null
    run pd cloud pull --format csv
    [ "$status" -eq 0 ]
    echo "$output"
    [[ "$output" == *"gone,"*",1,deleted_on_server"* ]]
    [ -f "$PLUTO_DUCK_HOME/projects/gone/analyses/g.yaml" ]
    run pd cloud push gone
    [ "$status" -eq 1 ]
    [[ "$output" == *"is gone from workspace"*"remove projects/gone/.cloud.json"* ]]
}

@test "push and pull need a workspace in use; an unknown project is a clear error" {
    cloud_login
    run pd cloud push nope
    [ "$status" -eq 1 ]
    [[ "$output" == *"no project folder"* ]]
    run pd cloud diff default
    [ "$status" -eq 1 ]
    [[ "$output" == *"was not pulled from or pushed to Pluto Cloud"* ]]
}
