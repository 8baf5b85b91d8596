#!/usr/bin/env bats
# Sources that are files: SQLite, DuckDB, CSV/Parquet/JSON, and files over HTTP.
load helper

setup() {
    init_home
    sqlite3 lite.db "
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, price REAL, d DATE, ts TIMESTAMP,
                        flag BOOLEAN, data BLOB, j JSON);
        INSERT INTO t VALUES (1, 'a', 1.5, '2024-01-02', '2024-01-02 03:04:05.123', 1, x'0102', '{}'),
                             (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                             (3, 'ünï ✓', -2.25, '1999-12-31', '2000-01-01T00:00:00', 0, x'', '');
        CREATE VIEW v AS SELECT id * 2 AS dbl FROM t;"
}

@test "sqlite: attach makes one view per table and view; rows match sqlite's own" {
    run pd source attach lite --type sqlite --path lite.db
    [ "$status" -eq 0 ]
    [[ "$output" == *"attached lite: 2 tables"* ]]
    [[ "$output" == *"column j: SQLite type JSON read as VARCHAR"* ]]
    run pd sql "select id, name, price, d, ts, flag, data from lite.t order by id" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = '1,a,1.5,2024-01-02,2024-01-02 03:04:05.123,true,\x01\x02' ]
    [ "${lines[2]}" = '2,,,,,,' ]
    # x'' is an empty blob, not NULL: quoted, as DuckDB's COPY writes it
    [ "${lines[3]}" = '3,ünï ✓,-2.25,1999-12-31,2000-01-01 00:00:00,false,""' ]
    # the same rows, as sqlite prints them
    [ "$(pd sql 'select count(*), sum(price) from lite.t' --format csv | tail -1)" = \
      "$(sqlite3 -csv lite.db 'select count(*), sum(price) from t')" ]
    run pd sql "select dbl from lite.v order by 1" --format csv
    [ "${lines[*]}" = "dbl 2 4 6" ]
}

@test "sqlite: pass-through query runs on sqlite" {
    pd source attach lite --type sqlite --path lite.db
    run pd sql "select * from sqlite_query('lite', 'select count(*) as n, max(name) as m from t')" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "3,ünï ✓" ]
    run pd sql "select * from postgres_query('lite', 'select 1')"
    [ "$status" -eq 1 ]
    [[ "$output" == *"source lite is a sqlite source, not postgres: use sqlite_query"* ]]
}

@test "sqlite: one odd value never fails a query: NULL and a warning naming the column and the count" {
    sqlite3 lite.db "INSERT INTO t (id, price, d, flag) VALUES (4, 'lots', 'not a date', 'yes'),
                                                               (5, 'more', NULL, 1)"
    pd source attach lite --type sqlite --path lite.db
    run pd sql "select id, price, d, flag from lite.t order by id" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[4]}" = '4,,,' ]
    [ "${lines[5]}" = '5,,,true' ]
    [[ "$output" == *"warning: lite.t: 2 values of column price could not be read as its type and were read as NULL"* ]]
    [[ "$output" == *"warning: lite.t: 1 value of column d could not be read"* ]]
    [[ "$output" == *"warning: lite.t: 1 value of column flag could not be read"* ]]
    # a query whose columns hold no odd value says nothing
    run pd sql "select name from lite.t where id = 1" --format csv
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'name\na')" ]
    # pass-through follows the same rule
    run pd sql "select price from sqlite_query('lite', 'select price from t where id >= 4')" --format csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: lite: sqlite_query: 2 values of column price"* ]]
    # a cache of the table keeps the NULLs and says so
    run pd source cache lite t
    [ "$status" -eq 0 ]
    [[ "$output" == *"cached lite.t as cache.lite_t: 5 rows"* ]]
    [[ "$output" == *"warning: lite.t: 2 values of column price could not be read"* ]]
    # error: the query fails, naming the value
    run pd -c sources.bad_values=error sql "select price from lite.t"
    [ "$status" -eq 1 ]
    [[ "$output" == *"column price, row 4: SQLite value 'lots' is not a number"* ]]
    # text: after a refresh, such columns are read as they are written
    pd config set sources.bad_values text >/dev/null
    run pd sql "select flag from lite.t"
    [ "$status" -eq 1 ]
    [[ "$output" == *"sources.bad_values was set to or from text: run pluto-duck source refresh NAME"* ]]
    pd source refresh lite >/dev/null
    run pd sql "select id, d, flag, typeof(flag) as t from lite.t where id >= 4 order by id" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = '4,not a date,yes,VARCHAR' ]
    [[ "$output" != *warning* ]]
    run pd config set sources.bad_values maybe
    [ "$status" -ne 0 ]
    [[ "$output" == *"null, text or error"* ]]
}

@test "source list, show, tables; list --all keeps detached ones" {
    pd source attach lite --type sqlite --path lite.db --description "test db"
    run pd source list --format csv
    [[ "${lines[1]}" == "lite,sqlite,attached,2,test db,"* ]]
    run pd source show lite --format json
    [[ "$output" == *'\"path\":\"'"$BATS_TEST_TMPDIR"'/lite.db\"'* ]]
    run pd source tables lite --format csv
    [ "${lines[1]}" = 't,8,"id BIGINT, name VARCHAR, price DOUBLE, d DATE, ts TIMESTAMP, flag BOOLEAN, data BLOB, j VARCHAR"' ]
    run pd source detach lite
    output_is "detached lite"
    run pd source list --format csv
    [ "${#lines[@]}" -eq 1 ]
    run pd source list --all --format csv
    [[ "${lines[1]}" == "lite,sqlite,detached,0,"* ]]
    run pd sql "select * from lite.t"
    [ "$status" -eq 1 ]
    # attaching the name again works once it is detached
    run pd source attach lite --type sqlite --path lite.db
    [ "$status" -eq 0 ]
}

@test "refresh picks up added and dropped tables; a dropped table's error says to refresh" {
    pd source attach lite --type sqlite --path lite.db
    sqlite3 lite.db "CREATE TABLE extra (x INTEGER); DROP VIEW v;"
    run pd source refresh lite
    [ "$status" -eq 0 ]
    [[ "$output" == *"(1 added, 1 dropped)"* ]]
    [[ "$output" == *"+ lite.extra"* ]]
    [[ "$output" == *"- lite.v"* ]]
    # a column whose type changed: the error says to refresh
    sqlite3 lite.db "DROP TABLE extra; CREATE TABLE extra (x TEXT)"
    run pd sql "select * from lite.extra"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Contents of view were altered"*"run pluto-duck source refresh NAME"* ]]
    sqlite3 lite.db "DROP TABLE extra"
    run pd sql "select * from lite.extra"
    [ "$status" -eq 1 ]
    [[ "$output" == *"table extra no longer exists"*"run: pluto-duck source refresh"* ]]
}

@test "bad names, duplicates, unknown types and missing files are refused and change nothing" {
    for name in 1abc a-b 'x;drop table y' main _pluto; do
        run pd source attach "$name" --type sqlite --path lite.db
        [ "$status" -eq 1 ]
    done
    run pd source attach 'x;drop table y' --type sqlite --path lite.db
    [[ "$output" == *"invalid source name 'x;drop table y'"* ]]
    pd source attach lite --type sqlite --path lite.db
    run pd source attach lite --type sqlite --path lite.db
    [ "$status" -eq 1 ]
    [[ "$output" == *"a source named 'lite' is already attached"* ]]
    run pd source attach other --type oracle --path lite.db
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown source type 'oracle' (one of: postgres, mysql, sqlite, duckdb, file, http)"* ]]
    run pd source attach gone --type sqlite --path nowhere.db
    [ "$status" -eq 1 ]
    [[ "$output" == *"SQLite file nowhere.db does not exist"* ]]
    run pd source attach gone --type file --path nowhere.csv
    [ "$status" -eq 1 ]
    [[ "$output" == *"does not exist"* ]]
    run pd source list --all --format csv
    [ "${#lines[@]}" -eq 2 ]
    run pd sql "select count(*) from duckdb_schemas() where schema_name in ('gone', 'other', 'a-b')" --format csv
    [ "${lines[1]}" = 0 ]
}

@test "cache: copy with a filter and TTL, list, refresh, drop, cleanup" {
    pd source attach lite --type sqlite --path lite.db
    run pd source cache lite t --where "id > 1" --ttl 1h
    [ "$status" -eq 0 ]
    [[ "$output" == "cached lite.t as cache.lite_t: 2 rows in "* ]]
    run pd sql "select id from cache.lite_t order by id" --format csv
    [ "${lines[*]}" = "id 2 3" ]
    run pd cache list --format csv
    [[ "${lines[1]}" == "cache.lite_t,lite,t,id > 1,2,"*",false" ]]
    sqlite3 lite.db "INSERT INTO t (id) VALUES (10)"
    run pd cache refresh cache.lite_t
    [[ "$output" == "refreshed cache.lite_t: 3 rows"* ]]
    pd source cache lite t --as short --ttl 1s
    sleep 1.2
    run pd cache cleanup
    output_is "dropped 1 expired cached table"
    run pd sql "select * from cache.short"
    [ "$status" -eq 1 ]
    run pd cache drop lite_t
    output_is "dropped cache.lite_t"
    run pd cache drop lite_t
    [ "$status" -eq 1 ]
    [[ "$output" == *"no cached table named 'lite_t'"* ]]
}

@test "cache: a failure half-way keeps the previous copy" {
    pd source attach lite --type sqlite --path lite.db
    pd source cache lite t
    sqlite3 lite.db "INSERT INTO t (id, price) VALUES (4, 'lots')"
    run pd -c sources.bad_values=error source cache lite t
    [ "$status" -eq 1 ]
    [[ "$output" == *"is not a number"* ]]
    run pd sql "select count(*) from cache.lite_t" --format csv
    [ "${lines[1]}" = 3 ]
    run pd source cache lite nosuch
    [ "$status" -eq 1 ]
    [[ "$output" == *"source lite has no table nosuch (see: pluto-duck source tables lite)"* ]]
    run pd source cache lite t --ttl soon
    [ "$status" -eq 2 ]
}

@test "duckdb file: attached read-only, its tables readable" {
    pd sql "attach 'other.duckdb' as o; create table o.main.nums as select range as n from range(5); detach o"
    run pd source attach o --type duckdb --path other.duckdb
    [ "$status" -eq 0 ]
    run pd sql "select sum(n) from o.nums" --format csv
    [ "${lines[1]}" = 10 ]
    run pd sql "insert into __pd_src_o.main.nums values (9)"
    [ "$status" -eq 1 ]
    [[ "$output" == *"read-only"* ]]
}

@test "files: a directory of CSV, Parquet and JSON; a glob; the format from --file-format" {
    mkdir data
    printf 'id,name\n1,a\n2,b\n' > data/people.csv
    pd sql "copy (select 1 as x union all select 2) to 'data/nums.parquet'"
    printf '{"k": 1}\n{"k": 2}\n{"k": 3}\n' > data/events.jsonl
    printf 'id,name\n3,c\n' > data/people2.csv
    run pd source attach files --type file --path data
    [ "$status" -eq 0 ]
    [[ "$output" == *"4 tables"* ]]
    run pd sql "select (select count(*) from files.people), (select sum(x) from files.nums), (select sum(k) from files.events)" --format csv
    [ "${lines[1]}" = "2,3,6" ]
    run pd source attach allpeople --type file --path 'data/people*.csv' --table people
    [ "$status" -eq 0 ]
    run pd sql "select count(*) from allpeople.people" --format csv
    [ "${lines[1]}" = 3 ]
    cp data/people.csv data/people.txt
    run pd source attach txt --type file --path data/people.txt
    [ "$status" -eq 1 ]
    [[ "$output" == *"give --file-format csv, parquet or json"* ]]
    run pd source attach txt --type file --path data/people.txt --file-format csv
    [ "$status" -eq 0 ]
}

@test "files: a glob or a directory of like files is one table named after the source" {
    mkdir logs
    printf 'id,name\n1,a\n2,b\n' > logs/day1.csv
    printf 'id,name\n3,c\n' > logs/day2.csv
    run pd source attach weblogs --type file --path 'logs/*.csv'
    [ "$status" -eq 0 ]
    [[ "$output" == "attached weblogs: 1 table" ]]
    run pd sql "select count(*) from weblogs.weblogs" --format csv
    [ "${lines[1]}" = 3 ]
    run pd source attach logdir --type file --path logs
    [[ "$output" == "attached logdir: 1 table" ]]
    # a file added later is read too, compressed or not
    printf 'id,name\n4,d\n' | gzip > logs/day3.csv.gz
    pd source refresh logdir >/dev/null
    run pd sql "select string_agg(name, '' order by id) from logdir.logdir" --format csv
    [ "${lines[1]}" = abcd ]
    # a glob mixing CSV and Parquet is refused, saying what it found
    pd sql "copy (select 5 as id, 'e' as name) to 'logs/day4.parquet'"
    run pd source attach mixed --type file --path 'logs/day*'
    [ "$status" -eq 1 ]
    [[ "$output" == *"are not of one format (3 CSV, 1 Parquet, 0 JSON, 0 other)"*"such as *.csv"* ]]
    run pd source list --format csv
    [[ "$output" != *mixed* ]]
}

@test "files: reader options are checked and passed as values, never as SQL" {
    printf 'id;name;day\n1;a;07/12/2026\n2;b;08/12/2026\noops;c;09/12/2026\n' > semi.csv
    run pd source attach sc --type file --path semi.csv --option delim=';' --option header=true \
        --option dateformat=%d/%m/%Y --option ignore_errors=true \
        --option 'columns={"id": "INTEGER", "name": "VARCHAR", "day": "DATE"}'
    [ "$status" -eq 0 ]
    run pd sql "select id, name, day from sc.semi order by id" --format csv
    output_is "id,name,day
1,a,2026-12-07
2,b,2026-12-08"
    # union_by_name over files whose columns differ
    mkdir parts
    printf 'a,b\n1,2\n' > parts/p1.csv
    printf 'b,c\n3,4\n' > parts/p2.csv
    run pd source attach parts --type file --path 'parts/*.csv' -o union_by_name=true
    [ "$status" -eq 0 ]
    run pd sql "select count(*), count(a), count(c) from parts.parts" --format csv
    [ "${lines[1]}" = "2,1,1" ]
    # an inline recipe source takes them too
    printf 'source: {type: file, path: semi.csv, options: {delim: ";", header: true, ignore_errors: true}}\ntable: semi\ntarget: semi_copy\n' > semi.yaml
    run pd ingest semi.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"3 rows into main.semi_copy"* ]]
    # refused: an unknown option, a value of the wrong type, an option the reader does not take
    run pd source attach bad1 --type file --path semi.csv --option bogus=1
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown reader option 'bogus' (the readers take: all_varchar,"* ]]
    run pd source attach bad2 --type file --path semi.csv --option header=maybe
    [[ "$output" == *"reader option header takes true or false"* ]]
    run pd source attach bad3 --type file --path semi.csv --option skip=-1
    [[ "$output" == *"reader option skip takes a whole number"* ]]
    run pd source attach bad4 --type file --path semi.csv --option 'columns={"id": "INTEGER); drop table x; --"}'
    [[ "$output" == *"reader option columns takes column names and DuckDB types"* ]]
    run pd source attach bad5 --type file --path semi.csv --option binary_as_string=true
    [[ "$output" == *"read_csv takes no option 'binary_as_string'"* ]]
    run pd source attach bad6 --type file --path semi.csv --option noequals
    [ "$status" -eq 2 ]
    # an attempt at SQL in a value is a value: DuckDB refuses it as a delimiter
    run pd source attach bad7 --type file --path semi.csv --option "delim=;') ; drop table x; --"
    [ "$status" -eq 1 ]
    [[ "$output" == *"delimiter option cannot exceed"* ]]
    run pd source list --format csv
    [[ "$output" != *bad* ]]
}

@test "files: a CSV error names the physical line when quoted fields span lines" {
    { echo 'id,note'; for i in $(seq 1 50); do printf '%d,"two\nlines"\n' "$i"; done; echo 'x,end'; } > multi.csv
    pd source attach multi --type file --path multi.csv -o 'columns={"id": "INTEGER", "note": "VARCHAR"}' -o header=true
    run pd sql "select sum(id) from multi.multi"
    [ "$status" -eq 1 ]
    # record 52 (the header is 1) starts on line 102 of the file
    [[ "$output" == *"CSV Error on Line: 102 (record 52, counting a quoted field across lines as one)"* ]]
    [ "$(sed -n 102p multi.csv)" = "x,end" ]
}

@test "files: malformed CSV fails with the line number" {
    { echo 'a,b'; seq 1 25000 | sed 's/$/,x/'; echo '5,6,7'; echo '8,y'; } > bad.csv
    pd source attach bad --type file --path bad.csv
    run pd sql "select count(*) from bad.bad"
    [ "$status" -eq 1 ]
    [[ "$output" == *"CSV Error on Line: 25002"* ]]
}

start_http() {
    mkdir -p www
    python3 "$BATS_TEST_DIRNAME/../servers/http_server.py" www port &
    HTTP_PID=$!
    for _ in $(seq 1 50); do [ -f port ] && break; sleep 0.1; done
    HTTP="http://127.0.0.1:$(cat port)"
}

teardown() {
    [ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null || true
}

@test "http: downloaded once, revalidated with ETag on refresh, new content after a change" {
    start_http
    printf 'id,name\n1,a\n2,b\n' > www/people.csv
    run pd source attach web --type http --url "$HTTP/people.csv"
    [ "$status" -eq 0 ]
    run pd sql "select count(*) from web.people" --format csv
    [ "${lines[1]}" = 2 ]
    [ "$(curl -s "$HTTP/count")" = 1 ]
    pd source refresh web
    [ "$(curl -s "$HTTP/count")" = 1 ]   # 304: not downloaded again
    printf 'id,name\n1,a\n2,b\n3,c\n' > www/people.csv
    pd source refresh web
    [ "$(curl -s "$HTTP/count")" = 2 ]
    run pd sql "select count(*) from web.people" --format csv
    [ "${lines[1]}" = 3 ]
}

@test "http: 404, 500 and a cut connection fail clearly and keep the previous copy" {
    start_http
    printf 'id\n1\n' > www/a.csv
    run pd source attach nf --type http --url "$HTTP/missing.csv"
    [ "$status" -eq 1 ]
    [[ "$output" == *"HTTP 404 from $HTTP/missing.csv"* ]]
    run pd source attach err --type http --url "$HTTP/status/500"
    [ "$status" -eq 1 ]
    [[ "$output" == *"HTTP 500"* ]]
    run pd source attach cut --type http --url "$HTTP/cut/a.csv"
    [ "$status" -eq 1 ]
    [[ "$output" == *"downloading $HTTP/cut/a.csv failed"* ]]
    run pd source list --all --format csv
    [ "${#lines[@]}" -eq 1 ]
    pd source attach a --type http --url "$HTTP/a.csv"
    rm www/a.csv
    run pd source refresh a
    [ "$status" -eq 1 ]
    [[ "$output" == *"HTTP 404"*"(the previous copy is kept)"* ]]
    run pd sql "select count(*) from a.a" --format csv
    [ "${lines[1]}" = 1 ]
    run pd source list --format csv
    [[ "${lines[1]}" == "a,http,error,"* ]]
}
