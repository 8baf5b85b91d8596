#!/usr/bin/env python3
"""Hold many idle and trickling connections to a server on loopback, for the
connection-limit tests. Bounded: at most COUNT connections, for at most
SECONDS, only to 127.0.0.1; it stops by itself.

usage: conn_flood.py PORT COUNT TRICKLING SECONDS STATUS_FILE

COUNT connections come from 127.0.0.2-127.0.0.9 (so 127.0.0.1 stays the test's
own address); TRICKLING of them send a request head one byte a second. Every
second STATUS_FILE gets one JSON line: how many are still open, idle and
trickling.
"""
import json
import socket
import sys
import time

port, count, trickling, seconds, status = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
idle, trick, refused = [], [], 0
for i in range(count):
    s = socket.socket()
    try:
        s.bind(("127.0.0.%d" % (2 + i % 8), 0))
        s.connect(("127.0.0.1", port))
        (trick if i < trickling else idle).append(s)
    except OSError:
        refused += 1
        s.close()
for s in trick:
    s.sendall(b"GET /api/v1/health HTTP/1.1\r\n")


def is_open(s):
    s.setblocking(False)
    try:
        return s.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


end = time.time() + seconds
with open(status, "a") as out:
    while time.time() < end:
        for s in trick:
            try:
                s.send(b"X")
            except OSError:
                pass
        line = {"t": round(seconds - (end - time.time()), 1), "refused": refused,
                "idle_open": sum(map(is_open, idle)), "trickling_open": sum(map(is_open, trick))}
        out.write(json.dumps(line) + "\n")
        out.flush()
        time.sleep(1)
for s in idle + trick:
    s.close()
