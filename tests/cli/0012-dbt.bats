#!/usr/bin/env bats
# dbt-style projects run natively: a jaffle-shop-shaped project (tests/fixtures/jaffle).
load helper

setup() {
    init_home
    cp -r "$BATS_TEST_DIRNAME/../fixtures/jaffle" proj
}

@test "dbt build: seeds, models in DAG order, tests; dbt-like output; exit 0" {
    run pd dbt build --project-dir proj
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "Running with pluto-duck"*"jaffle_shop"* ]]
    [ "${lines[1]}" = "Found 5 models, 3 seeds, 7 data tests, 0 sources" ]
    [[ "$output" == *"1 of 3 OK loaded seed file main.raw_customers"*"[INSERT 3 in "* ]]
    [[ "$output" == *"OK created sql view model main.stg_orders"* ]]
    [[ "$output" == *"5 of 5 OK created sql table model main.customers"* ]]
    [[ "$output" == *"PASS relationships_orders_customer_id"* ]]
    [[ "${lines[-1]}" == "Done. PASS=15 WARN=0 ERROR=0 SKIP=0 TOTAL=15" ]]
    # orders is built before customers, the staging models before orders
    o=$(grep -n "OK created sql table model main.orders" <<<"$output" | cut -d: -f1)
    c=$(grep -n "OK created sql table model main.customers" <<<"$output" | cut -d: -f1)
    [ "$o" -lt "$c" ]
    # the for loop over var('payment_methods') made one column per method
    run pd sql "select coupon_amount, gift_card_amount, amount from orders where order_id = 3" --format csv
    [ "${lines[1]}" = "1.0,2.0,3.0" ]
    run pd sql "select customer_id, lifetime_value from customers order by 1" --format csv
    [ "${lines[*]}" = "customer_id,lifetime_value 1,10.0 2,3.0 3,20.0" ]
    [ "$(pd sql "select table_type from information_schema.tables where table_name = 'stg_orders'" --format csv | tail -1)" = VIEW ]
}

@test "dbt test: a failing test is reported with its row count and exit 1" {
    pd dbt seed --project-dir proj >/dev/null
    pd dbt run --project-dir proj >/dev/null
    printf 'id,user_id,order_date,status\n1,1,2018-01-01,lost\n1,9,2018-01-02,completed\n' > proj/seeds/raw_orders.csv
    pd dbt seed --project-dir proj >/dev/null
    pd dbt run --project-dir proj >/dev/null
    run pd dbt test --project-dir proj
    [ "$status" -eq 1 ]
    [[ "$output" == *"FAIL 1 unique_orders_order_id"* ]]
    [[ "$output" == *"FAIL 1 accepted_values_orders_status"* ]]
    [[ "$output" == *"FAIL 1 relationships_orders_customer_id"* ]]
    [[ "$output" == *"Completed with errors"* ]]
}

@test "dbt run --select, incremental models with is_incremental/this, ls and compile" {
    cat > proj/models/events.sql <<'SQL'
{{ config(materialized='incremental', unique_key='id') }}
select i as id, 'e' || i as name from range(4) t(i)
{%- if is_incremental() %}
where i >= (select max(id) from {{ this }})
{%- endif %}
SQL
    pd dbt seed --project-dir proj >/dev/null
    run pd dbt run --project-dir proj --select events
    [ "$status" -eq 0 ]
    [[ "$output" == *"1 of 1 OK created sql incremental model main.events"* ]]
    run pd dbt run --project-dir proj --select events
    [ "$(pd sql 'select count(*) from events' --format csv | tail -1)" = 4 ]
    run pd dbt compile --project-dir proj --select events
    [[ "$output" == *'where i >= (select max(id) from "main"."events")'* ]]
    run pd dbt run --project-dir proj --select +customers
    [[ "$output" == *"of 5 OK created sql table model main.customers"* ]]
    run pd dbt ls --project-dir proj
    [[ "$output" == *"model.jaffle_shop.customers"* ]]
    [[ "$output" == *"seed.jaffle_shop.raw_orders"* ]]
    [[ "$output" == *"test.jaffle_shop.unique_orders_order_id"* ]]
}

@test "sources from yml, set/if/elif/else, loop.last, ~ concatenation, whitespace control" {
    pd sql "create schema raw; create table raw.people as select 1 as id, 'ann' as name" >/dev/null
    cat > proj/models/sources.yml <<'YML'
version: 2
sources:
  - name: crm
    schema: raw
    tables:
      - name: people
YML
    cat > proj/models/jinja_bits.sql <<'SQL'
{%- set cols = ['id', 'name'] -%}
{%- set mode = 'b' -%}
select
{%- for c in cols %} {{ c }}{% if not loop.last %},{% endif %}{% endfor %},
{% if mode == 'a' %} 'A'{% elif mode == 'b' and cols | length is defined %} {{ "'B-" ~ cols[1] ~ "'" }}{% else %} 'C'{% endif %} as mode
from {{ source('crm', 'people') }}
SQL
    run pd dbt run --project-dir proj --select jinja_bits
    [ "$status" -eq 1 ]
    [[ "$output" == *"jinja_bits.sql:5: unsupported Jinja: the filter |length"* ]]
    sed -i "s/ and cols | length is defined//" proj/models/jinja_bits.sql
    run pd dbt run --project-dir proj --select jinja_bits
    [ "$status" -eq 0 ]
    run pd sql "select * from jinja_bits" --format csv
    [ "${lines[0]}" = "id,name,mode" ]
    [ "${lines[1]}" = "1,ann,B-name" ]
}

@test "unsupported Jinja and bad projects are clear errors naming file:line" {
    printf 'select 1\n{%% macro m() %%}x{%% endmacro %%}\n' > proj/models/bad.sql
    run pd dbt run --project-dir proj
    [ "$status" -eq 1 ]
    [[ "$output" == *"models/bad.sql:2: unsupported Jinja: {% macro %}"* ]]
    printf 'select {{ ref("missing_model") }}\n' > proj/models/bad.sql
    run pd dbt compile --project-dir proj
    [ "$status" -eq 1 ]
    [[ "$output" == *"bad.sql:1: unknown reference ref('missing_model')"* ]]
    printf '{%% if true %%}select 1\n' > proj/models/bad.sql
    run pd dbt compile --project-dir proj
    [[ "$output" == *"missing {% endif %}"* ]]
    rm proj/models/bad.sql
    run pd dbt run --project-dir "$BATS_TEST_TMPDIR"
    [ "$status" -eq 1 ]
    [[ "$output" == *"has no dbt_project.yml"* ]]
}
