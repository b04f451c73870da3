"""The few connections a user asks for (a web page to summarize, a model file, the server
chosen as the engine): one way to open an address (http and https only, redirects too),
the certificates to trust, and a plain reason when it fails.

Nothing else in Writer opens a connection.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.client import HTTPMessage, HTTPResponse
from typing import IO
from urllib.parse import quote, urlsplit, urlunsplit

from writer_app import __version__

TIMEOUT_S = 20.0
CHUNK = 64 * 1024
USER_AGENT = f"Writer/{__version__} (offline writing assistant; downloads on request)"


def is_web_address(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def tls_context() -> ssl.SSLContext:
    """The system's certificates; Mozilla's (certifi) where the system offers none to this
    Python (a bundled app on a distribution that keeps them elsewhere, python.org's macOS)."""
    context = ssl.create_default_context()
    if context.cert_store_stats()["x509_ca"] == 0:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    return context


# Hugging Face names a file's sha256 in this header of its first answer, the redirect to
# the file's storage (whose own answer does not repeat it).
LINKED_ETAG = "X-Linked-Etag"


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only: a server must not send us to file:// or ftp://.
    Keeps the X-Linked-Etag a redirect announced."""

    linked_etag: str | None = None

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: HTTPMessage, newurl: str
                         ) -> urllib.request.Request | None:
        if not is_web_address(newurl):
            raise urllib.error.HTTPError(newurl, code, f"redirect to {newurl!r} refused",
                                         headers, fp)
        self.linked_etag = headers.get(LINKED_ETAG) or self.linked_etag
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# Errors a download can raise: the connection's, a bad address's, a server speaking no HTTP.
DOWNLOAD_ERRORS = (OSError, ValueError, http.client.HTTPException)


def encoded(url: str) -> str:
    """The address as it goes on the wire: spaces and non-ASCII letters percent-encoded
    (a typed address, or a link from a page in another script), the host in IDNA."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        netloc = parts.netloc.replace(host, host.encode("idna").decode("ascii"))
    else:
        netloc = parts.netloc
    keep = "/%:@!$&'()*+,;=~"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=keep),
                       quote(parts.query, safe=keep + "?"), ""))


def open_url(url: str, headers: dict[str, str] | None = None, body: bytes | None = None,
             timeout: float = TIMEOUT_S) -> HTTPResponse:
    """GET `url`, or POST `body` to it (http or https only); raises one of
    DOWNLOAD_ERRORS on failure."""
    if not is_web_address(url):
        raise ValueError(f"{url!r} is not a web address")
    url = encoded(url)
    request = urllib.request.Request(url, data=body,
                                     headers={"User-Agent": USER_AGENT, **(headers or {})})
    redirects = _HttpOnly()
    handlers: list[urllib.request.BaseHandler] = [redirects]
    if urlsplit(url).scheme == "https":  # loading certificates takes ~20 ms: only for TLS
        handlers.append(urllib.request.HTTPSHandler(context=tls_context()))
    opener = urllib.request.build_opener(*handlers)
    response: HTTPResponse = opener.open(request, timeout=timeout)
    if redirects.linked_etag and LINKED_ETAG not in response.headers:
        response.headers[LINKED_ETAG] = redirects.linked_etag  # as if the file said it
    return response


def declared_length(response: HTTPResponse) -> int:
    """Content-Length, read as leniently as http.client reads it ("12, 12" is 12)."""
    value = (response.headers.get("Content-Length") or "").split(",")[0].strip()
    return int(value) if value.isdigit() else 0


def _socket_of(response: HTTPResponse) -> socket.socket | None:
    raw = getattr(response.fp, "raw", None)  # BufferedReader over socket.SocketIO
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def chunks(response: HTTPResponse, cancelled: Callable[[], bool],
           max_seconds: float | None = None) -> Iterator[bytes]:
    """The body as it arrives (read1: whatever is there, not a full chunk), until the end or
    a cancel. A cancel also cuts a read that waits on a silent server: a watcher shuts the
    socket down. Raises TimeoutError past `max_seconds` in all."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            if cancelled():
                sock = _socket_of(response)
                if sock is not None:
                    with contextlib.suppress(OSError):  # already closed: nothing to cut
                        sock.shutdown(socket.SHUT_RDWR)
                return

    watcher = threading.Thread(target=watch, name="download-cancel", daemon=True)
    watcher.start()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    try:
        while not cancelled():
            try:
                chunk = response.read1(CHUNK)
            except (OSError, ValueError):
                if cancelled():
                    return  # the watcher cut the connection
                raise
            if not chunk:
                return
            yield chunk
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"took longer than {max_seconds:.0f} s")
    finally:
        done.set()


def failure_reason(exc: BaseException) -> str:
    """What went wrong, in words: the server's answer, a timeout, or the connection."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError):
        return str(exc) if str(exc).startswith("took") else f"no answer within {TIMEOUT_S:.0f} s"
    if isinstance(exc, http.client.HTTPException):
        return f"did not answer as a web server does ({type(exc).__name__})"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"could not be downloaded ({text})"
