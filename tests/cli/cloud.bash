# cloud.bash - a real pluto-cloud for the suites that sign in to it.
#
#   cloud_start      (in setup_file) serve --dev on a free port, with ann@example.com
#                    (password ann-password); sets CLOUD_DIR and CLOUD_URL
#   cloud_stop       (in teardown_file)
#   cloud_api METHOD PATH [BODY]   a request as ann, with a fresh access token
#   cloud_login [true|false]       `pluto-duck cloud login`, its code approved (or
#                                  denied) through the API, as the approval page does

CLOUD=${PD_BUILD:?}/bin/pluto-cloud

cloud_start() {
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

cloud_stop() {
    kill "$(cat "$CLOUD_DIR/pid")" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$(cat "$CLOUD_DIR/pid")" 2>/dev/null || break; sleep 0.1; done
    rm -rf "$CLOUD_DIR"
}

cloud_api() {
    local token
    token=$(curl -s -X POST -H 'Content-Type: application/json' "$CLOUD_URL/api/v1/auth/login" \
        -d '{"email":"ann@example.com","password":"ann-password"}' |
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
export -f cloud_login cloud_api
