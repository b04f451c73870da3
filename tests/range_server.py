"""A web server on loopback that serves files the way real servers resume them, or fail
to: the first part of the path picks the behaviour, e.g. /etag/m.gguf.

  etag          a strong ETag; Range honoured when If-Range matches (nginx, S3)
  dated         only Last-Modified; If-Range compared with it
  weak          only a weak ETag (W/"..."), which may not be used with ranges
  plain         no validator at all
  no-if-range   a strong ETag, but Range honoured whatever If-Range says
  ignore-range  a strong ETag, and always the whole file (200)
  wrong-start   a strong ETag, and a Content-Range whose start is off by 4096
  no-length     a strong ETag, no Content-Length: the body ends when the connection does
  hf            as Hugging Face's /resolve/: a redirect to /etag/ that names the file's
                sha256 in X-Linked-Etag (the file's own answer does not)
  hf-wrong      the same, naming another sha256

Files can be replaced between requests (a new version: new ETag and date), and every
request's Range and If-Range headers are recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

from .loopback import loopback_server


@dataclass
class Version:
    data: bytes
    number: int

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.data).hexdigest()[:20] + '"'

    @property
    def last_modified(self) -> str:
        return formatdate(1_700_000_000 + self.number * 3600, usegmt=True)


@dataclass
class RangeServer:
    url: str = ""
    files: dict[str, Version] = field(default_factory=dict)
    requests: list[dict[str, str | None]] = field(default_factory=list)

    def put(self, name: str, data: bytes) -> None:
        """Serve `data` as `name`, as a new version of whatever was there."""
        old = self.files.get(name)
        self.files[name] = Version(data, old.number + 1 if old else 1)


def _handler(state: RangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            mode, _, name = self.path.lstrip("/").partition("/")
            ranged, if_range = self.headers.get("Range"), self.headers.get("If-Range")
            state.requests.append({"path": self.path, "range": ranged, "if_range": if_range})
            version = state.files.get(name)
            if version is None:
                self.send_error(404)
                return
            data = version.data
            if mode in ("hf", "hf-wrong"):
                digest = hashlib.sha256(data if mode == "hf" else data + b"x").hexdigest()
                self.send_response(302)
                self.send_header("Location", f"/etag/{name}")
                self.send_header("X-Linked-Etag", f'"{digest}"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            validator = {"etag": version.etag, "dated": version.last_modified}.get(
                mode, version.etag)
            start = 0
            if ranged and mode not in ("ignore-range", "weak", "plain"):
                start = int(ranged.removeprefix("bytes=").split("-")[0])
                if mode != "no-if-range" and if_range is not None and if_range != validator:
                    start = 0  # the file changed: If-Range says send it all
            if start >= len(data) > 0:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206 if start else 200)
            self.send_header("Content-Type", "application/octet-stream")
            if mode == "dated":
                self.send_header("Last-Modified", version.last_modified)
            elif mode == "weak":
                self.send_header("ETag", "W/" + version.etag)
            elif mode != "plain":
                self.send_header("ETag", version.etag)
            if mode != "no-length":
                self.send_header("Content-Length", str(len(data) - start))
            if start:
                shown = start + 4096 if mode == "wrong-start" else start
                self.send_header("Content-Range", f"bytes {shown}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            with contextlib.suppress(OSError):  # the client stopped: a cancelled download
                self.wfile.write(data[start:])

    return Handler


@contextlib.contextmanager
def range_server() -> Iterator[RangeServer]:
    state = RangeServer()
    with loopback_server(_handler(state)) as port:
        state.url = f"http://127.0.0.1:{port}/"
        yield state
