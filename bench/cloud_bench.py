#!/usr/bin/env python3
"""cloud_bench.py - Pluto Cloud under the load of a team's agents (not a test).

Each figure against its limit, measured in the same run:
  1. 1,000 agents polling their schedules with ETags, paced as they poll (every 30 s,
     so 33 polls/s): p50/p99 latency and the server's CPU per poll.
  2. polls as fast as 32 connections go (wrk, the 1,000 tokens in turn) against
     pgbench running the same two queries a poll makes (the database's limit).
  3. a burst of 100 runs/s, each with two log chunks (5 requests a run).
  4. two pluto-cloud processes on one database, 20 agents racing on both for 200
     occurrences: duplicate claims (must be 0).

usage: cloud_bench.py PLUTO_CLOUD_BINARY WORK_DIR [SECONDS]
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import http.client
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "cloud"))
from cloudlib import uuid7  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 30
DATA = os.path.join(WORK, "cloud")
os.makedirs(WORK, exist_ok=True)
os.chmod(WORK, 0o711)


def start(args, name):
    p = subprocess.Popen([BIN, "serve", "--port", "0", "--threads", "2"] + args, stdout=subprocess.PIPE,
                         stderr=open(os.path.join(WORK, name + ".err"), "w"), text=True)
    m = re.search(r"serving (http://127\.0\.0\.1:(\d+))", p.stdout.readline())
    if not m:
        sys.exit("pluto-cloud did not start: " + open(os.path.join(WORK, name + ".err")).read())
    return p, int(m.group(2))


class Client:
    """One keep-alive connection."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, token=None, headers=None):
        try:
            return self.once(method, path, body, token, headers)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.c.close()  # the server closed an idle connection: open another
            return self.once(method, path, body, token, headers)

    def once(self, method, path, body=None, token=None, headers=None):
        h = {"Content-Type": "application/json"} if method != "GET" else {}
        if token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        self.c.request(method, "/api/v1" + path, None if method == "GET" else json.dumps(body or {}), h)
        r = self.c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None), r


def cpu_seconds(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


server, port = start(["--dev", "--data", DATA], "first")
second = None
try:
    subprocess.run([BIN, "user", "add", "ann@example.com", "--password-stdin", "--data", DATA],
                   input="ann-password\n", capture_output=True, check=True, text=True)
    c = Client(port)
    A = c.call("POST", "/auth/login", {"email": "ann@example.com", "password": "ann-password"})[1]["access_token"]
    W = c.call("POST", "/workspaces", {"name": "bench"}, A)[1]["id"]
    P = c.call("POST", "/workspaces/%s/pipelines" % W, {"name": "p", "files": {"analyses/a.yaml": "name: a\n"}}, A)[1]["id"]
    S = c.call("POST", "/workspaces/%s/schedules" % W, {"pipeline_id": P, "cron": "0 3 * * *"}, A)[1]["id"]
    tokens = [c.call("POST", "/workspaces/%s/agent-tokens" % W, {"name": "agent%d" % i}, A)[1]["token"]
              for i in range(1000)]
    due = "/workspaces/%s/schedules/due" % W
    etags = {}
    for t in tokens:  # each agent's first poll: a 200 with its ETag
        s, d, r = c.call("GET", due, token=t)
        etags[t] = r.getheader("ETag")

    # ---- 1. paced: every agent polls once in SECONDS --------------------------------------
    lat, codes, lock = [], {}, threading.Lock()
    cpu0, t0 = cpu_seconds(server.pid), time.time()

    def agent_group(group):
        cl = Client(port)
        for i, t in enumerate(group):
            wait = t0 + (tokens.index(t) * SECONDS / len(tokens)) - time.time()
            if wait > 0:
                time.sleep(wait)
            a = time.perf_counter()
            s, _, _ = cl.call("GET", due, token=t, headers={"If-None-Match": etags[t]})
            b = time.perf_counter()
            with lock:
                lat.append((b - a) * 1000)
                codes[s] = codes.get(s, 0) + 1
    groups = [tokens[i::20] for i in range(20)]
    threads = [threading.Thread(target=agent_group, args=(g,)) for g in groups]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    cpu = cpu_seconds(server.pid) - cpu0
    print("1. 1,000 agents polling with ETags over %ds (%.0f polls/s): %s; p50 %.2f ms, p99 %.2f ms; "
          "server CPU %.2f ms per poll" % (SECONDS, len(lat) / SECONDS, codes, pct(lat, 0.5), pct(lat, 0.99),
                                           cpu * 1000 / len(lat)))

    # ---- 2. as fast as it goes, against pgbench on the same queries ---------------------------
    lua = os.path.join(WORK, "poll.lua")
    with open(lua, "w") as f:
        f.write("local tokens = {%s}\nlocal etags = {%s}\nlocal i = 0\n" % (
            ",".join('"%s"' % t for t in tokens), ",".join("'%s'" % etags[t] for t in tokens)))
        f.write('request = function()\n  i = i %% #tokens + 1\n  return wrk.format("GET", "/api/v1%s", '
                '{["Authorization"] = "Bearer " .. tokens[i], ["If-None-Match"] = etags[i]})\nend\n' % due)
    cpu0 = cpu_seconds(server.pid)
    out = subprocess.run(["wrk", "-t", "2", "-c", "32", "-d", "10s", "--latency", "-s", lua,
                          "http://127.0.0.1:%d" % port], capture_output=True, text=True).stdout
    cpu = cpu_seconds(server.pid) - cpu0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    bench_sql = os.path.join(WORK, "poll.sql")
    with open(bench_sql, "w") as f:
        # What a 304 poll must at least ask the database: the agent's token, the workspace's generation.
        f.write("SELECT id, workspace_id FROM agent_tokens WHERE token_hash = sha256('x'::bytea) AND revoked_at IS NULL;\n")
        f.write("SELECT generation, changed_at FROM schedule_generations WHERE workspace_id = '%s';\n" % W)
    pgbin = "/usr/lib/postgresql/%s/bin" % sorted(os.listdir("/usr/lib/postgresql"), key=int)[-1]
    cmd = (["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []) + [
        pgbin + "/pgbench", "-n", "-c", "32", "-j", "2", "-T", "10", "-f", bench_sql, "-h",
        os.path.join(DATA, "postgres"), "-p", "5432", "-U", "pluto", "pluto_cloud"]
    pgout = subprocess.run(cmd, capture_output=True, text=True, cwd="/").stdout
    m = re.search(r"tps = ([\d.]+)", pgout)
    tps = float(m.group(1)) if m else float("nan")
    print("2. 304 polls, 32 connections: %.0f polls/s (p50 %s, p99 %s; CPU %.2f ms/poll) vs pgbench "
          "running the poll's two queries: %.0f/s: ratio %.2f" % (rps, p50, p99, cpu * 1000 / max(1, rps * 10),
                                                                  tps, rps / tps))

    # ---- 3. a burst of 100 runs/s with logs ---------------------------------------------------------
    R = "/workspaces/%s/runs" % W
    burst, rl = 10, []
    errors = [0]

    def run_group(k):
        cl = Client(port)
        tok = tokens[k]
        for j in range(burst * 100 // 10):
            at = start_t + (j * 10 + k) / 100.0
            if at > time.time():
                time.sleep(at - time.time())
            a = time.perf_counter()
            rid = uuid7()
            ok = cl.call("POST", R, {"run_id": rid, "pipeline_id": P, "trigger": "schedule"}, tok)[0] == 201
            ok &= cl.call("PATCH", R + "/" + rid, {"state": "running"}, tok)[0] == 200
            for seq in (1, 2):
                ok &= cl.call("POST", R + "/" + rid + "/logs", {"seq": seq, "lines": '{"msg":"step %d"}\n{"msg":"ok"}\n' % seq}, tok)[0] == 201
            ok &= cl.call("PATCH", R + "/" + rid, {"state": "success"}, tok)[0] == 200
            b = time.perf_counter()
            with lock:
                rl.append((b - a) * 1000)
                errors[0] += not ok
    start_t = time.time() + 0.2
    threads = [threading.Thread(target=run_group, args=(k,)) for k in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.time() - start_t
    print("3. %d runs in %.1f s (%.0f runs/s, offered 100/s), 5 requests each: p50 %.1f ms, p99 %.1f ms "
          "a run; %d failed" % (len(rl), took, len(rl) / took, pct(rl, 0.5), pct(rl, 0.99), errors[0]))

    # ---- 4. two servers, agents racing for occurrences ------------------------------------------------
    dsn = "host=%s port=5432 user=pluto dbname=pluto_cloud" % os.path.join(DATA, "postgres")
    second, port2 = start(["--dsn", dsn, "--data", os.path.join(WORK, "second")], "second")
    occs = [c.call("POST", "/workspaces/%s/schedules/%s/trigger" % (W, S), {}, A)[1]["id"] for _ in range(200)]
    wins = {}

    def racer(k):
        cl = Client(port if k % 2 else port2)
        for o in occs:
            s, _, _ = cl.call("POST", "/workspaces/%s/schedules/%s/ack" % (W, S),
                              {"occurrence_id": o, "status": "started", "run_id": uuid7()}, tokens[k])
            if s == 200:
                with lock:
                    wins[o] = wins.get(o, 0) + 1
    threads = [threading.Thread(target=racer, args=(k,)) for k in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    dup = sum(1 for v in wins.values() if v > 1)
    print("4. two servers, 20 agents racing for 200 occurrences: %d claimed, %d duplicate claims"
          % (len(wins), dup))
finally:
    for p in (second, server):
        if p:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
