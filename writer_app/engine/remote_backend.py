"""A server the user runs as the engine: vLLM, llama-server, Ollama, LM Studio or any
other speaker of the OpenAI-compatible API (`/v1/models`, `/v1/chat/completions`,
`/v1/completions`), streamed as server-sent events.

The connections go through net.py, the one place that opens them (http and https only,
the system's certificates, redirects checked), with a timeout of our own: a server that
accepts and never answers, or a stream that stalls, is given up after ANSWER_TIMEOUT_S
without an answer; a cancel cuts the connection within a tenth of a second (the server
stops generating when the client goes). Nothing is retried silently; a 429 is retried
once, after the Retry-After the server asks for (at most MAX_RETRY_AFTER_S).

What each server says of itself: the context length (vLLM's `max_model_len` in
/v1/models, llama-server's /props, Ollama's /api/show) and a tokenizer (vLLM's and
llama-server's /tokenize, llama-cpp-python's /extras/tokenize). Without them tokens are
estimated high (a token per CHARS_PER_TOKEN characters) and a server's "maximum context
length" error becomes the same PromptTooLongError the local engine gives.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import ssl
import threading
import time
import urllib.error
from collections.abc import Iterator
from http.client import HTTPResponse, IncompleteRead, RemoteDisconnected
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from writer_app.engine.errors import EngineError, PromptTooLongError
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.stops import StopMatcher
from writer_app.engine.types import (
    CancelToken,
    Capabilities,
    Constraint,
    DeviceInfo,
    GenerationRequest,
    GenerationStats,
)
from writer_app.net import DOWNLOAD_ERRORS, chunks, open_url

ANSWER_TIMEOUT_S = 60.0  # a prompt of thousands of tokens takes a while to read
MAX_RETRY_AFTER_S = 30.0
# When the server names no context length: a small one, learned better from its errors.
FALLBACK_CONTEXT = 2048
# Ollama's OpenAI endpoint reads with this context whatever it is asked (its default).
OLLAMA_CONTEXT = 2048
# Requests sent at once when the user leaves it to the server ("auto"): llama-server's
# slots as /props tells them; vLLM batches many; Ollama queues what it cannot batch;
# others (llama-cpp-python's server, LM Studio) may serve one at a time or, worse, end
# the answer in progress when another request comes.
AUTO_REQUESTS = {"vLLM": 8, "ollama": 4}
CHARS_PER_TOKEN = 3.0  # an estimate on the high side: English runs at about 4
MESSAGE_OVERHEAD = 8  # tokens a chat template adds around each message
_CONTEXT_ERROR = re.compile(r"maximum context length is (\d+) tokens.*?requested (\d+)",
                            re.S)


class ServerError(EngineError):
    """The server refused, failed or did not answer: its address and why, in one line."""


def api_base(url: str) -> str:
    """The API's root: `http://host:port/v1` (a missing http:// or /v1 added)."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url if url.endswith("/v1") else url + "/v1"


def server_host(url: str) -> str:
    """host:port of a server's address, as the user is shown it and allows it."""
    return urlsplit(api_base(url)).netloc


def is_loopback(url: str) -> bool:
    """Whether the server is this computer (a name such as 127.example.com is not)."""
    host = urlsplit(api_base(url)).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def is_unencrypted(url: str) -> bool:
    return api_base(url).lower().startswith("http://")


class RemoteBackend:
    name = "server"

    def __init__(self, url: str, api_key: str | None = None, model: str | None = None,
                 parallel: int = 0) -> None:
        """`parallel`: requests sent at once (0: as many as the server says it serves)."""
        self.base = api_base(url)
        self.root = self.base.removesuffix("/v1")
        self.host = urlsplit(self.base).netloc
        self.api_key = api_key
        listed = self._json("GET", "/models").get("data")
        self.listed = [m for m in listed if isinstance(m, dict) and m.get("id")] \
            if isinstance(listed, list) else []
        if not self.listed:
            raise ServerError(f"{self.host}: the server lists no models at {self.base}/models")
        ids = [m["id"] for m in self.listed]
        if model is not None and model not in ids:
            raise ServerError(f"{self.host}: no model {model!r} on the server (it has "
                              f"{', '.join(str(i) for i in ids)})")
        self.model = model or str(ids[0])
        entry = next(m for m in self.listed if m["id"] == self.model)
        self.kind, context, slots = self._learn(entry)
        self.context_length = context or FALLBACK_CONTEXT
        self._tokenize = self._find_tokenizer()
        self.capabilities = Capabilities(
            token_count="exact" if self._tokenize else "estimated",
            parallel_requests=parallel if parallel > 0 else slots,
            # Asked of the server (_constrain); a task still checks what comes back, as a
            # server that ignores the request answers freely.
            constrained_output=True,
            # llama-server's /infill, for a model with fill-in-the-middle tokens; one
            # without them is refused once, then asked for a plain completion.
            fill_in_middle=self.kind == "llama-server")
        self._infill = self.kind == "llama-server"
        # What the server is, and what that means for long texts.
        self.about = {"ollama": f"Ollama (its OpenAI endpoint reads {OLLAMA_CONTEXT} tokens: "
                                "long texts go in parts that fit)"}.get(self.kind, self.kind)
        self.device = DeviceInfo("server", 0, f"served by {self.host} ({self.about})")
        self.info = ModelInfo(path=Path(self.model), name=self.model, architecture="server",
                              parameters=0, quantization="", context_length=self.context_length,
                              has_chat_template=True, chat_template=None, file_size=0)

    # --- what the server says of itself ------------------------------------------------
    def _learn(self, entry: dict[str, Any]) -> tuple[str, int, int]:
        """(which server, its context length or 0, the requests it serves at once)."""
        if isinstance(entry.get("max_model_len"), int):
            return "vLLM", entry["max_model_len"], AUTO_REQUESTS["vLLM"]
        props = self._optional("GET", "/props", root=True)
        if props is not None:
            settings = props.get("default_generation_settings") or {}
            n_ctx = settings.get("n_ctx") or props.get("n_ctx")
            slots = props.get("total_slots")
            return ("llama-server", n_ctx if isinstance(n_ctx, int) else 0,
                    slots if isinstance(slots, int) and slots > 0 else 1)
        if self._optional("GET", "/api/version", root=True) is not None:
            return "ollama", OLLAMA_CONTEXT, AUTO_REQUESTS["ollama"]
        return "OpenAI-compatible server", 0, 1

    def _find_tokenizer(self) -> tuple[str, str] | None:
        """(path, the body's text field) of a tokenize endpoint that answers."""
        for path, field in (("/tokenize", "prompt"), ("/tokenize", "content"),
                            ("/extras/tokenize", "input")):
            answer = self._optional("POST", path, {field: "Hello", "model": self.model},
                                    root=True)
            count = answer.get("count") if answer else None
            tokens = answer.get("tokens") if answer else None
            if (isinstance(count, int) and count > 0) or (isinstance(tokens, list) and tokens):
                return path, field
        return None

    # --- tokens -----------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        if self._tokenize is not None:
            path, field = self._tokenize
            answer = self._json("POST", path, {field: text, "model": self.model}, root=True)
            count = answer.get("count")
            return count if isinstance(count, int) else len(answer.get("tokens") or [])
        return int(len(text) / CHARS_PER_TOKEN) + 1

    def prompt_tokens(self, request: GenerationRequest) -> int:
        if request.messages is not None:
            return sum(self.count_tokens(m.content) + MESSAGE_OVERHEAD
                       for m in request.messages)
        return self.count_tokens(request.prompt or "")

    # --- generating -------------------------------------------------------------------
    def stream(self, request: GenerationRequest, stats: GenerationStats) -> Iterator[str]:
        """The answer's pieces as the server streams them; a cancel closes the stream."""
        options, cancel = request.options, request.cancel
        prompt_tokens = self.prompt_tokens(request)
        if prompt_tokens >= self.context_length:
            raise PromptTooLongError(prompt_tokens, self.context_length)
        stats.prompt_tokens = prompt_tokens
        body: dict[str, Any] = {
            "model": self.model, "stream": True,
            "max_tokens": max(1, min(options.max_tokens, self.context_length - prompt_tokens)),
            "temperature": options.temperature, "top_p": options.top_p,
            # Understood by llama.cpp's and vLLM's servers; others ignore them.
            "top_k": options.top_k, "min_p": options.min_p,
            "repeat_penalty": options.repeat_penalty,
            "repetition_penalty": options.repeat_penalty,
        }
        if options.seed >= 0:
            body["seed"] = options.seed
        if options.stop:
            body["stop"] = list(options.stop[:4])  # the API takes four; ours takes the rest
        if request.constraint is not None:
            body.update(self._constrain(request.constraint))
        path, root = self._route(request, body)
        try:
            response = self._open_unless_cancelled(path, body, cancel, root)
        except ServerError as exc:
            if path != "/infill" or ("(501)" not in str(exc) and "infill" not in str(exc).lower()):
                raise
            # The model has no fill-in-the-middle tokens: the text before the gap alone.
            self._infill = False
            path, root = self._route(request, body)
            response = self._open_unless_cancelled(path, body, cancel, root)
        if response is None:
            stats.finish_reason = "cancelled"
            return
        stops = StopMatcher(options.stop)
        stats.finish_reason = "length"
        events = 0
        finished = False  # the server said why the answer ended
        try:
            for event in _events(chunks(response, lambda: cancel.cancelled,
                                        max_seconds=None), self.host):
                events += 1
                if cancel.cancelled:
                    break
                choice = (event.get("choices") or [{}])[0]
                # OpenAI's chunks; llama-server's own endpoints (/infill) send "content".
                piece = (choice.get("delta") or {}).get("content") or choice.get("text") \
                    or event.get("content") or ""
                if piece:
                    stats.completion_tokens += 1
                    text = stops.feed(piece)
                    if text:
                        yield text
                    if stops.stopped:
                        stats.finish_reason = "stop"
                        return
                timings = event.get("timings")  # llama-server's, with its last event
                if isinstance(timings, dict) and isinstance(timings.get("cache_n"), int) \
                        and isinstance(timings.get("prompt_n"), int):
                    stats.prompt_tokens = timings["cache_n"] + timings["prompt_n"]
                    stats.reused_tokens = timings["cache_n"]
                reason = choice.get("finish_reason")
                if not reason and event.get("stop") is True:  # llama-server's own
                    reason = "length" if event.get("stop_type") == "limit" else "stop"
                if reason:
                    finished = True
                    stats.finish_reason = "stop" if reason == "stop" else "length"
            if cancel.cancelled:
                stats.finish_reason = "cancelled"
                return
            if not events:
                self._why_empty(path, body, root)
            if not finished:
                raise ServerError(
                    f"{self.host}: the server cut the answer short without saying why "
                    "(llama-cpp-python's server does so when another request comes: start "
                    "it with --interrupt_requests False, or send one request at a time)")
            tail = stops.flush()
            if tail:
                yield tail
        except DOWNLOAD_ERRORS as exc:
            if cancel.cancelled:
                stats.finish_reason = "cancelled"
                return
            raise ServerError(f"{self.host}: the answer broke off: {_reason(exc)}") from None
        finally:
            response.close()

    def _route(self, request: GenerationRequest, body: dict[str, Any]) -> tuple[str, bool]:
        """Where the request goes, and its text put in `body`: chat messages, a raw
        completion, or llama-server's /infill (the text before and after the gap, which
        the server puts in its model's fill-in-the-middle prompt)."""
        for key in ("messages", "prompt", "input_prefix", "input_suffix"):
            body.pop(key, None)
        if request.messages is not None:
            body["messages"] = [{"role": m.role, "content": m.content}
                                for m in request.messages]
            return "/chat/completions", False
        if self.kind == "llama-server":
            # Keep the prompt's cache for the next request that starts the same way
            # (ghost text as the user types).
            body["cache_prompt"] = True
            if request.suffix is not None and self._infill:
                body.update(input_prefix=request.prompt, input_suffix=request.suffix,
                            prompt="", n_predict=body["max_tokens"])
                return "/infill", True
        body["prompt"] = request.prompt
        return "/completions", False

    def _constrain(self, constraint: Constraint) -> dict[str, Any]:
        """The request fields that hold the answer to `constraint`: OpenAI's
        `response_format` with a JSON schema (vLLM, Ollama, LM Studio, llama-server and
        others that follow OpenAI); a GBNF grammar only for llama-server."""
        if constraint.kind == "gbnf":
            if self.kind != "llama-server":
                raise EngineError(f"{self.host}: only llama-server takes a GBNF grammar")
            return {"grammar": constraint.text}
        return {"response_format": {"type": "json_schema", "json_schema": {
            "name": "answer", "schema": json.loads(constraint.text), "strict": True}}}

    def close(self) -> None:
        pass  # nothing is held between requests

    def _why_empty(self, path: str, body: dict[str, Any], root: bool = False) -> None:
        """A stream that ended before its first event hid an error (llama-cpp-python's
        server does so for a prompt longer than its context): asked again without
        streaming, for one token, the server says what it was."""
        self._json("POST", path, {**body, "stream": False, "max_tokens": 1}, root)
        raise ServerError(f"{self.host}: the server ended the answer before its first word")

    def _open_unless_cancelled(self, path: str, body: dict[str, Any],
                               cancel: CancelToken, root: bool = False
                               ) -> HTTPResponse | None:
        """The streaming answer, waited for in a helper thread so that Stop works while a
        server takes its time (or never answers); None once cancelled."""
        result: list[HTTPResponse | BaseException] = []
        done = threading.Event()

        def request() -> None:
            try:
                result.append(self._open("POST", path, body, root))
            except BaseException as exc:  # handed to the waiting thread
                result.append(exc)
            finally:
                done.set()

        threading.Thread(target=request, name="server-request", daemon=True).start()
        while not done.wait(0.1):
            if cancel.cancelled:
                # The helper ends on the timeout at the latest; its answer is closed.
                threading.Thread(target=_close_when_done, args=(done, result),
                                 daemon=True).start()
                return None
        outcome = result[0]
        if isinstance(outcome, BaseException):
            raise outcome
        if cancel.cancelled:
            outcome.close()
            return None
        return outcome

    # --- talking to the server --------------------------------------------------------
    def _url(self, path: str, root: bool) -> str:
        return (self.root if root else self.base) + path

    def _open(self, method: str, path: str, body: dict[str, Any] | None = None,
              root: bool = False, retried: bool = False) -> HTTPResponse:
        headers = {"Accept": "application/json, text/event-stream"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode() if body is not None else None
        if method == "POST" and data is None:
            data = b"{}"
        try:
            return open_url(self._url(path, root), headers, data, ANSWER_TIMEOUT_S)
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            if exc.code == 429 and not retried:
                wait = _retry_after(exc.headers.get("Retry-After"))
                exc.close()
                time.sleep(wait)
                return self._open(method, path, body, root, retried=True)
            exc.close()
            context = _CONTEXT_ERROR.search(detail)
            if exc.code == 400 and context:
                self.context_length = int(context.group(1))  # known now
                raise PromptTooLongError(int(context.group(2)),
                                         int(context.group(1))) from None
            raise ServerError(f"{self.host}: {_status_reason(exc.code, path, detail)}") \
                from None
        except DOWNLOAD_ERRORS as exc:
            raise ServerError(f"{self.host}: {_reason(exc)}") from None

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None,
              root: bool = False) -> dict[str, Any]:
        with self._open(method, path, body, root) as response:
            raw = response.read(8 << 20)
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ServerError(f"{self.host}: {path} did not answer as the OpenAI API does "
                              f"({raw[:80]!r})")
        return data

    def _optional(self, method: str, path: str, body: dict[str, Any] | None = None,
                  root: bool = False) -> dict[str, Any] | None:
        """The answer of an endpoint not every server has (None when it has not)."""
        try:
            return self._json(method, path, body, root)
        except ServerError:
            return None


def list_models(url: str, api_key: str | None = None) -> list[dict[str, Any]]:
    """The server's models: id, the server's address, and the context length where the
    server tells it."""
    backend = RemoteBackend(url, api_key)
    out = []
    for model in backend.listed:
        length = model.get("max_model_len")
        if not isinstance(length, int):
            length = backend.context_length if model["id"] == backend.model else 0
        out.append({"id": str(model["id"]), "server": backend.host, "context_length": length})
    return out


def _close_when_done(done: threading.Event,
                     result: list[HTTPResponse | BaseException]) -> None:
    done.wait()
    if result and isinstance(result[0], HTTPResponse):
        result[0].close()


def _events(pieces: Iterator[bytes], host: str) -> Iterator[dict[str, Any]]:
    """The JSON of each server-sent event's data, until [DONE]."""
    buffer = b""
    for piece in pieces:
        buffer += piece
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            line = line.strip()
            if not line.startswith(b"data:"):
                continue  # comments, event names, the blank line between events
            data = line[5:].strip()
            if data == b"[DONE]":
                return
            try:
                event = json.loads(data)
            except ValueError:
                raise ServerError(f"{host}: the stream holds something that is not the "
                                  f"OpenAI API ({data[:80]!r})") from None
            if isinstance(event, dict) and "error" in event:
                message = event["error"]
                text = message.get("message") if isinstance(message, dict) else message
                raise ServerError(f"{host}: the server failed while answering ({text})")
            if isinstance(event, dict):
                yield event


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(64 * 1024)
        data = json.loads(raw)
    except (OSError, ValueError):
        return ""
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")
    # vLLM: {"object": "error", "message": ...}; FastAPI: {"detail": ...}
    return str(error or data.get("message") or data.get("detail") or "")


def _status_reason(code: int, path: str, detail: str) -> str:
    said = f": {detail[:200]}" if detail else ""
    if code in (401, 403):
        return f"the server refused the API key ({code}){said}"
    if code == 404:
        return f"the server has no {path} or no such model (404){said}"
    if code == 429:
        return f"the server is busy (429), even after waiting as it asked{said}"
    if code >= 500:
        return f"the server failed ({code}){said}"
    return f"the server answered {code}{said}"


def _retry_after(value: str | None) -> float:
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(value or 1)))
    except ValueError:
        return 1.0


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, ConnectionRefusedError):
        return "refused the connection (is the server running, on this port?)"
    if isinstance(exc, (IncompleteRead, RemoteDisconnected, ConnectionResetError,
                        BrokenPipeError)):
        return "the server closed the connection (did it stop, or restart?)"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"no answer within {ANSWER_TIMEOUT_S:.0f} s"
    if isinstance(exc, ssl.SSLError):
        return f"the secure connection (TLS) failed ({exc.reason or exc})"
    if isinstance(exc, socket.gaierror):
        return "the server's name could not be found"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"the connection failed ({text})"
