#!/usr/bin/env bats
# pluto-duck run: dbt jobs, projects and boards over HTTP (curl against a real server).

load server

setup() {
    init_home
    start_server
}

teardown() {
    stop_server
}

# wait_job ID: poll until the job ends; leaves its document in $body.
wait_job() {
    local i
    for i in $(seq 200); do
        api GET "/jobs/$1"
        case "$(json_get 'd["status"]')" in completed|failed|cancelled) return 0 ;; esac
        sleep 0.1
    done
    return 1
}

@test "dbt build, run and test as jobs: an event per node, the tally as result" {
    cp -r "$BATS_TEST_DIRNAME/../fixtures/jaffle" proj
    dir=$PWD/proj
    post '/dbt/build?wait=60' "{\"project_dir\":\"$dir\"}"
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get '[d["result"][k] for k in ("pass","error","skip","total")]')" = "[15, 0, 0, 15]" ]
    [ "$(json_get '[n["name"] for n in d["result"]["nodes"] if n["kind"]=="model"][-1]')" = customers ]
    [ "$(json_get '[n["rows"] for n in d["result"]["nodes"] if n["name"]=="raw_customers"][0]')" = 3 ]
    id=$(json_get 'd["id"]')
    run curl -s -N --max-time 20 "$BASE/jobs/$id/events"
    [[ "$output" == *'"kind":"model","name":"stg_orders","outcome":"started"'* ]]
    [[ "$output" == *'"kind":"model","name":"stg_orders","outcome":"pass"'* ]]
    [ "$(grep -c '^event: node' <<<"$output")" = 30 ]
    # the tables are in the warehouse the server holds
    post '/query?wait=10' '{"sql":"select count(*) from customers"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[3]]" ]

    # a failing test: the job fails, the result still says which
    sqlite_bad="insert into raw_orders values (99, 1, DATE '2024-01-01', 'bogus')"
    post '/query?wait=10' "{\"sql\":\"$sqlite_bad\"}"
    [ "$(json_get 'd["status"]')" = completed ]
    post '/dbt/run?wait=60' "{\"project_dir\":\"$dir\",\"select\":\"+orders\"}"
    [ "$(json_get 'd["status"]')" = completed ]
    [ "$(json_get 'd["result"]["total"]')" = 3 ]
    post '/dbt/test?wait=60' "{\"project_dir\":\"$dir\"}"
    [ "$(json_get 'd["status"]')" = failed ]
    [ "$(json_get 'd["error"]["message"]')" = "1 of 7 failed" ]
    [ "$(json_get '[(n["name"], n["failures"]) for n in d["result"]["nodes"] if n["outcome"]=="fail"]')" = "[('accepted_values_orders_status', 1)]" ]
}

@test "dbt: bad input is refused before a job starts" {
    post /dbt/run '{"project_dir":"proj"}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"absolute path"* ]]
    post /dbt/run '{}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"'project_dir' is required"* ]]
    post /dbt/run '{"project_dir":"/nonexistent/x"}'
    [ "$status_code" = 404 ]
    post /dbt/run '{"project_dir":"/tmp","select":[1]}'
    [ "$status_code" = 422 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"'select' must be an array of strings"* ]]
    # a folder that is not a dbt project: the job fails saying so
    post '/dbt/run?wait=30' "{\"project_dir\":\"$BATS_TEST_TMPDIR\"}"
    [ "$(json_get 'd["status"]')" = failed ]
    [[ "$(json_get 'd["error"]["message"]')" == *"has no dbt_project.yml"* ]]
}

@test "projects: create, list, show; analyses of two projects do not collide" {
    api GET /projects
    [ "$(json_get '[p["id"] for p in d]')" = "['default']" ]
    post /projects '{"id":"sales","description":"the sales team"}'
    [ "$status_code" = 201 ]
    [ "$(json_get 'd["schema"]')" = analysis_sales ]
    [ -d "$PLUTO_DUCK_HOME/projects/sales/analyses" ]
    post /projects '{"id":"sales"}'
    [ "$status_code" = 409 ]
    # the same analysis id in both projects: each in its own schema
    post '/asset/analysis?project=sales' '{"id":"n","sql":"select 1 as v","materialize":"table"}'
    [ "$status_code" = 201 ]
    post /asset/analysis '{"id":"n","sql":"select 2 as v","materialize":"table"}'
    [ "$status_code" = 201 ]
    post '/asset/analysis/n/execute?project=sales&wait=30' '{}'
    [ "$(json_get 'd["status"]')" = completed ]
    post '/asset/analysis/n/execute?wait=30' '{}'
    [ "$(json_get 'd["status"]')" = completed ]
    post '/query?wait=10' '{"sql":"select (select v from analysis_sales.n), (select v from analysis.n)"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[1, 2]]" ]
    api GET /projects/sales
    [ "$(json_get '[d["analyses"], d["boards"], d["description"]]')" = "[1, 0, 'the sales team']" ]
    # a folder copied in by hand is a project
    mkdir -p "$PLUTO_DUCK_HOME/projects/handmade/analyses"
    api GET /projects
    [ "$(json_get '[p["id"] for p in d]')" = "['default', 'handmade', 'sales']" ]
    # unknown projects are refused, not created
    api GET '/asset/analyses?project=nope'
    [ "$status_code" = 404 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"no project 'nope'"* ]]
    api GET /projects/nope
    [ "$status_code" = 404 ]
}

@test "projects: delete needs the name typed back; default stays; everything of it goes" {
    post /projects '{"id":"tmp"}'
    post '/asset/analysis?project=tmp' '{"id":"t","sql":"select 1 as v","materialize":"table"}'
    post '/asset/analysis/t/execute?project=tmp&wait=30' '{}'
    api DELETE /projects/tmp
    [ "$status_code" = 400 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"type its name to confirm"* ]]
    api DELETE '/projects/tmp?confirm=tmpx'
    [ "$status_code" = 400 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"does not match"* ]]
    # refused deletes changed nothing
    post '/query?wait=10' '{"sql":"select v from analysis_tmp.t"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[1]]" ]
    api DELETE '/projects/default?confirm=default'
    [ "$status_code" = 400 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"default project cannot be deleted"* ]]
    api DELETE '/projects/tmp?confirm=tmp'
    [ "$status_code" = 200 ]
    [ ! -e "$PLUTO_DUCK_HOME/projects/tmp" ]
    post '/query?wait=10' '{"sql":"select count(*) from information_schema.schemata where schema_name = '"'"'analysis_tmp'"'"'"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[0]]" ]
    post '/query?wait=10' '{"sql":"select count(*) from _duckpipe.run_history where project = '"'"'tmp'"'"'"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[0]]" ]
    api DELETE '/projects/tmp?confirm=tmp'
    [ "$status_code" = 404 ]
    # bad names
    post /projects '{"id":"../etc"}'
    [ "$status_code" = 422 ]
    post /projects '{"id":"a;drop table x"}'
    [ "$status_code" = 422 ]
    api GET '/projects/..%2Fetc'
    [ "$status_code" = 404 ]
    api DELETE '/projects/a;b?confirm=a;b'
    [ "$status_code" = 400 ]
}

# add_item BOARD JSON: POST an item; sets $item to its id when created.
add_item() {
    post "/boards/$1/items" "$2"
    item=$( [ "$status_code" = 201 ] && json_get 'd["id"]' || true)
}

@test "boards: items of every type with snapshots, export as HTML and Markdown with SVG charts" {
    post /boards '{"name":"sales","description":"Sales <overview>"}'
    [ "$status_code" = 201 ]
    board=$(json_get 'd["id"]')
    post /boards '{"name":"sales"}'
    [ "$status_code" = 409 ]
    add_item sales '{"type":"metric","title":"Orders","payload":{"sql":"select count(*) as n from orders"},"position":{"x":0,"y":0,"w":3,"h":2}}'
    [ "$status_code" = 201 ]
    [ "$(json_get 'd["snapshot"]["rows"]')" = "[[3000]]" ]
    [ -n "$(json_get 'd["snapshot_at"]')" ]
    metric=$item
    add_item sales '{"type":"metric","title":"Revenue","payload":{"sql":"select sum(amount) as revenue from orders"},"render":{"prefix":"$"}}'
    # decimals stay exact
    [[ "$body" == *'"rows":[[457951.24]]'* ]]
    add_item sales '{"type":"chart","title":"By status","payload":{"sql":"select status, count(*) as n from orders group by 1 order by 1"},"render":{"kind":"bar"}}'
    [ "$status_code" = 201 ]
    [ "$(json_get 'd["position"]')" = "{'x': 0, 'y': 4, 'w': 12, 'h': 5}" ]
    add_item sales '{"type":"chart","title":"Monthly","payload":{"sql":"select date_trunc('"'month'"', order_date)::date as m, sum(amount) as total from orders group by 1 order by 1"},"render":{"kind":"line","x":"m","y":"total"}}'
    [ "$status_code" = 201 ]
    add_item sales '{"type":"chart","title":"Share","payload":{"sql":"select status, count(*) n from orders group by 1"},"render":{"kind":"pie"}}'
    add_item sales '{"type":"table","title":"Top | customers","payload":{"sql":"select customer_id, sum(amount) as spent from orders group by 1 order by 2 desc, 1 limit 3"}}'
    [ "$(json_get 'd["snapshot"]["row_count"]')" = 3 ]
    add_item sales '{"type":"markdown","title":"Notes","payload":{"text":"## Read me\n\n**Bold** <script>alert(1)</script> [ok](https://example.com) [bad](javascript:alert(2))"}}'
    [ "$status_code" = 201 ]
    post /asset/analysis '{"id":"per_status","sql":"select status, count(*) as n from orders group by 1 order by 1"}'
    add_item sales '{"type":"analysis","title":"Embedded","payload":{"analysis":"per_status"},"render":{"kind":"bar"}}'
    [ "$status_code" = 201 ]
    [ "$(json_get 'len(d["snapshot"]["rows"])')" = 4 ]

    # by name and by id
    api GET /boards/sales
    [ "$(json_get 'len(d["items"])')" = 8 ]
    [ "$(json_get 'd["items"][0]["title"]')" = Orders ]
    api GET "/boards/$board"
    [ "$(json_get 'd["name"]')" = sales ]
    api GET /boards
    [ "$(json_get '[(b["name"], b["items"]) for b in d]')" = "[('sales', 8)]" ]

    run curl -s -D headers.txt -o report.html "$BASE/boards/sales/export?format=html"
    grep -qi '^content-type: text/html' headers.txt
    grep -q '<title>sales</title>' report.html
    grep -q 'Sales &lt;overview&gt;' report.html
    ! grep -q '<script>' report.html
    grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' report.html
    grep -q '<a href="https://example.com">ok</a>' report.html
    ! grep -q 'href="javascript' report.html
    grep -q '<td class="n">' report.html
    grep -q 'grid-column:1 / span 3' report.html
    ! grep -q 'src=\|<link' report.html   # self-contained
    run python3 "$BATS_TEST_DIRNAME/../http/report_check.py" report.html
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" = 4 ]
    [[ "${lines[0]}" == "svg 0 rect="[4-9]* ]]          # bars
    [[ "${lines[1]}" == *"polyline=1"* ]]              # the line
    [[ "${lines[2]}" == *"path=4"* ]]                  # pie slices
    api GET '/boards/sales/export?format=md'
    [[ "$body" == *"# sales"* ]]
    [[ "$body" == *"| customer_id | spent |"* ]]
    [[ "$body" == *"## Top \\| customers"* ]]
    [[ "$body" == *'**Orders:** 3000'* ]]
    printf '%s' "$body" > report.md
    run python3 "$BATS_TEST_DIRNAME/../http/report_check.py" report.md
    [ "${#lines[@]}" = 4 ]
    api GET '/boards/sales/export?format=pdf'
    [ "$status_code" = 422 ]
}

@test "boards: bad items are refused and change nothing; refresh keeps old snapshots on failure" {
    post /boards '{"name":"b"}'
    add_item b '{"type":"metric","payload":{"sql":"select count(*) as n from orders"}}'
    metric=$item
    post '/query?wait=10' '{"sql":"create table side as select 1 as v"}'
    add_item b '{"type":"table","title":"side","payload":{"sql":"select v from side"}}'
    side=$item
    for bad in '{"type":"pie","payload":{}}' \
               '{"type":"table"}' \
               '{"type":"table","payload":{"sql":1}}' \
               '{"type":"table","payload":{"sql":"delete from orders"}}' \
               '{"type":"table","payload":{"sql":"select 1; select 2"}}' \
               '{"type":"table","payload":{"sql":"select 1","colour":"red"}}' \
               '{"type":"table","payload":{"sql":"select 1"},"position":{"x":10,"y":0,"w":4,"h":1}}' \
               '{"type":"chart","payload":{"sql":"select 1 as a, 2 as b"},"render":{"x":"zz"}}' \
               '{"type":"chart","payload":{"sql":"select 1 as a, 2 as b"},"render":{"kind":"donut"}}' \
               '{"type":"chart","payload":{"sql":"select '"'x'"' as a"}}'; do
        add_item b "$bad"
        [ "$status_code" = 422 ] || { echo "$bad -> $status_code $body"; false; }
    done
    add_item b '{"type":"table","payload":{"sql":"select nope from orders"}}'
    [ "$status_code" = 400 ]
    [[ "$(json_get 'd["error"]["message"]')" == *"nope"* ]]
    add_item b '{"type":"analysis","payload":{"analysis":"missing"}}'
    [ "$status_code" = 404 ]
    api GET /boards/b
    [ "$(json_get 'len(d["items"])')" = 2 ]
    [ "$(pd sql --format csv 'select count(*) from orders' | tail -1)" = 3000 ]

    # a changed payload takes a new snapshot; a failing one changes nothing
    api PATCH "/boards/b/items/$metric" -H 'Content-Type: application/json' --data-binary '{"payload":{"sql":"select count(*) * 2 as n from orders"},"title":"Double"}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["snapshot"]["rows"]')" = "[[6000]]" ]
    api PATCH "/boards/b/items/$metric" -H 'Content-Type: application/json' --data-binary '{"payload":{"sql":"select broken"}}'
    [ "$status_code" = 400 ]
    api PATCH "/boards/b/items/$metric" -H 'Content-Type: application/json' --data-binary '{"position":{"y":9}}'
    [ "$status_code" = 200 ]
    [ "$(json_get '[d["title"], d["position"]["y"], d["snapshot"]["rows"]]')" = "['Double', 9, [[6000]]]" ]

    # refresh: new data shows; an item whose query now fails keeps its snapshot and is reported
    post '/query?wait=10' '{"sql":"insert into orders select order_id + 100000, customer_id, order_date, status, amount from orders limit 10"}'
    post '/query?wait=10' '{"sql":"drop table side"}'
    post /boards/b/refresh '{}'
    [ "$status_code" = 200 ]
    [ "$(json_get '[i["snapshot"]["rows"] for i in d["items"] if i["id"]=="'"$metric"'"][0]')" = "[[6020]]" ]
    [ "$(json_get '[i["snapshot"]["rows"] for i in d["items"] if i["id"]=="'"$side"'"][0]')" = "[[1]]" ]
    [ "$(json_get '[e["item"] for e in d["refresh_errors"]]')" = "['$side']" ]
    post /boards/b/refresh "{\"item\":\"$side\"}"
    [ "$status_code" = 400 ]

    # unknown boards and items
    api GET /boards/nope
    [ "$status_code" = 404 ]
    api DELETE /boards/b/items/01a1fcfa-0000-7000-8000-000000000000
    [ "$status_code" = 404 ]
    api GET '/boards?project=nope'
    [ "$status_code" = 404 ]
    post /boards '{"name":"x;drop"}'
    [ "$status_code" = 422 ]
    api DELETE "/boards/b/items/$side"
    [ "$status_code" = 200 ]
    api DELETE /boards/b
    [ "$status_code" = 200 ]
    api GET /boards/b
    [ "$status_code" = 404 ]
    post '/query?wait=10' '{"sql":"select count(*) from _pluto.board_items"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[0]]" ]
}

@test "boards: a filter bar gives the items' queries their values as :NAME; the export says them" {
    post /boards '{"name":"filtered"}'
    add_item filtered '{"type":"metric","title":"Orders","payload":{"sql":"select count(*) as n from orders where order_date between :period_from and :period_to and (:status is null or status = :status)"}}'
    # no filters yet: the query names what it lacks, and the item is not added
    [ "$status_code" = 422 ]
    [[ "$body" == *":period_from but no filter of the board gives it"* ]]
    api PATCH /boards/filtered -H 'Content-Type: application/json' --data '{"filters":[{"name":"period","type":"date_range","label":"Period"},{"name":"status","type":"value","table":"main.orders","column":"status"}]}'
    [ "$status_code" = 200 ]
    [ "$(json_get '[f["name"] for f in d["filters"]]')" = "['period', 'status']" ]
    # open ends and no value: every row
    add_item filtered '{"type":"metric","title":"Orders","payload":{"sql":"select count(*) as n from orders where order_date between :period_from and :period_to and (:status is null or status = :status)"}}'
    [ "$status_code" = 201 ]
    [ "$(json_get 'd["snapshot"]["rows"]')" = "[[3000]]" ]
    # a quote in a value is a value, never SQL
    api PATCH /boards/filtered -H 'Content-Type: application/json' --data '{"filters":[{"name":"period","type":"date_range","label":"Period","from":"2024-01-01","to":"2024-03-31"},{"name":"status","type":"value","table":"main.orders","column":"status","value":"shipped'"'"' or 1=1 --"}]}'
    [ "$status_code" = 200 ]
    post /boards/filtered/refresh '{}'
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["items"][0]["snapshot"]["rows"]')" = "[[0]]" ]
    api PATCH /boards/filtered -H 'Content-Type: application/json' --data '{"filters":[{"name":"period","type":"date_range","label":"Period","from":"2024-01-01","to":"2024-03-31"},{"name":"status","type":"value","table":"main.orders","column":"status","value":"shipped"}]}'
    post /boards/filtered/refresh '{}'
    want=$(pd sql --format csv "select count(*) from orders where order_date between '2024-01-01' and '2024-03-31' and status = 'shipped'" | tail -1)
    [ "$want" -gt 0 ] && [ "$want" -lt 3000 ]
    [ "$(json_get 'd["items"][0]["snapshot"]["rows"][0][0]')" = "$want" ]
    # the export says what the board is filtered by
    api GET '/boards/filtered/export?format=html'
    [[ "$body" == *'Period: 2024-01-01 – 2024-03-31 · status: shipped'* ]]
    api GET '/boards/filtered/export?format=md'
    [[ "$body" == *'**Period: 2024-01-01 – 2024-03-31 · status: shipped**'* ]]
    # bad filters are refused naming the field, and change nothing
    for bad in '[{"name":"1x","type":"value","table":"t","column":"c"}]' \
               '[{"name":"p","type":"date_range","from":"2024-02-30"}]' \
               '[{"name":"p","type":"range"}]' \
               '[{"name":"p","type":"value","table":"main.orders"}]' \
               '[{"name":"p","type":"date_range","sql":"drop table orders"}]' \
               '[{"name":"p","type":"date_range"},{"name":"p_from","type":"value","table":"t","column":"c"}]' \
               '[{"name":"p","type":"date_range"},{"name":"p","type":"date_range"}]' \
               '{"name":"p"}'; do
        api PATCH /boards/filtered -H 'Content-Type: application/json' --data "{\"filters\":$bad}"
        [ "$status_code" = 422 ] || { echo "accepted: $bad"; false; }
        [[ "$body" == *"filters"* ]]
    done
    api GET /boards/filtered
    [ "$(json_get 'd["filters"][1]["value"]')" = shipped ]
}

@test "boards: edits sent at once (a drag and a resize) all succeed and none is lost" {
    post /boards '{"name":"busy"}'
    local ids=() i k
    for k in 1 2 3; do
        add_item busy '{"type":"markdown","title":"n'$k'","payload":{"text":"hi"},"position":{"x":0,"y":'$((k * 2))',"w":4,"h":2}}'
        ids+=("$item")
    done
    # per item: one request moves it, one widens it, one renames it; and the board changes too
    local edits=()
    for i in "${ids[@]}"; do
        edits+=("code PATCH /boards/busy/items/$i --data '{\"position\":{\"x\":6}}'"
            "code PATCH /boards/busy/items/$i --data '{\"position\":{\"w\":5}}'"
            "code PATCH /boards/busy/items/$i --data '{\"title\":\"renamed\"}'"
            "code PATCH /boards/busy --data '{\"description\":\"edited\"}'")
    done
    at_once "${edits[@]}"
    output_is "$(printf '200\n%.0s' $(seq 12) | head -c -1)"
    api GET /boards/busy
    [ "$(json_get '[(i["title"], i["position"]["x"], i["position"]["w"]) for i in d["items"]]')" = \
        "[('renamed', 6, 5), ('renamed', 6, 5), ('renamed', 6, 5)]" ]
    [ "$(json_get 'd["description"]')" = edited ]
}

@test "boards: the CLI works through the running server; boards go with their project" {
    run pd project create team
    [ "$status" -eq 0 ]
    run pd board create weekly --project team --description "every Monday"
    [ "$status" -eq 0 ]
    run pd board add weekly --project team --title Orders --type metric --sql "select count(*) from orders"
    [ "$status" -eq 0 ]
    [[ "$output" == "added metric item "*" to board weekly (1 row)" ]]
    run pd board export weekly --project team --format md
    [[ "$output" == *"**Orders:** 3000"* ]]
    api GET /projects/team
    [ "$(json_get 'd["boards"]')" = 1 ]
    api DELETE '/projects/team?confirm=team'
    [ "$status_code" = 200 ]
    post '/query?wait=10' '{"sql":"select count(*) from _pluto.boards"}'
    [ "$(json_get 'd["result"]["rows"]')" = "[[0]]" ]
}
