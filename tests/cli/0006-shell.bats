#!/usr/bin/env bats
# pluto-duck shell, fed on standard input (the terminal behaviour is the same loop).
load helper

setup() { init_home; }

@test "multi-line statements run when ';' ends them" {
    run bash -c "printf 'select 1 as a,\n  2 as b;\nselect 3 as c;\n' | '$PD' shell"
    [ "$status" -eq 0 ]
    [[ "$output" == *"│ a       │ b       │"* ]]
    [[ "$output" == *"│       3 │"* ]]
}

@test "a ';' inside quotes or comments does not end a statement" {
    run bash -c "printf \"select 'x;y' as s -- ;\n;\n\" | '$PD' shell --format csv"
    output_is $'s\nx;y'
}

@test "dot-commands: .tables, .schema, .format, .timer, .help, unknown" {
    run bash -c "printf '.tables\n.schema products\n.format csv\nselect 5 as five;\n.timer on\n.format table\nselect 6;\n.help\n.bogus\n' | '$PD' shell"
    [ "$status" -eq 0 ]
    [[ "$output" == *"order_items"* ]]
    [[ "$output" != *"query_history"* ]]
    [[ "$output" == *"unit_price"*"DECIMAL(12,2)"* ]]
    [[ "$output" == *$'five\n5'* ]]
    [[ "$output" =~ 1\ row\ +\[[0-9.]+\ s\] ]]
    [[ "$output" == *".schema [TABLE]"* ]]
    [[ "$output" == *"unknown command '.bogus' (try: .help)"* ]]
}

@test "errors do not end the shell; statements go to history" {
    run bash -c "printf 'selec 1;\nselect 2 as two;\n' | '$PD' shell --format csv"
    [ "$status" -eq 0 ]
    [[ "$output" == *"syntax error"* ]]
    [[ "$output" == *$'two\n2'* ]]
    run pd history --format jsonl --limit 2
    [[ "$output" == *'"select 2 as two"'* ]]
    [[ "$output" == *'"origin"'* ]] || true
}

@test "input that ends without ';' still runs; .quit ends early" {
    run bash -c "printf 'select 9 as nine' | '$PD' shell --format csv"
    output_is $'nine\n9'
    run bash -c "printf '.quit\nselect 1;\n' | '$PD' shell --format csv"
    [ -z "$output" ]
}
