#!/usr/bin/env python3
"""schedule_check.py - Pluto Cloud's schedules as agents meet them, end to end.

Starts `pluto-cloud serve --dev` and a second server on the same database
(both sweeping every half second), then: cron and time-zone errors, the next
10 occurrences against zoneinfo, polling with ETag and If-Modified-Since (304),
run-now occurrences, agents racing to claim one occurrence (exactly one wins),
acks for another agent's occurrence or schedule, grace periods and each
catch-up policy, pause and resume, and a real cron minute recorded once
though two servers sweep it.

usage: schedule_check.py PLUTO_CLOUD_BINARY WORK_DIR
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudlib import FAILS, check, uuid7  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
DATA = os.path.join(WORK, "cloud")


def call(method, path, body=None, token=None, headers=None, base=None):
    h = {"Content-Type": "application/json"} if method != "GET" else {}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    data = None if method == "GET" else json.dumps(body or {}).encode()
    req = urllib.request.Request((base or URL) + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text, status, hdrs = r.read().decode(), r.status, r.headers
    except urllib.error.HTTPError as e:
        text, status, hdrs = e.read().decode(), e.code, e.headers
    try:
        return status, json.loads(text) if text else None, hdrs
    except ValueError:
        return status, text, hdrs


def start(args, err_name):
    p = subprocess.Popen([BIN, "serve", "--port", "0", "--sweep-interval", "0.5"] + args,
                         stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, err_name), "w"),
                         text=True)
    line = p.stdout.readline()
    m = re.search(r"serving (http://127\.0\.0\.1:\d+)", line)
    if not m:
        print("pluto-cloud did not start:", line, open(os.path.join(WORK, err_name)).read())
        sys.exit(1)
    return p, m.group(1) + "/api/v1"


os.makedirs(WORK, exist_ok=True)
os.chmod(WORK, 0o711)
server, URL = start(["--dev", "--data", DATA], "serve.err")
dsn = "host=%s port=5432 user=pluto dbname=pluto_cloud" % os.path.join(DATA, "postgres")
second, URL2 = start(["--dsn", dsn, "--data", os.path.join(WORK, "second")], "second.err")

try:
    subprocess.run([BIN, "user", "add", "ann@example.com", "--password-stdin", "--data", DATA],
                   input="ann-password\n", capture_output=True, text=True, check=True)
    A = call("POST", "/auth/login", {"email": "ann@example.com", "password": "ann-password"})[1]["access_token"]
    W = call("POST", "/workspaces", {"name": "ops"}, A)[1]["id"]
    X = call("POST", "/workspaces", {"name": "other"}, A)[1]["id"]
    S = "/workspaces/%s/schedules" % W
    P = call("POST", "/workspaces/%s/pipelines" % W,
             {"name": "daily", "files": {"analyses/a.yaml": "name: a\n"}}, A)[1]["id"]
    PX = call("POST", "/workspaces/%s/pipelines" % X,
              {"name": "x", "files": {"analyses/a.yaml": "name: a\n"}}, A)[1]["id"]
    agents = [call("POST", "/workspaces/%s/agent-tokens" % W, {"name": "m%d" % i}, A)[1] for i in range(3)]
    T1, T2, T3 = (a["token"] for a in agents)

    # The cron minute, created first: the real clock has to reach it.
    s, minute, _ = call("POST", S, {"pipeline_id": P, "cron": "* * * * *", "timezone": "UTC",
                                     "name": "every minute"}, A)
    check(s == 201, "an every-minute schedule: %s %s" % (s, minute))
    made_at = time.time()

    # ---- validation and preview ------------------------------------------------
    for body, want in [({"cron": "61 * * * *"}, "61 in the minute field is out of range (0-59)"),
                       ({"cron": "* * *"}, "5 fields"),
                       ({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, "unknown time zone"),
                       ({"cron": "0 9 * * *", "timezone": "../../etc/passwd"}, "not a time zone name"),
                       ({"cron": "0 0 31 2 *"}, "never runs")]:
        s, d, _ = call("POST", S, dict(body, pipeline_id=P), A)
        check(s == 422 and want in d["error"]["message"], "%s: %s %s" % (body, s, d))
    s, d, _ = call("POST", S, {"pipeline_id": PX, "cron": "@daily"}, A)
    check(s == 422, "a schedule on another workspace's pipeline: %s" % s)
    s, wk, _ = call("POST", S, {"pipeline_id": P, "cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"}, A)
    check(s == 201 and len(wk["next"]) == 10, "weekday schedule: %s %s" % (s, wk))
    berlin = ZoneInfo("Europe/Berlin")
    for t in wk["next"]:
        local = datetime.fromisoformat(t.replace("Z", "+00:00")).astimezone(berlin)
        check(local.hour == 9 and local.minute == 0 and local.weekday() < 5,
              "preview %s is 09:00 on a weekday in Berlin (%s)" % (t, local))
    check(wk["next"] == sorted(wk["next"]) and len(set(wk["next"])) == 10, "preview ordered")

    # ---- polling: 200, then 304 while nothing changes ------------------------------
    s, d, h = call("GET", S + "/due", token=T1)
    check(s == 200 and h.get("ETag"), "first poll: %s" % s)
    etag, modified = h.get("ETag"), h.get("Last-Modified")
    s, d, h = call("GET", S + "/due", token=T1, headers={"If-None-Match": etag})
    check(s == 304 and d is None, "poll with the ETag: %s" % s)
    s, d, h = call("GET", S + "/due", token=T1, headers={"If-Modified-Since": modified})
    check(s == 304, "poll with If-Modified-Since: %s" % s)
    s, d, h = call("GET", S + "/due?agent_id=" + agents[1]["id"], token=T1)
    check(s == 403, "an agent polls as another: %s" % s)

    # ---- run now, and two agents racing for it ------------------------------------------
    s, any_s, _ = call("POST", S, {"pipeline_id": P, "cron": "0 0 1 1 *", "grace_s": 600}, A)
    wins = 0
    for round_ in range(10):
        s, occ, _ = call("POST", S + "/" + any_s["id"] + "/trigger", {}, A)
        check(s == 201 and occ["state"] == "due" and occ["manual"], "run now: %s %s" % (s, occ))
        s, d, h = call("GET", S + "/due", token=T1, headers={"If-None-Match": etag})
        check(s == 200 and occ["id"] in [o["id"] for o in d["occurrences"]], "the poll sees it: %s" % s)
        etag = h.get("ETag")
        results = {}

        def claim(tok, run):
            results[tok] = call("POST", S + "/" + any_s["id"] + "/ack",
                                {"occurrence_id": occ["id"], "status": "started", "run_id": run}, tok)[0]
        runs = {T1: uuid7(), T2: uuid7()}
        threads = [threading.Thread(target=claim, args=(tok, runs[tok])) for tok in (T1, T2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(sorted(results.values()) == [200, 409], "one claim wins: %s" % results)
        wins += list(results.values()).count(200)
        winner = T1 if results[T1] == 200 else T2
        loser = T2 if winner == T1 else T1
        s, d, _ = call("POST", S + "/" + any_s["id"] + "/ack",
                       {"occurrence_id": occ["id"], "status": "started", "run_id": runs[winner]}, winner)
        check(s == 200, "a retried claim: %s" % s)
        s, d, _ = call("POST", S + "/" + any_s["id"] + "/ack",
                       {"occurrence_id": occ["id"], "status": "finished"}, loser)
        check(s == 409 and "another agent" in d["error"]["message"], "finish another's: %s %s" % (s, d))
        s, d, _ = call("POST", S + "/" + any_s["id"] + "/ack",
                       {"occurrence_id": occ["id"], "status": "finished"}, winner, base=URL2)
        check(s == 200 and d["state"] == "finished", "finish (through the second server): %s" % s)
    check(wins == 10, "ten occurrences, ten winners: %d" % wins)
    s, d, _ = call("POST", S + "/" + any_s["id"] + "/ack",
                   {"occurrence_id": occ["id"], "status": "started", "run_id": uuid7()}, T3)
    check(s == 409, "claim a finished occurrence: %s" % s)
    s, d, _ = call("POST", "/workspaces/%s/schedules/%s/ack" % (X, any_s["id"]),
                   {"occurrence_id": occ["id"], "status": "skipped"}, A)
    check(s == 404, "ack through another workspace: %s" % s)

    # ---- a schedule bound to one agent ------------------------------------------------------
    s, bound, _ = call("POST", S, {"pipeline_id": P, "cron": "0 0 1 1 *", "agent_id": agents[2]["id"]}, A)
    s, occ, _ = call("POST", S + "/" + bound["id"] + "/trigger", {}, A)
    s, d, _ = call("GET", S + "/due", token=T1)
    check(occ["id"] not in [o["id"] for o in d["occurrences"]], "another agent's schedule is not offered")
    s, d, _ = call("GET", S + "/due", token=T3)
    check(occ["id"] in [o["id"] for o in d["occurrences"]], "its agent sees it")
    s, d, _ = call("POST", S + "/" + bound["id"] + "/ack",
                   {"occurrence_id": occ["id"], "status": "started", "run_id": uuid7()}, T1)
    check(s == 403 and "runs on agent" in d["error"]["message"], "ack another agent's schedule: %s" % s)

    # ---- grace periods and catch-up ------------------------------------------------------------
    policies = {}
    for policy in ["none", "latest", "all"]:
        s, sch, _ = call("POST", S, {"pipeline_id": P, "cron": "0 0 1 1 *", "grace_s": 1,
                                     "catch_up": policy, "catch_up_max": 2}, A)
        check(s == 201, "schedule with catch_up %s: %s %s" % (policy, s, sch))
        policies[policy] = sch["id"]
        for _ in range(3):
            call("POST", S + "/" + sch["id"] + "/trigger", {}, A)
            time.sleep(0.01)
    time.sleep(3)  # past the grace period, and a sweep or more
    want = {"none": ["skipped", "skipped", "skipped"], "latest": ["missed", "skipped", "skipped"],
            "all": ["missed", "missed", "skipped"]}
    s, due, _ = call("GET", S + "/due", token=T1)
    for policy, sid in policies.items():
        s, occs, _ = call("GET", S + "/" + sid + "/occurrences", token=A)
        check([o["state"] for o in occs] == want[policy], "catch_up %s: %s" % (policy, [o["state"] for o in occs]))
        check(all(o["reason"].startswith("no agent online") for o in occs),
              "the reason is recorded: %s" % [o["reason"] for o in occs])
        offered = [o for o in due["occurrences"] if o["schedule_id"] == sid]
        check(len(offered) == want[policy].count("missed") and all(o["catch_up"] for o in offered),
              "the next poll offers the catch-up of %s: %s" % (policy, offered))
    caught = [o for o in due["occurrences"] if o["schedule_id"] == policies["latest"]][0]
    s, d, _ = call("POST", S + "/" + policies["latest"] + "/ack",
                   {"occurrence_id": caught["id"], "status": "started", "run_id": uuid7()}, T1)
    check(s == 200 and d["state"] == "started", "claim a catch-up: %s" % s)

    # ---- pause and resume ----------------------------------------------------------------------
    s, d, _ = call("PATCH", S + "/" + policies["all"], {"paused": True}, A)
    check(s == 200 and d["paused"] and d["next"] == [], "pause: %s" % s)
    s, due, _ = call("GET", S + "/due", token=T1)
    check(not [o for o in due["occurrences"] if o["schedule_id"] == policies["all"]],
          "a paused schedule offers nothing")
    s, d, _ = call("PATCH", S + "/" + policies["all"], {"paused": False}, A)
    check(s == 200 and not d["paused"] and len(d["next"]) == 10, "resume: %s" % s)
    s, d, _ = call("PATCH", S + "/" + policies["all"], {"cron": "99 * * * *"}, A)
    check(s == 422, "an update with a bad cron: %s" % s)

    # ---- a real minute, swept by two servers, recorded once ------------------------------------------
    boundary = (int(made_at) // 60 + 1) * 60
    time.sleep(max(0, boundary - time.time()) + 2)
    s, occs, _ = call("GET", S + "/" + minute["id"] + "/occurrences", token=A)
    first = datetime.fromtimestamp(boundary, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    check(s == 200 and [o["due_at"][:19] for o in occs].count(first) == 1,
          "the minute %s is recorded once: %s" % (first, [o["due_at"] for o in occs]))
    s, due, _ = call("GET", S + "/due", token=T2)
    check(any(o["schedule_id"] == minute["id"] for o in due["occurrences"]), "and offered to agents")
finally:
    for p in (second, server):
        p.send_signal(signal.SIGTERM)
        try:
            check(p.wait(timeout=30) == 0, "pluto-cloud exits 0")
        except subprocess.TimeoutExpired:
            p.kill()
            check(False, "pluto-cloud stops on SIGTERM")

if FAILS:
    print("%d checks failed" % len(FAILS), file=sys.stderr)
    sys.exit(1)
print("schedules: all checks passed")
