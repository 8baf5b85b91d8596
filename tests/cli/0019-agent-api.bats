#!/usr/bin/env bats
# /api/v1/agent: agent runs as jobs over HTTP - events replayed as SSE,
# approvals decided by the client (scripted OpenAI-compatible server).
load server

setup() {
    init_home
    LOG="$BATS_TEST_TMPDIR/requests.jsonl"
}

teardown() {
    stop_server
    [ -n "${MODEL_PID:-}" ] && kill "$MODEL_PID" 2>/dev/null || true
}

# model SCRIPT_JSON: the scripted server, and settings pointing at it.
model() {
    printf '%s' "$1" > "$BATS_TEST_TMPDIR/script.json"
    python3 "$BATS_TEST_DIRNAME/../servers/openai_server.py" "$BATS_TEST_TMPDIR/script.json" \
        "$LOG" "$BATS_TEST_TMPDIR/port" &
    MODEL_PID=$!
    for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
    export PLUTO_DUCK_LLM_MODEL=test-model
    export PLUTO_DUCK_LLM_BASE_URL="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")/v1"
}

# wait_status ID STATUS: poll the run until it has that status.
wait_status() {
    for _ in $(seq 100); do
        api GET "/agent/$1"
        [ "$(json_get 'd["status"]')" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

@test "an offline run answers; its events replay with one envelope, in sequence" {
    start_server
    post '/agent/run?wait=30' '{"question":"how many orders were cancelled?"}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = completed ]
    want=$(pd sql --format csv "select count(*) from orders where status = 'cancelled'" | tail -1)
    [ "$(json_get 'd["result"]["result"]["rows"]')" = "[[$want]]" ]
    [ "$(json_get 'd["result"]["answer"]')" = "The number of orders where status = cancelled is $want." ]
    id=$(json_get 'd["id"]')
    run curl -s -N --max-time 10 "$BASE/agent/$id/events"
    grep '^data: ' <<<"$output" | sed 's/^data: //' > events.jsonl
    # every agent event in the envelope; sequence 1, 2, 3, ...
    run python3 -c '
import json, sys
evs = [json.loads(l) for l in open("events.jsonl")]
agent = [e for e in evs if "metadata" in e]
assert all(set(e) == {"type", "subtype", "content", "metadata", "timestamp"} for e in agent)
assert [e["metadata"]["sequence"] for e in agent] == list(range(1, len(agent) + 1))
assert all(e["metadata"]["run_id"] == sys.argv[1] for e in agent)
print(" ".join(e["type"] + "." + e["subtype"] for e in agent))
' "$id"
    [ "$status" -eq 0 ]
    [[ "$output" == "run.start reasoning.chunk tool.start tool.end "*"tool.start tool.end message.final run.end" ]]
}

@test "approvals: a sensitive call waits for the client's decision (approve, edit, reject)" {
    model '{"replies":[
      {"tool_calls":[{"name":"save_analysis","arguments":"{\"id\":\"first\",\"sql\":\"select 1 as x\"}"}]},
      {"content":"Saved."},
      {"tool_calls":[{"name":"save_analysis","arguments":"{\"id\":\"second\",\"sql\":\"select 2 as x\"}"}]},
      {"content":"Edited."},
      {"tool_calls":[{"name":"save_analysis","arguments":"{\"id\":\"third\",\"sql\":\"select 3 as x\"}"}]},
      {"content":"Rejected."}]}'
    start_server
    A="$PLUTO_DUCK_HOME/projects/default/analyses"
    for decision in approve edit reject; do
        post /agent/run '{"question":"save it","provider":"openai"}'
        [ "$status_code" = 202 ]
        id=$(json_get 'd["job_id"]')
        for _ in $(seq 100); do
            api GET "/agent/$id/approvals"
            [ "$(json_get 'len(d)')" = 1 ] && break
            sleep 0.1
        done
        [ "$(json_get 'd[0]["status"]')" = pending ]
        [ "$(json_get 'd[0]["tool"]')" = save_analysis ]
        approval=$(json_get 'd[0]["approval_id"]')
        case $decision in
        edit) choice='{"decision":"edit","edited_args":{"id":"renamed","sql":"select 22 as x"}}' ;;
        *) choice="{\"decision\":\"$decision\"}" ;;
        esac
        post "/agent/$id/approvals/$approval/decision" "$choice"
        [ "$status_code" = 200 ]
        post "/agent/$id/approvals/$approval/decision" "$choice"
        [ "$status_code" = 409 ]
        wait_status "$id" completed
    done
    [ -f "$A/first.yaml" ]
    [ -f "$A/renamed.yaml" ] && [ ! -f "$A/second.yaml" ]
    [ ! -f "$A/third.yaml" ]
    grep -q 'select 22 as x' "$A/renamed.yaml"
    # the model was told the third call was not approved
    [[ "$(tail -1 "$LOG")" == *"did not approve save_analysis"* ]]
}

@test "agent: bad input is refused" {
    start_server
    post /agent/run '{}'
    [ "$status_code" = 422 ]
    post /agent/run '{"question":""}'
    [ "$status_code" = 422 ]
    api GET /agent/01a1fcfa-0000-7000-8000-000000000000
    [ "$status_code" = 404 ]
    post '/agent/run?wait=30' '{"question":"how many orders"}'
    id=$(json_get 'd["id"]')
    post "/agent/$id/approvals/nope/decision" '{"decision":"approve"}'
    [ "$status_code" = 404 ]
    post "/agent/$id/approvals/nope/decision" '{"decision":"maybe"}'
    [ "$status_code" = 422 ]
    post '/agent/run?wait=30' '{"question":"what is the weather","provider":"nope"}'
    [ "$(json_get 'd["status"]')" = failed ]
    [[ "$(json_get 'd["error"]["message"]')" == *"llm.provider must be local or openai"* ]]
    # an unanswerable question completes, saying why
    post '/agent/run?wait=30' '{"question":"what is the weather in Paris"}'
    [ "$(json_get 'd["result"]["answered"]')" = False ]
    [[ "$(json_get 'd["result"]["answer"]')" == *"weather"* ]]
}
