#!/usr/bin/env bats
# The local server as a web page in the user's browser would try it: DNS
# rebinding (a foreign Host), cross-site writes (simple requests, foreign
# Origins), floods of idle and trickling connections, slow handlers, heads too
# big or with a NUL, and paths resolved against the server's directory.

load server

setup() {
    init_home
}

teardown() {
    stop_server
}

# How many times the statement "select 42 as n" ran.
runs_of_42() {
    pd sql --format csv "select count(*) from _pluto.query_history where sql = 'select 42 as n'" | tail -1
}

# raw PORT BYTES: send BYTES as they are, print the answer (python: curl mends requests).
raw() {
    python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except OSError:
    pass
sys.stdout.write(out.decode("latin-1"))
PY
}

@test "DNS rebinding: a request naming another Host is 421 in the envelope on every route, the web UI too; nothing runs" {
    start_server
    for path in /api/v1/health /api/v1/openapi.json / /index.html /api/v1/nope; do
        run curl -s -w '\n%{http_code}' -H "Host: evil.example:$PORT" "http://127.0.0.1:$PORT$path"
        [ "${lines[1]}" = 421 ] || { echo "$path: $output"; false; }
        [[ "${lines[0]}" == *'"code":"misdirected_request"'* ]]
        [[ "${lines[0]}" == *'server.allowed_hosts'* ]]
    done
    # the attack: read a file of the user's through a rebinding name
    run curl -s -w '\n%{http_code}' -H "Host: evil.example:$PORT" -H 'Content-Type: application/json' \
        --data "{\"sql\":\"select * from read_csv('/etc/passwd')\"}" "$BASE/query?wait=5"
    [ "${lines[1]}" = 421 ]
    [[ "$output" != *root* ]]
    run pd sql --format csv "select count(*) from _pluto.query_history where sql like '%passwd%'"
    [ "${lines[1]}" = 0 ]
    # a wrong port, a name with a trailing dot, no Host at all
    for host in "127.0.0.1:$((PORT + 1))" "localhost.:$PORT" "127.0.0.1"; do
        run curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" "$BASE/health"
        [ "$output" = 421 ] || { echo "$host: $output"; false; }
    done
    run raw "$PORT" 'GET /api/v1/health HTTP/1.0\r\n\r\n'
    [[ "$output" == *' 421 '* ]]
    # our own names are served
    for host in "127.0.0.1:$PORT" "localhost:$PORT" "[::1]:$PORT" "LOCALHOST:$PORT"; do
        run curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" "$BASE/health"
        [ "$output" = 200 ] || { echo "$host: $output"; false; }
    done
}

@test "server.allowed_hosts serves a listed name; others stay refused" {
    start_server -c server.allowed_hosts=pluto.lan,proxy.example:443
    run curl -s -o /dev/null -w '%{http_code}' -H "Host: pluto.lan:$PORT" "$BASE/health"
    [ "$output" = 200 ]
    run curl -s -o /dev/null -w '%{http_code}' -H "Host: proxy.example" "$BASE/health"
    [ "$output" = 421 ]
    run curl -s -o /dev/null -w '%{http_code}' -H "Host: proxy.example:443" "$BASE/health"
    [ "$output" = 200 ]
    run curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example:$PORT" "$BASE/health"
    [ "$output" = 421 ]
}

@test "cross-site writes: a simple request or a foreign Origin starts nothing; JSON from no page or our own works" {
    start_server
    before=$(runs_of_42)
    q='{"sql":"select 42 as n"}'
    # what a form or a fetch without preflight can send
    for ct in text/plain application/x-www-form-urlencoded 'multipart/form-data; boundary=x' \
        application/jsonfoo 'text/plain; a=application/json'; do
        run curl -s -w '\n%{http_code}' -H "Content-Type: $ct" --data "$q" "$BASE/query?wait=5"
        [ "${lines[1]}" = 415 ] || { echo "$ct: $output"; false; }
        [[ "${lines[0]}" == *'"code":"unsupported_media_type"'* ]]
    done
    run curl -s -o /dev/null -w '%{http_code}' --data-binary "$q" -H 'Content-Type:' "$BASE/query?wait=5"
    [ "$output" = 415 ]
    # chunked, and empty bodies: still JSON only
    run curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' \
        --data-binary "$q" "$BASE/query?wait=5"
    [ "$output" = 415 ]
    run curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/source/none/refresh"
    [ "$output" = 415 ]
    run curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/chat/sessions/none"
    [ "$output" = 415 ]
    # a page elsewhere, a sandboxed page, a file
    for origin in http://evil.example "http://evil.example:$PORT" null file://; do
        run curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' -H "Origin: $origin" \
            --data "$q" "$BASE/query?wait=5"
        [ "${lines[1]}" = 403 ] || { echo "$origin: $output"; false; }
        [[ "${lines[0]}" == *'"code":"forbidden_origin"'* ]]
    done
    [ "$(runs_of_42)" = "$before" ]
    # the web UI's own origin, a JSON type with parameters, and no Origin (curl, the CLI)
    post '/query?wait=5' "$q" -H "Origin: http://127.0.0.1:$PORT"
    [ "$status_code" = 200 ]
    post '/query?wait=5' "$q" -H "Origin: http://localhost:$PORT"
    [ "$status_code" = 200 ]
    api POST '/query?wait=5' -H 'Content-Type: application/json; charset=utf-8' --data "$q"
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["result"]["rows"]')" = "[[42]]" ]
    run pd sql --format csv "select 7 as seven"
    output_is "$(printf 'seven\n7')"
    # a listed origin may write
    stop_server
    start_server -c server.cors_origins=http://localhost:5173
    post '/query?wait=5' "$q" -H 'Origin: http://localhost:5173'
    [ "$status_code" = 200 ]
    post '/query?wait=5' "$q" -H 'Origin: http://localhost:5174'
    [ "$status_code" = 403 ]
}

@test "errors are the envelope: a long target 414, big headers 431, a %00 in a path 400, bad UTF-8 in a path" {
    start_server
    run curl -s -w '\n%{http_code}' "$BASE/$(printf 'a%.0s' $(seq 9000))"
    [ "${lines[1]}" = 414 ]
    [[ "${lines[0]}" == '{"error":{"code":"uri_too_long"'* ]]
    big=$(printf 'b%.0s' $(seq 40000))
    run curl -s -w '\n%{http_code}' -H "X-Big: $big" "$BASE/health"
    [ "${lines[1]}" = 431 ]
    [[ "${lines[0]}" == '{"error":{"code":"headers_too_large"'* ]]
    for path in '/source/abc%00def' '/asset/analysis/x%00.yaml' '/index.html%00.png' '/health?x=%00'; do
        run curl -s -w '\n%{http_code}' "http://127.0.0.1:$PORT/api/v1${path}"
        [ "${lines[1]}" = 400 ] || { echo "$path: $output"; false; }
        [[ "${lines[0]}" == *'%00'* ]]
    done
    run curl -s -w '\n%{http_code}' "http://127.0.0.1:$PORT/index.html%00.png"
    [ "${lines[1]}" = 400 ]
    # a path that is not UTF-8 still gets valid JSON back
    run curl -s "$BASE/no/%ff%fe"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["error"]["code"]=="not_found", d' "$output"
}

@test "connections: thousands idle and trickling cannot lock out /health or a new client; trickling ones are closed; the total stays bounded" {
    start_server -c server.max_connections=512
    python3 "$BATS_TEST_DIRNAME/../servers/conn_flood.py" "$PORT" 3000 40 16 flood.jsonl &
    flood=$!
    sleep 4
    fds=$(ls "/proc/$SERVER_PID/fd" | wc -l)
    echo "server fds with 3000 connections tried: $fds"
    [ "$fds" -lt 700 ]
    for i in 1 2 3; do
        api GET /health
        [ "$status_code" = 200 ]
    done
    post '/query?wait=10' '{"sql":"select 42"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[42]]" ]
    run pd sql --format csv "select 1 as one"
    output_is "$(printf 'one\n1')"
    wait "$flood"
    cat flood.jsonl
    # a head that trickles in is cut after the head time limit (10 s), not kept for minutes
    [ "$(tail -1 flood.jsonl | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["trickling_open"])')" = 0 ]
    api GET /health
    [ "$status_code" = 200 ]
}

@test "slow handlers do not hold the HTTP workers: /health answers while eight slow requests run" {
    # a PostgreSQL "server" that accepts and never answers: each source test waits for it
    python3 "$BATS_TEST_DIRNAME/../servers/silent_server.py" 30 > silent.port &
    silent=$!
    sleep 0.5
    start_server -c sources.connect_timeout=4s
    sp=$(cat silent.port)
    pids=()
    for i in $(seq 8); do
        curl -s -o "slow$i.json" -w '%{time_total}' -H 'Content-Type: application/json' \
            --data "{\"type\":\"postgres\",\"config\":{\"dsn\":\"postgresql://u@127.0.0.1:$sp/db\"}}" \
            "$BASE/source/test" > "slow$i.time" &
        pids+=($!)
    done
    sleep 1
    t=$(curl -s -o health.json -w '%{time_total}' "$BASE/health")
    done_before=$(cat slow*.time 2>/dev/null | wc -w)
    echo "health took ${t}s; slow requests finished before it: $done_before"
    grep -q '"status":"ok"' health.json
    [ "$done_before" = 0 ]
    wait "${pids[@]}"
    for i in $(seq 8); do
        grep -q '"ok":false' "slow$i.json" || { cat "slow$i.json"; false; }
    done
    kill "$silent" 2>/dev/null || true
}

@test "paths: the CLI sends -o and -f absolute; a relative parquet path is in the folder of the analysis files" {
    start_server
    mkdir -p elsewhere
    echo "select 3 as three" > elsewhere/q.sql
    cd elsewhere
    run pd sql -f q.sql -o out.csv
    [ "$status" -eq 0 ]
    [ -f "$BATS_TEST_TMPDIR/elsewhere/out.csv" ]
    [ ! -f "$BATS_TEST_TMPDIR/out.csv" ]
    run pd sql -f q.sql -oout2.csv
    [ -f "$BATS_TEST_TMPDIR/elsewhere/out2.csv" ]
    run pd sql -f q.sql --output=out3.json
    [ -f "$BATS_TEST_TMPDIR/elsewhere/out3.json" ]
    cd "$BATS_TEST_TMPDIR"
    # over HTTP: a relative path is the analysis folder's, never the server's directory
    post /asset/analysis '{"id":"pq","sql":"select 9 as n","materialize":"parquet","path":"pq.parquet"}'
    [ "$status_code" = 201 ]
    post '/asset/analysis/pq/execute?wait=30' '{}'
    [ "$(json_get 'd["status"]')" = completed ]
    [ -f "$PLUTO_DUCK_HOME/projects/default/analyses/pq.parquet" ]
    [ ! -f "$BATS_TEST_TMPDIR/pq.parquet" ]
    # paths the server would read from its own directory are refused
    post /source '{"name":"lite","type":"sqlite","config":{"path":"lite.db"}}'
    [ "$status_code" = 422 ]
    [[ "$body" == *"absolute path"* ]]
    post /ingest '{"path":"recipe.yaml"}'
    [ "$status_code" = 422 ]
}
