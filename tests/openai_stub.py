"""A stub of an OpenAI-compatible server on loopback, for what the real one cannot show:
an unknown model answered 404 the way vLLM does, a 429 with Retry-After, and a server that
accepts a request and never answers. A test fixture, not a product path."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from .loopback import loopback_server


@dataclass
class Stub:
    url: str = ""
    busy_once: bool = False  # the first chat request gets 429 with Retry-After: 1
    silent: bool = False  # a chat request is accepted and never answered
    calls: list[tuple[str, float]] = field(default_factory=list)
    bodies: list[dict[str, object]] = field(default_factory=list)  # each POST's JSON


def _handler(state: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            state.calls.append((self.path, time.monotonic()))
            if self.path == "/v1/models":
                self._send(200, {"object": "list", "data": [
                    {"id": "served", "object": "model", "max_model_len": 4096},
                    {"id": "gone", "object": "model", "max_model_len": 4096}]})
            else:
                self._send(404, {"detail": "Not Found"})

        def do_POST(self) -> None:
            state.calls.append((self.path, time.monotonic()))
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            state.bodies.append(body)
            if self.path != "/v1/chat/completions":
                self._send(404, {"detail": "Not Found"})
                return
            if state.silent:
                time.sleep(30)  # accepted, never answered (the client gives up first)
                return
            if body.get("model") == "gone":  # vLLM's answer for a model it does not serve
                self._send(404, {"object": "error", "message": "The model `gone` does not "
                                 "exist.", "type": "NotFoundError", "param": None, "code": 404})
                return
            if state.busy_once:
                state.busy_once = False
                self._send(429, {"error": {"message": "busy"}}, {"Retry-After": "1"})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in ("Hello", " there", "."):
                chunk = {"choices": [{"index": 0, "delta": {"content": piece},
                                      "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(end)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

    return Handler


@contextlib.contextmanager
def openai_stub() -> Iterator[Stub]:
    state = Stub()
    with loopback_server(_handler(state)) as port:
        state.url = f"http://127.0.0.1:{port}/v1"
        yield state
