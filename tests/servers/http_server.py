#!/usr/bin/env python3
"""http_server.py - a small HTTP server for the http source tests.

Serves files from a directory with ETag and Last-Modified (answering 304 to a
matching If-None-Match), plus three misbehaving paths:
  /status/500     answers 500
  /cut/NAME       promises the whole file but closes after half of it
  /count          how many GET requests were answered with a body (200)
Usage: http_server.py DIR PORTFILE   (binds 127.0.0.1 on a free port, writes it to PORTFILE)
"""
import hashlib
import http.server
import os
import sys

ROOT = sys.argv[1]
served = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        global served
        if self.path == "/count":
            body = str(served).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/status/"):
            self.send_response(int(self.path.split("/")[2]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        cut = self.path.startswith("/cut/")
        name = self.path[5:] if cut else self.path[1:]
        path = os.path.join(ROOT, os.path.basename(name))
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(path, "rb").read()
        etag = '"%s"' % hashlib.sha1(data).hexdigest()
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        served += 1
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if cut else data)
        if cut:
            self.wfile.flush()
            self.close_connection = True


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
