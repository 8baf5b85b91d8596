#!/usr/bin/env bats
# `pluto-duck cloud`: signing in to a real pluto-cloud with the device grant
# (approved through the cloud's API, as its approval page does), the session
# and its tokens, workspaces, refresh, a revoked sign-in, and signing out.

load helper

CLOUD=${PD_BUILD:?}/bin/pluto-cloud

setup_file() {
    CLOUD_DIR=$(mktemp -d /tmp/pd-cloud.XXXXXX)
    chmod 711 "$CLOUD_DIR" # as root, the postgres user passes through it
    "$CLOUD" serve --dev --data "$CLOUD_DIR/c" --port 0 >"$CLOUD_DIR/out" 2>"$CLOUD_DIR/err" &
    echo $! >"$CLOUD_DIR/pid"
    for _ in $(seq 1 100); do
        grep -q serving "$CLOUD_DIR/out" 2>/dev/null && break
        sleep 0.1
    done
    CLOUD_URL=$(sed -n 's/.*serving \(http[^ ]*\).*/\1/p' "$CLOUD_DIR/out")
    echo "ann-password" | "$CLOUD" user add ann@example.com --password-stdin --data "$CLOUD_DIR/c" >/dev/null
    export CLOUD_DIR CLOUD_URL
}

teardown_file() {
    kill "$(cat "$CLOUD_DIR/pid")" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$(cat "$CLOUD_DIR/pid")" 2>/dev/null || break; sleep 0.1; done
    rm -rf "$CLOUD_DIR"
}

setup() {
    init_home
}

# api METHOD PATH [BODY]: a request as ann, with her own fresh access token.
api() {
    local token
    token=$(curl -s -X POST -H 'Content-Type: application/json' "$CLOUD_URL/api/v1/auth/login" \
        -d '{"email":"ann@example.com","password":"ann-password"}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -s -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        "$CLOUD_URL/api/v1$2" ${3:+-d "$3"}
}

# login_with DECISION: start `cloud login`, approve (or deny) its code, wait for it.
login_with() {
    pd cloud login "$CLOUD_URL" --no-browser --name laptop >login.out 2>login.err &
    local pid=$! code=
    for _ in $(seq 1 50); do
        code=$(sed -n 's/^and enter the code \(.*\)$/\1/p' login.err)
        [ -n "$code" ] && break
        sleep 0.1
    done
    [ -n "$code" ]
    api POST /auth/device/approve "{\"user_code\":\"$code\",\"approve\":$1}" >approve.json
    wait "$pid"
}

@test "login with the device grant: the code, the approval, the session; tokens only in the secret store" {
    api POST /workspaces '{"name":"Data team"}' >/dev/null
    run login_with true
    [ "$status" -eq 0 ]
    grep -q '"client_name":"pluto-duck on laptop"' approve.json
    grep -q "signed in to $CLOUD_URL as ann@example.com" login.out
    run pd cloud status --format json
    [ "$status" -eq 0 ]
    [[ "$output" == *'"key":"state","value":"signed in"'* ]]
    [[ "$output" == *'"key":"user","value":"ann@example.com"'* ]]
    [ "$(stat -c %a "$PLUTO_DUCK_HOME/secrets/cloud.refresh_token")" = 600 ]
    [ "$(stat -c %a "$PLUTO_DUCK_HOME/cloud/session.json")" = 600 ]
    ! grep -q 'pcr_\|eyJ' "$PLUTO_DUCK_HOME/cloud/session.json"
    ! grep -rq 'pcr_' "$PLUTO_DUCK_HOME/config.yaml"
}

@test "workspaces: list, use by name, an unknown one is refused" {
    api POST /workspaces '{"name":"Second"}' >/dev/null
    login_with true
    run pd cloud workspace list --format csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"Second,"* ]]
    run pd cloud workspace use Second
    [ "$status" -eq 0 ]
    [[ "$output" == "using workspace Second (owner)" ]]
    run pd cloud status
    [[ "$output" == *"workspace        Second"* ]]
    run pd cloud workspace use "No such"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not a member of a workspace 'No such'"* ]]
}

@test "an expired access token is refreshed; a revoked sign-in says to sign in again" {
    login_with true
    before=$(cat "$PLUTO_DUCK_HOME/secrets/cloud.access_token")
    python3 - "$PLUTO_DUCK_HOME/cloud/session.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["access_expires_ms"] = 0; json.dump(d, open(sys.argv[1], "w"))
PY
    run pd cloud status
    [[ "$output" == *"signed in"* ]]
    [ "$(cat "$PLUTO_DUCK_HOME/secrets/cloud.access_token")" != "$before" ]
    api POST /auth/logout '{}' >/dev/null # ann signs out everywhere, from another machine
    python3 - "$PLUTO_DUCK_HOME/cloud/session.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["access_expires_ms"] = 0; json.dump(d, open(sys.argv[1], "w"))
PY
    run pd cloud status
    [ "$status" -eq 0 ]
    [[ "$output" == *"signed out (sign in again)"* ]]
    run pd cloud workspace list
    [ "$status" -eq 1 ]
    [[ "$output" == *"pluto-duck cloud login"* ]]
}

@test "logout forgets the tokens and the session" {
    login_with true
    run pd cloud logout
    [ "$status" -eq 0 ]
    [ ! -e "$PLUTO_DUCK_HOME/secrets/cloud.refresh_token" ]
    [ ! -e "$PLUTO_DUCK_HOME/secrets/cloud.access_token" ]
    run pd cloud status
    [ "$status" -eq 1 ]
    [[ "$output" == *"not signed in"* ]]
}

@test "a refused approval, a server that is not Pluto Cloud, a bad URL, Ctrl-C while waiting" {
    run login_with false
    [ "$status" -eq 1 ]
    grep -q "refused" login.err
    run pd cloud login http://127.0.0.1:9 --no-browser
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot reach Pluto Cloud"* ]]
    run pd cloud login ftp://example.com
    [ "$status" -eq 2 ]
    run pd cloud frobnicate
    [ "$status" -eq 2 ]
    "$PD" cloud login "$CLOUD_URL" --no-browser >/dev/null 2>wait.err &
    pid=$!
    sleep 1
    kill -INT "$pid"
    wait "$pid" && rc=0 || rc=$?
    [ "$rc" -eq 130 ]
    grep -q "cancelled" wait.err
}
