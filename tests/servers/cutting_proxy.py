#!/usr/bin/env python3
"""A TCP proxy on a free loopback port that cuts uploads short: a network that drops.

    cutting_proxy.py TARGET_PORT CUT_AFTER_BYTES [TIMES]

Prints its port (one line), then forwards every connection to 127.0.0.1:TARGET_PORT
unchanged, except that the first TIMES (default 1) PUT requests with a body larger
than CUT_AFTER_BYTES are closed, both ways, once that many bytes of them have gone
through: the client sees its upload end half-way, the server a request that never
finished.
Each cut is logged to stderr as "cut PUT after N bytes".
"""
import socket
import sys
import threading

target, cut_after = int(sys.argv[1]), int(sys.argv[2])
left = [int(sys.argv[3]) if len(sys.argv) > 3 else 1]
lock = threading.Lock()


def pipe(src, dst, limit=None, on_cut=None):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if limit is not None and sent + len(data) > limit:
                dst.sendall(data[: limit - sent])
                on_cut(limit)
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    upstream = socket.create_connection(("127.0.0.1", target))
    first = client.recv(65536)
    while b"\r\n\r\n" not in first and len(first) < 65536:
        more = client.recv(65536)
        if not more:
            break
        first += more
    limit = None
    head = first.split(b"\r\n\r\n", 1)[0].lower()
    length = [int(l.split(b":", 1)[1]) for l in head.split(b"\r\n") if l.startswith(b"content-length:")]
    if first.startswith(b"PUT ") and length and length[0] > cut_after:
        with lock:
            if left[0] > 0:
                left[0] -= 1
                limit = cut_after

    def cut(n):
        print("cut PUT after %d bytes" % n, file=sys.stderr, flush=True)

    if limit is not None and len(first) > limit:
        first = first[:limit]
    upstream.sendall(first)
    back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
    back.start()
    pipe(client, upstream, None if limit is None else limit - len(first), cut)
    back.join(5)
    client.close()
    upstream.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(128)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
