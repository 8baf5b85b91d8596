#!/usr/bin/env bats
# A query's filters and LIMIT on live source tables reach the remote: asserted from
# each server's own statement log (PostgreSQL's log_statement, MariaDB's general
# log; SQLite has none, so our debug log and --explain-remote), and every answer is
# compared with the same query run with sources.pushdown=false.
load helper
load ../servers/servers

setup_file() {
    export SRV_DIR
    SRV_DIR=$(mktemp -d /tmp/pd-push.XXXXXX)
    chmod 755 "$SRV_DIR"
    pg_start "$SRV_DIR"
    pg_sql "$(cat "$BATS_TEST_DIRNAME/../fixtures/pg_types.sql")" >/dev/null
    pg_sql "CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
            CREATE TABLE people (id int, name text COLLATE nocase, note text);
            INSERT INTO people VALUES (1, 'Ann', 'it''s'), (2, 'ann', 'back\\slash'), (3, 'Bob', NULL);
            GRANT SELECT ON people TO app;" >/dev/null
    maria_start "$SRV_DIR"
    maria_sql "$(cat "$BATS_TEST_DIRNAME/../fixtures/maria_types.sql")" >/dev/null
    maria_sql "CREATE TABLE people (id INT, name VARCHAR(20), born DATE, seen TIMESTAMP NULL);
               SET SESSION sql_mode = '';
               INSERT INTO people VALUES (1, 'Ann', '1990-05-01', '2024-01-01 10:00:00'),
                 (2, 'it''s', '0000-00-00', NULL), (3, 'back\\\\slash', NULL, '2024-01-02 00:00:00');" >/dev/null
}

teardown_file() {
    servers_stop
    rm -rf "$SRV_DIR"
}

setup() {
    init_home
    echo secret | pd source attach pg --type postgres --dsn "$PG_DSN" --password-stdin >/dev/null
    echo secret | pd source attach my --type mysql --dsn "$MARIA_DSN" --password-stdin >/dev/null
}

# The statements PostgreSQL logged since mark_logs, and MariaDB's.
mark_logs() {
    PG_MARK=$(wc -l <"$PG_DIR/server.log")
    MY_MARK=$(wc -l <"$MARIA_DIR/general.log")
}
pg_log() { tail -n +$((PG_MARK + 1)) "$PG_DIR/server.log" | grep 'statement: COPY' || true; }
pg_log_all() { tail -n +$((PG_MARK + 1)) "$PG_DIR/server.log"; }
my_log() { tail -n +$((MY_MARK + 1)) "$MARIA_DIR/general.log" | grep 'Query.*SELECT' || true; }

# same_answer SQL: the rows with filters pushed are the rows without.
same_answer() {
    local pushed plain
    pushed=$(pd sql "$1" --format csv) || { echo "pushed: $pushed"; return 1; }
    plain=$(pd -c sources.pushdown=false sql "$1" --format csv) || { echo "plain: $plain"; return 1; }
    [ "$pushed" = "$plain" ] || { printf 'query: %s\npushed:\n%s\nplain:\n%s\n' "$1" "$pushed" "$plain"; return 1; }
}

@test "postgres: a point lookup sends its WHERE; the answer is psql's" {
    mark_logs
    run pd sql "select id, region, amount from pg.orders where id = 777" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "$(pg_sql "select id, region, amount from orders where id = 777" | tr '|' ',')" ]
    run pg_log
    [[ "$output" == *'COPY (SELECT "id", "region", "amount" FROM "public"."orders" WHERE (("id" = 777))) TO STDOUT'* ]]
    # without pushdown the whole table is read
    mark_logs
    pd -c sources.pushdown=false sql "select id from pg.orders where id = 777" >/dev/null
    run pg_log
    [[ "$output" == *'FROM "public"."orders") TO STDOUT'* ]]
}

@test "postgres: dates, zones, decimals, quotes, NULLs, IN, BETWEEN, LIKE go as PostgreSQL's own SQL" {
    mark_logs
    same_answer "select id from pg.orders where created_at >= '2023-06-02 10:00:00+02' and created_at < TIMESTAMPTZ '2023-06-02 12:00:00+02' order by id"
    same_answer "select id from pg.types where d = DATE '2024-02-29' and ts < '2024-01-03' order by id"
    same_answer "select id from pg.types where n52 between -999.99 and 999.99 and i8 in (0, 9223372036854775807) order by id"
    same_answer "select id from pg.people where note = 'it''s' or id = 0 order by id"
    same_answer "select id from pg.people where note = 'it''s' order by id"
    same_answer "select id from pg.people where note = 'back\\slash'"
    same_answer "select id from pg.types where i4 is null order by id"
    same_answer "select id from pg.types where t is not null and t > 'a' order by id"
    same_answer "select id from pg.orders where region like 'no%' and id < 10 order by id"
    same_answer "select id from pg.types where b = true and u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"
    run pg_log
    [[ "$output" == *"WHERE ((\"created_at\" >= TIMESTAMPTZ '2023-06-02 08:00:00+00') AND (\"created_at\" < TIMESTAMPTZ '2023-06-02 10:00:00+00'))"* ]]
    [[ "$output" == *"WHERE ((\"d\" = DATE '2024-02-29') AND (\"ts\" < TIMESTAMP '2024-01-03 00:00:00'))"* ]]
    [[ "$output" == *"WHERE ((\"n52\" BETWEEN -999.99 AND 999.99) AND (\"i8\" IN (0, 9223372036854775807)))"* ]]
    [[ "$output" == *"WHERE ((\"note\" = E'it''s'))"* ]]
    [[ "$output" == *"WHERE ((\"note\" = E'back\\\\slash'))"* ]]
    [[ "$output" == *'WHERE (("i4" IS NULL))'* ]]
    [[ "$output" == *"WHERE ((\"t\" IS NOT NULL) AND (\"t\" COLLATE \"C\" > E'a'))"* ]]
    [[ "$output" == *"WHERE ((\"region\" LIKE E'no%') AND (\"id\" < 10))"* ]]
    [[ "$output" == *"WHERE ((\"b\" = true) AND (\"u\" = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid))"* ]]
    # an OR is not a conjunct of one column: nothing of that WHERE went
    [[ "$output" == *'FROM "public"."people") TO STDOUT'* ]]
}

@test "postgres: what cannot be said exactly stays local, and the answer is still right" {
    mark_logs
    # a function of the column; a column read through a cast (numeric(50,2) as exact text);
    # a date PostgreSQL cannot hold; a case-folding collation's <> (could drop rows DuckDB keeps)
    same_answer "select id from pg.orders where lower(region) = 'north' and id < 3 order by id"
    same_answer "select id from pg.types where nbig = '-1.50'"
    same_answer "select id from pg.types where d < DATE '5881000-01-01' order by id"
    same_answer "select id from pg.types where tm > TIME '12:00:00' order by id"
    same_answer "select id, name from pg.people where name = 'ann' order by id"
    run pg_log
    [[ "$output" == *'SELECT "region", "id" FROM "public"."orders" WHERE (("id" < 3))'* ]]
    echo "$output" | grep -q '"nbig"::text[^W]* FROM "public"."types") TO'
    echo "$output" | grep -q 'SELECT[^W]*"d"[^W]* FROM "public"."types") TO'
    echo "$output" | grep -q 'SELECT[^W]*"tm"[^W]* FROM "public"."types") TO'
    # = under a case-folding collation keeps more rows there; DuckDB's WHERE keeps 'ann' only
    [[ "$output" == *"WHERE ((\"name\" = E'ann'))"* ]]
    run pd sql "select id from pg.people where name = 'ann'" --format csv
    [ "${lines[1]}" = 2 ] && [ "${#lines[@]}" -eq 2 ]
}

@test "postgres: LIMIT goes to the remote only when nothing above the scan changes the rows" {
    mark_logs
    run pd sql "select id from pg.orders limit 3 offset 2" --format csv
    [ "$status" -eq 0 ] && [ "${#lines[@]}" -eq 4 ]
    same_answer "select id from pg.orders where region = 'east' limit 2"
    same_answer "select count(*) from pg.orders limit 1"
    same_answer "select id from pg.orders where id > 19990 order by id desc limit 2"
    same_answer "select id from pg.orders where lower(region) = 'east' and id < 20 limit 2"
    run pg_log
    [[ "$output" == *'SELECT "id" FROM "public"."orders" LIMIT 5) TO'* ]]
    [[ "$output" == *"WHERE ((\"region\" = E'east')) LIMIT 2) TO"* ]]
    [[ "$output" != *'LIMIT 1)'* ]]             # an aggregate above the scan
    [[ "$output" == *'WHERE (("id" > 19990))) TO'* ]] # ORDER BY: all matching rows
    [[ "$output" == *'WHERE (("id" < 20))) TO'* ]]    # a filter stayed local: no LIMIT
}

@test "postgres: joins, subqueries, CTEs and UNION each push to their own scan" {
    mark_logs
    same_answer "with x as (select * from pg.orders where id = 5) select x.id, t.id from x join pg.types t on t.id = x.id - 4 where t.i2 > 0"
    same_answer "select id from pg.orders where id = 5 union all select id from pg.orders where id = 6 order by 1"
    same_answer "select (select count(*) from pg.orders i where i.id = o.id) from pg.orders o where o.id = 3"
    # the preserved side of an outer join takes its filters; the other side keeps IS NULL local
    same_answer "select o.id from pg.orders o left join pg.types t on t.id = o.id where t.i2 is null and o.id between 3 and 6 order by 1"
    run pg_log
    [[ "$output" == *'"public"."orders" WHERE (("id" = 5))'* ]]
    [[ "$output" == *'"public"."orders" WHERE (("id" = 6))'* ]]
    [[ "$output" == *'"public"."types" WHERE (("i2" > 0))'* ]]
    [[ "$output" == *'"public"."orders" WHERE (("id" BETWEEN 3 AND 6))'* ]]
    [[ "$output" == *'SELECT "id", "i2" FROM "public"."types") TO'* ]]
}

@test "postgres: a remote that rejects the pushed SQL fails the query naming it; nothing is made" {
    # LIKE under a nondeterministic collation is an error in PostgreSQL
    run pd sql "select * from pg.people where name like 'an%'"
    [ "$status" -ne 0 ]
    [[ "$output" == *"nondeterministic collations are not supported for LIKE"* ]]
    [[ "$output" == *"the remote was sent: SELECT"*"WHERE ((\"name\" LIKE E'an%'))"* ]]
    # an export of it writes no file
    run pd sql -o likes.parquet "select * from pg.people where name like 'an%'"
    [ "$status" -ne 0 ]
    [[ "$output" == *"the remote was sent"* ]]
    [ ! -e likes.parquet ]
    # with pushdown off the same query reads the rows and filters here
    run pd -c sources.pushdown=false sql "select id from pg.people where name like 'An%'" --format csv
    [ "$status" -eq 0 ] && [ "${lines[1]}" = 1 ]
}

@test "postgres: a large table is read in parts at one snapshot, in parallel; the answer is the same" {
    # about 4 rows a page: 70,000 rows make some 17,500 pages (two parts of 8,192 or more)
    pg_sql "create table wide as select g as id, repeat('x', 1900) as pad,
                   (case when g in (10, 69990) then 'NaN'::numeric else (g % 100)::numeric end)::numeric(5,2) as n
            from generate_series(1, 70000) g; grant select on wide to app; analyze wide" >/dev/null
    pd source refresh pg >/dev/null 2>&1
    mark_logs
    run pd sql --explain-remote "select count(*), sum(id), sum(n) from pg.wide"
    [ "$status" -eq 0 ]
    [[ "$output" == *"pg.wide: SELECT \"id\", \"n\" FROM \"public\".\"wide\" WHERE (ctid < '("*",0)'::tid)"* ]]
    [[ "$output" == *"pg.wide: SELECT \"id\", \"n\" FROM \"public\".\"wide\" WHERE (ctid >= '("*",0)'::tid)"* ]]
    # both parts read at the snapshot the first connection exported
    [ "$(pg_log_all | grep -c "SET TRANSACTION SNAPSHOT")" -ge 2 ]
    run pd sql "select count(*), sum(id), sum(n) from pg.wide" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "70000,2450035000,3464900.00" ]
    parted=${lines[1]}
    # the two NaN values (one in each part) are told once, together
    [[ "$output" == *"warning: pg.wide: 2 values of column n could not be read as its type"* ]]
    run pd -c sources.scan_parts=1 sql "select count(*), sum(id), sum(n) from pg.wide" --format csv
    [ "${lines[1]}" = "$parted" ]
    # a filter pushed down goes to every part
    run pd sql --explain-remote "select count(*) from pg.wide where id > 100"
    [[ "$output" == *"WHERE (((\"id\" > 100)) AND (ctid >= "* ]]
    pg_sql "drop table wide" >/dev/null
}

@test "explain-remote prints each remote statement (text and JSON)" {
    run pd sql --explain-remote "select id from pg.orders where id = 7"
    [ "$status" -eq 0 ]
    output_is 'pg.orders: SELECT "id" FROM "public"."orders" WHERE (("id" = 7))'
    run pd sql --explain-remote --format json "select id from pg.orders where id in (1, 2) limit 1"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r '.[0].table')" = pg.orders ]
    [ "$(echo "$output" | jq -r '.[0].sql')" = 'SELECT "id" FROM "public"."orders" WHERE (("id" IN (1, 2))) LIMIT 1' ]
    run pd sql --explain-remote "select 42"
    [ "$status" -eq 0 ]
    [[ "$output" == *"no live source table was read"* ]]
    run pd sql --explain-remote -o x.csv "select 1"
    [ "$status" -eq 2 ]
}

@test "mariadb: dates, UTC timestamps, decimals, quotes and backslashes go as MariaDB's SQL" {
    mark_logs
    run pd sql "select id, region from my.orders where id = 777" --format csv
    [ "${lines[1]}" = "$(maria_sql "select id, region from orders where id = 777" | tr '\t' ',')" ]
    same_answer "select id from my.orders where created_at between '2023-06-02' and TIMESTAMP '2023-06-02 03:00:00' order by id"
    same_answer "select id from my.people where seen >= TIMESTAMPTZ '2024-01-01 12:00:00+02' order by id"
    same_answer "select id from my.people where name = 'it''s'"
    same_answer "select id from my.people where name = 'back\\slash'"
    same_answer "select id from my.types where dec52 = 999.99 and vc like 'h%'"
    same_answer "select id from my.types where i is null"
    # a zero date is read as NULL: IS NULL must stay local to find it
    same_answer "select id from my.people where born is null order by id"
    run my_log
    [[ "$output" == *'SELECT `id`, `region` FROM `orders` WHERE ((`id` = 777))'* ]]
    [[ "$output" == *"WHERE ((\`created_at\` BETWEEN TIMESTAMP '2023-06-02 00:00:00' AND TIMESTAMP '2023-06-02 03:00:00'))"* ]]
    [[ "$output" == *"WHERE ((\`seen\` >= TIMESTAMP '2024-01-01 10:00:00'))"* ]]
    [[ "$output" == *"WHERE ((\`name\` = 'it''s'))"* ]]
    [[ "$output" == *"WHERE ((\`name\` = 'back\\\\slash'))"* ]]
    [[ "$output" == *"WHERE ((\`dec52\` = 999.99) AND (\`vc\` LIKE 'h%'))"* ]]
    [[ "$output" == *'WHERE ((`i` IS NULL))'* ]]
    echo "$output" | grep -q 'SELECT `born`, `id` FROM `people`$'
    run pd sql "select id from my.people where born is null order by id" --format csv
    [ "${lines[1]}" = 2 ] && [ "${lines[2]}" = 3 ]
}

@test "sqlite: integers and text go; dates (free text) and IS NULL on a mistyped column stay local" {
    sqlite3 lite.db "create table t (id integer, name text, day date, n integer);
        insert into t values (1, 'Ann', '2024-01-01', 5), (2, 'it''s', '2024-1-2', 'oops'),
                             (3, 'x', 'not a date', NULL);"
    pd source attach lite --type sqlite --path lite.db >/dev/null
    run pd sql --explain-remote "select id from lite.t where id >= 2 and name = 'it''s' and day > '2000-01-01' and n is null"
    [ "$status" -eq 0 ]
    echo "$output" | grep -qx "lite.t: SELECT .* FROM \"t\" WHERE ((\"id\" >= 2) AND (\"name\" = 'it''s'))"
    same_answer "select id from lite.t where id >= 2 and name = 'it''s' and day > '2000-01-01'"
    # 'oops' is read as NULL here (counted), so IS NULL finds rows 2 and 3 only if it stays local
    run pd sql "select id from lite.t where n is null order by id" --format csv
    [ "${lines[1]}" = 2 ] && [ "${lines[2]}" = 3 ]
    # an ingest says the same of the values it read as NULL
    printf 'source: lite\ntable: t\ntarget: lite_copy\n' > lite.yaml
    run pd ingest lite.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: lite.t: 1 value of column n could not be read as its type"* ]]
    run pd ingest lite.yaml --format json
    [ "$(echo "$output" | grep '^{' | jq 'any(.warnings[]; startswith("lite.t: 1 value of column n"))')" = true ]
    run pd -c log.level=debug sql "select id from lite.t where id = 1 limit 1"
    grep -q '"sql":"SELECT \\"id\\" FROM \\"t\\" WHERE ((\\"id\\" = 1)) LIMIT 1"' "$PLUTO_DUCK_HOME/logs/pluto-duck.log"
}
