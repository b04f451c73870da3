"""A web page the user asked for: downloaded once, then read like a dropped file.

Only when the user confirms a dropped link, types an address in the summary pane or passes
one to `summarize` (the connection itself is writer_app.net's). The download is capped in
size and time, can be cancelled between chunks, and any failure names the address and the
reason.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from writer_app.documents.loader import SUPPORTED_SUFFIXES, load_document
from writer_app.documents.model import Document, DocumentError
from writer_app.net import CHUNK, failure_reason, is_web_address, open_url

MAX_PAGE_BYTES = 50 * 2**20
# What the server says it sends, to the suffix our type detection expects.
SUFFIXES = {"text/html": ".html", "application/xhtml+xml": ".xhtml", "text/plain": ".txt",
            "text/markdown": ".md", "application/pdf": ".pdf", "application/rtf": ".rtf",
            "text/rtf": ".rtf", "application/epub+zip": ".epub",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
            "application/vnd.oasis.opendocument.text": ".odt"}


class DownloadCancelled(DocumentError):
    pass


def _file_name(url: str, content_type: str) -> str:
    """A name for the downloaded copy: the address's last segment, with a suffix we read."""
    last = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    stem = re.sub(r"[^\w.-]+", "_", last)[:80].strip("._") or "page"
    suffix = SUFFIXES.get(content_type)
    if suffix is None:
        suffix = Path(stem).suffix.lower() if Path(stem).suffix.lower() in SUPPORTED_SUFFIXES \
            else ".html"
    return Path(stem).stem + suffix if Path(stem).suffix else stem + suffix


def download(url: str, folder: Path, cancelled: Callable[[], bool] = lambda: False) -> Path:
    """Save the page at `url` in `folder`; DocumentError (naming the address) if it fails."""
    if not is_web_address(url):
        raise DocumentError(url, "is not a web address (http:// or https://)")
    accept = "text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.5"
    try:
        with open_url(url, {"Accept": accept}) as response:
            content_type = response.headers.get_content_type()
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > MAX_PAGE_BYTES:
                raise DocumentError(url, f"is {declared / 2**20:.0f} MiB, over the "
                                         f"{MAX_PAGE_BYTES // 2**20} MiB cap for a web page")
            target = folder / _file_name(response.url or url, content_type)
            received = 0
            with open(target, "wb") as out:
                while chunk := response.read(CHUNK):
                    if cancelled():
                        raise DownloadCancelled(url, "the download was cancelled")
                    received += len(chunk)
                    if received > MAX_PAGE_BYTES:
                        raise DocumentError(url, f"is over the {MAX_PAGE_BYTES // 2**20} MiB "
                                                 "cap for a web page")
                    out.write(chunk)
    except DocumentError:
        raise
    except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts, refused, bad URL
        raise DocumentError(url, failure_reason(exc)) from None
    return target


def load_web_page(url: str, cancelled: Callable[[], bool] = lambda: False) -> Document:
    """Download and read the page; messages name the address, not the temporary copy."""
    with tempfile.TemporaryDirectory(prefix="writer-page-") as tmp:
        path = download(url, Path(tmp), cancelled)
        try:
            doc = load_document(path)
        except DocumentError as exc:
            raise DocumentError(url, exc.reason) from None
    if doc.title == path.stem:  # no title inside: the address says more than "page"
        doc.title = url
    doc.path = url
    return doc
