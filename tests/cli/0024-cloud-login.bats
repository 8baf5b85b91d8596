#!/usr/bin/env bats
# `pluto-duck cloud`: signing in to a real pluto-cloud with the device grant
# (approved through the cloud's API, as its approval page does), the session
# and its tokens, workspaces, refresh, a revoked sign-in, and signing out.

load helper

load cloud

setup_file() {
    cloud_start
}

teardown_file() {
    cloud_stop
}

setup() {
    init_home
}

@test "login with the device grant: the code, the approval, the session; tokens only in the secret store" {
    cloud_api POST /workspaces '{"name":"Data team"}' >/dev/null
    run cloud_login true
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
    cloud_api POST /workspaces '{"name":"Second"}' >/dev/null
    cloud_login true
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
    cloud_login true
    before=$(cat "$PLUTO_DUCK_HOME/secrets/cloud.access_token")
    python3 - "$PLUTO_DUCK_HOME/cloud/session.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["access_expires_ms"] = 0; json.dump(d, open(sys.argv[1], "w"))
PY
    run pd cloud status
    [[ "$output" == *"signed in"* ]]
    [ "$(cat "$PLUTO_DUCK_HOME/secrets/cloud.access_token")" != "$before" ]
    cloud_api POST /auth/logout '{}' >/dev/null # ann signs out everywhere, from another machine
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
    cloud_login true
    run pd cloud logout
    [ "$status" -eq 0 ]
    [ ! -e "$PLUTO_DUCK_HOME/secrets/cloud.refresh_token" ]
    [ ! -e "$PLUTO_DUCK_HOME/secrets/cloud.access_token" ]
    run pd cloud status
    [ "$status" -eq 1 ]
    [[ "$output" == *"not signed in"* ]]
}

@test "a refused approval, a server that is not Pluto Cloud, a bad URL, Ctrl-C while waiting" {
    run cloud_login false
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
