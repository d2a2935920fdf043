#!/usr/bin/env python3
"""A test stand-in for upstream LLM and embedding APIs (OpenAI-compatible), for Turnout's tests.

It exists because real upstream models cannot run here. It answers, streams slowly, stalls,
fails with 5xx or 429, closes mid-stream or returns garbage, as the test asks:

  POST /control   {"mode": "...", "count": N, "delay_ms": D, "retry_after": S}
      mode: ok | fail500 | rate429 | reject400 | stall | garbage | no_choices | close_mid_stream | slow_stream | judge
      judge: answers as a pairwise judge that prefers the answer of model "prefer" ([[A]] or [[B]]), [[C]] if neither
      count: how many requests get the mode before it reverts to ok (default: all)
  GET  /stats     {"requests": {path: n}, "last_headers": {...}, "last_body": {...}}
  POST /v1/embeddings         deterministic unit vectors (--dims, default 8)
  POST /v1/chat/completions   echoes the last user message; streams with stream=true
  GET  /v1/models

On start it logs one JSON line to stderr: {"msg":"listening","port":N}, like Turnout's services.
Standard library only.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, dims, name):
        self.lock = threading.Lock()
        self.dims = dims
        self.name = name
        self.mode = "ok"
        self.remaining = None
        self.delay_ms = 0
        self.retry_after = None
        self.requests = {}
        self.last_headers = {}
        self.last_body = None
        self.prefer = None

    def take_mode(self):
        with self.lock:
            mode = self.mode
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining <= 0:
                    self.mode, self.remaining = "ok", None
            return mode, self.delay_ms, self.retry_after


def vector_for(text, dims):
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    raw = [(digest[i % 32] - 127.5) / 127.5 + 0.01 * i for i in range(dims)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _json(self, status, obj, extra_headers=()):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra_headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _read_body(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else {}
            except ValueError:
                return None

        def _count(self, body):
            with state.lock:
                state.requests[self.path] = state.requests.get(self.path, 0) + 1
                state.last_headers = {k.lower(): v for k, v in self.headers.items()}
                state.last_body = body

        def do_GET(self):
            if self.path == "/stats":
                with state.lock:
                    self._json(200, {"requests": state.requests, "last_headers": state.last_headers, "last_body": state.last_body})
            elif self.path == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": state.name, "object": "model"}]})
            else:
                self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        def do_POST(self):
            body = self._read_body()
            if self.path == "/control":
                with state.lock:
                    state.mode = body.get("mode", "ok")
                    state.remaining = body.get("count")
                    state.delay_ms = body.get("delay_ms", 0)
                    state.retry_after = body.get("retry_after")
                    state.prefer = body.get("prefer")
                self._json(200, {"ok": True})
                return
            self._count(body)
            mode, delay_ms, retry_after = state.take_mode()
            if body is None:
                self._json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
                return
            if mode == "fail500":
                self._json(500, {"error": {"message": "upstream exploded", "type": "server_error"}})
                return
            if mode == "rate429":
                headers = [("Retry-After", str(retry_after))] if retry_after is not None else []
                self._json(429, {"error": {"message": "rate limited", "type": "rate_limit_error"}}, headers)
                return
            if mode == "reject400":
                self._json(400, {"error": {"message": "This model's maximum context length is 8192 tokens", "type": "invalid_request_error",
                                           "param": "messages", "code": "context_length_exceeded"}})
                return
            if mode == "stall":
                time.sleep(30)
                return
            if mode == "no_choices":
                self._json(200, {"object": "chat.completion", "id": "x", "model": "m"})
                return
            if mode == "garbage":
                payload = b"<html>definitely not json"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if delay_ms:
                time.sleep(delay_ms / 1000)
            if self.path == "/v1/embeddings":
                self._embeddings(body)
            elif self.path == "/v1/chat/completions":
                self._chat(body, mode)
            else:
                self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        def _embeddings(self, body):
            inputs = body.get("input")
            if isinstance(inputs, str):
                inputs = [inputs]
            if not isinstance(inputs, list) or not all(isinstance(t, str) for t in inputs):
                self._json(400, {"error": {"message": "input must be a string or a list of strings", "type": "invalid_request_error"}})
                return
            data = [{"object": "embedding", "index": i, "embedding": vector_for(t, state.dims)} for i, t in enumerate(inputs)]
            tokens = sum(len(t.split()) for t in inputs)
            self._json(200, {"object": "list", "data": data, "model": body.get("model", state.name),
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

        def _chat(self, body, mode):
            messages = body.get("messages") or []
            last_user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
            if isinstance(last_user, list):
                last_user = " ".join(part.get("text", "") for part in last_user if isinstance(part, dict))
            answer = f"{state.name} says: {last_user}"
            if mode == "judge":
                answer = judge_verdict(last_user, state.prefer)
            prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
            words = answer.split(" ")
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words), "total_tokens": prompt_tokens + len(words)}
            created = int(time.time())
            if not body.get("stream"):
                self._json(200, {"id": "chatcmpl-test", "object": "chat.completion", "created": created, "model": state.name,
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                                 "usage": usage})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            def event(obj):
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()
            base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": created, "model": state.name}
            event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
            for i, word in enumerate(words):
                if mode == "close_mid_stream" and i == len(words) // 2:
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                if mode == "slow_stream":
                    time.sleep(0.05)
                event({**base, "choices": [{"index": 0, "delta": {"content": (" " if i else "") + word}, "finish_reason": None}]})
            event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            if (body.get("stream_options") or {}).get("include_usage"):
                event({**base, "choices": [], "usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def judge_verdict(prompt, prefer):
    """A pairwise judge's reply (MT-Bench's format): prefers the answer that `prefer` wrote."""
    def between(start, end):
        head = prompt.find(start)
        tail = prompt.find(end, head + len(start)) if head >= 0 else -1
        return prompt[head + len(start):tail] if head >= 0 and tail >= 0 else ""
    a = between("[The Start of Assistant A's Answer]\n", "\n[The End of Assistant A's Answer]")
    b = between("[The Start of Assistant B's Answer]\n", "\n[The End of Assistant B's Answer]")
    mark = f"{prefer} says" if prefer else None
    verdict = "[[A]]" if mark and a.startswith(mark) else "[[B]]" if mark and b.startswith(mark) else "[[C]]"
    return f"Assistant answers compared. {verdict}"


def exit_with_parent():
    """Ends this process when the test run that started it dies (TURNOUT_EXIT_WITH_PARENT=1)."""
    parent = os.getppid()
    def watch():
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(0.5)
    threading.Thread(target=watch, daemon=True).start()


def main():
    if os.environ.get("TURNOUT_EXIT_WITH_PARENT") == "1":
        exit_with_parent()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dims", type=int, default=8)
    parser.add_argument("--name", default="test-model")
    args = parser.parse_args()
    state = State(args.dims, args.name)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    server.daemon_threads = True
    print(json.dumps({"msg": "listening", "port": server.server_address[1], "name": args.name}, separators=(",", ":")), file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
