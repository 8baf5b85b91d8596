#!/usr/bin/env bats
# Schedules of a Pluto Cloud workspace run on this machine, end to end against
# a real pluto-cloud (PostgreSQL behind it): an editor signs in and pushes a
# pipeline, the owner schedules it every minute in a time zone, `pluto-duck
# agent` runs it and reports the run, its log lines and its report; with the
# agent off for three minutes the missed occurrences are skipped and one is
# caught up; with the cloud gone during a run the outbox keeps everything and
# delivers it once; and no value of the result tables reaches the cloud.

load helper
load cloud

setup_file() {
    cloud_start --sweep-interval 1
    cloud_team
}

teardown_file() {
    cloud_stop
}

setup() {
    init_home
    export CLOUD_EMAIL=bob@example.com CLOUD_PASSWORD=bob-password
    cloud_login # bob, the editor, signs in from this machine
    unset CLOUD_EMAIL CLOUD_PASSWORD
}

teardown() {
    agent_stop
    if [ -s "$BATS_TEST_TMPDIR/second.pid" ]; then
        kill "$(cat "$BATS_TEST_TMPDIR/second.pid")" 2>/dev/null || true
    fi
    for id in $(cloud_api GET "/workspaces/$WS/schedules" | python3 -c \
        'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))'); do
        cloud_api DELETE "/workspaces/$WS/schedules/$id" >/dev/null
    done
    for id in $(cloud_api GET "/workspaces/$WS/pipelines" | python3 -c \
        'import json,sys; print(" ".join(p["id"] for p in json.load(sys.stdin)))'); do
        cloud_api DELETE "/workspaces/$WS/pipelines/$id" >/dev/null
    done
}

# A project with data of its own (never to leave this machine) and the pipeline it becomes.
local_data() {
    pd sql "create table crm_accounts as select 'zebra-quartz-' || i as name, 700000 + i as amount
            from range(5) t(i)" >/dev/null
}

push_pipeline() {
    local_data
    pd analysis new tripled --sql "select name, amount * 3 as tripled from main.crm_accounts" -m table >/dev/null
    pd analysis new slow --sql "select count(*) as hits from range(:n) t(i) where hash(i) % 7 = 0" \
        --param n:int=1000 -m table >/dev/null
    pd cloud push default -m "first" >/dev/null
    PIPELINE=$(cloud_api GET "/workspaces/$WS/pipelines" | python3 -c \
        'import json,sys; print(json.load(sys.stdin)[0]["id"])')
}

schedule() { # CRON [EXTRA JSON FIELDS]
    cloud_api POST "/workspaces/$WS/schedules" \
        "{\"name\":\"s$RANDOM\",\"pipeline_id\":\"$PIPELINE\",\"cron\":\"$1\",\"timezone\":\"Asia/Seoul\"${2:+,$2}}" |
        json_field id
}

@test "every minute: run and reported with logs and report; off for 3 minutes: skipped, then one catch-up" {
    push_pipeline
    SCHED=$(schedule "* * * * *" '"grace_s":20,"catch_up":"latest"')
    agent_start
    wait_for 90 '[ "$(runs_of $SCHED | grep -c ^success)" -ge 1 ]'
    read -r state occ run chunks < <(runs_of "$SCHED" | grep ^success | head -1)
    [ "$chunks" -ge 1 ]

    # the log lines: JSON with the run's, the project's and the step's ids
    cloud_api GET "/workspaces/$WS/runs/$run/logs" | python3 -c '
import json, sys
lines = [l for c in json.load(sys.stdin)["chunks"] for l in c["lines"]]
run = sys.argv[1]
assert all(l["run_id"] == run and l["project_id"] == "Data_team__default" for l in lines), lines
assert {l.get("asset_id") for l in lines} >= {"tripled", "slow"}, lines
assert any(l["msg"] == "scheduled run finished" and l["state"] == "success" for l in lines)' "$run"

    # the report: written here, pushed as two complete artifacts, the same bytes
    meta="$PLUTO_DUCK_HOME/reports/$run/metadata.json"
    python3 - "$meta" "$run" "$PIPELINE" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["run_id"] == sys.argv[2] and m["pipeline_id"] == sys.argv[3] and m["pipeline_version"] == 1
assert m["state"] == "success" and m["trigger"] == "schedule" and not m["catch_up"]
steps = {s["id"]: s for s in m["steps"]}
assert steps["tripled"]["rows"] == 5 and steps["tripled"]["status"] == "ok", steps
assert {"step": "tripled", "reads": ["table:main.crm_accounts"]} in m["lineage"], m["lineage"]
assert m["environment"]["duckdb"].startswith("v") and "os" in m["environment"]
EOF
    grep -q "Run $run" "$PLUTO_DUCK_HOME/reports/$run/report.html"
    cloud_api GET "/workspaces/$WS/runs/$run/artifacts" >"$BATS_TEST_TMPDIR/artifacts.json"
    python3 - "$BATS_TEST_TMPDIR/artifacts.json" <<'EOF'
import json, sys
a = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert set(a) == {"report.html", "metadata.json"}, a
assert all(x["state"] == "complete" and x["kind"] == "report" for x in a.values()), a
EOF

    # off for three minutes
    agent_stop
    off_at=$(date +%s)
    sleep 180
    # restarted: the newest missed occurrence is caught up, once; the older ones were skipped
    agent_start
    wait_for 60 '[ "$(agent_status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"runner\"][\"caught_up\"])")" = 1 ]'
    wait_for 60 '[ -z "$(agent_status | python3 -c "import json,sys; r=json.load(sys.stdin); print(r[\"runner\"].get(\"running\") or \"\", r[\"outbox\"][\"pending\"] or \"\")" | tr -d " ")" ]'
    sleep 3
    agent_status | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["runner"]["caught_up"] == 1, s
assert any("catching up" in n["text"] for n in s["runner"]["notices"]), s'
    cloud_api GET "/workspaces/$WS/schedules/$SCHED/occurrences?limit=100" | python3 -c '
import json, sys
off = int(sys.argv[1])
from datetime import datetime
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
occ = json.load(sys.stdin)
while_off = [o for o in occ if off < t(o["due_at"]) < off + 180]
skipped = [o for o in while_off if o["state"] == "skipped"]
ran = [o for o in while_off if o["state"] == "finished"]
# the newest missed one is caught up; one still in its grace period at the restart runs as due
assert len(skipped) >= 1 and all("no agent online" in o["reason"] for o in skipped), while_off
assert 1 <= len(ran) <= 2 and len(skipped) + len(ran) == len(while_off), while_off' "$off_at"
    # every run of the schedule ran once: no run twice for one occurrence
    [ "$(runs_of "$SCHED" | awk '{print $2}' | sort | uniq -d)" = "" ]
    grep -l '"catch_up": true' "$PLUTO_DUCK_HOME"/reports/*/metadata.json | wc -l | grep -qx 1

    # nothing of the result tables reached the cloud: not its database, not its objects
    values=$(pd sql "select name from "analysis_Data_team__default".tripled union all select tripled::varchar from "analysis_Data_team__default".tripled" --format csv | tail -n +2)
    [ "$(echo "$values" | wc -l)" -eq 10 ]
    /usr/lib/postgresql/*/bin/pg_dump "host=$CLOUD_DIR/c/postgres port=5432 user=pluto dbname=pluto_cloud" \
        >"$BATS_TEST_TMPDIR/cloud.sql"
    grep -q "crm_accounts" "$BATS_TEST_TMPDIR/cloud.sql" # the definition is there
    # whole words only: a minute-aligned time in milliseconds (…2100000) holds 2100000 too
    for v in $values; do
        if grep -rqwF -- "$v" "$BATS_TEST_TMPDIR/cloud.sql" "$CLOUD_DIR/c/objects"; then
            echo "the value $v reached the cloud" >&2
            false
        fi
    done
}

@test "the cloud goes away during a run: the outbox keeps it all and delivers it once" {
    push_pipeline
    SCHED=$(schedule "0 0 1 1 *" '"params":{"n":1500000000}')
    agent_start
    cloud_api POST "/workspaces/$WS/schedules/$SCHED/trigger" '{}' >/dev/null
    wait_for 30 'runs_of $SCHED | grep -q ^running'
    cloud_kill
    # the run ends while the cloud is gone: its end, logs and report wait in the outbox
    wait_for 120 'agent_status | python3 -c "import json,sys; r=json.load(sys.stdin)[\"runner\"]; sys.exit(not (r[\"runs\"] >= 1 and \"running\" not in r))"'
    agent_status | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["outbox"]["pending"] >= 4, s   # the end, a log chunk, two report files, the ack
assert "last_error" in s["outbox"], s'
    run pd cloud status --format csv
    [[ "$output" == *"state,offline"* && "$output" == *"pending_uploads,"[1-9]* ]]
    cloud_restart
    wait_for 90 '[ "$(agent_status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"outbox\"][\"pending\"])")" = 0 ]'
    read -r state occ run chunks < <(runs_of "$SCHED")
    [ "$state" = success ]
    [ "$(runs_of "$SCHED" | wc -l)" -eq 1 ]
    [ "$chunks" -eq 1 ]
    [ "$(cloud_api GET "/workspaces/$WS/runs/$run/artifacts" | python3 -c \
        'import json,sys; print(sorted((a["name"], a["state"]) for a in json.load(sys.stdin)))')" = \
        "[('metadata.json', 'complete'), ('report.html', 'complete')]" ]
    cloud_api GET "/workspaces/$WS/schedules/$SCHED/occurrences" | grep -q '"state":"finished"'
}

@test "two machines poll one workspace: each occurrence runs once; an agent needs a sign-in; one per data home" {
    push_pipeline
    SCHED=$(schedule "0 0 1 1 *")
    first=$PLUTO_DUCK_HOME
    agent_start
    first_url=$AGENT_URL first_pid=$(cat "$BATS_TEST_TMPDIR/agent.pid")
    # another machine, signed in as the same editor, runs the same schedules
    export PLUTO_DUCK_HOME="$BATS_TEST_TMPDIR/second"
    pd init --no-sample >/dev/null
    local_data # its own copy of what the pipeline reads: whichever machine claims, the run works
    CLOUD_EMAIL=bob@example.com CLOUD_PASSWORD=bob-password cloud_login
    "$PD" agent --port 0 --poll-interval 1s >"$BATS_TEST_TMPDIR/second.out" 2>&1 &
    second_pid=$!
    echo "$second_pid" >"$BATS_TEST_TMPDIR/second.pid" # teardown stops it should the test fail
    for _ in 1 2 3; do
        cloud_api POST "/workspaces/$WS/schedules/$SCHED/trigger" '{}' >/dev/null
    done
    wait_for 60 '[ "$(runs_of $SCHED | grep -c ^success)" -eq 3 ]'
    sleep 3
    [ "$(runs_of "$SCHED" | wc -l)" -eq 3 ]
    [ "$(runs_of "$SCHED" | awk '{print $2}' | sort -u | wc -l)" -eq 3 ]
    kill "$second_pid"
    wait "$second_pid" || true
    export PLUTO_DUCK_HOME=$first

    # a second agent for the same data home is refused, and says why
    run pd agent --port 0
    [ "$status" -ne 0 ]
    [[ "$output" == *"holds the warehouse"* ]]
    agent_stop

    # signed out: the agent does not start
    pd cloud logout >/dev/null
    run pd agent --port 0
    [ "$status" -ne 0 ]
    [[ "$output" == *"not signed in to Pluto Cloud"* ]]
}

@test "a clock ten minutes off the server's, either way: the sign-in refreshes and schedules run" {
    ldd "$PD" | grep -q libasan && skip "libfaketime cannot be preloaded before AddressSanitizer"
    push_pipeline
    SCHED=$(schedule "0 0 1 1 *")
    for skew in +10m -10m; do
        FAKETIME=$skew LD_PRELOAD=$(echo /usr/lib/*/faketime/libfaketimeMT.so.1) agent_start
        cloud_api POST "/workspaces/$WS/schedules/$SCHED/trigger" '{}' >/dev/null
        wait_for 30 '[ "$(runs_of $SCHED | grep -c ^success)" -eq ${n:-1} ]'
        n=2
        agent_stop
        FAKETIME=$skew LD_PRELOAD=$(echo /usr/lib/*/faketime/libfaketimeMT.so.1) run pd cloud status --format csv
        [[ "$output" == *"state,signed in"* ]]
    done
    [ "$(runs_of "$SCHED" | wc -l)" -eq 2 ]
}

@test "pluto-duck run follows the CLI: a sign-in starts the schedules, another workspace moves them, a sign-out stops them" {
    pd cloud logout >/dev/null
    agent_start run
    polling() { agent_status | python3 -c 'import json,sys; r=json.load(sys.stdin)["runner"]; print(r["polling"], r.get("workspace_id", ""))'; }
    [ "$(polling)" = "False " ]
    export CLOUD_EMAIL=bob@example.com CLOUD_PASSWORD=bob-password
    cloud_login
    wait_for 10 '[ "$(polling)" = "True $WS" ]'
    # bob joins a second workspace and uses it: the runner moves there
    other=$(CLOUD_EMAIL=ann@example.com CLOUD_PASSWORD=ann-password cloud_api POST /workspaces '{"name":"Other team"}' | json_field id)
    token=$(CLOUD_EMAIL=ann@example.com CLOUD_PASSWORD=ann-password cloud_api POST "/workspaces/$other/invitations" \
        '{"email":"bob@example.com","role":"viewer"}' | json_field token)
    cloud_api POST /invitations/accept "{\"token\":\"$token\"}" >/dev/null
    unset CLOUD_EMAIL CLOUD_PASSWORD
    pd cloud workspace use "Other team" >/dev/null
    wait_for 10 '[ "$(polling)" = "True $other" ]'
    pd cloud logout >/dev/null
    wait_for 10 '[ "$(polling)" = "False " ]'
    agent_status | python3 -c 'import json,sys; assert not json.load(sys.stdin)["signed_in"]'
}
