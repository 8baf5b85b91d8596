#!/usr/bin/env bats
# pluto-duck init: the data home, the default config, the sample shop.
load helper

setup() { setup_home; }

@test "init creates the layout, a commented config and the sample shop" {
    run pd init
    [ "$status" -eq 0 ]
    [[ "$output" == *"Created data home at $PLUTO_DUCK_HOME"* ]]
    for d in data logs artifacts/queries projects/default/analyses skills reports runtime secrets; do
        [ -d "$PLUTO_DUCK_HOME/$d" ]
    done
    [ -f "$PLUTO_DUCK_HOME/data/warehouse.duckdb" ]
    [ "$(stat -c %a "$PLUTO_DUCK_HOME/secrets")" = 700 ]
    grep -q '^# Pluto Duck settings' "$PLUTO_DUCK_HOME/config.yaml"
    grep -q '  # level: info' "$PLUTO_DUCK_HOME/config.yaml"
    run pd sql --format csv "select (select count(*) from customers), (select count(*) from products), (select count(*) from orders), (select count(*) > 3000 from order_items)"
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "500,60,3000,true" ]
}

@test "the sample data is the same on every machine" {
    pd init >/dev/null
    run pd sql --format csv "select sum(amount), count(distinct customer_id), min(order_date), max(order_date) from orders"
    [ "$status" -eq 0 ]
    first=${lines[1]}
    export PLUTO_DUCK_HOME="$BATS_TEST_TMPDIR/home2"
    pd init >/dev/null
    run pd sql --format csv "select sum(amount), count(distinct customer_id), min(order_date), max(order_date) from orders"
    [ "${lines[1]}" = "$first" ]
    [[ "$first" == *",2023-01-"*",2024-12-"* ]]
}

@test "order amounts equal the sum of their items" {
    pd init >/dev/null
    run pd sql --format csv "select count(*) from orders o join (select order_id, sum(quantity*unit_price) s from order_items group by 1) i using (order_id) where o.amount <> i.s"
    [ "${lines[1]}" = "0" ]
}

@test "init twice keeps data and says so" {
    pd init >/dev/null
    pd sql "create table keepme as select 42 as x" >/dev/null
    echo "# my note" >> "$PLUTO_DUCK_HOME/config.yaml"
    run pd init
    [ "$status" -eq 0 ]
    [[ "$output" == *"Using existing data home"* ]]
    [[ "$output" == *"already loaded"* ]]
    run pd sql --format csv "select x from keepme"
    [ "${lines[1]}" = "42" ]
    grep -q '# my note' "$PLUTO_DUCK_HOME/config.yaml"
}

@test "init --no-sample leaves the warehouse empty" {
    run pd init --no-sample
    [ "$status" -eq 0 ]
    run pd sql --format csv "select count(*) from information_schema.tables where table_schema = 'main'"
    [ "${lines[1]}" = "0" ]
}

@test "commands before init say to run init" {
    run pd sql "select 1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no data home at '$PLUTO_DUCK_HOME' yet (run: pluto-duck init)"* ]]
    for cmd in history logs "profile orders"; do
        run pd $cmd
        [ "$status" -eq 1 ]
        [[ "$output" == *"run: pluto-duck init"* ]]
    done
}

@test "an unwritable home is a clear error" {
    run pd --home /proc/pluto-duck-home init
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot create directory '/proc/pluto-duck-home'"* ]]
    touch "$BATS_TEST_TMPDIR/afile"
    run pd --home "$BATS_TEST_TMPDIR/afile/home" init
    [ "$status" -eq 1 ]
    [[ "$output" == *"afile"* ]]
    if [ "$(id -u)" -ne 0 ]; then
        mkdir "$BATS_TEST_TMPDIR/ro" && chmod 555 "$BATS_TEST_TMPDIR/ro"
        run pd --home "$BATS_TEST_TMPDIR/ro" init
        [ "$status" -eq 1 ]
        [[ "$output" == *"not writable"* ]]
    fi
}
