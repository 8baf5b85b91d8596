#!/usr/bin/env bats
# MySQL/MariaDB sources against a real MariaDB server started for this suite.
load helper
load ../servers/servers

setup_file() {
    export SRV_DIR
    SRV_DIR=$(mktemp -d /tmp/pd-maria.XXXXXX)
    maria_start "$SRV_DIR"
    maria_sql "$(cat "$BATS_TEST_DIRNAME/../fixtures/maria_types.sql")" >/dev/null
}

teardown_file() {
    maria_stop
    rm -rf "$SRV_DIR"
}

setup() {
    init_home
}

attach_my() {
    echo secret | pd source attach my --type mysql --dsn "$MARIA_DSN" --password-stdin
}

# One column as MariaDB prints it and as DuckDB returns it, compared by md5.
same_column() {
    local my duck
    my=$(maria_sql "select md5(coalesce(cast($1 as char), 'NULL')) from types order by id")
    duck=$(pd sql "select md5(coalesce($1::VARCHAR, 'NULL')) from my.types order by id" --format csv | tail -n +2)
    [ "$my" = "$duck" ] || { echo "column $1: mariadb [$my] duckdb [$duck]"; return 1; }
}

@test "attach and types: every mapped column reads what MariaDB has" {
    run attach_my
    [ "$status" -eq 0 ]
    [[ "$output" == *"attached my: 2 tables"* ]]
    [[ "$output" == *"column dec6530: decimal(65,30) does not fit DECIMAL; read as DOUBLE"* ]]
    for c in ti uti si mi i ui bi ubi dec52 dec380 udec vc tx ch dt tm yr en st js; do
        same_column "$c"
    done
    run pd sql "select typeof(uti), typeof(ubi), typeof(dec52), typeof(bn), typeof(ts), typeof(dtm) from my.types limit 1" --format csv
    [ "${lines[1]}" = 'UTINYINT,UBIGINT,"DECIMAL(5,2)",BLOB,TIMESTAMP WITH TIME ZONE,TIMESTAMP' ]
    run pd sql "select f, d, bn, bl, dtm, ts, bt from my.types order by id" --format jsonl
    [ "${lines[0]}" = '{"f":1.5,"d":3.141592653589793,"bn":"\\x00\\xFF","bl":"\\x01\\x02\\x03","dtm":"2024-01-02 03:04:05.123456","ts":"2024-06-01 10:00:00.5+00","bt":1023}' ]
    [ "${lines[2]}" = '{"f":null,"d":null,"bn":null,"bl":null,"dtm":null,"ts":null,"bt":null}' ]
    run grep -rl secret "$PLUTO_DUCK_HOME" --exclude-dir=secrets
    [ "$status" -eq 1 ]
}

@test "only projected columns are fetched; pass-through runs on the server" {
    attach_my
    run pd sql "select region, sum(amount) from my.orders group by 1 order by 1" --format csv
    [ "${lines[1]}" = "east,625000.00" ]
    grep -q 'SELECT `region`, `amount` FROM `orders`' "$MARIA_DIR/general.log"
    run pd sql "select * from mysql_query('my', 'select count(*) as n from orders where id > 100')" --format csv
    [ "${lines[1]}" = 19900 ]
}

@test "wrong password: authentication failed, the password shown nowhere" {
    run bash -c "echo wrongpass | '$PD' source attach bad --type mysql --dsn '$MARIA_DSN' --password-stdin"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Access denied for user 'app'"*"authentication failed"* ]]
    [[ "$output" != *wrongpass* ]]
    run grep -r wrongpass "$PLUTO_DUCK_HOME"
    [ "$status" -eq 1 ]
    MYSQL_PWD=secret run pd source attach viaenv --type mysql --dsn "$MARIA_DSN"
    [ "$status" -eq 0 ]
    run pd source attach bad --type mysql --dsn "postgres://x@y/z"
    [ "$status" -eq 1 ]
    [[ "$output" == *"invalid --dsn: it must start with mysql:// or mariadb://"* ]]
}

@test "a timeout kills the remote query too" {
    attach_my
    run timeout 30 "$PD" sql --timeout 1s "select * from mysql_query('my', 'select sleep(60) as s')"
    [ "$status" -eq 1 ]
    [[ "$output" == *"(timeout)"* ]]
    sleep 0.5
    [ "$(maria_sql "select count(*) from information_schema.processlist where info like 'select sleep(60)%'")" = 0 ]
}

@test "a TIME is a duration past 24 hours; a zero date is NULL and counted in a warning" {
    maria_sql "SET SESSION sql_mode = '';
               CREATE TABLE odd (id INT PRIMARY KEY, t TIME, d DATE);
               INSERT INTO odd VALUES (1, '838:59:59', '2024-01-01'), (2, '-01:30:00', '0000-00-00'),
                                      (3, '00:00:01', NULL);" >/dev/null
    attach_my >/dev/null
    run pd sql "select id, t, typeof(t) as type, d from my.odd order by id" --format csv
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = '1,838:59:59,INTERVAL,2024-01-01' ]
    [ "${lines[2]}" = '2,-01:30:00,INTERVAL,' ]
    [ "${lines[3]}" = '3,00:00:01,INTERVAL,' ]
    [[ "$output" == *"warning: my.odd: 1 value of column d could not be read as its type and was read as NULL"* ]]
    # durations add up
    run pd sql "select sum(epoch(t))::bigint from my.odd" --format csv
    [ "${lines[1]}" = $((838 * 3600 + 59 * 60 + 59 - 5400 + 1)) ]
    # text: dates and times as MariaDB writes them
    pd config set sources.bad_values text >/dev/null
    pd source refresh my >/dev/null
    run pd sql "select d from my.odd where id = 2" --format csv
    [ "${lines[1]}" = '0000-00-00' ]
    maria_sql "DROP TABLE odd" >/dev/null
}

@test "server killed during a cache: the previous copy is kept" {
    maria_sql "create table big (id bigint primary key, x double, t varchar(40));
               insert into big select seq, seq * 1.5, md5(seq) from seq_1_to_2000000;" >/dev/null
    attach_my
    pd sql "create schema if not exists cache; create table cache.my_big as select 42 as id"
    "$PD" source cache my big > cache.out 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do
        grep -q 'FROM `big`' "$MARIA_DIR/general.log" && break
        sleep 0.05
    done
    sleep 0.2
    maria_kill
    run wait $pid
    [ "$status" -eq 1 ]
    run cat cache.out
    [[ "$output" == *"mysql source my"* ]]
    run pd sql "select * from cache.my_big" --format csv
    [ "${lines[*]}" = "id 42" ]
}
