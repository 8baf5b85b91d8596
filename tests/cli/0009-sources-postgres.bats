#!/usr/bin/env bats
# PostgreSQL sources against a real server started for this suite.
load helper
load ../servers/servers

setup_file() {
    export SRV_DIR
    SRV_DIR=$(mktemp -d /tmp/pd-pg.XXXXXX)
    chmod 755 "$SRV_DIR"
    pg_start "$SRV_DIR"
    pg_sql "$(cat "$BATS_TEST_DIRNAME/../fixtures/pg_types.sql")" >/dev/null
}

teardown_file() {
    pg_stop
    rm -rf "$SRV_DIR"
}

setup() {
    init_home
}

attach_pg() {
    echo secret | pd source attach pg --type postgres --dsn "$PG_DSN" --password-stdin "$@"
}

# Compare one column as PostgreSQL prints it (::text) with what DuckDB returns (::VARCHAR).
same_column() {
    local pg duck
    pg=$(pg_sql "select md5(coalesce($1::text, 'NULL')) from types order by id")
    duck=$(pd sql "select md5(coalesce($1::VARCHAR, 'NULL')) from pg.types order by id" --format csv | tail -n +2)
    [ "$pg" = "$duck" ] || { echo "column $1: postgres [$pg] duckdb [$duck]"; return 1; }
}

@test "attach: views for tables and views; the password only in the secret store" {
    run attach_pg
    [ "$status" -eq 0 ]
    [[ "$output" == *"attached pg: 5 tables"* ]]
    [[ "$output" == *"column nfree: numeric without precision read as exact text: it holds NaN or Infinity"* ]]
    [[ "$output" == *"column nbig: numeric(50,2) does not fit DECIMAL; read as exact text"* ]]
    [[ "$output" == *"column tz: type time with time zone read as VARCHAR"* ]]
    [ "$(stat -c %a "$PLUTO_DUCK_HOME/secrets/source.pg")" = 600 ]
    [ "$(cat "$PLUTO_DUCK_HOME/secrets/source.pg")" = secret ]
    run grep -rl secret "$PLUTO_DUCK_HOME" --exclude-dir=secrets
    [ "$status" -eq 1 ]
    run pd source show pg --format json
    [[ "$output" != *secret* ]]
    # a password in the DSN is moved to the store, with a warning for the command line
    run pd source attach pg2 --type postgres --dsn "postgresql://app:secret@127.0.0.1:$PG_PORT/shop"
    [ "$status" -eq 0 ]
    run grep -rl secret "$PLUTO_DUCK_HOME" --exclude-dir=secrets
    [ "$status" -eq 1 ]
}

@test "types: every mapped column reads the same values PostgreSQL has" {
    attach_pg
    for c in i2 i4 i8 n52 n380 n3810 t vc d tm ts u m dom inet_col tz j; do
        same_column "$c"
    done
    run pd sql "select f4, f8, nfree, b, tstz, iv, jb, \"by\", ai, \"at\", an from pg.types order by id" --format jsonl
    [ "${lines[0]}" = '{"f4":1.5,"f8":3.141592653589793,"nfree":"12.5","b":true,"tstz":"2024-06-01 10:00:00+00","iv":"1 year 2 months 3 days 04:05:06.7","jb":"{\"b\": null}","by":"\\x00\\xFF\\x10","ai":[1,null,3],"at":["x","y z",null],"an":[1.25,null]}' ]
    [ "${lines[1]}" = '{"f4":0,"f8":-1e+308,"nfree":"-0.000001","b":false,"tstz":"1969-12-31 23:59:59.999999+00","iv":"-3 days -00:00:01","jb":"[]","by":"","ai":[],"at":[],"an":[]}' ]
    [ "${lines[2]}" = '{"f4":null,"f8":null,"nfree":null,"b":null,"tstz":null,"iv":null,"jb":null,"by":null,"ai":null,"at":null,"an":null}' ]
    [[ "${lines[3]}" == '{"f4":"NaN","f8":"Infinity","nfree":"NaN",'*'"tstz":"infinity",'* ]]
    run pd sql "select d, ts from pg.types where id = 4" --format csv
    [ "${lines[1]}" = "infinity,-infinity" ]
    run pd sql "select typeof(n52), typeof(n3810), typeof(i2), typeof(u), typeof(an), typeof(tstz) from pg.types limit 1" --format csv
    [ "${lines[1]}" = '"DECIMAL(5,2)","DECIMAL(38,10)",SMALLINT,UUID,"DECIMAL(6,2)[]",TIMESTAMP WITH TIME ZONE' ]
    # char(n) keeps its padding, as PostgreSQL stores it
    run pd sql "select bp = 'ab   ' from pg.types where id = 1" --format csv
    [ "${lines[1]}" = "true" ]
    # one 2-dimensional array in an int[] column: NULL and a warning, never a failed query
    run pd sql "select id, m from pg.matrix order by id" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = '1,' ]
    [ "${lines[2]}" = '2,"[5, 6]"' ]
    [[ "$output" == *"warning: pg.matrix: 1 value of column m could not be read as its type"* ]]
    run pd sql "select m from postgres_query('pg', 'select m from matrix')" --format csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: pg: postgres_query: 1 value of column m"* ]]
    run pd -c sources.bad_values=error sql "select * from pg.matrix"
    [ "$status" -eq 1 ]
    [[ "$output" == *"column m holds a 2-dimensional array"* ]]
    run pd -c sources.bad_values=text sql "select m from postgres_query('pg', 'select m from matrix order by id')" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = '"{{1,2},{3,4}}"' ]
    # a column declared with two dimensions is a LIST of LISTs
    run pd sql "select id, g, t, typeof(g) as tg from pg.grid order by id" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = '1,"[[1, 2], [3, NULL]]","[[a, b c]]",INTEGER[][]' ]
    [ "${lines[2]}" = '2,[],[],INTEGER[][]' ]
    [ "${lines[3]}" = '3,,,INTEGER[][]' ]
    [ "${lines[4]}" = '4,,,INTEGER[][]' ]
    [[ "$output" == *"warning: pg.grid: 1 value of column g could not be read"* ]]
    [[ "$output" == *"warning: pg.grid: 1 value of column t could not be read"* ]]
    run pd sql "select sum(list_sum(flatten(g))) from pg.grid" --format csv
    [ "${lines[1]}" = 6 ]
}

@test "numbers exactly: numeric without precision as the DECIMAL its values need, money as DECIMAL" {
    pg_sql "create table amounts (id int, n numeric, m money, huge numeric);
            insert into amounts values (1, 1.5, 12.34, 1e40), (2, 0.125, -5, 2), (3, NULL, NULL, NULL);
            grant select on amounts to app" >/dev/null
    run attach_pg
    [[ "$output" == *"pg.amounts: column n: numeric without precision read as DECIMAL(38,3), the most decimal places its values have now"* ]]
    [[ "$output" == *"pg.amounts: column huge: numeric without precision read as exact text: its values have more digits"* ]]
    run pd sql "select typeof(n), typeof(m), typeof(huge), sum(n), sum(m) from pg.amounts group by all" --format csv
    [ "${lines[1]}" = '"DECIMAL(38,3)","DECIMAL(19,2)",VARCHAR,1.625,7.34' ]
    run pd sql "select huge from pg.amounts where id = 1" --format csv
    [ "${lines[1]}" = "$(pg_sql 'select huge::text from amounts where id = 1')" ]
    # a value added later with more decimal places is never rounded: NULL and counted, until a refresh
    pg_sql "insert into amounts values (4, 0.0001, 0, 0)" >/dev/null
    run pd sql "select n is null from pg.amounts where id = 4" --format csv
    [[ "$output" == *$'\ntrue'* ]]
    [[ "$output" == *"warning: pg.amounts: 1 value of column n could not be read as its type"* ]]
    pd source refresh pg >/dev/null 2>&1
    run pd sql "select n, typeof(n) from pg.amounts where id = 4" --format csv
    [ "${lines[1]}" = '0.0001,"DECIMAL(38,4)"' ]
    # a pushed filter reads the view's types (no new look at the values)
    run pd sql --explain-remote "select n from pg.amounts where n = 0.0001"
    [[ "$output" == *'WHERE (("n" = 0.0001))'* ]]
    # pass-through: exact text, with how to get a DECIMAL
    run pd sql "select * from postgres_query('pg', 'select sum(n) as s from amounts')" --format csv
    [ "${lines[1]}" = 1.6251 ]
    run pd sql "select typeof(s) from postgres_query('pg', 'select sum(n) as s from amounts')" --format csv
    [ "${lines[1]}" = VARCHAR ]
    pg_sql "drop table amounts" >/dev/null
}

@test "live reads fetch only the projected columns; pass-through pushes the filter" {
    attach_pg
    run pd sql "select region, sum(amount) from pg.orders group by 1 order by 1" --format csv
    [ "${lines[1]}" = "east,625000.00" ]
    grep -q 'COPY (SELECT "region", "amount" FROM "public"."orders") TO STDOUT (FORMAT binary)' "$PG_DIR/server.log"
    run pd sql "select * from postgres_query('pg', 'select count(*)::int as n from orders where amount > 200')" --format csv
    [ "${lines[1]}" = 3980 ]
    grep -q 'where amount > 200' "$PG_DIR/server.log"
    [ "$(pd sql 'select count(*) from pg.big_orders' --format csv | tail -1)" = 3980 ]
    # a LIMIT stops the remote COPY early; nothing is left running
    run pd sql "select id from pg.orders limit 3" --format csv
    [ "${lines[*]}" = "id 1 2 3" ]
    [ "$(pg_sql "select count(*) from pg_stat_activity where query like 'COPY%' and pid <> pg_backend_pid()")" = 0 ]
}

@test "the remote is only read: pass-through writes are refused" {
    pg_sql "create sequence if not exists seq; grant usage on seq to app" >/dev/null
    attach_pg
    run pd sql "select * from postgres_query('pg', 'delete from orders returning id')"
    [ "$status" -eq 1 ]
    [ "$(pg_sql 'select count(*) from orders')" = 20000 ]
    run pd sql "select * from postgres_query('pg', 'select nextval(''seq'') as n')"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot execute nextval() in a read-only transaction"* ]]
}

@test "wrong password: authentication failed, the password shown nowhere" {
    run bash -c "echo wrongpass | '$PD' source attach bad --type postgres --dsn '$PG_DSN' --password-stdin"
    [ "$status" -eq 1 ]
    [[ "$output" == *"password authentication failed for user \"app\""* ]]
    [[ "$output" != *wrongpass* ]]
    run grep -r wrongpass "$PLUTO_DUCK_HOME"
    [ "$status" -eq 1 ]
    run pd source list --all --format csv
    [ "${#lines[@]}" -eq 1 ]
}

@test "unreachable: a refused port fails at once, a silent server within the connect timeout" {
    run pd source attach down --type postgres --dsn "postgresql://app@127.0.0.1:1/shop"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot connect to postgres source down"*"refused"* ]]
    # a server that accepts connections and never answers
    python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(5); open(sys.argv[1],"w").write(str(s.getsockname()[1])); time.sleep(60)' silent.port &
    local pid=$!
    for _ in $(seq 1 50); do [ -s silent.port ] && break; sleep 0.1; done
    run timeout 30 "$PD" -c sources.connect_timeout=2s source attach silent --type postgres \
        --dsn "postgresql://app@127.0.0.1:$(cat silent.port)/shop"
    kill $pid
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot connect to postgres source silent"*"timeout"* ]]
}

@test "a table dropped after attach: the error names it and suggests refresh" {
    pg_sql "create table temp_t (x int); grant select on temp_t to app"
    attach_pg
    pg_sql "drop table temp_t"
    run pd sql "select * from pg.temp_t"
    [ "$status" -eq 1 ]
    [[ "$output" == *"table public.temp_t no longer exists in postgres source pg (run: pluto-duck source refresh)"* ]]
    run pd source refresh pg
    [[ "$output" == *"- pg.temp_t"* ]]
}

@test "a timeout cancels the remote statement too" {
    attach_pg
    run timeout 30 "$PD" sql --timeout 1s "select * from postgres_query('pg', 'select pg_sleep(60)')"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"query cancelled after 1 s (timeout)"* ]]
    sleep 0.5
    [ "$(pg_sql "select count(*) from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()")" = 0 ]
}

@test "cache: the filter runs on the server; estimate" {
    attach_pg
    run pd source cache pg orders --where "created_at >= '2024-01-01'" --as recent
    [ "$status" -eq 0 ]
    [ "$(pd sql 'select count(*) from cache.recent' --format csv | tail -1)" = \
      "$(pg_sql "select count(*) from orders where created_at >= '2024-01-01'")" ]
    grep -q "WHERE (created_at >= '2024-01-01')" "$PG_DIR/server.log"
    pg_sql "analyze orders"
    run pd source estimate pg orders --format json
    [[ "$output" == *'"rows":20000,'*'"recommend_cache":true'* ]]
}

@test "ingest: replace, append, merge with an incremental watermark" {
    attach_pg
    cat > merge.yaml <<EOF
name: orders_sync
source: pg
table: orders
target: raw.orders
mode: merge
merge_keys: [id]
incremental: id
EOF
    run pd ingest merge.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == "orders_sync: 20000 rows into raw.orders (merge)"*"watermark 20000" ]]
    pg_sql "insert into orders values (20001, 'north', 1.00, now())"
    run pd ingest merge.yaml --format json
    # the row at the mark is read again (a row that came with the same value must not be
    # skipped) and merged by its key: 2 rows in, none twice
    [[ "$output" == *'"rows":2,'*'"watermark":"20001"'* ]]
    grep -q "WHERE ((\"id\" >= '20000' OR \"id\" IS NULL))" "$PG_DIR/server.log"
    [ "$(pd sql 'select count(*) from raw.orders' --format csv | tail -1)" = 20001 ]
    cat > two.yaml <<EOF
recipes:
  - source: pg
    query: "select region, count(*) as n from orders group by 1"
    target: counts
    mode: append
  - source: {type: postgres, dsn: "$PG_DSN", password_env: PG_SECRET}
    table: orders
    target: copy_orders
EOF
    export PG_SECRET=secret
    run pd ingest two.yaml
    echo "$output"
    [ "$status" -eq 0 ]
    pd ingest two.yaml
    [ "$(pd sql 'select count(*) from counts' --format csv | tail -1)" = 8 ]
    [ "$(pd sql 'select count(*) from copy_orders' --format csv | tail -1)" = 20001 ]
    run pd sql "select recipe, status, rows from _sources.ingest_runs order by started_at" --format csv
    [ "${lines[1]}" = "orders_sync,ok,20000" ]
    pg_sql "delete from orders where id = 20001"
}

@test "ingest: an append at the watermark loses no row and loads none twice; NULL marks; dry run" {
    attach_pg
    pg_sql "create table ev (id int, at timestamptz, v text);
            insert into ev values (1, '2024-01-01 10:00+00', 'a'), (2, '2024-01-01 11:00+00', 'b'),
                                  (3, NULL, 'no mark');
            grant select on ev to app" >/dev/null
    printf 'source: pg\ntable: ev\ntarget: raw.ev\nmode: append\nincremental: at\n' > ev.yaml
    run pd ingest ev.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"ev: 3 rows into raw.ev (append)"*"watermark 2024-01-01 11:00:00+00"* ]]
    [[ "$output" == *"warning: ev: 1 row with NULL in the incremental column: an append loads them on this first run only"* ]]
    # a row arrives with exactly the stored mark, another later
    pg_sql "insert into ev values (4, '2024-01-01 11:00+00', 'same mark'), (5, '2024-01-01 12:00+00', 'later')" >/dev/null
    run pd ingest ev.yaml --dry-run
    [ "$status" -eq 0 ]
    [[ "$output" == *"ev: would load raw.ev (append) from watermark 2024-01-01 11:00:00+00"* ]]
    [[ "$output" == *"reading: SELECT * FROM \"ev\" WHERE ((\"at\" >= '2024-01-01 11:00:00+00'))"* ]]
    run pd ingest ev.yaml --dry-run --format json
    [ "$(echo "$output" | jq -r .status)" = planned ]
    [ "$(echo "$output" | jq -r .watermark)" = "2024-01-01 11:00:00+00" ]
    [[ "$(echo "$output" | jq -r .remote_sql)" == *'>= '* ]]
    run pd ingest ev.yaml
    [[ "$output" == *"ev: 2 rows into raw.ev"* ]]
    run pd ingest ev.yaml
    [[ "$output" == *"ev: 0 rows into raw.ev"* ]]
    run pd sql "select string_agg(id::varchar, ' ' order by id) from raw.ev" --format csv
    [ "${lines[1]}" = "1 2 3 4 5" ]
    # each run on record with its real times and the full target
    run pd sql "select target, status, rows, finished_at >= started_at from _sources.ingest_runs where recipe = 'ev' order by started_at" --format csv
    [ "${lines[1]}" = "raw.ev,ok,3,true" ] && [ "${lines[2]}" = "raw.ev,ok,2,true" ] && [ "${lines[3]}" = "raw.ev,ok,0,true" ]
    # --help names every key a recipe may have
    run pd ingest --help
    for key in name source table query target mode merge_keys incremental where description; do
        [[ "$output" == *"  $key: "* ]] || { echo "missing $key"; return 1; }
    done
}

@test "ingest: a process killed half-way leaves its run recorded interrupted, the target as it was" {
    pg_sql "create table slow as select g as id, md5(g::text) as t from generate_series(1, 2000000) g; grant select on slow to app" >/dev/null
    attach_pg
    printf 'source: pg\ntable: slow\ntarget: slow_copy\n' > slow.yaml
    "$PD" ingest slow.yaml >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 1 200); do
        [ "$(pg_sql "select count(*) from pg_stat_activity where query like 'COPY%slow%'")" != 0 ] && break
        sleep 0.02
    done
    kill -9 "$pid"
    wait "$pid" || true
    run pd sql "select status, error from _sources.ingest_runs where recipe = 'slow'" --format csv
    [[ "${lines[1]}" == "interrupted,the process running it ended before it finished"* ]]
    run pd sql "select count(*) from information_schema.tables where table_name = 'slow_copy'" --format csv
    [ "${lines[1]}" = 0 ]
    pg_sql "drop table slow" >/dev/null
}

@test "cache: an expired copy warns, refreshes first or fails (cache.on_expired); lineage goes to its source" {
    attach_pg
    pd source cache pg orders --ttl 1s >/dev/null
    sleep 1.2
    run pd sql "select count(*) from cache.pg_orders" --format csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: cache.pg_orders expired "*" ago: these rows may be out of date (run: pluto-duck cache refresh pg_orders"* ]]
    run pd -c cache.on_expired=error sql "select count(*) from cache.pg_orders"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cache.pg_orders expired "*"ago (run: pluto-duck cache refresh pg_orders"* ]]
    pg_sql "insert into orders values (30000, 'north', 1.00, now())" >/dev/null
    run pd -c cache.on_expired=refresh sql "select count(*) from cache.pg_orders" --format csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"cache.pg_orders had expired"*"copied again first (20001 rows)"* ]]
    [[ "$output" == *$'
20001'* ]]
    pg_sql "delete from orders where id = 30000" >/dev/null
    # lineage: analysis <- cache.pg_orders <- pg.orders; select * lists the real columns
    pd analysis new from_cache --sql "select * exclude (amount) from cache.pg_orders" >/dev/null
    run pd analysis lineage from_cache --format json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -c '[.edges[] | select(.to == "cache:cache.pg_orders") | .from]')" = '["source:pg.orders"]' ]
    [ "$(echo "$output" | jq -c '.nodes[] | select(.id == "analysis:from_cache") | .columns | keys_unsorted')" = '["id","region","created_at"]' ]
    [ "$(echo "$output" | jq -r '.nodes[] | select(.id == "analysis:from_cache") | .columns.region[0]')" = cache.pg_orders.region ]
}

@test "ingest: merge keys that repeat in the incoming data are refused; nothing is written" {
    attach_pg
    pd sql "create table dup as select 1 as id"
    cat > dup.yaml <<EOF
source: pg
query: "select id % 10 as id, region from orders"
target: dup
mode: merge
merge_keys: id
EOF
    run pd ingest dup.yaml
    [ "$status" -eq 1 ]
    [[ "$output" == *'merge keys ("id") are not unique in the incoming data'*"nothing was written"* ]]
    [ "$(pd sql 'select count(*) from dup' --format csv | tail -1)" = 1 ]
    run pd sql "select status, error from _sources.ingest_runs" --format csv
    [[ "${lines[1]}" == "failed,"*"merge keys"* ]]
}

@test "server killed during an ingest: the target is unchanged and the run recorded failed" {
    pg_sql "create table big as select g as id, g * 1.5 as x, md5(g::text) as t, now() as ts from generate_series(1, 3000000) g; grant select on big to app" >/dev/null
    attach_pg
    pd sql "create table big_copy as select 42 as id"
    printf 'source: pg\ntable: big\ntarget: big_copy\n' > big.yaml
    "$PD" ingest big.yaml > ingest.out 2>&1 &
    local pid=$! copying=0
    for _ in $(seq 1 200); do
        [ "$(pg_sql "select count(*) from pg_stat_activity where query like 'COPY%big%'")" != 0 ] &&
            copying=1 && break
        sleep 0.02
    done
    pg_kill
    [ "$copying" = 1 ] # the kill came while the rows were streaming
    run wait $pid
    [ "$status" -eq 1 ]
    run cat ingest.out
    [[ "$output" == *"failed, main.big_copy unchanged"* ]]
    run pd sql "select * from big_copy" --format csv
    [ "${lines[*]}" = "id 42" ]
    run pd sql "select status, error is not null from _sources.ingest_runs" --format csv
    [ "${lines[1]}" = "failed,true" ]
}
