#!/usr/bin/env bats
# pluto-duck query: questions in plain language, answered offline by the agent.
load helper
bats_require_minimum_version 1.5.0

setup() {
    init_home
}

@test "a question is answered: steps on stderr, answer, SQL and result on stdout" {
    run --separate-stderr pd query "which 5 customers spent the most in 2024?"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Here is the total amount per customer in 2024: 5 rows." ]
    [[ "${lines[1]}" == SELECT*"year(\"orders\".\"order_date\") = 2024"* ]]
    [[ "${lines[2]}" == name*total_amount ]]
    [ "${#lines[@]}" -eq 9 ]   # answer, SQL, header, 5 rows, chart
    [[ "${lines[8]}" == "suggested chart: bar of total_amount by name" ]]
    [[ "$stderr" == *"> list_tables"*"> describe_table main.orders"*"> run_sql SELECT"* ]]
    # the same numbers as SQL written by hand
    want=$(pd sql --format csv "select c.name, sum(o.amount) from orders o join customers c using (customer_id) where year(o.order_date) = 2024 group by c.customer_id, c.name order by 2 desc, 1 limit 5" | tail -n +2 | tr ',' ' ')
    got=$(printf '%s\n' "${lines[@]:3:5}" | tr -s ' ')
    [ "$got" = "$want" ]
}

@test "--format json gives the answer, the SQL and the result; filters come from the data" {
    run --separate-stderr pd query "how many orders were cancelled" --format json
    [ "$status" -eq 0 ]
    n=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["result"]["rows"][0][0], d["answer"])' <<<"$output")
    want=$(pd sql --format csv "select count(*) from orders where status = 'cancelled'" | tail -1)
    [ "$n" = "$want The number of orders where status = cancelled is $want." ]
}

@test "what the offline provider cannot answer, it says; nothing is changed" {
    run --separate-stderr pd query "what's the weather in Paris tomorrow"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"I cannot answer that offline: I do not know what 'weather' refers to"* ]]
    [ -z "$output" ]
    run --separate-stderr pd query "delete all orders"
    [ "$status" -eq 1 ]
    run --separate-stderr pd query "orders'; drop table orders; --"
    [ "$status" -eq 1 ]
    [ "$(pd sql --format csv 'select count(*) from orders' | tail -1)" = 3000 ]
    run pd query
    [ "$status" -eq 2 ]
}
