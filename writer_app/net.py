"""The few downloads a user asks for (a web page to summarize, a model file): one way to
open an address, the certificates to trust, and a plain reason when it fails.

Nothing else in Writer opens a connection.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from http.client import HTTPMessage, HTTPResponse
from typing import IO
from urllib.parse import urlsplit

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


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only: a server must not send us to file:// or ftp://."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: HTTPMessage, newurl: str
                         ) -> urllib.request.Request | None:
        if not is_web_address(newurl):
            raise urllib.error.HTTPError(newurl, code, f"redirect to {newurl!r} refused",
                                         headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def open_url(url: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    """GET `url` (http or https only); raises OSError/ValueError subclasses on failure."""
    if not is_web_address(url):
        raise ValueError(f"{url!r} is not a web address")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    opener = urllib.request.build_opener(
        _HttpOnly, urllib.request.HTTPSHandler(context=tls_context()))
    response: HTTPResponse = opener.open(request, timeout=TIMEOUT_S)
    return response


def failure_reason(exc: BaseException) -> str:
    """What went wrong, in words: the server's answer, a timeout, or the connection."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT_S:.0f} s"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"could not be downloaded ({text})"
