# cloud.bash - a real pluto-cloud for the suites that sign in to it.
#
#   cloud_start [ARGS]  (in setup_file) serve --dev on a free port (with ARGS), with
#                    ann@example.com (password ann-password); sets CLOUD_DIR and CLOUD_URL
#   cloud_kill       stop the server, keeping its data (a cloud that went away)
#   cloud_restart    serve the same data on the same port again
#   cloud_stop       (in teardown_file)
#   cloud_api METHOD PATH [BODY]   a request as ann (or CLOUD_EMAIL with CLOUD_PASSWORD),
#                                  with a fresh access token
#   cloud_login [true|false]       `pluto-duck cloud login`, its code approved (or
#                                  denied) through the API by that account, as the
#                                  approval page does
#   cloud_team       (in setup_file) ann's workspace "Data team" ($WS) with
#                    bob@example.com (password bob-password) as its editor
#   agent_start [run] / agent_stop / agent_status   `pluto-duck agent` (or `run`) of
#                    this data home (polling every second), its URL in AGENT_URL
#   wait_for SECONDS CONDITION     until the shell condition holds
#   runs_of SCHEDULE               its runs: "state occurrence_id run_id log_chunks"

CLOUD=${PD_BUILD:?}/bin/pluto-cloud

cloud_serve() { # PORT ARGS...
    local port=$1
    shift
    : >"$CLOUD_DIR/out"
    "$CLOUD" serve --dev --data "$CLOUD_DIR/c" --port "$port" "$@" >"$CLOUD_DIR/out" 2>>"$CLOUD_DIR/err" &
    echo $! >"$CLOUD_DIR/pid"
    for _ in $(seq 1 300); do
        grep -q serving "$CLOUD_DIR/out" 2>/dev/null && break
        sleep 0.1
    done
    CLOUD_URL=$(sed -n 's/.*serving \(http[^ ]*\).*/\1/p' "$CLOUD_DIR/out")
    [ -n "$CLOUD_URL" ]
}

cloud_start() {
    CLOUD_DIR=$(mktemp -d /tmp/pd-cloud.XXXXXX)
    chmod 711 "$CLOUD_DIR" # as root, the postgres user passes through it
    echo "$*" >"$CLOUD_DIR/args"
    cloud_serve 0 "$@"
    echo "ann-password" | "$CLOUD" user add ann@example.com --password-stdin --data "$CLOUD_DIR/c" >/dev/null
    export CLOUD_DIR CLOUD_URL
}

cloud_kill() {
    kill "$(cat "$CLOUD_DIR/pid")" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$(cat "$CLOUD_DIR/pid")" 2>/dev/null || break; sleep 0.1; done
}

cloud_restart() {
    # shellcheck disable=SC2046
    cloud_serve "${CLOUD_URL##*:}" $(cat "$CLOUD_DIR/args")
}

cloud_stop() {
    cloud_kill
    rm -rf "$CLOUD_DIR"
}

cloud_api() {
    local token
    token=$(curl -s -X POST -H 'Content-Type: application/json' "$CLOUD_URL/api/v1/auth/login" \
        -d "{\"email\":\"${CLOUD_EMAIL:-ann@example.com}\",\"password\":\"${CLOUD_PASSWORD:-ann-password}\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -s -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        "$CLOUD_URL/api/v1$2" ${3:+-d "$3"}
}

cloud_login() {
    "$PD" cloud login "$CLOUD_URL" --no-browser --name laptop >login.out 2>login.err &
    local pid=$! code=
    for _ in $(seq 1 50); do
        code=$(sed -n 's/^and enter the code \(.*\)$/\1/p' login.err)
        [ -n "$code" ] && break
        sleep 0.1
    done
    [ -n "$code" ] || return 1
    cloud_api POST /auth/device/approve "{\"user_code\":\"$code\",\"approve\":${1:-true}}" >approve.json
    wait "$pid"
}

cloud_team() {
    WS=$(cloud_api POST /workspaces '{"name":"Data team"}' | json_field id)
    invitation=$(cloud_api POST "/workspaces/$WS/invitations" \
        '{"email":"bob@example.com","role":"editor"}' | json_field token)
    curl -s -X POST -H 'Content-Type: application/json' "$CLOUD_URL/api/v1/auth/register" \
        -d "{\"email\":\"bob@example.com\",\"password\":\"bob-password\",\"invitation\":\"$invitation\"}" >/dev/null
    export WS
}

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

agent_start() {
    rm -f "$PLUTO_DUCK_HOME/runtime/server.json"
    "$PD" "${1:-agent}" --port 0 --poll-interval 1s >"$BATS_TEST_TMPDIR/agent.out" 2>>"$BATS_TEST_TMPDIR/agent.err" &
    echo $! >"$BATS_TEST_TMPDIR/agent.pid"
    for _ in $(seq 1 100); do
        [ -s "$PLUTO_DUCK_HOME/runtime/server.json" ] && break
        sleep 0.1
    done
    AGENT_URL=$(json_field url <"$PLUTO_DUCK_HOME/runtime/server.json")
}

agent_stop() {
    local pid
    pid=$(cat "$BATS_TEST_TMPDIR/agent.pid" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$BATS_TEST_TMPDIR/agent.pid"
}

agent_status() { curl -s "$AGENT_URL/api/v1/cloud/status"; }

# until CONDITION (a shell command) holds, for at most SECONDS
wait_for() {
    local secs=$1
    shift
    for _ in $(seq 1 $((secs * 4))); do
        eval "$*" && return 0
        sleep 0.25
    done
    echo "gave up waiting for: $*" >&2
    return 1
}

# runs of schedule $1 as lines "state occurrence_id run_id log_chunks"
runs_of() {
    cloud_api GET "/workspaces/$WS/runs?schedule_id=$1" | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["state"], r["occurrence_id"], r["id"], r["log_chunks"])'
}

export -f cloud_login cloud_api cloud_serve cloud_kill cloud_restart
