#!/usr/bin/env python3
"""Holds the server to its OpenAPI document.

Usage: contract_check.py BASE_URL WORKDIR JAFFLE_DIR [--dump]

It checks the document with openapi-spec-validator, then calls every
operation the document lists (a scripted session: a SQLite source, a cache,
a query job, an analysis, a board with an item, a dbt project, an agent run
with the offline agent, a conversation, settings) and checks each answer:
its status is documented for that operation, and its JSON body fits the
documented schema (jsonschema, draft 2020-12, with the document's
components). It fails when an operation was never called, so a route added
without a call here is noticed. --dump prints every answer instead.
"""
import json
import os
import sqlite3
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contract import Contract  # noqa: E402

BASE, WORK, JAFFLE = sys.argv[1], sys.argv[2], sys.argv[3]
DUMP = "--dump" in sys.argv
SPEC = json.loads(urllib.request.urlopen(BASE + "/openapi.json").read())

CONTRACT = Contract(SPEC)
called = CONTRACT.called
problems = CONTRACT.problems
check = CONTRACT.check


def call(method, path, body=None, expect=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if method != "GET":
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, ctype, raw = r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        status, ctype, raw = e.code, e.headers.get("Content-Type", ""), e.read()
    if DUMP:
        print(f"== {method} {path} -> {status} {ctype}\n{raw[:1500].decode(errors='replace')}")
    check(method, path, status, ctype, raw)
    if expect is not None and status != expect:
        problems.append(f"{method} {path}: expected {expect}, got {status}: {raw[:300]!r}")
    try:
        return json.loads(raw)
    except ValueError:
        return None


# ---- the session -----------------------------------------------------------

db = sqlite3.connect(f"{WORK}/shop.db")
db.executescript("create table items(id integer primary key, name text, price real);"
                 "insert into items values (1, 'duck', 2.5), (2, 'pond', 10);")
db.commit()
db.close()

call("GET", "/health", expect=200)
call("GET", "/actions", expect=200)
call("POST", "/cli", {"argv": ["version"]}, expect=202)
call("POST", "/cli?wait=30", {"argv": ["version"], "width": 80}, expect=200)

# a query job, its events, result and cancellation
q = call("POST", "/query", {"sql": "select 42 as answer, 'duck' as name"}, expect=202)
call("POST", "/query?wait=30", {"sql": "select 1 as one", "limit": 10}, expect=200)
call("POST", "/query?wait=30", {"sql": "select * from nowhere"}, expect=200)
call("POST", "/query", {"sql": "select 1", "nonsense": 1}, expect=422)
call("GET", f"/jobs/{q['job_id']}/events", expect=200)  # the stream ends with the job
call("GET", f"/query/{q['job_id']}", expect=200)
call("GET", f"/query/{q['job_id']}/events", expect=200)
call("GET", f"/query/{q['job_id']}/result", expect=200)
call("GET", f"/query/{q['job_id']}/result?format=csv", expect=200)
call("GET", f"/query/{q['job_id']}/result?format=bogus", expect=400)
call("DELETE", f"/query/{q['job_id']}", expect=409)
call("GET", "/query/history?limit=5", expect=200)
call("GET", "/query/nope", expect=404)
call("GET", "/jobs", expect=200)
call("GET", f"/jobs/{q['job_id']}", expect=200)
call("GET", f"/jobs/{q['job_id']}/events", expect=200)
call("DELETE", f"/jobs/{q['job_id']}", expect=409)
slow = call("POST", "/query", {"sql": "select count(*) from range(3000000000)"}, expect=202)
call("DELETE", f"/query/{slow['job_id']}", expect=202)

# a source, its tables, a cached copy
src = {"type": "sqlite", "config": {"path": f"{WORK}/shop.db"}}
call("POST", "/source/test", src, expect=200)
call("POST", "/source/test", {"type": "sqlite", "config": {"path": f"{WORK}/none.db"}}, expect=200)
call("POST", "/source", dict(src, name="shop", description="the shop"), expect=201)
call("POST", "/source", dict(src, name="shop"), expect=409)
call("GET", "/source", expect=200)
call("GET", "/source/shop", expect=200)
call("GET", "/source/shop/tables", expect=200)
call("POST", "/source/shop/refresh", expect=200)
call("POST", "/source/cache?wait=30", {"source": "shop", "table": "items"}, expect=200)
call("GET", "/source/cache", expect=200)
call("POST", "/source/cache/shop_items/refresh?wait=30", expect=200)
call("DELETE", "/source/cache/shop_items", expect=200)
with open(f"{WORK}/data.csv", "w") as f:
    f.write("id,name\n1,duck\n2,goose\n")
call("POST", "/ingest?wait=30", {"recipe": {"source": {"type": "file", "path": f"{WORK}/data.csv"},
     "table": "data", "target": "loaded", "mode": "replace"}}, expect=200)
call("DELETE", "/source/shop", expect=200)
call("GET", "/source/shop", expect=404)

# a project with an analysis
call("GET", "/projects", expect=200)
call("POST", "/projects", {"id": "sales", "description": "sales work"}, expect=201)
call("GET", "/projects/sales", expect=200)
call("POST", "/asset/analysis", {"id": "big_orders", "sql": "select 1 as id, 10 as amount",
                                 "materialize": "table", "tags": ["t"]}, expect=201)
call("POST", "/asset/analysis", {"id": "bad", "sql": "select"}, expect=400)
call("GET", "/asset/analyses", expect=200)
call("GET", "/asset/analysis/big_orders", expect=200)
call("PATCH", "/asset/analysis/big_orders", {"description": "orders over 10"}, expect=200)
call("POST", "/asset/analysis/big_orders/compile", {}, expect=200)
call("POST", "/asset/analysis/big_orders/execute?wait=30", {}, expect=200)
call("GET", "/asset/analysis/big_orders/data", expect=200)
call("GET", "/asset/analysis/big_orders/freshness", expect=200)
call("GET", "/asset/analysis/big_orders/lineage", expect=200)
call("GET", "/asset/analysis/big_orders/lineage?format=dot", expect=200)
call("GET", "/asset/lineage-graph", expect=200)
call("GET", "/asset/analysis/big_orders/history", expect=200)
call("GET", "/asset/analysis/nope", expect=404)
call("POST", "/asset/analysis", {"id": "scratch", "sql": "select 2 as two"}, expect=201)
call("DELETE", "/asset/analysis/scratch", expect=200)

# a board with an item
b = call("POST", "/boards", {"name": "Weekly", "description": "the week"}, expect=201)
call("GET", "/boards", expect=200)
call("GET", f"/boards/{b['id']}", expect=200)
call("PATCH", f"/boards/{b['id']}", {"description": "this week"}, expect=200)
it = call("POST", f"/boards/{b['id']}/items", {"type": "table", "title": "One",
          "payload": {"sql": "select 1 as n"}}, expect=201)
call("PATCH", f"/boards/{b['id']}/items/{it['id']}", {"title": "Uno"}, expect=200)
call("POST", f"/boards/{b['id']}/refresh", {}, expect=200)
call("GET", f"/boards/{b['id']}/export", expect=200)
call("GET", f"/boards/{b['id']}/export?format=md", expect=200)
call("DELETE", f"/boards/{b['id']}/items/{it['id']}", expect=200)
call("DELETE", f"/boards/{b['id']}", expect=200)

# dbt
call("POST", "/dbt/seed?wait=60", {"project_dir": JAFFLE}, expect=200)
call("POST", "/dbt/run?wait=60", {"project_dir": JAFFLE}, expect=200)
call("POST", "/dbt/test?wait=60", {"project_dir": JAFFLE}, expect=200)
call("POST", "/dbt/build?wait=60", {"project_dir": JAFFLE, "select": "+orders"}, expect=200)
call("POST", "/dbt/run", {"project_dir": "relative"}, expect=422)

# the agent, a conversation, settings, skills
run = call("POST", "/agent/run?wait=60", {"question": "how many items are there?"}, expect=200)
call("GET", f"/agent/{run['run_id']}", expect=200)
call("GET", f"/agent/{run['run_id']}/events", expect=200)
call("GET", f"/agent/{run['run_id']}/approvals", expect=200)
call("POST", f"/agent/{run['run_id']}/approvals/nope/decision", {"decision": "approve"}, expect=404)
c = call("POST", "/chat/sessions", {"title": "about items"}, expect=201)
call("GET", "/chat/sessions", expect=200)
call("GET", f"/chat/sessions/{c['id']}", expect=200)
call("POST", f"/chat/sessions/{c['id']}/messages?wait=60", {"content": "how many items?"}, expect=200)
call("GET", f"/chat/sessions/{c['id']}/messages", expect=200)
call("DELETE", f"/chat/sessions/{c['id']}", expect=200)
call("GET", "/skills", expect=200)
call("GET", "/settings", expect=200)
call("GET", "/cloud/status", expect=200)  # signed out: the outbox and the runner only
call("POST", "/cloud/login", {"url": "ftp://cloud.example.com"}, expect=422)
call("POST", "/cloud/login", {"url": "http://127.0.0.1:9"}, expect=503)  # nothing listens there
call("POST", "/cloud/login/poll", {}, expect=409)  # no sign-in waiting
call("GET", "/cloud/workspaces", expect=404)  # nobody signed in
call("PUT", "/cloud/workspace", {"workspace": "Data team"}, expect=404)
call("POST", "/cloud/logout", {}, expect=200)
call("POST", "/cloud/reload", {}, expect=200)  # signed out: nothing runs
call("PUT", "/settings", {"send_rows": "none"}, expect=200)
call("PUT", "/settings", {"colour": "red"}, expect=422)

call("DELETE", "/projects/sales?confirm=sales", expect=200)
call("GET", "/openapi.json", expect=200)

for method, template in CONTRACT.never_called():
    problems.append(f"never called: {method} {template}")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"ok: {len(called)} operations called, every answer fits the document")
