#!/usr/bin/env python3
"""cloud_check.py - Pluto Cloud as its users and attackers meet it, end to end.

Starts `pluto-cloud serve --dev` (a private PostgreSQL under a temporary data
directory), then: signs in and out, rotates and reuses refresh tokens, forges
JWTs, trips the sign-in rate limit, runs every operation of the OpenAPI
document under every role and compares the answer with the operation's
x-roles (the permission table), tries IDOR and role escalation, checks the
audit log (and that the database refuses to change it), restarts PostgreSQL
under the running server, and stops it all with SIGTERM.

usage: cloud_check.py PLUTO_CLOUD_BINARY WORK_DIR
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from contract import Contract  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudlib import FAILS, check, uuid7  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
CONTRACT = None  # the server's document, once it is up: every answer is checked against it
DATA = os.path.join(WORK, "cloud")


def call(method, path, body=None, token=None, headers=None, raw=False):
    """One request; returns (status, parsed JSON or text, headers)."""
    h = {"Content-Type": "application/json"} if method != "GET" else {}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    data = None if body is None and method == "GET" else json.dumps(body or {}).encode()
    req = urllib.request.Request(URL + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text, status, hdrs = r.read().decode(errors="surrogateescape"), r.status, r.headers
    except urllib.error.HTTPError as e:
        text, status, hdrs = e.read().decode(errors="surrogateescape"), e.code, e.headers
    if CONTRACT is not None:
        CONTRACT.check(method, path, status, hdrs.get("Content-Type"), text)
    if raw:
        return status, text, hdrs
    try:
        return status, json.loads(text), hdrs
    except ValueError:
        return status, text, hdrs


def add_user(email, password):
    p = subprocess.run([BIN, "user", "add", email, "--password-stdin", "--data", DATA],
                       input=password + "\n", capture_output=True, text=True)
    check(p.returncode == 0, "user add %s: %s" % (email, p.stderr))


def login(email, password):
    s, d, _ = call("POST", "/auth/login", {"email": email, "password": password})
    check(s == 200, "login %s: %s %s" % (email, s, d))
    return d


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ---- start ----------------------------------------------------------------
os.makedirs(WORK, exist_ok=True)
os.chmod(WORK, 0o711)  # as root, the postgres user passes through it
server = subprocess.Popen([BIN, "serve", "--dev", "--data", DATA, "--port", "0"],
                          stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, "serve.err"), "w"),
                          text=True)
line = server.stdout.readline()
m = re.search(r"serving (http://127\.0\.0\.1:\d+)", line)
if not m:
    print("pluto-cloud did not start:", line, open(os.path.join(WORK, "serve.err")).read())
    sys.exit(1)
ROOT = m.group(1)
URL = ROOT + "/api/v1"

dsn = "host=%s port=5432 user=pluto dbname=pluto_cloud" % os.path.join(DATA, "postgres")
psql_cmd = ["psql", "-X", "-q", "-A", "-t", "-h", os.path.join(DATA, "postgres"), "-p", "5432",
            "-U", "pluto", "-d", "pluto_cloud", "-c"]

try:
    s, d, _ = call("GET", "/health")
    check(s == 200 and d["database"] == "ok", "health: %s %s" % (s, d))
    s, spec, _ = call("GET", "/openapi.json")
    CONTRACT = Contract(spec)

    # ---- accounts and tokens ----------------------------------------------
    add_user("ann@example.com", "ann-password")
    p = subprocess.run([BIN, "user", "add", "ANN@example.com", "--password-stdin", "--data", DATA],
                       input="another-one\n", capture_output=True, text=True)
    check(p.returncode == 1 and "exists" in p.stderr, "duplicate user add: %s" % p.stderr)
    ann = login("Ann@Example.com ", "ann-password")
    check(ann["token_type"] == "Bearer" and ann["user"]["email"] == "ann@example.com", "login shape")
    s, d, h = call("POST", "/auth/login", {"email": "ann@example.com", "password": "wrong"})
    check(s == 401 and d["error"]["code"] == "unauthorized", "wrong password: %s" % s)
    s, d, _ = call("POST", "/auth/login", {"email": "ann@example.com", "password": "x", "extra": 1})
    check(s == 422 and "extra" in d["error"]["message"], "unknown field: %s %s" % (s, d))
    s, d, _ = call("POST", "/auth/register", {"email": "eve@example.com", "password": "eve-password"})
    check(s == 403, "register without an invitation on a closed server: %s" % s)

    # Forged, tampered and alg=none access tokens.
    hdr, payload, sig = ann["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = {"sub": claims["sub"], "iat": claims["iat"], "exp": claims["exp"] + 10 ** 6, "jti": "x"}
    tampered = hdr + "." + b64(json.dumps(forged).encode()) + "." + sig
    none = b64(b'{"alg":"none","typ":"JWT"}') + "." + payload + "."
    wrong_key = hdr + "." + payload + "." + b64(hmac.new(b"k" * 32, (hdr + "." + payload).encode(),
                                                         hashlib.sha256).digest())
    expired_claims = dict(claims, exp=int(time.time()) - 5)
    for name, tok in [("tampered", tampered), ("alg none", none), ("wrong key", wrong_key),
                      ("garbage", "a.b.c"), ("expired (unsigned)", hdr + "." + b64(
                          json.dumps(expired_claims).encode()) + "." + sig)]:
        s, d, h = call("GET", "/me", token=tok)
        check(s == 401 and "Bearer" in (h.get("WWW-Authenticate") or ""), "%s JWT: %s" % (name, s))
    s, me, _ = call("GET", "/me", token=ann["access_token"])
    check(s == 200 and me["email"] == "ann@example.com", "me: %s" % s)
    # Signed with the server's own key (read from its database), but expired, or issued in the future.
    key = bytes.fromhex(subprocess.run(psql_cmd + ["SELECT encode(jwt_secret, 'hex') FROM server_keys"],
                                       capture_output=True, text=True).stdout.strip())
    for name, delta, want in [("expired", {"exp": int(time.time()) - 5}, "expired"),
                              ("from the future", {"iat": int(time.time()) + 3600}, "future"),
                              ("still valid", {}, None)]:
        body = b64(json.dumps(dict(claims, **delta)).encode())
        signed = hdr + "." + body + "." + b64(hmac.new(key, (hdr + "." + body).encode(), hashlib.sha256).digest())
        s, d, _ = call("GET", "/me", token=signed)
        check((s == 401 and want in d["error"]["message"]) if want else s == 200,
              "a %s JWT signed with the server's key: %s %s" % (name, s, d))

    # Refresh rotation; reusing a used refresh token revokes the whole sign-in.
    s, r1, _ = call("POST", "/auth/refresh", {"refresh_token": ann["refresh_token"]})
    check(s == 200 and r1["refresh_token"] != ann["refresh_token"], "refresh: %s" % s)
    s, d, _ = call("POST", "/auth/refresh", {"refresh_token": ann["refresh_token"]})
    check(s == 401 and "already used" in d["error"]["message"], "refresh reuse: %s %s" % (s, d))
    s, d, _ = call("POST", "/auth/refresh", {"refresh_token": r1["refresh_token"]})
    check(s == 401, "the rotated token is revoked with its family: %s" % s)
    s, d, _ = call("POST", "/auth/refresh", {"refresh_token": "pcr_nonsense"})
    check(s == 401, "unknown refresh token: %s" % s)

    # A browser's sign-in: the refresh token only in an HttpOnly, SameSite=Strict cookie
    # for the sign-in routes; refresh and logout read it; a used one revokes the sign-in.
    def cookie_of(h):
        c = h.get("Set-Cookie") or ""
        return c, (re.match(r"pluto_cloud_refresh=([^;]*)", c) or [None, None])[1]
    s, web, h = call("POST", "/auth/login", {"email": "ann@example.com", "password": "ann-password",
                                             "cookie": True})
    set1, c1 = cookie_of(h)
    check(s == 200 and "refresh_token" not in web and web["access_token"] and c1
          and all(a in set1 for a in ("HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"))
          and "pluto_cloud_session=1; Path=/;" in h.get_all("Set-Cookie")[1],
          "a browser's sign-in keeps the refresh token in the cookie: %s %s" % (set1, sorted(web)))
    s, d, h = call("POST", "/auth/refresh", {}, headers={"Cookie": "pluto_cloud_refresh=" + c1})
    set2, c2 = cookie_of(h)
    check(s == 200 and "refresh_token" not in d and c2 and c2 != c1,
          "refresh from the cookie replaces it: %s %s" % (s, set2))
    s, d, h = call("POST", "/auth/refresh", {}, headers={"Cookie": "pluto_cloud_refresh=" + c1})
    check(s == 401 and "already used" in d["error"]["message"] and "Max-Age=0" in cookie_of(h)[0],
          "the used cookie again ends the sign-in and clears it: %s %s" % (s, cookie_of(h)[0]))
    s, d, _ = call("POST", "/auth/refresh", {}, headers={"Cookie": "pluto_cloud_refresh=" + c2})
    check(s == 401, "every token of that sign-in is revoked: %s" % s)
    s, d, _ = call("POST", "/auth/refresh", {})
    check(s == 401 and "sign in" in d["error"]["message"], "refresh with no token nor cookie: %s" % s)
    s, web, h = call("POST", "/auth/login", {"email": "ann@example.com", "password": "ann-password",
                                             "cookie": True})
    c3 = cookie_of(h)[1]
    s, d, h = call("POST", "/auth/logout", {}, web["access_token"],
                   headers={"Cookie": "pluto_cloud_refresh=" + c3})
    check(s == 200 and d["revoked"] >= 1 and "Max-Age=0" in cookie_of(h)[0],
          "logout ends the cookie's sign-in and clears it: %s %s" % (s, d))
    s, d, _ = call("POST", "/auth/refresh", {}, headers={"Cookie": "pluto_cloud_refresh=" + c3})
    check(s == 401, "refresh after a cookie logout: %s" % s)
    s, d, _ = call("POST", "/auth/refresh", {"refresh_token": ann["refresh_token"]})
    check(s == 401, "(the earlier sign-in is still revoked)")
    ann = login("ann@example.com", "ann-password")
    A = ann["access_token"]

    # ---- a workspace with members of each role -----------------------------
    def workspace(name):
        s, w, _ = call("POST", "/workspaces", {"name": name}, A)
        check(s == 201 and w["role"] == "owner", "create workspace: %s %s" % (s, w))
        return w["id"]

    def invite(ws, email, role):
        s, inv, _ = call("POST", "/workspaces/%s/invitations" % ws, {"email": email, "role": role}, A)
        check(s == 201 and inv["token"].startswith("pci_") and inv["status"] == "pending",
              "invite: %s %s" % (s, inv))
        return inv

    W = workspace("Data team")
    inv_bob = invite(W, "Bob@example.com", "editor")
    s, bob, _ = call("POST", "/auth/register", {"email": "bob@example.com", "password": "short",
                                                "invitation": inv_bob["token"]})
    check(s == 422, "short password: %s" % s)
    s, bob, _ = call("POST", "/auth/register", {"email": "bob@example.com", "password": "bob-password",
                                                "name": "Bob", "invitation": inv_bob["token"]})
    check(s == 201, "register with an invitation: %s %s" % (s, bob))
    B = bob["access_token"]
    s, d, _ = call("POST", "/auth/register", {"email": "mallory@example.com", "password": "mallory-pw",
                                              "invitation": inv_bob["token"]})
    check(s in (403, 409) and "mallory" not in json.dumps(call("GET", "/workspaces/%s/members" % W,
                                                               token=A)[1]),
          "someone else's invitation: %s" % s)
    inv_carol = invite(W, "carol@example.com", "viewer")
    add_user("carol@example.com", "carol-password")
    carol = login("carol@example.com", "carol-password")
    C = carol["access_token"]
    s, d, _ = call("POST", "/invitations/accept", {"token": inv_carol["token"]}, B)
    check(s == 403, "accepting an invitation made for another email: %s" % s)
    s, d, _ = call("POST", "/invitations/accept", {"token": inv_carol["token"]}, C)
    check(s == 200 and d["role"] == "viewer", "accept: %s %s" % (s, d))
    s, d, _ = call("POST", "/invitations/accept", {"token": inv_carol["token"]}, C)
    check(s == 409, "an invitation works once: %s" % s)
    s, agent, _ = call("POST", "/workspaces/%s/agent-tokens" % W, {"name": "laptop"}, A)
    check(s == 201 and agent["token"].startswith("pca_"), "agent token: %s" % s)
    R = agent["token"]
    add_user("olga@example.com", "olga-password")
    O = login("olga@example.com", "olga-password")["access_token"]  # in no workspace
    s, members, _ = call("GET", "/workspaces/%s/members" % W, token=A)
    check(sorted(m["role"] for m in members) == ["editor", "owner", "viewer"], "members: %s" % members)
    ids = {m["email"].split("@")[0]: m["user_id"] for m in members}
    ids["olga"] = call("GET", "/me", token=O)[1]["id"]

    # Escalation, IDOR, the last owner.
    s, d, _ = call("PATCH", "/workspaces/%s/members/%s" % (W, ids["bob"]), {"role": "owner"}, B)
    check(s == 403, "an editor making itself owner: %s" % s)
    X = workspace("Ann's private")
    for who, tok in [("outsider", O), ("editor of another", B), ("agent of another", R)]:
        s, d, _ = call("GET", "/workspaces/%s" % X, token=tok)
        check(s == 404, "IDOR %s: %s" % (who, s))
        s, d, _ = call("GET", "/workspaces/%s/audit" % X, token=tok)
        check(s == 404, "IDOR audit %s: %s" % (who, s))
    s, d, _ = call("PATCH", "/workspaces/%s/members/%s" % (W, ids["ann"]), {"role": "editor"}, A)
    check(s == 409 and "last owner" in d["error"]["message"], "demote the last owner: %s" % s)
    s, d, _ = call("DELETE", "/workspaces/%s/members/%s" % (W, ids["ann"]), None, A)
    check(s == 409, "the last owner leaves: %s" % s)
    s, d, _ = call("DELETE", "/workspaces/%s/members/%s" % (W, ids["ann"]), None, C)
    check(s == 403, "a viewer removes the owner: %s" % s)
    s, d, _ = call("GET", "/workspaces/not-a-uuid", token=A)
    check(s == 404, "a malformed workspace id: %s" % s)

    # ---- pipelines and versions ------------------------------------------------
    files1 = {"analyses/daily.yaml": "name: daily\nsql: select 1 as n\n", "README.md": "daily\n"}
    s, pl, _ = call("POST", "/workspaces/%s/pipelines" % W, {"name": "daily", "files": files1,
                                                             "message": "first"}, B)
    check(s == 201 and pl["kind"] == "duckpipe" and pl["current_version"] == 1 and
          pl["version"]["number"] == 1 and pl["created_by"] == "bob@example.com",
          "create pipeline: %s %s" % (s, pl))
    PL = "/workspaces/%s/pipelines/%s" % (W, pl["id"])
    s, d, _ = call("POST", "/workspaces/%s/pipelines" % W, {"name": "daily", "files": files1}, B)
    check(s == 409, "a second pipeline of the same name: %s" % s)
    s, d, _ = call("POST", PL + "/versions", {"files": dict(reversed(list(files1.items())))}, B)
    check(s == 200 and d["created"] is False and d["version"]["number"] == 1,
          "identical content (in another order) is the existing version: %s %s" % (s, d))
    files2 = dict(files1, **{"analyses/daily.yaml": "name: daily\nsql: select 2 as n\n"})
    s, v2, _ = call("POST", PL + "/versions", {"files": files2, "parent": 1, "message": "two"}, B)
    check(s == 201 and v2["version"]["number"] == 2 and v2["diverged"] is False, "v2: %s %s" % (s, v2))
    files3 = dict(files1, **{"analyses/weekly.yaml": "name: weekly\nsql: select 7\n"})
    s, v3, _ = call("POST", PL + "/versions", {"files": files3, "parent": 1}, A)
    check(s == 201 and v3["diverged"] is True and v3["version"]["diverged_from"] == 2 and
          v3["version"]["parent"] == 1 and "newest" in v3["note"], "diverged upload: %s %s" % (s, v3))
    s, d, _ = call("GET", PL + "/diff?from=2&to=3", token=C)
    paths = {f["path"]: f for f in d["files"]} if s == 200 else {}
    check(s == 200 and paths.get("analyses/weekly.yaml", {}).get("status") == "added" and
          "-sql: select 2 as n" in paths.get("analyses/daily.yaml", {}).get("diff", "") and
          "README.md" not in paths, "diff: %s %s" % (s, d))
    s, d, _ = call("POST", PL + "/rollback", {"to": 2}, B)
    check(s == 201 and d["version"]["number"] == 4 and d["version"]["rollback_of"] == 2,
          "rollback: %s %s" % (s, d))
    s, d, _ = call("GET", PL + "/versions/4", token=R)
    check(s == 200 and d["files"] == files2 and d["digest"] == v2["version"]["digest"],
          "a runner reads the rolled-back files: %s" % s)
    s, d, _ = call("GET", PL + "/versions", token=C)
    check(s == 200 and [v["number"] for v in d] == [4, 3, 2, 1], "versions newest first: %s" % d)
    s, d, _ = call("POST", PL + "/versions", {"files": {"analyses/z.yaml": "z"}, "parent": 9}, B)
    check(s == 422 and "no version 9" in d["error"]["message"], "a parent that does not exist: %s" % s)
    s, d, _ = call("POST", PL + "/versions", {"files": {"dbt_project.yml": "name: x\n"}}, B)
    check(s == 422 and "duckpipe" in d["error"]["message"], "a dbt bundle into a duckpipe pipeline: %s" % s)
    s, d, _ = call("GET", "/workspaces/%s/pipelines/%s" % (X, pl["id"]), token=A)
    check(s == 404, "a pipeline read through another workspace: %s" % s)
    for name, files, want in [
            ("../ path", {"../etc/passwd": "x", "analyses/a.yaml": "y"}, 422),
            ("absolute path", {"/etc/passwd": "x", "analyses/a.yaml": "y"}, 422),
            ("backslash", {"analyses\\..\\x.yaml": "x", "analyses/a.yaml": "y"}, 422),
            ("dot segment", {"analyses/./a.yaml": "x"}, 422),
            ("control character", {"analyses/a\u0001.yaml": "x"}, 422),
            ("case clash", {"analyses/A.yaml": "x", "analyses/a.yaml": "y"}, 422),
            ("not a project", {"notes.txt": "x"}, 422),
            ("10,000 files", dict({"analyses/f%d.yaml" % i: "" for i in range(10000)}), 413),
            ("over 5 MB", {"analyses/a.yaml": "x" * (6 << 20)}, 413)]:
        s, d, _ = call("POST", PL + "/versions", {"files": files}, B)
        check(s == want, "bundle with %s: %s (want %s) %s" % (name, s, want,
                                                              d if isinstance(d, dict) else ""))
    # A body over the limit is refused from its head, before it is read.
    conn = http.client.HTTPConnection(ROOT.split("//")[1], timeout=30)
    conn.putrequest("POST", "/api/v1" + PL + "/versions")
    for k, v in [("Content-Type", "application/json"), ("Authorization", "Bearer " + B),
                 ("Content-Length", str(11 << 20))]:
        conn.putheader(k, v)
    conn.endheaders()
    resp = conn.getresponse()
    check(resp.status == 413 and b"over the limit" in resp.read(), "a body over 10 MB: %s" % resp.status)
    conn.close()
    s, d, _ = call("GET", PL, token=A)
    check(d["current_version"] == 4, "refused bundles leave the pipeline as it was: %s" % d)

    # ---- the run ledger ------------------------------------------------------------
    RUNS = "/workspaces/%s/runs" % W
    rid = uuid7()
    body = {"run_id": rid, "pipeline_id": pl["id"], "trigger": "manual", "params": {"day": "2026-12-01"},
            "environment": {"os": "linux", "pluto_duck": "0.1.0", "connectors": {"postgres": "ok"}}}
    s, run, _ = call("POST", RUNS, body, R)
    check(s == 201 and run["state"] == "pending" and run["pipeline_version"] == 4 and
          run["agent_id"] == agent["id"] and run["environment"]["os"] == "linux",
          "create a run: %s %s" % (s, run))
    s, d, _ = call("POST", RUNS, dict(reversed(list(body.items()))), R)
    check(s == 200 and d["id"] == rid and d["created_at"] == run["created_at"],
          "the same body again is the same run: %s" % s)
    s, d, _ = call("POST", RUNS, dict(body, params={"day": "other"}), R)
    check(s == 409, "another body under the same id: %s" % s)
    s, d, _ = call("POST", RUNS, dict(body, run_id="6f9619ff-8b86-4011-b42d-00c04fc964ff"), R)
    check(s == 422 and "UUIDv7" in d["error"]["message"], "a run id that is not a UUIDv7: %s" % s)
    s, d, _ = call("POST", RUNS, dict(body, run_id=uuid7(), version=99), R)
    check(s == 422, "a version that does not exist: %s" % s)
    s, d, _ = call("POST", "/workspaces/%s/runs" % X, dict(body, run_id=uuid7()), A)
    check(s == 422, "a run of another workspace's pipeline: %s" % s)
    # Pinning: runs that name no version (and schedules) run the pinned one, not the newest.
    s, d, _ = call("PATCH", PL, {"pinned_version": 2}, B)
    check(s == 200 and d["pinned_version"] == 2 and d["current_version"] == 4, "pin v2: %s %s" % (s, d))
    s, d, _ = call("POST", RUNS, dict(body, run_id=uuid7()), R)
    check(s == 201 and d["pipeline_version"] == 2, "a run of a pinned pipeline: %s %s" % (s, d))
    s, d, _ = call("PATCH", PL, {"pinned_version": 5}, B)
    check(s == 422 and "no version 5" in d["error"]["message"], "pin a version that is not there: %s" % s)
    s, d, _ = call("PATCH", PL, {"pinned_version": 1}, C)
    check(s == 403, "a viewer cannot pin: %s" % s)
    s, d, _ = call("PATCH", PL, {"pinned_version": None}, B)
    check(s == 200 and d["pinned_version"] is None, "unpin: %s %s" % (s, d))
    s, d, _ = call("GET", "/workspaces/%s/audit?action=pipeline." % W, token=A)
    check(s == 200 and {"pipeline.pin", "pipeline.unpin"} <= {e["action"] for e in d},
          "pin and unpin are audited: %s" % [e["action"] for e in d])
    s, d, _ = call("PATCH", RUNS + "/" + rid, {"state": "success"}, R)
    check(s == 409 and "pending cannot become success" in d["error"]["message"] and
          "running" in d["error"]["message"], "pending -> success: %s %s" % (s, d))
    s, d, _ = call("PATCH", RUNS + "/" + rid, {"state": "running"}, R)
    check(s == 200 and d["state"] == "running" and d["started_at"], "-> running: %s" % s)
    s, d, _ = call("PATCH", RUNS + "/" + rid, {"state": "running"}, R)
    check(s == 200, "a retried report changes nothing: %s" % s)
    s, d, _ = call("PATCH", RUNS + "/" + rid, {"state": "failed"}, R)
    check(s == 422 and "error_class" in d["error"]["message"], "failed without a class: %s" % s)
    for seq, lines, want in [(1, '{"level":"info","msg":"start"}\n{"level":"info","msg":"step 1"}\n', 201),
                             (1, '{"level":"info","msg":"start"}\n{"level":"info","msg":"step 1"}\n', 200),
                             (1, '{"msg":"different"}\n', 409), (3, '{"msg":"gap"}', 409),
                             (2, 'not json\n', 422), (2, '{"level":"info","msg":"done"}', 201)]:
        s, d, _ = call("POST", RUNS + "/" + rid + "/logs", {"seq": seq, "lines": lines}, R)
        check(s == want, "log chunk %d: %s (want %s) %s" % (seq, s, want, d))
    s, d, _ = call("GET", RUNS + "/" + rid + "/logs?after=1", token=C)
    check(s == 200 and [c["seq"] for c in d["chunks"]] == [2] and
          d["chunks"][0]["lines"] == [{"level": "info", "msg": "done"}], "logs page: %s" % d)
    s, d, _ = call("GET", RUNS + "/" + rid + "/logs", token=C)
    check(s == 200 and sum(len(c["lines"]) for c in d["chunks"]) == 3, "every line once: %s" % d)
    s, d, _ = call("PATCH", RUNS + "/" + rid, {"state": "success"}, R)
    check(s == 200 and d["finished_at"] and d["duration_s"] is not None and d["log_chunks"] == 2,
          "-> success: %s %s" % (s, d))
    s, d, _ = call("PATCH", RUNS + "/" + rid, {"state": "running"}, R)
    check(s == 409 and "ended" in d["error"]["message"], "an ended run moves again: %s" % s)
    s, d, _ = call("GET", "/workspaces/%s/runs/%s" % (X, rid), token=A)
    check(s == 404, "IDOR: a run read through another workspace: %s" % s)
    s, d, _ = call("GET", RUNS + "?state=success&pipeline_id=" + pl["id"], token=C)
    check(s == 200 and [x["id"] for x in d] == [rid], "runs by state: %s" % d)
    s, d, _ = call("GET", RUNS + "?agent_id=%s&state=success" % agent["id"], token=C)
    check(s == 200 and [x["id"] for x in d] == [rid], "runs by agent: %s" % d)
    s, d, _ = call("GET", RUNS + "?agent_id=%s" % uuid7(), token=C)
    check(s == 200 and d == [], "runs of another agent: none: %s" % d)
    s, d, _ = call("GET", RUNS + "?state=success&since=%s" % urllib.parse.quote(run["created_at"]), token=C)
    check(s == 200 and [x["id"] for x in d] == [rid], "runs since its creation: %s" % d)
    s, d, _ = call("GET", RUNS + "?until=%s" % urllib.parse.quote(run["created_at"]), token=C)
    check(s == 200 and rid not in [x["id"] for x in d], "runs before it: %s" % d)
    s, d, _ = call("GET", RUNS + "?since=yesterday-ish", token=C)
    check(s in (400, 422), "a time that is no time is refused, not a failure: %s %s" % (s, d))

    # ---- artifacts in the local object store ------------------------------------
    def curl(method, url, data=None, out=None):
        args = ["curl", "-s", "-o", out or "/dev/null", "-w", "%{http_code}", "-X", method, url]
        if data is not None:
            path = os.path.join(WORK, "upload.bin")
            open(path, "wb").write(data)
            args[1:1] = ["-T", path]
        return int(subprocess.run(args, capture_output=True, text=True).stdout or 0)

    report = b"<html><body><h1>Daily</h1></body></html>\n"
    ART = RUNS + "/" + rid + "/artifacts"
    decl = {"kind": "report", "name": "report.html", "content_type": "text/html",
            "size": len(report), "sha256": hashlib.sha256(report).hexdigest()}
    s, art, _ = call("POST", ART, decl, R)
    check(s == 201 and art["state"] == "pending" and art["upload"]["method"] == "PUT",
          "declare an artifact: %s %s" % (s, art))
    up = art["upload"]["url"]
    s, d, _ = call("POST", ART, decl, R)
    check(s == 200 and d["id"] == art["id"], "declared again: the same artifact: %s" % s)
    s, d, _ = call("POST", ART, dict(decl, size=1), R)
    check(s == 409, "another artifact under the same name: %s" % s)
    check(curl("PUT", up.replace("signature=", "signature=0")[:len(up)], report) == 403,
          "a tampered signature is refused")
    check(curl("PUT", re.sub(r"expires=\d+", "expires=9999999999", up), report) == 403,
          "a changed expiry is refused")
    check(curl("GET", up) == 403, "a PUT URL does not read")
    s, d, _ = call("POST", ART + "/" + art["id"] + "/complete", {}, R)
    check(s == 404, "complete before any upload: %s" % s)
    check(curl("PUT", up, report) == 200, "upload with the signed URL")
    check(curl("PUT", up, b"again") == 409, "an object is uploaded once")
    s, d, _ = call("POST", ART + "/" + art["id"] + "/complete", {}, R)
    check(s == 200 and d["state"] == "complete", "complete: %s %s" % (s, d))
    s, dl, _ = call("GET", ART + "/" + art["id"] + "/download", token=C)
    got = os.path.join(WORK, "got.bin")
    check(s == 200 and curl("GET", dl["url"], out=got) == 200 and open(got, "rb").read() == report,
          "download what was uploaded: %s" % s)
    hdr = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", dl["url"]], capture_output=True,
                         text=True).stdout.lower()
    check("content-disposition: attachment" in hdr and "nosniff" in hdr,
          "an upload is served as a download, never as a page: %s" % hdr)
    # Its bytes for a page to show in a sandboxed frame: with a member's token, as a download.
    s, body, h = call("GET", ART + "/" + art["id"] + "/content", token=C, raw=True)
    check(s == 200 and body.encode() == report and h.get("Content-Disposition") == "attachment"
          and h.get("X-Content-Type-Options") == "nosniff" and "sandbox" in h.get("Content-Security-Policy", "")
          and h.get("Content-Type") == "application/octet-stream",
          "an artifact's content for a page: %s %s" % (s, dict(h)))
    s, d, _ = call("GET", ART + "/" + art["id"] + "/content")
    check(s == 401, "content needs a sign-in: %s" % s)
    # An expired URL, signed with the server's own key (read from its database), is refused.
    secret = subprocess.run(psql_cmd + ["SELECT encode(jwt_secret, 'hex') FROM server_keys"],
                            capture_output=True, text=True).stdout.strip()
    okey = hmac.new(bytes.fromhex(secret), b"pluto-cloud objects", hashlib.sha256).digest()
    past = str(int(time.time()) - 10)
    sig = hmac.new(okey, ("GET\n%s\n%s" % (art["id"], past)).encode(), hashlib.sha256).hexdigest()
    expired = "%s/api/v1/objects/%s?expires=%s&signature=%s" % (ROOT, art["id"], past, sig)
    code = subprocess.run(["curl", "-s", expired], capture_output=True, text=True).stdout
    check("expired" in code, "an expired URL is refused: %s" % code)
    # A wrong upload is refused at completion and can be sent again.
    log = b'{"msg":"all"}\n'
    s, a2, _ = call("POST", ART, {"kind": "log", "name": "run.log", "content_type": "application/x-ndjson",
                                  "size": len(log), "sha256": hashlib.sha256(log).hexdigest()}, R)
    curl("PUT", a2["upload"]["url"], b'{"msg":"evil"}\n')
    s, d, _ = call("POST", ART + "/" + a2["id"] + "/complete", {}, R)
    check(s == 409 and "not the one declared" in d["error"]["message"], "a wrong sha256: %s %s" % (s, d))
    s, d, _ = call("GET", ART + "/" + a2["id"] + "/content", token=C)
    check(s == 409 and "not uploaded" in d["error"]["message"], "content of an unchecked upload: %s" % s)
    s, d, _ = call("GET", ART, token=C)
    check(s == 200 and {x["name"]: x["state"] for x in d} == {"report.html": "complete", "run.log": "pending"},
          "only checked artifacts are complete: %s" % d)
    check(curl("PUT", a2["upload"]["url"], log) == 200, "sent again after a wrong one")
    s, d, _ = call("POST", ART + "/" + a2["id"] + "/complete", {}, R)
    check(s == 200, "then complete: %s" % s)
    s, d, _ = call("POST", ART, dict(decl, name="big.parquet", size=11 << 20), R)
    check(s == 413, "an artifact over the local store's limit: %s" % s)

    # ---- comments and mentions -----------------------------------------------------
    CM = "/workspaces/%s/comments" % W
    s, cm, _ = call("POST", CM, {"target_kind": "run", "target_id": rid,
                                 "body": "@carol@example.com please check this, and @olga@example.com."}, B)
    check(s == 201 and cm["notified"] == ["carol@example.com"] and cm["author"] == "bob@example.com",
          "a comment notifies the members it mentions, only them: %s %s" % (s, cm))
    s, d, _ = call("GET", "/notifications?unread=true", token=C)
    check(s == 200 and len(d) == 1 and d[0]["comment_id"] == cm["id"] and "please check" in d[0]["body"],
          "the mention is a notification: %s" % d)
    s, d, _ = call("GET", "/notifications", token=O)
    check(s == 200 and d == [], "an outsider mentioned hears nothing: %s" % d)
    s, d, _ = call("POST", "/notifications/%s/read" % call("GET", "/notifications", token=C)[1][0]["id"], {}, C)
    check(s == 200 and d["marked_read"] == 1, "mark read: %s" % s)
    s, d, _ = call("GET", "/notifications?unread=true", token=C)
    check(s == 200 and d == [], "no unread notifications left: %s" % d)
    s, d, _ = call("POST", CM, {"target_kind": "version", "target_id": "%s/2" % pl["id"], "body": "v2 looks right"}, C)
    check(s == 201, "a viewer comments on a version: %s %s" % (s, d))
    for target in [("run", uuid7()), ("version", "%s/99" % pl["id"]), ("artifact", "nope"),
                   ("run", call("GET", "/workspaces/%s/runs" % X, token=A)[1][0]["id"]
                    if call("GET", "/workspaces/%s/runs" % X, token=A)[1] else uuid7())]:
        s, d, _ = call("POST", CM, {"target_kind": target[0], "target_id": target[1], "body": "x"}, B)
        check(s == 422, "a comment on %s %s: %s" % (target[0], target[1], s))
    s, d, _ = call("GET", CM + "?target_kind=run&target_id=" + rid, token=R)
    check(s == 200 and [c["id"] for c in d] == [cm["id"]], "the run's comments: %s" % d)
    s, d, _ = call("DELETE", CM + "/" + cm["id"], None, C)
    check(s == 403, "a viewer deletes another's comment: %s" % s)
    s, d, _ = call("DELETE", CM + "/" + cm["id"], None, B)
    check(s == 200, "its author deletes it: %s" % s)

    # ---- signing in a device (RFC 8628) ------------------------------------------------
    s, dev, _ = call("POST", "/auth/device", {"client_name": "pluto-duck on laptop"})
    check(s == 200 and re.match(r"^[A-Z]{4}-[A-Z]{4}$", dev["user_code"]) and
          dev["verification_uri"] == ROOT + "/device" and dev["interval"] == 5,
          "device code: %s %s" % (s, dev))
    tok = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": dev["device_code"]}
    s, d, _ = call("POST", "/auth/token", tok)
    check(s == 400 and d["error"]["code"] == "authorization_pending", "pending: %s %s" % (s, d))
    s, d, _ = call("POST", "/auth/token", tok)
    check(s == 400 and d["error"]["code"] == "slow_down" and "10 seconds" in d["error"]["message"],
          "polling faster than the interval: %s %s" % (s, d))
    s, d, _ = call("POST", "/auth/token", dict(tok, device_code="pcd_wrong"))
    check(s == 400 and d["error"]["code"] == "invalid_grant", "a wrong device code: %s %s" % (s, d))
    s, d, _ = call("POST", "/auth/token", dict(tok, grant_type="password"))
    check(s == 400 and d["error"]["code"] == "unsupported_grant_type", "another grant: %s" % s)
    s, d, _ = call("POST", "/auth/device/approve", {"user_code": "ZZZZ-ZZZZ"}, A)
    check(s == 404, "approve a code nobody has: %s" % s)
    s, d, _ = call("POST", "/auth/device/approve", {"user_code": "12345678"}, A)
    check(s == 422, "a malformed user code: %s" % s)
    s, d, _ = call("POST", "/auth/device/approve", {"user_code": dev["user_code"].lower().replace("-", " ")}, A)
    check(s == 200 and d["approved"] and d["client_name"] == "pluto-duck on laptop", "approve: %s %s" % (s, d))
    subprocess.run(psql_cmd + ["UPDATE device_codes SET last_poll_at = NULL"], capture_output=True)
    s, d, _ = call("POST", "/auth/token", tok)
    check(s == 200 and d["access_token"] and call("GET", "/me", token=d["access_token"])[1]["email"] ==
          "ann@example.com", "the device gets tokens for the approver: %s %s" % (s, d))
    subprocess.run(psql_cmd + ["UPDATE device_codes SET last_poll_at = NULL"], capture_output=True)
    s, d, _ = call("POST", "/auth/token", tok)
    check(s == 400 and d["error"]["code"] == "expired_token", "a device code works once: %s %s" % (s, d))
    s, dev2, _ = call("POST", "/auth/device", {})
    call("POST", "/auth/device/approve", {"user_code": dev2["user_code"], "approve": False}, C)
    s, d, _ = call("POST", "/auth/token", dict(tok, device_code=dev2["device_code"]))
    check(s == 400 and d["error"]["code"] == "access_denied", "denied: %s %s" % (s, d))
    s, dev3, _ = call("POST", "/auth/device", {})
    subprocess.run(psql_cmd + ["UPDATE device_codes SET expires_at = now() - interval '1 second' "
                               "WHERE user_code = '%s'" % dev3["user_code"]], capture_output=True)
    s, d, _ = call("POST", "/auth/token", dict(tok, device_code=dev3["device_code"]))
    check(s == 400 and d["error"]["code"] == "expired_token", "an expired code: %s %s" % (s, d))
    # The web pages: the app for every page, with a CSP that runs only its own files.
    req = urllib.request.urlopen(ROOT + "/device?user_code=" + dev["user_code"])
    body = req.read().decode()
    csp = req.headers.get("Content-Security-Policy", "")
    check(req.status == 200 and '<div id="app">' in body and "script-src 'self'" in csp
          and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
          and req.headers.get("X-Content-Type-Options") == "nosniff",
          "the approval page is the app: %s %s" % (req.status, csp))
    for bad in ["/nope.js", "/assets/none.css", "/.env", "/assets/../../etc/passwd", "/%2e%2e/etc/passwd"]:
        try:
            status = urllib.request.urlopen(ROOT + bad).status
        except urllib.error.HTTPError as e:
            status = e.code
        check(status == 404, "no file outside the pages: %s %s" % (bad, status))

    # ---- every operation under every role, against the permission table ------
    def scratch():
        """A fresh workspace where bob is editor, carol viewer, and an agent token."""
        ws = workspace("scratch")
        for email, tok, role in [("bob@example.com", B, "editor"), ("carol@example.com", C, "viewer")]:
            inv = invite(ws, email, role)
            call("POST", "/invitations/accept", {"token": inv["token"]}, tok)
        s, ag, _ = call("POST", "/workspaces/%s/agent-tokens" % ws, {"name": "runner"}, A)
        return ws, ag

    def pipeline_in(ws):
        return call("POST", "/workspaces/%s/pipelines" % ws,
                    {"name": "p%d" % int(time.time() * 1e6 % 1e9),
                     "files": {"analyses/a.yaml": "name: a\n"}}, A)[1]["id"]

    def body_for(op, n):
        schema = ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {})
        props = schema.get("schema", {}).get("properties", {})
        example = {"name": "x", "email": "m%d@example.com" % n, "role": "viewer", "token": "pci_none",
                   "password": "long-enough", "refresh_token": "pcr_none"}
        def value(k):
            t = props[k].get("type")
            if k == "files":
                return {"analyses/a.yaml": "name: a\nsql: select 1\n"}
            return 1 if t == "integer" else {} if t == "object" else example.get(k, "x")
        return {k: value(k) for k in schema.get("schema", {}).get("required", []) if k in props}

    roles = {"owner": lambda: A, "editor": lambda: B, "viewer": lambda: C,
             "outsider": lambda: O, "anonymous": lambda: None}
    checked = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            allowed = set(op["x-roles"])
            public_statuses = set()
            for role in ["owner", "editor", "viewer", "runner", "outsider", "anonymous"]:
                ws, ag = scratch() if "{ws}" in path else (None, None)
                tok = ag["token"] if role == "runner" and ag else (
                    R if role == "runner" else roles[role]())
                p = path.replace("{ws}", ws or "")
                if "{user}" in p:
                    me_id = ids.get({"owner": "ann", "editor": "bob", "viewer": "carol"}.get(role, "olga"))
                    p = p.replace("{user}", me_id)
                if "{id}" in p and not p.startswith("/workspaces/"):
                    p = p.replace("{id}", uuid7())
                if "{id}" in p:
                    kind = p.split("/")[3]
                    made = call("POST", "/workspaces/%s/%s" % (ws, kind), {
                        "invitations": lambda: {"email": "x@example.com"},
                        "agent-tokens": lambda: {"name": "t"},
                        "pipelines": lambda: {"name": "p", "files": {"analyses/a.yaml": "name: a\n"}},
                        "runs": lambda: {"run_id": uuid7(), "pipeline_id": pipeline_in(ws)},
                        "schedules": lambda: {"pipeline_id": pipeline_in(ws), "cron": "@daily"},
                        "comments": lambda: {"target_kind": "run", "body": "hi", "target_id": call(
                            "POST", "/workspaces/%s/runs" % ws,
                            {"run_id": uuid7(), "pipeline_id": pipeline_in(ws)}, A)[1]["id"]},
                    }[kind](), tok if kind == "comments" and role in ("owner", "editor", "viewer") else A)[1]
                    # (a comment is deleted by its author: the caller's own, where it may write one)
                    p = p.replace("{id}", made["id"])
                if "{aid}" in p:
                    data = b"x"
                    made = call("POST", p.split("/artifacts/")[0] + "/artifacts",
                                {"kind": "report", "name": "r.md", "size": 1,
                                 "sha256": hashlib.sha256(data).hexdigest()}, A)[1]
                    p = p.replace("{aid}", made["id"])
                p = p.replace("{key}", uuid7())
                p = p.replace("{n}", "1")
                s, d, _ = call(method.upper(), p, body_for(op, checked) if method != "get" else None, tok)
                checked += 1
                if "anyone" in allowed:  # who calls makes no difference
                    public_statuses.add(s)
                    ok = len(public_statuses) == 1
                elif role == "anonymous":
                    ok = s == 401
                elif "{ws}" in path and role == "outsider":
                    ok = s == 404
                elif "{ws}" in path:
                    ok = (s == 403) == (role not in allowed)
                else:  # outside a workspace: any signed-in person, never an agent
                    ok = (s == 403) == (role == "runner") and s != 401
                check(ok, "matrix %s %s as %s: %s %s" % (method.upper(), path, role, s,
                                                         d if isinstance(d, dict) else ""))
    print("role matrix: %d calls" % checked)

    # ---- the audit trail ----------------------------------------------------
    s, text, h = call("GET", "/workspaces/%s/audit?format=jsonl&limit=1000" % W, token=A, raw=True)
    check(s == 200 and h.get("Content-Type") == "application/x-ndjson", "audit jsonl: %s" % s)
    entries = [json.loads(l) for l in text.splitlines()]
    actions = {e["action"] for e in entries}
    for a in ["workspace.create", "invitation.create", "invitation.accept", "agent_token.create",
              "auth.login", "user.register"]:
        check(a in actions, "audit has %s (has %s)" % (a, sorted(actions)))
    check(all(e["address"] == "127.0.0.1" for e in entries if e["action"] == "auth.login"),
          "sign-ins carry the address")
    s, d, _ = call("GET", "/workspaces/%s/audit?action=invitation.&actor=ann@example.com" % W, token=A)
    check(s == 200 and d and all(e["action"].startswith("invitation.") for e in d), "audit filter")
    psql = psql_cmd
    for sql in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"]:
        p = subprocess.run(psql + [sql], capture_output=True, text=True)
        check(p.returncode != 0 and "append-only" in p.stderr, "%s refused: %s" % (sql, p.stderr))
    p = subprocess.run(psql + ["UPDATE pipeline_files SET content = 'x'"], capture_output=True, text=True)
    check(p.returncode != 0 and "immutable" in p.stderr, "versions are immutable: %s" % p.stderr)
    p = subprocess.run(psql + ["SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'"],
                       capture_output=True, text=True)
    check(p.stdout.strip() == "4", "passwords are argon2id: %s" % p.stdout)
    p = subprocess.run(psql + ["SELECT count(*) FROM agent_tokens WHERE token_hash = "
                               "sha256(convert_to('%s', 'UTF8'))" % R], capture_output=True, text=True)
    check(p.stdout.strip() == "1", "agent tokens are kept as their SHA-256 only")

    # ---- the rules of the HTTP layer apply ------------------------------------
    s, d, _ = call("GET", "/me", token=A, headers={"Host": "evil.example"})
    check(s == 421, "DNS rebinding Host: %s" % s)
    s, d, _ = call("POST", "/workspaces", {"name": "y"}, A, headers={"Content-Type": "text/plain"})
    check(s == 415, "text/plain write: %s" % s)
    s, d, _ = call("POST", "/workspaces", {"name": "y"}, A, headers={"Origin": "https://evil.example"})
    check(s == 403, "cross-origin write: %s" % s)

    # ---- sign-in rate limit ------------------------------------------------------
    statuses = [call("POST", "/auth/login", {"email": "carol@example.com", "password": "bad"})[0]
                for _ in range(6)]
    check(statuses[:5] == [401] * 5 and statuses[5] == 429, "rate limit: %s" % statuses)
    s, d, h = call("POST", "/auth/login", {"email": "carol@example.com", "password": "carol-password"})
    check(s == 429 and h.get("Retry-After") == "900", "limited even with the right password: %s" % s)

    # ---- logout (the matrix signed everyone out everywhere: sign in again) --------
    ann = login("ann@example.com", "ann-password")
    A = ann["access_token"]
    s, d, _ = call("POST", "/auth/logout", {"refresh_token": ann["refresh_token"]}, A)
    check(s == 200 and d["revoked"] == 1, "logout: %s %s" % (s, d))
    s, d, _ = call("POST", "/auth/refresh", {"refresh_token": ann["refresh_token"]})
    check(s == 401, "refresh after logout: %s" % s)

    # ---- a second server on the same database, with artifacts in S3 (moto) --------
    def free_port():
        import socket
        so = socket.socket()
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
        so.close()
        return port

    moto_port = free_port()
    moto = subprocess.Popen(["moto_server", "-p", str(moto_port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    s3env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing-secret",
                 AWS_DEFAULT_REGION="us-east-1")
    endpoint = "http://127.0.0.1:%d" % moto_port
    for _ in range(100):
        if subprocess.run(["aws", "--endpoint-url", endpoint, "s3", "mb", "s3://pluto-artifacts"],
                          env=s3env, capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    second = subprocess.Popen([BIN, "serve", "--dsn", dsn, "--data", os.path.join(WORK, "second"),
                               "--port", "0", "--s3-endpoint", endpoint, "--s3-bucket",
                               "pluto-artifacts", "--trust-proxy"], env=s3env, stdout=subprocess.PIPE,
                              stderr=open(os.path.join(WORK, "second.err"), "w"), text=True)
    try:
        line2 = second.stdout.readline()
        m2 = re.search(r"serving (http://127\.0\.0\.1:\d+)", line2)
        check(m2 and "artifacts: s3" in line2, "the second server starts: %s" % line2)
        first_url, URL = URL, m2.group(1) + "/api/v1"
        # One database: the accounts, the signing key and the runs are the same.
        s, d, _ = call("GET", RUNS + "/" + rid, token=R)
        check(s == 200 and d["id"] == rid, "the second server knows the first's runs: %s" % s)
        snap = os.urandom(3000)
        s, a3, _ = call("POST", ART, {"kind": "snapshot", "name": "result.parquet",
                                      "content_type": "application/vnd.apache.parquet",
                                      "size": len(snap), "sha256": hashlib.sha256(snap).hexdigest()}, R)
        check(s == 201 and "X-Amz-Signature=" in a3["upload"]["url"], "an S3 upload URL: %s %s" % (s, a3))
        url3 = a3["upload"]["url"]
        # The signature is SigV4 as AWS's own SDK computes it for the same request and time.
        import datetime
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        from urllib.parse import urlsplit, parse_qs
        q = parse_qs(urlsplit(url3).query)
        at = datetime.datetime.strptime(q["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")

        class Frozen(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return at

            @classmethod
            def now(cls, tz=None):
                return at.replace(tzinfo=tz) if tz else at
        saved, botocore.auth.datetime.datetime = botocore.auth.datetime.datetime, Frozen
        try:
            req = AWSRequest(method="PUT", url=url3.split("?")[0])
            botocore.auth.S3SigV4QueryAuth(Credentials("testing", "testing-secret"), "s3", "us-east-1",
                                            expires=int(q["X-Amz-Expires"][0])).add_auth(req)
        finally:
            botocore.auth.datetime.datetime = saved
        want = parse_qs(urlsplit(req.url).query)["X-Amz-Signature"][0]
        check(q["X-Amz-Signature"][0] == want, "SigV4 matches botocore: %s vs %s" % (q["X-Amz-Signature"][0], want))
        check(curl("PUT", url3, snap) == 200, "upload to S3 with the signed URL")
        back = os.path.join(WORK, "back.bin")
        p = subprocess.run(["aws", "--endpoint-url", endpoint, "s3", "cp",
                            "s3://pluto-artifacts/%s" % a3["id"], back], env=s3env, capture_output=True)
        check(p.returncode == 0 and open(back, "rb").read() == snap, "awscli reads back what was uploaded")
        s, d, _ = call("POST", ART + "/" + a3["id"] + "/complete", {}, R)
        check(s == 200 and d["state"] == "complete", "complete, checked through S3: %s %s" % (s, d))
        # A wrong upload to S3 is refused at completion too.
        s, a4, _ = call("POST", ART, {"kind": "report", "name": "other.md", "size": 5,
                                      "sha256": hashlib.sha256(b"right").hexdigest()}, R)
        curl("PUT", a4["upload"]["url"], b"wrong")
        s, d, _ = call("POST", ART + "/" + a4["id"] + "/complete", {}, R)
        check(s == 409, "a wrong sha256 in S3: %s" % s)
        s, dl, _ = call("GET", ART + "/" + a3["id"] + "/download", token=C)
        check(s == 200 and curl("GET", dl["url"], out=back) == 200 and open(back, "rb").read() == snap,
              "download from S3 with a signed URL: %s" % s)
        s, body, _ = call("GET", ART + "/" + a3["id"] + "/content", token=C, raw=True)
        check(s == 200 and body.encode(errors="surrogateescape") == snap, "an artifact's content read from S3 by the server: %s" % s)
        # Behind a proxy (--trust-proxy) the audit names the client the proxy saw.
        s, d, _ = call("POST", "/auth/login", {"email": "bob@example.com", "password": "bob-password"},
                       headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"})
        URL = first_url
        s, d, _ = call("POST", "/auth/login", {"email": "bob@example.com", "password": "bob-password"},
                       headers={"X-Forwarded-For": "203.0.113.66"})
        s, text, _ = call("GET", "/workspaces/%s/audit?format=jsonl&action=auth.login&actor=bob@example.com&limit=2"
                          % W, token=A, raw=True)
        addrs = [json.loads(l)["address"] for l in text.splitlines()]
        check(addrs == ["127.0.0.1", "203.0.113.9"],
              "X-Forwarded-For is taken only with --trust-proxy, its last address: %s" % addrs)
    finally:
        second.send_signal(signal.SIGTERM)
        check(second.wait(timeout=30) == 0, "the second server exits 0")
        moto.terminate()
        moto.wait(timeout=10)

    # ---- TLS with a self-signed certificate ------------------------------------------
    cert, key = os.path.join(WORK, "cert.pem"), os.path.join(WORK, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   capture_output=True, check=True)
    tls = subprocess.Popen([BIN, "serve", "--dsn", dsn, "--data", os.path.join(WORK, "tls"), "--port", "0",
                            "--tls-cert", cert, "--tls-key", key], stdout=subprocess.PIPE,
                           stderr=open(os.path.join(WORK, "tls.err"), "w"), text=True)
    try:
        line3 = tls.stdout.readline()
        m3 = re.search(r"serving (https://127\.0\.0\.1:\d+)", line3)
        check(m3, "the TLS server starts: %s" % line3)
        if m3:
            p = subprocess.run(["curl", "-s", "--cacert", cert, m3.group(1) + "/api/v1/health"],
                               capture_output=True, text=True)
            check(p.returncode == 0 and json.loads(p.stdout or "{}").get("status") == "ok",
                  "HTTPS with the certificate: %s %s" % (p.returncode, p.stdout))
            p = subprocess.run(["curl", "-s", m3.group(1) + "/api/v1/health"], capture_output=True, text=True)
            check(p.returncode != 0, "a client that does not trust the certificate is refused: %s" % p.returncode)
            p = subprocess.run(["curl", "-s", "-m", "5", m3.group(1).replace("https", "http") + "/api/v1/health"],
                               capture_output=True, text=True)
            check("ok" not in p.stdout, "plain HTTP to the TLS port gets no answer: %s" % p.stdout[:80])
    finally:
        tls.send_signal(signal.SIGTERM)
        check(tls.wait(timeout=30) == 0, "the TLS server exits 0")
    open(os.path.join(WORK, "bad.pem"), "w").write("not a certificate")
    p = subprocess.run([BIN, "serve", "--dsn", dsn, "--data", os.path.join(WORK, "tls"), "--port", "0",
                        "--tls-cert", os.path.join(WORK, "bad.pem"), "--tls-key", key],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode != 0 and "TLS" in p.stderr, "a bad certificate is a clear error: %s" % p.stderr)
    p = subprocess.run([BIN, "serve", "--dsn", dsn, "--tls-cert", cert], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "--tls-key" in p.stderr, "a certificate without its key: %s %s" % (p.returncode, p.stderr))

    # ---- PostgreSQL restarted under the server ------------------------------------
    pgdata = os.path.join(DATA, "postgres", "data")
    pgbin = sorted(os.listdir("/usr/lib/postgresql"), key=int)[-1]
    pg_ctl = "/usr/lib/postgresql/%s/bin/pg_ctl" % pgbin
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    # Requests in flight while the database goes away: each is a 200 or a clean 503.
    seen, stop_load = {}, threading.Event()

    def load():
        while not stop_load.is_set():
            try:
                st = call("GET", "/workspaces", token=A)[0]
            except Exception as e:  # a hung or broken answer is a failure too
                st = type(e).__name__
            seen[st] = seen.get(st, 0) + 1
    workers = [threading.Thread(target=load) for _ in range(6)]
    for w in workers:
        w.start()
    time.sleep(0.3)
    subprocess.run(as_pg + [pg_ctl, "-D", pgdata, "-m", "immediate", "stop"], capture_output=True,
                   cwd="/")
    time.sleep(0.5)
    stop_load.set()
    for w in workers:
        w.join()
    check(set(seen) <= {200, 503} and seen.get(503), "answers while the database went away: %s" % seen)
    s, d, _ = call("GET", "/workspaces", token=A)
    check(s == 503 and d["error"]["code"] == "unavailable", "database down: %s %s" % (s, d))
    s, d, _ = call("GET", "/health")
    check(s == 503, "health with the database down: %s" % s)
    subprocess.run(as_pg + [pg_ctl, "-D", pgdata, "-l", os.path.join(DATA, "postgres", "server.log"),
                            "-w", "-o", "-k %s -c listen_addresses= -p 5432" % os.path.join(DATA, "postgres"),
                            "start"], capture_output=True, cwd="/")
    s, d, _ = call("GET", "/workspaces", token=A)
    check(s == 200 and len(d) >= 2, "recovered without a restart: %s" % s)
finally:
    server.send_signal(signal.SIGTERM)
    try:
        rc = server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        rc = "killed"
    check(rc == 0, "pluto-cloud exits 0 on SIGTERM: %s" % rc)
    check(not os.path.exists(os.path.join(DATA, "postgres", "data", "postmaster.pid")),
          "the dev database is stopped with the server")

for problem in (CONTRACT.problems if CONTRACT else []):
    check(False, "contract: " + problem)
for method, template in (CONTRACT.never_called() if CONTRACT else []):
    check(False, "contract: never called %s %s" % (method, template))
if FAILS:
    print("%d checks failed" % len(FAILS), file=sys.stderr)
    sys.exit(1)
print("pluto-cloud: all checks passed")
