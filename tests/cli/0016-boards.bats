#!/usr/bin/env bats
# pluto-duck board: boards on the command line (no server).
load helper

setup() {
    init_home
}

@test "board create, add, show, export to a file, refresh, remove, delete" {
    run pd board create sales --description "Sales overview"
    [ "$status" -eq 0 ]
    run pd board add sales --title "By status" --kind bar --sql "select status, count(*) as n from orders group by 1 order by 1"
    [ "$status" -eq 0 ]
    [[ "$output" == "added chart item "*" to board sales (4 rows)" ]]
    item=$(awk '{print $4}' <<<"$output")
    echo "select count(*) as n from orders" > q.sql
    run pd board add sales --type metric --label Orders -f q.sql --position 0,20,3,2
    [ "$status" -eq 0 ]
    run pd board add sales --text "Numbers are *net*."
    [ "$status" -eq 0 ]
    run pd board show sales
    [ "${lines[0]}" = "sales (project default)" ]
    [[ "$output" == *"$item  chart     0,0,12,5     By status"*"4 rows"* ]]
    [[ "$output" == *"metric    0,20,3,2"* ]]
    run pd board show sales --format json
    [ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' <<<"$output")" = 3 ]
    run pd board export sales -o report.md
    [ "$status" -eq 0 ]
    grep -q '^\*\*Orders:\*\* 3000$' report.md
    grep -q 'data:image/svg+xml;base64,' report.md
    pd board export sales > report.html
    grep -q '^<!DOCTYPE html>' report.html
    grep -q '<em>net</em>' report.html
    run pd board export sales --format pdf
    [ "$status" -eq 2 ]
    [[ "$output" == *"--format must be table, csv, json, jsonl, html or md, got 'pdf'"* ]]
    # a query that now fails: refresh says which item, exits 1, keeps the snapshot
    pd sql "alter table orders rename column status to state" >/dev/null
    run pd board refresh sales
    [ "$status" -eq 1 ]
    [[ "$output" == *"warning: item $item kept its old snapshot"*"status"* ]]
    run pd board show sales
    [[ "$output" == *"By status"*"4 rows"* ]]
    run pd board remove sales "$item"
    [ "$status" -eq 0 ]
    run pd board delete sales
    [ "$status" -eq 0 ]
    run pd board show sales
    [ "$status" -eq 1 ]
    [[ "$output" == *"no board 'sales' in project default"* ]]
}

@test "board: bad input is refused with what to do" {
    run pd board add nope --sql "select 1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no board 'nope'"* ]]
    pd board create b >/dev/null
    run pd board create b
    [ "$status" -eq 1 ]
    [[ "$output" == *"has a board named b already"* ]]
    run pd board create "bad name"
    [ "$status" -eq 1 ]
    [[ "$output" == *"invalid board name"* ]]
    run pd board add b --sql "drop table orders"
    [ "$status" -eq 1 ]
    [[ "$output" == *"only a read-only statement"* ]]
    run pd board add b --sql "select 1" --position 1,2
    [ "$status" -eq 2 ]
    [[ "$output" == *"--position must be X,Y,W,H"* ]]
    run pd board frobnicate b
    [ "$status" -eq 2 ]
    run pd board list --project nope
    [ "$status" -eq 1 ]
    [ "$(pd sql --format csv 'select count(*) from orders' | tail -1)" = 3000 ]
}
