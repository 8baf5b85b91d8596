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
    # an average is rounded in the words only: the result holds it whole
    run --separate-stderr pd query "average order amount" --format json
    [ "$status" -eq 0 ]
    python3 - "$output" "$(pd sql --format csv "select avg(amount) from orders" | tail -1)" <<'PY'
import json, re, sys
d, want = json.loads(sys.argv[1]), float(sys.argv[2])
got = d["result"]["rows"][0][0]
assert abs(got - want) < 1e-9 * abs(want), (got, want)
assert got != round(got, 2), "the sample's average has more than 2 decimals"
words = re.search(r"is (-?[0-9.]+)\.$", d["answer"]).group(1)
assert words == ("%.2f" % want).rstrip("0").rstrip("."), (d["answer"], want)
PY
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

@test "offline: a list column beside text columns does not break the value look-up" {
    pd sql "create table notes (id int, tags varchar[], city varchar); insert into notes values (1, ['a'], 'Lyon'), (2, ['b', 'c'], 'Nice'), (3, [], 'Lyon')" >/dev/null
    run --separate-stderr pd query "how many notes in Lyon" --format json
    [ "$status" -eq 0 ]
    [ "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["result"]["rows"][0][0])' <<<"$output")" = 2 ]
}

@test "offline: rows that nothing refers to (never, without)" {
    run --separate-stderr pd query "customers who never ordered" --format json
    [ "$status" -eq 0 ]
    got=$(python3 -c 'import json,sys; print(sorted(r[0] for r in json.load(sys.stdin)["result"]["rows"]))' <<<"$output")
    want=$(pd sql --format json "select customer_id from customers where customer_id not in (select customer_id from orders)" | python3 -c 'import json,sys; print(sorted(r["customer_id"] for r in json.load(sys.stdin)))')
    [ "$got" = "$want" ]
    [ "$got" != "[]" ]
}

@test "chat: follow-ups keep the context; the conversation is kept, shown, continued, deleted" {
    run --separate-stderr pd chat --format json <<'EOF2'
how many orders in 2024
and in 2023?
what about completed ones

top 3 customers by revenue
only in Berlin
exit
how many products
EOF2
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 5 ]   # five answers; the empty line skipped, nothing after exit
    rows() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["result"]["rows"])' "$1"; }
    q() { pd sql --format json "$1" | python3 -c 'import json,sys; print([list(r.values()) for r in json.load(sys.stdin)])'; }
    [ "$(rows "${lines[0]}")" = "$(q "select count(*) from orders where year(order_date) = 2024")" ]
    [ "$(rows "${lines[1]}")" = "$(q "select count(*) from orders where year(order_date) = 2023")" ]
    [ "$(rows "${lines[2]}")" = "$(q "select count(*) from orders where year(order_date) = 2023 and status = 'completed'")" ]
    [[ "$(rows "${lines[4]}")" == *"'Yusuf Okafor'"* ]]
    [ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sql"])' "${lines[4]}" | grep -c "'Berlin'")" = 1 ]
    conv=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["conversation_id"])' "${lines[0]}")
    [[ "$stderr" == *"continue: pluto-duck chat --resume $conv"* ]]
    run pd chat list --format json
    [ "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["id"], d[0]["messages"], d[0]["title"])' <<<"$output")" = "$conv 10 how many orders in 2024" ]
    run pd chat show "$conv"
    [ "$status" -eq 0 ]
    [[ "$output" == *"user: and in 2023?"*"assistant: The number of orders in 2023 is"* ]]
    # continued later, in the same conversation
    # (the last turns were the top customers in Berlin: a follow-up goes on from there)
    run --separate-stderr pd query "and in Tokyo?" --conversation "$conv" --format json
    [ "$status" -eq 0 ]
    want=$(q "select c.name, sum(o.amount) from orders o join customers c using (customer_id) where c.city = 'Tokyo' group by c.customer_id, c.name order by 2 desc, 1 limit 3")
    [ "$(rows "$output")" = "$want" ]
    run --separate-stderr pd chat --resume "$conv" <<<"what about Paris in 2024"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"continuing $conv: how many orders in 2024"* ]]
    [ "${lines[0]}" = "Here is the total amount per customer where city = Paris, in 2024: 3 rows." ]
    run pd chat delete "$conv"
    [ "$status" -eq 0 ]
    run pd chat list --format json
    output_is "[]"
}

@test "chat: bad input - unknown conversations, an unanswerable line, unknown actions" {
    run --separate-stderr pd chat show 01a1fcfa-0000-7000-8000-000000000000
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"no conversation '01a1fcfa-0000-7000-8000-000000000000'"* ]]
    run --separate-stderr pd chat delete nope
    [ "$status" -eq 1 ]
    run --separate-stderr pd query "how many orders" --conversation nope
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"no conversation 'nope'"* ]]
    run --separate-stderr pd chat --resume nope <<<"how many orders"
    [ "$status" -eq 1 ]
    run --separate-stderr pd chat frobnicate
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"unknown action 'frobnicate'"* ]]
    # a question it cannot answer does not end the conversation; the exit status tells
    run --separate-stderr pd chat <<'EOF2'
what is the weather in Paris
how many products
EOF2
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"do not know what 'weather' refers to"*"1 question could not be answered"* ]]
    [ "${lines[0]}" = "The number of products is 60." ]
    # --format json: a line for every question, answered or not, so a script can pair them;
    # a refused question is not read again with the questions after it
    run --separate-stderr pd chat --format json <<'EOF2'
how many orders in 2024
what about the weather
and in 2023?
EOF2
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 3 ]
    field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d.get(sys.argv[2]))' "$1" "$2"; }
    [ "$(field "${lines[0]}" answered)" = True ]
    [ "$(field "${lines[1]}" answered)" = False ]
    [[ "$(field "${lines[1]}" answer)" == *"'weather'"* ]]
    [ "$(field "${lines[2]}" answered)" = True ]
    [[ "$(field "${lines[2]}" sql)" == *"= 2023"* ]]
}

@test "query --save keeps the answer as an analysis; skills lists what the agent can load" {
    run --separate-stderr pd query "revenue per region" --save region_revenue
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"saved as analysis region_revenue"* ]]
    run pd analysis run region_revenue
    [ "$status" -eq 0 ]
    [ "$(pd sql --format csv "select count(*) from analysis.region_revenue" | tail -1)" = \
      "$(pd sql --format csv "select count(distinct region) from customers" | tail -1)" ]
    run --separate-stderr pd query "revenue per region" --save region_revenue
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"exists already"* ]]
    run --separate-stderr pd query "what is the weather" --save nothing
    [ "$status" -eq 1 ]
    [ ! -e "$PLUTO_DUCK_HOME/projects/default/analyses/nothing.yaml" ]
    # skills: built in, the user's, the project's (which wins); a broken file is named
    mkdir -p "$PLUTO_DUCK_HOME/skills/churn" "$PLUTO_DUCK_HOME/skills/broken"
    printf -- '---\nname: churn\ndescription: How we define churn.\n---\nA customer churns after 90 days.\n' \
        > "$PLUTO_DUCK_HOME/skills/churn/SKILL.md"
    printf 'no front matter here\n' > "$PLUTO_DUCK_HOME/skills/broken/SKILL.md"
    run --separate-stderr pd skills --format json
    [ "$status" -eq 0 ]
    [ "$(python3 -c 'import json,sys; print(sorted(s["name"] for s in json.load(sys.stdin)["skills"]))' <<<"$output")" = "['churn', 'lineage', 'source-exploration', 'sql-analysis']" ]
    [[ "$stderr" == *"warning: skill not loaded: $PLUTO_DUCK_HOME/skills/broken/SKILL.md"* ]]
}

@test "offline: 'save it as analysis NAME' saves the last answer, only when approved" {
    run --separate-stderr pd chat <<'EOF2'
top 3 customers by revenue
save it as analysis top_customers
EOF2
    [ "$status" -eq 1 ]   # not approved: refused without a terminal
    [[ "$stderr" == *"Not saved: the user did not approve save_analysis"* ]]
    [ ! -e "$PLUTO_DUCK_HOME/projects/default/analyses/top_customers.yaml" ]
    run --separate-stderr pd chat --approve-all <<'EOF2'
top 3 customers by revenue
save it as analysis top_customers
EOF2
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "Saved as analysis top_customers (project default)." ]
    grep -q 'LIMIT 3' "$PLUTO_DUCK_HOME/projects/default/analyses/top_customers.yaml"
    run --separate-stderr pd chat --approve-all <<<"save it as analysis nothing_yet"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"no answer with SQL in this conversation to save yet"* ]]
}
