#!/usr/bin/env python3
"""A scripted OpenAI-compatible Chat Completions server for the agent tests.

usage: openai_server.py SCRIPT.json LOG.jsonl PORTFILE

SCRIPT is {"replies": [...]}, one reply used per POST .../chat/completions:
  {"content": "text", "chunks": 3}        text streamed in 3 deltas
  {"tool_calls": [{"name": N, "arguments": "..."}]}   tool calls, streamed
  {"stream": false, ...}                  one JSON body instead of a stream
  {"status": 429, "retry_after": 1}       an error status (with Retry-After)
  {"delay": 5}                            wait that long before answering
  {"usage": 900, ...}                     report that many tokens used
Every request is appended to LOG as {"path", "authorization", "body"}. When the
script is used up the server answers 500.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

script = json.load(open(sys.argv[1]))["replies"]
log_path = sys.argv[2]
lock = threading.Lock()
state = {"next": 0}


def chunk(delta, finish=None):
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": "test",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            with open(log_path, "a") as log:
                log.write(json.dumps({"path": self.path,
                                      "authorization": self.headers.get("Authorization"),
                                      "body": json.loads(body)}) + "\n")
            i = state["next"]
            state["next"] += 1
        if not self.path.endswith("/chat/completions") or i >= len(script):
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error":{"message":"the test script has no more replies"}}')
            return
        reply = script[i]
        time.sleep(reply.get("delay", 0))
        if "status" in reply:
            self.send_response(reply["status"])
            if "retry_after" in reply:
                self.send_header("Retry-After", str(reply["retry_after"]))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"error": {"message": "scripted error"}}).encode())
            return
        calls = [{"index": k, "id": "call_%d_%d" % (i, k), "type": "function",
                  "function": {"name": c["name"], "arguments": c["arguments"]}}
                 for k, c in enumerate(reply.get("tool_calls", []))]
        text = reply.get("content", "")
        if reply.get("stream", True) is False:
            message = {"role": "assistant", "content": text or None}
            if calls:
                message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in calls]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            body = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
            if "usage" in reply:
                body["usage"] = {"total_tokens": reply["usage"]}
            self.wfile.write(json.dumps(body).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        events = [chunk({"role": "assistant"})]
        n = max(1, reply.get("chunks", 1))
        step = -(-len(text) // n) if text else 0
        for k in range(0, len(text), step or 1):
            events.append(chunk({"content": text[k:k + step]}))
        for c in calls:  # name first, then the arguments in two pieces
            half = len(c["function"]["arguments"]) // 2
            events.append(chunk({"tool_calls": [{"index": c["index"], "id": c["id"], "type": "function",
                                                 "function": {"name": c["function"]["name"],
                                                              "arguments": c["function"]["arguments"][:half]}}]}))
            events.append(chunk({"tool_calls": [{"index": c["index"],
                                                 "function": {"arguments": c["function"]["arguments"][half:]}}]}))
        events.append(chunk({}, "tool_calls" if calls else "stop"))
        if "usage" in reply:  # as with stream_options.include_usage: a last chunk, no choices
            events.append({"object": "chat.completion.chunk", "choices": [],
                           "usage": {"total_tokens": reply["usage"]}})
        for e in events:
            self.wfile.write(b"data: " + json.dumps(e).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[3], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
