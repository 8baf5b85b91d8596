#!/usr/bin/env bats
# Every value arrives exactly: integers of any width and decimals through the
# API, a job and a board; an empty string apart from NULL in CSV; a UNION's
# member in JSON; board exports that print what the snapshot holds.

load server

setup() {
    init_home
}

teardown() {
    stop_server
}

WIDE="select 18446744073709551615::ubigint as u, 170141183460469231731687303715884105727::hugeint as h, (-170141183460469231731687303715884105727::hugeint - 1) as hmin, 340282366920938463463374607431768211455::uhugeint as uh, 12345678901234567890123456789012345678::decimal(38,0) as d38, 1234567890123456789012345678.0123456789::decimal(38,10) as d38s, 123456789012345.12345::numeric(20,5) as n20, 9007199254740993::bigint as b"
WANT='[18446744073709551615, 170141183460469231731687303715884105727, -170141183460469231731687303715884105728, 340282366920938463463374607431768211455, 12345678901234567890123456789012345678, "1234567890123456789012345678.0123456789", "123456789012345.12345", 9007199254740993]'

# exact_rows: the rows of $body's result (at path), integers as Python ints and
# other numbers as their digits, so nothing is rounded on the way.
exact_rows() {
    python3 -c '
import json, sys
d = json.loads(sys.argv[1], parse_float=lambda s: s)
for k in sys.argv[2].split("."):
    d = d[int(k)] if k.isdigit() else d[k]
print(json.dumps(d[0]))' "$body" "$1"
}

@test "integers of any width and wide decimals: a query job, its preview and result keep every digit" {
    start_server
    post '/query?wait=10' "{\"sql\":\"$WIDE\"}"
    [ "$status_code" = 200 ]
    [ "$(json_get 'd["status"]')" = completed ] || { echo "$body"; false; }
    [ "$(exact_rows result.rows)" = "$WANT" ]
    id=$(json_get 'd["job_id"]')
    api GET "/query/$id"
    [ "$(exact_rows result.rows)" = "$WANT" ]
    api GET "/query/$id/result?format=json"
    [ "$status_code" = 200 ]
    python3 -c '
import json, sys
row = json.loads(sys.argv[1], parse_float=lambda s: s)[0]
assert row["u"] == 2**64 - 1 and row["hmin"] == -2**127 and row["uh"] == 2**128 - 1, row
assert row["d38s"] == "1234567890123456789012345678.0123456789", row' "$body"
    run pd history --limit 1 --format csv
    [[ "$output" == *",ok,"* ]]
    # the CLI through the server, and the agent's result document
    run pd sql --format json "select 18446744073709551615::ubigint as u"
    [[ "$output" == *'"u":18446744073709551615'* ]]
}

@test "CSV: an empty string is not NULL, as DuckDB's own COPY writes it; JSON: a UNION says its member" {
    start_server
    post '/query?wait=10' "{\"sql\":\"select * from (values (1, '', 'x'), (2, null, 'y')) t(id, s, z)\"}"
    id=$(json_get 'd["job_id"]')
    api GET "/query/$id/result?format=csv"
    printf '%s\n' "$body" > ours.csv
    # byte for byte what DuckDB's COPY writes
    pd sql "copy (select * from (values (1, '', 'x'), (2, null, 'y')) t(id, s, z)) to '$PWD/theirs.csv'" >/dev/null
    cmp ours.csv theirs.csv
    grep -q '^1,"",x$' ours.csv
    # and DuckDB reads it back as it was, '' and NULL apart (quoted empty is a string)
    run pd sql --format csv "select id, s is null as is_null, s = '' as is_empty from read_csv('$PWD/ours.csv', allow_quoted_nulls = false) order by id"
    output_is "$(printf 'id,is_null,is_empty\n1,false,true\n2,true,')"
    run pd sql --format json "select union_value(k := 1)::union(k int, s varchar) as u, 'nan'::double as n, '-inf'::double as i"
    [[ "$output" == *'"u":{"k":1}'* ]]
    [[ "$output" == *'"n":"NaN"'* ]]
    [[ "$output" == *'"i":"-Infinity"'* ]]
}

@test "boards: exports print numbers as the snapshot holds them; --text breaks lines; lines are drawn in x order" {
    pd board create b >/dev/null
    pd board add b --type metric --label M --sql "select 123456789012345.12345::numeric(20,5) as v" >/dev/null
    pd board add b --title T --sql "select 123456789012345.12345::numeric(20,5) as v, (-170141183460469231731687303715884105727::hugeint - 1) as h" >/dev/null
    pd board add b --text 'first line\nsecond line' >/dev/null
    pd board add b --title L --kind line --x d --y v --sql "select * from (values (3, 30), (1, 10), (2, 20)) t(d, v)" >/dev/null
    run pd board export b --format md
    [[ "$output" == *'**M:** 123456789012345.12345'* ]]
    [[ "$output" == *'| 123456789012345.12345 | -170141183460469231731687303715884105728 |'* ]]
    [[ "$output" == *$'first line\nsecond line'* ]]
    pd board export b -o b.html
    grep -q '123456789012345.12345' b.html
    grep -q -- '-170141183460469231731687303715884105728' b.html
    # the line's points go left to right
    python3 - b.html <<'PY'
import re, sys
html = open(sys.argv[1]).read()
pts = re.findall(r'<polyline points="([^"]+)"', html)
assert pts, "no line"
xs = [float(p.split(",")[0]) for p in pts[0].split()]
assert xs == sorted(xs), xs
PY
    # the API gives the snapshot's digits too
    start_server
    api GET /boards/b
    python3 -c '
import json, sys
d = json.loads(sys.argv[1], parse_float=lambda s: s)
snaps = [i["snapshot"]["rows"][0] for i in d["items"] if i["type"] == "table"]
assert snaps == [["123456789012345.12345", -2**127]], snaps' "$body"
}

@test "a download whose writer fails: before any byte an error envelope, never 200; mid-stream a broken transfer, never a short body that looks whole" {
    start_server
    python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("a,b\n")
    for i in range(300000):
        f.write("%d,x%d\n" % (i, i))' "$PWD/data.csv"
    post '/query?wait=30' "{\"sql\":\"select * from read_csv('$PWD/data.csv')\"}"
    [ "$(json_get 'd["status"]')" = completed ]
    id=$(json_get 'd["job_id"]')
    for f in csv json jsonl arrow parquet; do
        run curl -s -o "ok.$f" -w '%{http_code}' "$BASE/query/$id/result?format=$f"
        [ "$status" -eq 0 ] && [ "$output" = 200 ] || { echo "$f: $status $output"; false; }
    done
    # the file goes bad after DuckDB's sniffer has read its start: the failure comes mid-stream
    python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("a,b\n")
    for i in range(300000):
        f.write("%s,x%d\n" % (i if i < 250000 else "oops", i))' "$PWD/data.csv"
    for f in csv json jsonl arrow; do
        run curl -s -o "cut.$f" -w '%{http_code}' "$BASE/query/$id/result?format=$f"
        # curl 18: the transfer ended before its last chunk
        [ "$status" -eq 18 ] || { echo "$f: curl exit $status, HTTP $output"; false; }
    done
    # parquet is written whole before it is sent: the error comes as the envelope
    run curl -s -w '\n%{http_code}' "$BASE/query/$id/result?format=parquet"
    [ "${lines[-1]}" = 400 ]
    [[ "$output" == *'"code":"sql_error"'* ]]
    [[ "$output" == *'oops'* ]]
    # and the query says why its last download failed
    run curl -s "$BASE/query/$id"
    [[ "$output" == *'"download_error":{'*'"code":"sql_error"'*'oops'* ]]
    rm data.csv
    for f in csv json arrow parquet; do
        run curl -s -w '\n%{http_code}' "$BASE/query/$id/result?format=$f"
        [ "${lines[-1]}" = 400 ] || { echo "$f: $output"; false; }
        [[ "$output" == *'"error":{"code":"sql_error"'* ]]
    done
    api GET /health
    [ "$status_code" = 200 ]
}

@test "every DuckDB type (test_all_types: extremes and NULLs) through every format, read back by DuckDB, apache-arrow and Python: exact or as documented" {
    start_server
    run python3 "$PD_BUILD/../tests/http/values_check.py" "$BASE" "$PWD" "$PD_BUILD/../tests/http/arrow_dump.mjs"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"ok: every value exact, or converted as documented"* ]]
    # the CLI writes the same: its JSON is the API's, its -o parquet reads back the same
    pd sql "select * exclude (hugeint, uhugeint) from all_types" --format json > cli.json
    pd sql "select * exclude (hugeint, uhugeint) from all_types" -o cli.parquet
    post '/query?wait=30' '{"sql":"select * exclude (hugeint, uhugeint) from all_types"}'
    id=$(json_get 'd["job_id"]')
    curl -s -o api.json "$BASE/query/$id/result?format=json"
    curl -s -o api.parquet "$BASE/query/$id/result?format=parquet"
    python3 -c '
import json, sys
from decimal import Decimal
a, b = (json.load(open(f), parse_float=Decimal) for f in sys.argv[1:])
assert a == b, "the CLI and the API differ"' cli.json api.json
    run pd sql "select count(*) from (select * from read_parquet('$PWD/cli.parquet') except all select * from read_parquet('$PWD/api.parquet'))" --format csv
    [ "${lines[1]}" = 0 ]
    run pd sql "select count(*) from read_parquet('$PWD/cli.parquet')" --format csv
    [ "${lines[1]}" = 3 ]
}

@test "nested text and floats are DuckDB's own: quotes where DuckDB puts them, 42.0 for a whole double; a TIMETZ keeps its offset's seconds" {
    run pd sql "select ['a b', '', 'null', 'it''s', 'a,b', 'c:d', 'x\\']::varchar[] as l, [1, 42.5]::double[] as d, 42::double as w, '00:00:00+15:59:59'::timetz as t" --format csv
    [ "$status" -eq 0 ]
    output_is 'l,d,w,t
"[a b, '"''"', '"'null'"', '"'it\\'s'"', '"'a,b'"', '"'c:d'"', x\]","[1.0, 42.5]",42.0,00:00:00+15:59:59'
}
