# Starting and stopping `pluto-duck run` for the HTTP tests: a free port, the
# runtime file to wait for, and curl helpers that keep status and body apart.
load helper

# start_server [run options...]: serve the test's home on a free port.
start_server() {
    "$PD" run --port 0 "$@" 2>"$BATS_TEST_TMPDIR/server.err" &
    SERVER_PID=$!
    local i
    for i in $(seq 100); do
        [ -f "$PLUTO_DUCK_HOME/runtime/server.json" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$BATS_TEST_TMPDIR/server.err" >&2; return 1; }
        sleep 0.1
    done
    PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' \
        "$PLUTO_DUCK_HOME/runtime/server.json")
    BASE="http://127.0.0.1:$PORT/api/v1"
}

stop_server() {
    if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" || true
    fi
    SERVER_PID=
}

# api METHOD PATH [curl args...]: sets $status_code and $body. A write says it is
# JSON (the server refuses a write without that) unless the arguments name a type.
api() {
    local method=$1 path=$2
    shift 2
    local out ctype=()
    if [ "$method" != GET ] && [[ "$*" != *Content-Type* ]]; then
        ctype=(-H 'Content-Type: application/json')
    fi
    out=$(curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' -X "$method" "$BASE$path" "${ctype[@]}" "$@")
    status_code=$out
    body=$(cat "$BATS_TEST_TMPDIR/body")
}

# post PATH JSON [curl args...]
post() {
    local path=$1 json=$2
    shift 2
    api POST "$path" -H 'Content-Type: application/json' --data-binary "$json" "$@"
}

# jq-less JSON field read: json_get 'expr on d' (python, d = the body)
json_get() {
    python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print($1)" <<<"$body"
}

# at_once COMMAND...: run the command lines (bash, with this test's variables
# exported) all at once in the background, each printing one line; wait for them
# (not for the server) and leave their lines, sorted, in $output.
at_once() {
    local pids=() c i=0
    export BASE PWD
    for c in "$@"; do
        bash -c "$c" > "$BATS_TEST_TMPDIR/at_once.$i" &
        pids+=($!)
        i=$((i + 1))
    done
    wait "${pids[@]}"
    output=$(cat "$BATS_TEST_TMPDIR"/at_once.* | sort)
}

# The HTTP status of a request, for at_once: code METHOD PATH [curl args...]
code() {
    local method=$1 path=$2
    shift 2
    curl -s -o /dev/null -w '%{http_code}\n' -X "$method" "$BASE$path" -H 'Content-Type: application/json' "$@"
}
export -f code
