#!/usr/bin/env bats
# The higher tier of sharing, and large artifacts: a schedule that asks for
# Parquet snapshots of chosen results gets exactly those (and no other rows)
# as artifacts in S3 (moto_server); a 200 MB one whose upload the network cuts
# half-way is sent again and listed once, whole; an artifact is never listed
# before its bytes were checked.

load helper
load cloud

setup_file() {
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing-secret AWS_DEFAULT_REGION=us-east-1
    MOTO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    moto_server -p "$MOTO_PORT" >/dev/null 2>&1 &
    echo $! >"$BATS_FILE_TMPDIR/moto.pid"
    for _ in $(seq 1 100); do
        curl -s -o /dev/null -X PUT "http://127.0.0.1:$MOTO_PORT/pluto-artifacts" && break
        sleep 0.2
    done
    # The network between this machine and S3 drops the first upload after 50 MB.
    python3 "$PD_BUILD/../tests/servers/cutting_proxy.py" "$MOTO_PORT" $((50 << 20)) 1 \
        >"$BATS_FILE_TMPDIR/proxy.port" 2>"$BATS_FILE_TMPDIR/proxy.log" &
    echo $! >"$BATS_FILE_TMPDIR/proxy.pid"
    for _ in $(seq 1 50); do [ -s "$BATS_FILE_TMPDIR/proxy.port" ] && break; sleep 0.1; done
    cloud_start --sweep-interval 1 --s3-endpoint "http://127.0.0.1:$(cat "$BATS_FILE_TMPDIR/proxy.port")" \
        --s3-bucket pluto-artifacts
    cloud_team
    export MOTO_PORT
}

teardown_file() {
    cloud_stop
    kill "$(cat "$BATS_FILE_TMPDIR/proxy.pid")" "$(cat "$BATS_FILE_TMPDIR/moto.pid")" 2>/dev/null || true
}

setup() {
    init_home
    export CLOUD_EMAIL=bob@example.com CLOUD_PASSWORD=bob-password
    cloud_login
    unset CLOUD_EMAIL CLOUD_PASSWORD
}

teardown() {
    agent_stop
}

@test "snapshots: the named results arrive as Parquet; a 200 MB one cut half-way arrives whole, once" {
    pd sql "create table accounts as select 'acct-' || i as name, 1000 + i as amount from range(3) t(i)" >/dev/null
    pd analysis new small --sql "select name, amount * 2 as doubled from main.accounts" -m table >/dev/null
    pd analysis new secret --sql "select name || '-private' as name from main.accounts" -m table >/dev/null
    # random 16-byte values: Parquet cannot make them smaller (13M rows, about 200 MB)
    pd analysis new big --sql "select gen_random_uuid() as u from range(13000000)" -m table >/dev/null
    pd cloud push default -m "with snapshots" >/dev/null
    pipeline=$(cloud_api GET "/workspaces/$WS/pipelines" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

    # a bad list is refused, naming the field
    run cloud_api POST "/workspaces/$WS/schedules" \
        "{\"pipeline_id\":\"$pipeline\",\"cron\":\"@yearly\",\"snapshot\":[\"small\",\"x; drop\"]}"
    [[ "$output" == *"snapshot[1]"* ]]
    sched=$(cloud_api POST "/workspaces/$WS/schedules" \
        "{\"pipeline_id\":\"$pipeline\",\"cron\":\"@yearly\",\"snapshot\":[\"small\",\"big\",\"nowhere\"]}" | json_field id)
    cloud_api POST "/workspaces/$WS/schedules/$sched/trigger" '{}' >/dev/null
    agent_start
    wait_for 240 '[ "$(runs_of $sched | grep -c ^success)" -ge 1 ]'
    read -r _ _ run _ < <(runs_of "$sched" | grep ^success | head -1)
    # every artifact listed is complete and checked; wait for the big one
    wait_for 240 'cloud_api GET "/workspaces/$WS/runs/$run/artifacts" | python3 -c "
import json, sys
a = {x[\"name\"]: x for x in json.load(sys.stdin)}
sys.exit(0 if a.get(\"big.parquet\", {}).get(\"state\") == \"complete\" else 1)"'
    grep -q "cut PUT after" "$BATS_FILE_TMPDIR/proxy.log" # the first upload was cut
    local dir="$PLUTO_DUCK_HOME/reports/$run"
    cloud_api GET "/workspaces/$WS/runs/$run/artifacts" >"$BATS_TEST_TMPDIR/artifacts.json"
    python3 - "$BATS_TEST_TMPDIR/artifacts.json" "$dir" <<'PY'
import hashlib, json, os, sys
a = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert set(a) == {"report.html", "metadata.json", "small.parquet", "big.parquet"}, sorted(a)
for name in ("small.parquet", "big.parquet"):
    x, path = a[name], os.path.join(sys.argv[2], name)
    assert x["kind"] == "snapshot" and x["state"] == "complete", x
    assert x["size"] == os.path.getsize(path), (x["size"], os.path.getsize(path))
    assert x["sha256"] == hashlib.sha256(open(path, "rb").read()).hexdigest(), name
assert a["big.parquet"]["size"] > 190 << 20, a["big.parquet"]["size"]
PY
    # what S3 holds is the same bytes (read straight from moto, not through the cut network)
    id=$(python3 -c 'import json,sys; print({x["name"]: x for x in json.load(open(sys.argv[1]))}["big.parquet"]["id"])' "$BATS_TEST_TMPDIR/artifacts.json")
    aws --endpoint-url "http://127.0.0.1:$MOTO_PORT" s3 cp "s3://pluto-artifacts/$id" "$BATS_TEST_TMPDIR/big.parquet" >/dev/null
    cmp "$BATS_TEST_TMPDIR/big.parquet" "$dir/big.parquet"
    # the small snapshot holds the result, readable by DuckDB
    small=$(python3 -c 'import json,sys; print({x["name"]: x for x in json.load(open(sys.argv[1]))}["small.parquet"]["id"])' "$BATS_TEST_TMPDIR/artifacts.json")
    aws --endpoint-url "http://127.0.0.1:$MOTO_PORT" s3 cp "s3://pluto-artifacts/$small" "$BATS_TEST_TMPDIR/small.parquet" >/dev/null
    run pd sql "select name, doubled from read_parquet('$BATS_TEST_TMPDIR/small.parquet') order by 1" --format csv
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'name,doubled\nacct-0,2000\nacct-1,2002\nacct-2,2004')" ]
    # an analysis the schedule did not name sent nothing; the unknown name is in the run's log
    for key in $(aws --endpoint-url "http://127.0.0.1:$MOTO_PORT" s3 ls s3://pluto-artifacts/ | awk '{print $4}'); do
        aws --endpoint-url "http://127.0.0.1:$MOTO_PORT" s3 cp "s3://pluto-artifacts/$key" - 2>/dev/null |
            grep -qF -- "-private" && { echo "the unnamed analysis secret reached S3" >&2; false; }
    done
    cloud_api GET "/workspaces/$WS/runs/$run/logs" | python3 -c '
import json, sys
lines = [l for c in json.load(sys.stdin)["chunks"] for l in c["lines"]]
assert any(l["msg"] == "snapshot not written" and l.get("asset_id") == "nowhere" for l in lines), lines
assert any(l["msg"] == "snapshot written" and l.get("asset_id") == "big" and l["rows"] == 13000000 for l in lines), lines'
    # nothing left to send, nothing failed
    agent_status | python3 -c '
import json, sys
o = json.load(sys.stdin)["outbox"]
assert o["pending"] == 0 and o["failed"] == 0, o'
}
