#!/usr/bin/env python3
"""A server that accepts TCP connections on a free loopback port and never answers.

Prints its port (one line) and holds every connection for SECONDS (default 30):
a client waiting on it waits until its own timeout. Used by the tests and the
benchmarks of slow handlers.
"""
import socket
import sys
import time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
s.settimeout(1)
print(s.getsockname()[1], flush=True)
held = []
end = time.time() + seconds
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except OSError:
        pass
