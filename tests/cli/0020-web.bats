#!/usr/bin/env bats
# The web UI's files served by `pluto-duck run` outside /api, and the endpoints
# only the UI needs (trying a source's settings, refreshing a source).
load server

setup() {
    init_home
    WEB="$BATS_TEST_TMPDIR/web"
    mkdir -p "$WEB/assets"
    printf '<!doctype html><title>app</title>' > "$WEB/index.html"
    printf 'console.log(1)' > "$WEB/assets/app-1a2b.js"
    printf 'body{}' > "$WEB/assets/app-1a2b.css"
    printf 'secret' > "$BATS_TEST_TMPDIR/outside.txt"
}

teardown() {
    stop_server
}

# get URL: sets status_code, ctype, cache, body
get() {
    local h="$BATS_TEST_TMPDIR/headers"
    status_code=$(curl -s --path-as-is -D "$h" -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "$@")
    body=$(cat "$BATS_TEST_TMPDIR/body")
    ctype=$(grep -i '^content-type:' "$h" | tr -d '\r' | cut -d' ' -f2-)
    cache=$(grep -i '^cache-control:' "$h" | tr -d '\r' | cut -d' ' -f2-)
}

@test "web: files with their types and caching, app routes get index.html, nothing outside" {
    start_server -c "server.web_dir=$WEB"
    root="http://127.0.0.1:$PORT"
    get "$root/"
    [ "$status_code" = 200 ] && [ "$body" = '<!doctype html><title>app</title>' ]
    [ "$ctype" = "text/html; charset=utf-8" ] && [ "$cache" = no-cache ]
    grep -qi "^content-security-policy: default-src 'self'" "$BATS_TEST_TMPDIR/headers"
    get "$root/assets/app-1a2b.js"
    [ "$status_code" = 200 ] && [ "$ctype" = "text/javascript; charset=utf-8" ]
    [ "$cache" = "public, max-age=31536000, immutable" ]
    get "$root/assets/app-1a2b.css"
    [ "$ctype" = "text/css; charset=utf-8" ]
    # the app's own routes
    for route in /sql /chat/01a1fd90-4177-76b8-862b-65e1d0255104 /boards/sales; do
        get "$root$route"
        [ "$status_code" = 200 ] && [ "$body" = '<!doctype html><title>app</title>' ]
    done
    # revalidation
    etag=$(grep -i '^etag:' "$BATS_TEST_TMPDIR/headers" | tr -d '\r' | cut -d' ' -f2)
    get "$root/sql" -H "If-None-Match: $etag"
    [ "$status_code" = 304 ]
    # missing files and everything outside the web directory are 404s
    for bad in /assets/missing.js /../outside.txt /%2e%2e/outside.txt /assets/../../outside.txt /.hidden "/..%2foutside.txt"; do
        get "$root$bad"
        [ "$status_code" = 404 ]
        [[ "$body" != *secret* ]]
    done
    # /api stays the API's: JSON errors, never the app
    get "$root/api/v2/anything"
    [ "$status_code" = 404 ] && [ "$ctype" = application/json ]
    get "$root/api/v1/nope"
    [ "$status_code" = 404 ] && [ "$ctype" = application/json ]
    run curl -s -o /dev/null -w '%{http_code}' -X POST "$root/sql"
    [ "$output" = 405 ] || [ "$output" = 404 ]
}

@test "web: the files need no token; the API still does; a missing build says how to build it" {
    start_server -c "server.web_dir=$BATS_TEST_TMPDIR/nothing" --token s3cret
    root="http://127.0.0.1:$PORT"
    get "$root/sql"
    [ "$status_code" = 503 ]
    [[ "$body" == *"scripts/setup.sh"* ]]
    get "$root/api/v1/source"
    [ "$status_code" = 401 ]
}

@test "source test: reaching a source without attaching it; refresh" {
    sqlite3 "$BATS_TEST_TMPDIR/pets.sqlite" "create table pets(id int, name text); insert into pets values (1, 'rex')"
    start_server
    post /source/test "{\"type\":\"sqlite\",\"config\":{\"path\":\"$BATS_TEST_TMPDIR/pets.sqlite\"}}"
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["ok"], d["tables"]')" = "True ['pets']" ]
    post /source/test "{\"type\":\"sqlite\",\"config\":{\"path\":\"$BATS_TEST_TMPDIR/none.sqlite\"}}"
    [ "$(json_get 'd["ok"]')" = False ]
    [[ "$(json_get 'd["message"]')" == *"does not exist"* ]]
    post /source/test '{"type":"postgres","name":"shop","config":{"dsn":"host=127.0.0.1 port=1 dbname=x"}}'
    [ "$(json_get 'd["ok"]')" = False ]
    [[ "$(json_get 'd["message"]')" == *"cannot connect to postgres source shop"* ]]
    post /source/test '{"type":"nope"}'
    [ "$(json_get 'd["ok"]')" = False ]
    post /source/test '{}'
    [ "$status_code" = 422 ]
    # nothing was attached
    api GET /source
    [ "$body" = "[]" ]
    # refresh sees a new table
    post /source "{\"name\":\"pets\",\"type\":\"sqlite\",\"config\":{\"path\":\"$BATS_TEST_TMPDIR/pets.sqlite\"}}"
    [ "$status_code" = 201 ]
    sqlite3 "$BATS_TEST_TMPDIR/pets.sqlite" "create table owners(id int)"
    api POST /source/pets/refresh
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["added"]')" = "['owners']" ]
    api POST /source/nope/refresh
    [ "$status_code" = 404 ]
}

@test "install: a copied install tree serves its own web UI, found next to the binary" {
    local build copy
    build=$(dirname "$(dirname "$PD")")
    cmake --install "$build" --prefix "$BATS_TEST_TMPDIR/inst" >/dev/null
    copy="$BATS_TEST_TMPDIR/copy"
    cp -a "$BATS_TEST_TMPDIR/inst" "$copy"
    rm -rf "$BATS_TEST_TMPDIR/inst"
    [ -x "$copy/bin/pluto-duck" ] && [ -x "$copy/bin/pluto-cloud" ] && [ -f "$copy/lib/libduckdb.so" ]
    [ -f "$copy/share/pluto-duck/web/index.html" ] && [ -f "$copy/share/pluto-cloud/web/index.html" ]
    printf '<!-- the copy -->' >> "$copy/share/pluto-duck/web/index.html"
    PD="$copy/bin/pluto-duck" start_server
    get "http://127.0.0.1:$PORT/sql"
    [ "$status_code" = 200 ]
    [[ "$body" == *"<!-- the copy -->"* ]]
    run "$copy/bin/pluto-duck" version
    [ "$status" -eq 0 ]
}
