#!/usr/bin/env python3
"""A loopback OpenAI-compatible chat-completions server for the llm tests.

Speaks the real streaming protocol (Server-Sent Events: "data: {chunk}" lines
with choices[0].delta.content, a usage chunk, "data: [DONE]"). The request's
"model" field picks a behaviour:

  normal     stream "Echo: <last user message>" in small chunks, then [DONE]
  usage      as normal, plus a usage chunk (prompt/completion tokens)
  auth       as normal if "Authorization: Bearer sekrit", else 401 + error JSON
  err500     HTTP 500 with {"error": {"message": "model exploded"}}
  drop       two chunks, then the connection closes without [DONE]
  slow       one chunk, then sleeps 10 s (the client's timeout fires first)
  malformed  a chunk that is not JSON
  hostile    content with NULs, lone surrogates, control bytes, long text
  parallel   sleeps 0.4 s, replies "inflight=<max requests in flight seen>"
  plain      a non-streamed chat completion (application/json)
  say:TEXT   stream TEXT ("\\n" for a newline) whatever was asked

Usage: openai_server.py --port-file F  (binds 127.0.0.1 on an ephemeral port,
writes the port to F, serves until killed; exits by itself after 120 s)."""
import argparse
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
inflight = 0
max_inflight = 0


def chunk(content=None, finish=None, usage=None):
    d = {"id": "c1", "object": "chat.completion.chunk", "model": "test",
         "choices": [{"index": 0, "delta": {} if content is None else {"content": content},
                      "finish_reason": finish}]}
    if usage is not None:
        d = {"id": "c1", "object": "chat.completion.chunk", "choices": [], "usage": usage}
    return ("data: " + json.dumps(d) + "\n\n").encode()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def send(self, b):
        self.wfile.write(b)
        self.wfile.flush()

    def do_POST(self):
        global inflight, max_inflight
        if not self.path.endswith("/chat/completions"):
            return self.send_json(404, {"error": {"message": "no such route " + self.path}})
        n = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(n))
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad JSON in request"}})
        mode = req.get("model", "normal")
        msgs = req.get("messages", [])
        user = next((m["content"] for m in reversed(msgs) if m.get("role") == "user"), "")
        text = "Echo: " + user
        if mode.startswith("say:"):
            text = mode[4:].replace("\\n", "\n")
        pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
        if mode == "err500":
            return self.send_json(500, {"error": {"message": "model exploded", "type": "server_error"}})
        if mode == "auth" and self.headers.get("Authorization") != "Bearer sekrit":
            return self.send_json(401, {"error": {"message": "invalid API key", "type": "auth"}})
        if mode == "plain":
            return self.send_json(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                     "finish_reason": "stop"}],
                                        "usage": {"prompt_tokens": 5, "completion_tokens": 3}})
        if mode == "parallel":
            with lock:
                inflight += 1
                max_inflight = max(max_inflight, inflight)
            time.sleep(0.4)
            with lock:
                seen = max_inflight
                inflight -= 1
            pieces = ["inflight=%d" % seen]
        self.start_stream()
        if mode == "malformed":
            self.send(chunk("ok"))
            self.send(b"data: {\"choices\": [ {\"delta\": {\"content\": \"x\"\n\n")
            return
        if mode == "hostile":
            pieces = ["a\u0000b", "\ud800", "\x07\x1b[31m", "z" * 5000, "\U0001F310"]
            for p in pieces:
                d = {"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
                self.send(("data: " + json.dumps(d) + "\n\n").encode("utf-8", "surrogatepass"))
            self.send(b"data: [DONE]\n\n")
            return
        for i, p in enumerate(pieces):
            self.send(chunk(p))
            if mode == "drop" and i == 1:
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if mode == "slow":
                time.sleep(10)
                return
        self.send(chunk(None, "stop"))
        if mode == "usage":
            self.send(chunk(usage={"prompt_tokens": 17, "completion_tokens": len(pieces),
                                   "total_tokens": 17 + len(pieces)}))
        self.send(b"data: [DONE]\n\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    threading.Timer(120, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
