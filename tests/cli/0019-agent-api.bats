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

@test "conversations: a follow-up keeps the context; messages, replay after a restart, delete" {
    start_server
    post '/agent/run?wait=30' '{"question":"how many orders in 2024"}'
    [ "$status_code" = 200 ]
    conv=$(json_get 'd["conversation_id"]')
    first=$(json_get 'd["run_id"]')
    [ "$(json_get 'd["result"]["conversation_id"]')" = "$conv" ]
    # the follow-up alone means nothing; with the first question it is 2023's count
    post "/chat/sessions/$conv/messages?wait=30" '{"content":"and in 2023?"}'
    [ "$status_code" = 200 ]
    want=$(pd sql --format csv "select count(*) from orders where year(order_date) = 2023" | tail -1)
    [ "$(json_get 'd["result"]["result"]["rows"]')" = "[[$want]]" ]
    [ "$(json_get 'd["conversation_id"]')" = "$conv" ]
    second=$(json_get 'd["run_id"]')
    # a third turn replaces the value of the same column
    post "/chat/sessions/$conv/messages?wait=30" '{"content":"what about cancelled ones?"}'
    want=$(pd sql --format csv "select count(*) from orders where year(order_date) = 2023 and status = 'cancelled'" | tail -1)
    [ "$(json_get 'd["result"]["result"]["rows"]')" = "[[$want]]" ]
    api GET "/chat/sessions/$conv/messages"
    [ "$(json_get '[m["role"] for m in d]')" = "['user', 'assistant', 'user', 'assistant', 'user', 'assistant']" ]
    [ "$(json_get 'd[2]["content"]')" = "and in 2023?" ]
    [[ "$(json_get 'd[3]["data"]["sql"]')" == *"= 2023"* ]]
    api GET /chat/sessions
    [ "$(json_get 'd[0]["id"]')" = "$conv" ]
    [ "$(json_get 'd[0]["messages"]')" = 6 ]
    [ "$(json_get 'd[0]["title"]')" = "how many orders in 2024" ]
    # after a restart the runs are no longer jobs: they and their events come from the warehouse
    curl -s -N --max-time 10 "$BASE/agent/$second/events" > live.txt
    stop_server
    start_server
    api GET "/agent/$second"
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get 'd["question"]')" = "and in 2023?" ]
    curl -s -N --max-time 10 "$BASE/agent/$second/events" > replayed.txt
    # the same events with the same ids; only the job's own timestamps differ
    run python3 -c '
import json, sys
def frames(path):
    out = []
    for block in open(path).read().strip().split("\n\n"):
        f = dict(line.split(": ", 1) for line in block.split("\n"))
        d = json.loads(f["data"])
        for k in ("ts", "duration_ms"):
            d.pop(k, None)
        out.append((f["id"], f["event"], d))
    return out
live, replayed = frames("live.txt"), frames("replayed.txt")
assert len(live) > 10 and live == replayed, (len(live), len(replayed))
' 
    [ "$status" -eq 0 ]
    curl -s -N --max-time 10 -H 'Last-Event-ID: 5' "$BASE/agent/$second/events" > resumed.txt
    [ "$(grep -m1 '^id:' resumed.txt)" = "id: 6" ]
    # delete: the conversation, its messages, its events and its work zone go
    zone="work_$(tr -d - <<<"$conv")"
    post '/query?wait=30' "{\"sql\":\"create schema $zone; create table $zone.t as select 1 as x\"}"
    [ "$status_code" = 200 ]
    api DELETE "/chat/sessions/$conv"
    [ "$status_code" = 200 ]
    api GET "/chat/sessions/$conv"
    [ "$status_code" = 404 ]
    api GET "/agent/$first/events"
    [ "$status_code" = 404 ]
    api DELETE "/chat/sessions/$conv"
    [ "$status_code" = 404 ]
    stop_server
    [ "$(pd sql --format csv "select count(*) from information_schema.schemata where schema_name like 'work_%'" | tail -1)" = 0 ]
    [ "$(pd sql --format csv "select count(*) from _pluto.agent_events" | tail -1)" = 0 ]
}

@test "chat sessions: bad input is refused and changes nothing" {
    start_server
    post /chat/sessions '{"title":"empty one"}'
    [ "$status_code" = 201 ]
    conv=$(json_get 'd["id"]')
    [ "$(json_get 'd["messages"]')" = 0 ]
    post /chat/sessions '{"project":"nope"}'
    [ "$status_code" = 404 ]
    post "/chat/sessions/$conv/messages" '{}'
    [ "$status_code" = 422 ]
    post "/chat/sessions/$conv/messages" '{"content":""}'
    [ "$status_code" = 422 ]
    post /chat/sessions/01a1fcfa-0000-7000-8000-000000000000/messages '{"content":"how many orders"}'
    [ "$status_code" = 404 ]
    post /agent/run '{"question":"how many orders","conversation_id":"nope"}'
    [ "$status_code" = 404 ]
    post /agent/run '{"question":"how many orders","project":"nope"}'
    [ "$status_code" = 404 ]
    api GET /chat/sessions
    [ "$(json_get 'len(d)')" = 1 ]
    api GET "/chat/sessions/$conv"
    [ "$(json_get 'd["messages"]')" = "[]" ]
}

@test "settings: read, changed while running (the next run uses them), the API key never shown" {
    model '{"replies":[{"content":"Hello from the scripted model."}]}'
    url=$PLUTO_DUCK_LLM_BASE_URL
    unset PLUTO_DUCK_LLM_MODEL PLUTO_DUCK_LLM_BASE_URL
    start_server
    api GET /settings
    [ "$(json_get 'd["provider"]')" = local ]
    [ "$(json_get 'd["api_key"]')" = None ]
    # bad values: 422 naming the field, nothing saved
    for bad in '{"provider":"gpt"}' '{"send_rows":"-1"}' '{"timeout":"soon"}' \
               '{"base_url":"ftp://x"}' '{"colour":"red"}' '{"model":42}' '[1]'; do
        api PUT /settings -H 'Content-Type: application/json' --data-binary "$bad"
        [ "$status_code" = 422 ]
    done
    api GET /settings
    [ "$(json_get 'd["provider"]')" = local ]
    ! grep -q 'provider: gpt' "$PLUTO_DUCK_HOME/config.yaml"
    # switch to the scripted model without a restart
    api PUT /settings -H 'Content-Type: application/json' --data-binary \
        "{\"provider\":\"openai\",\"model\":\"scripted\",\"base_url\":\"$url\",\"send_rows\":\"none\",\"api_key\":\"sk-secret-123\"}"
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["api_key"]')" = "***" ]
    [[ "$body" != *sk-secret-123* ]]
    post '/agent/run?wait=30' '{"question":"say hello"}'
    [ "$(json_get 'd["result"]["answer"]')" = "Hello from the scripted model." ]
    # the model got the key, the model name; the key is nowhere in the warehouse or the log
    grep -q '"model": "scripted"' "$LOG" || grep -q '"model":"scripted"' "$LOG"
    grep -q 'Bearer sk-secret-123' "$LOG"
    api GET /settings
    [[ "$body" != *sk-secret-123* ]]
    # saved: a new server has them
    stop_server
    start_server
    api GET /settings
    [ "$(json_get 'd["provider"]')" = openai ]
    [ "$(json_get 'd["send_rows"]')" = none ]
    stop_server
    ! grep -rq sk-secret-123 "$PLUTO_DUCK_HOME/config.yaml" "$PLUTO_DUCK_HOME/logs" "$PLUTO_DUCK_HOME/data"
}
