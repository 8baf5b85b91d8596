#!/usr/bin/env python3
"""Every DuckDB type through every download format, read back by other readers.

Usage: values_check.py BASE_URL WORKDIR ARROW_DUMP_MJS

The table is DuckDB's test_all_types(): each type with its minimum, its maximum
and NULL. One query job selects it; its result is downloaded as JSON, JSONL,
CSV, Parquet and Arrow and each value is compared with what DuckDB itself says
it is:
  - JSON/JSONL (Python's json, numbers kept exact) against DuckDB's to_json;
  - CSV (Python's csv) against DuckDB's text of each value (CAST AS VARCHAR);
  - Parquet read back by DuckDB, against the original's text, with the
    conversions the README documents (TIMETZ in UTC, INTERVAL as text, ENUM
    as VARCHAR, UNION as a struct); HUGEINT and UHUGEINT extremes are refused;
  - Arrow read by apache-arrow (arrow_dump.mjs gives the stored values) against
    DuckDB's epoch values, digits and text; UHUGEINT, BIGNUM and TIMETZ are
    refused with a message.
Prints what differs and exits 1, or prints one line per format.
"""
import csv
import io
import json
import math
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation

BASE, WORK, DUMP = sys.argv[1], sys.argv[2], sys.argv[3]
problems = []


def post(path, body):
    req = urllib.request.Request(BASE + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read(), parse_float=Decimal)


def query(sql):
    job = post("/query?wait=120", {"sql": sql, "limit": 1000})
    if job["status"] != "completed":
        raise SystemExit(f"query failed: {sql}\n{job.get('error')}")
    return job


def download(job, fmt):
    try:
        with urllib.request.urlopen(f"{BASE}/query/{job['job_id']}/result?format={fmt}") as r:
            return 200, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def rows_of(sql):
    """The rows of sql as lists, numbers exact."""
    return query(sql)["result"]["rows"]


query("create or replace table all_types as select * from test_all_types()")
COLS = [r[0] for r in rows_of("select column_name from (describe all_types)")]
TYPES = dict(rows_of("select column_name, column_type from (describe all_types)"))


def q(c):
    return '"' + c.replace('"', '""') + '"'


def same(a, b):
    """Equal as values: numbers by their exact digits, NaN/Infinity in either spelling."""
    special = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}
    if isinstance(a, str) and a in special and isinstance(b, (float, Decimal)):
        a = float(special[a])
    if isinstance(b, str) and b in special and isinstance(a, (float, Decimal)):
        b = float(special[b])
    if isinstance(a, (int, float, Decimal)) and not isinstance(a, bool) and \
            isinstance(b, (int, float, Decimal)) and not isinstance(b, bool):
        if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
            return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
        return Decimal(str(a)) == Decimal(str(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def note(fmt, col, row, got, want):
    problems.append(f"{fmt} {col} row {row}: got {got!r}, want {want!r}")


job = query("select * from all_types")
n_rows = len(job["result"]["rows"])

# ---- JSON and JSONL, against DuckDB's own JSON of each value ----------------
ref = rows_of("select " + ", ".join(f"to_json({q(c)})::varchar" for c in COLS) + " from all_types")
ref = [[None if v is None else json.loads(v, parse_float=Decimal) for v in r] for r in ref]
status, body = download(job, "json")
as_json = json.loads(body, parse_float=Decimal)
status_l, body_l = download(job, "jsonl")
as_jsonl = [json.loads(line, parse_float=Decimal) for line in body_l.decode().splitlines()]
for fmt, rows in (("json", as_json), ("jsonl", as_jsonl)):
    assert len(rows) == n_rows, (fmt, len(rows))
    for i, row in enumerate(rows):
        for j, c in enumerate(COLS):
            got, want = row[c], ref[i][j]
            if TYPES[c] == "FLOAT" and got is not None:  # the same float32, however spelled
                got, want = struct.pack("<f", float(got)), struct.pack("<f", float(want))
            if TYPES[c] == "BIGNUM" and want is not None:
                want = Decimal(str(want))
            if not same(got, want):
                note(fmt, c, i, got, want)
print(f"json, jsonl: {n_rows} rows x {len(COLS)} columns compared")

# ---- CSV, against DuckDB's text of each value --------------------------------
def text_of(c):
    # DuckDB's own text of a TIMESTAMPTZ goes through ICU, a millisecond off at the
    # extremes (294247-01-10 04:00:54.776806+00 for ...775806); the stored value's
    # text is what the CSV must hold
    if TYPES[c] == "TIMESTAMP WITH TIME ZONE":
        return f"make_timestamp(epoch_us({q(c)}))::varchar || '+00'"
    return f"{q(c)}::varchar"


text = rows_of("select " + ", ".join(text_of(c) for c in COLS) + " from all_types")
status, body = download(job, "csv")
reader = list(csv.reader(io.StringIO(body.decode(), newline="")))
assert reader[0] == COLS, reader[0]
for i, row in enumerate(reader[1:]):
    for j, c in enumerate(COLS):
        want = "" if text[i][j] is None else text[i][j]
        if row[j] != want:
            note("csv", c, i, row[j], want)
print(f"csv: {len(reader) - 1} rows compared")

# ---- Parquet: refused for 39-digit integers, else read back by DuckDB ---------
status, body = download(job, "parquet")
if status == 200 or b"more than 38 digits" not in body:
    problems.append(f"parquet with HUGEINT extremes: want a refusal, got {status} {body[:200]!r}")
keep = [c for c in COLS if TYPES[c] not in ("HUGEINT", "UHUGEINT")]
pjob = query("select " + ", ".join(q(c) for c in keep) + " from all_types")
status, body = download(pjob, "parquet")
if status != 200:
    raise SystemExit(f"parquet download: {status} {body[:300]!r}")
path = f"{WORK}/all_types.parquet"
with open(path, "wb") as f:
    f.write(body)


def parquet_want(c):
    t = TYPES[c]
    if t == "TIME WITH TIME ZONE":  # the same instant, in UTC
        return f"(CAST((DATE '1970-01-01' + {q(c)}) AT TIME ZONE 'UTC' AS TIME)::varchar || '+00')"
    if t.startswith("UNION"):  # a struct of the tag and each member
        return f"CAST(union_tag({q(c)}) AS VARCHAR)"
    return f"{q(c)}::varchar"


def parquet_got(c):
    if TYPES[c].startswith("UNION"):
        return f"CAST(struct_extract({q(c)}, 1) AS VARCHAR)"
    return f"{q(c)}::varchar"


want = rows_of("select " + ", ".join(parquet_want(c) for c in keep) + " from all_types")
got = rows_of("select " + ", ".join(parquet_got(c) for c in keep) +
              f" from read_parquet('{path}')")
for i in range(n_rows):
    for j, c in enumerate(keep):
        w = want[i][j]
        if TYPES[c].startswith("UNION") and w is not None:  # the tag's number
            w = str(["name", "age"].index(w))
        if got[i][j] != w:
            note("parquet", c, i, got[i][j], w)
print(f"parquet: {n_rows} rows x {len(keep)} columns compared; HUGEINT extremes refused")

# ---- Arrow, read by apache-arrow ------------------------------------------------
for c in ("uhugeint", "bignum", "time_tz"):
    status, body = download(query(f"select {q(c)} from all_types"), "arrow")
    if status == 200 or b"cast it to" not in body:
        problems.append(f"arrow {c}: want a refusal naming a cast, got {status} {body[:200]!r}")
refused = {"UHUGEINT", "BIGNUM", "TIME WITH TIME ZONE"}
akeep = [c for c in COLS if TYPES[c] not in refused]
ajob = query("select " + ", ".join(q(c) for c in akeep) + " from all_types")
status, body = download(ajob, "arrow")
if status != 200:
    raise SystemExit(f"arrow download: {status} {body[:300]!r}")
with open(f"{WORK}/all_types.arrows", "wb") as f:
    f.write(body)
dump = json.loads(subprocess.run(["node", DUMP, f"{WORK}/all_types.arrows"], check=True,
                                 capture_output=True, text=True).stdout, parse_float=Decimal)
assert [f["name"] for f in dump["fields"]] == akeep


def inf_guard(x, fn, pos, neg):
    return f"CASE WHEN isinf({x}) THEN (CASE WHEN {x} > '1970-01-01' THEN {pos} ELSE {neg} END) ELSE {fn} END"


DAYS = "datediff('day', DATE '1970-01-01', {x})"
EPOCH = {"DATE": DAYS, "TIME": "epoch_us({x})", "TIMESTAMP": "epoch_us({x})",
         "TIMESTAMP_S": "epoch({x})::bigint", "TIMESTAMP_MS": "epoch_ms({x})",
         "TIMESTAMP_NS": "epoch_ns({x})", "TIMESTAMP WITH TIME ZONE": "epoch_us({x})"}


def arrow_want(c):
    """DuckDB's stored value of c as Arrow holds it (as text, exact)."""
    t = TYPES[c]
    if t in EPOCH:
        return f"({EPOCH[t].format(x=q(c))})::varchar"
    if t == "INTERVAL":
        x = q(c)
        return (f"CASE WHEN {x} IS NOT NULL THEN [datepart('year', {x}) * 12 + datepart('month', {x}), datepart('day', {x}), "
                f"(datepart('hour', {x})::hugeint * 3600000000 + datepart('minute', {x}) * 60000000 "
                f"+ datepart('microseconds', {x})) * 1000]::varchar END")
    if t == "BLOB":
        return f"lower(hex({q(c)}))"
    if t in ("DATE[]", "TIMESTAMP[]", "TIMESTAMP WITH TIME ZONE[]"):
        big = "2147483647" if t == "DATE[]" else "9223372036854775807"
        fn = (DAYS if t == "DATE[]" else "epoch_us({x})").format(x="e")
        return f"list_transform({q(c)}, e -> {inf_guard('e', fn, big, '-' + big)})::varchar"
    return None  # compared with the JSON download, which is checked above


want = rows_of("select " + ", ".join(arrow_want(c) or "NULL" for c in akeep) + " from all_types")
for i, row in enumerate(dump["rows"]):
    for j, c in enumerate(akeep):
        got, t = row[j], TYPES[c]
        if arrow_want(c) is not None:
            if t == "INTERVAL" and got is not None:
                got = "[" + ", ".join(str(v) for v in got) + "]"
            if t.endswith("[]") and got is not None:
                got = "[" + ", ".join("NULL" if v is None else str(v) for v in got) + "]"
            if got != want[i][j]:
                note("arrow", c, i, got, want[i][j])
            continue
        w = as_json[i][c]
        if t == "FLOAT" and got is not None and w is not None:  # a float32 either way
            got, w = struct.pack("<f", float(got)), struct.pack("<f", float(w))
        if t.startswith("UNION") and isinstance(w, dict):
            w = next(iter(w.values()))
        if t.startswith("MAP") and got is not None:
            got = {k: v for k, v in got}
        if isinstance(got, str) and isinstance(w, (int, Decimal)) and not isinstance(w, bool):
            got = Decimal(got)  # arrow_dump gives wide integers and decimals as digits
        if not same(got, w):
            note("arrow", c, i, got, w)
print(f"arrow: {len(dump['rows'])} rows x {len(akeep)} columns compared; "
      f"{', '.join(sorted(refused))} refused")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print("ok: every value exact, or converted as documented")
