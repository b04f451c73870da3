"""A web page the user asked for: downloaded once, then read like a dropped file.

Only when the user confirms a dropped link, types an address in the summary pane or passes
one to `summarize` (the connection itself is writer_app.net's). The download is capped in
size and time, can be cancelled between chunks, and any failure names the address and the
reason.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from writer_app.documents.loader import SUPPORTED_SUFFIXES, load_document
from writer_app.documents.model import Document, DocumentError
from writer_app.net import (
    DOWNLOAD_ERRORS,
    chunks,
    declared_length,
    failure_reason,
    is_web_address,
    open_url,
)

MAX_PAGE_BYTES = 50 * 2**20
MAX_PAGE_SECONDS = 120.0
# What the server says it sends, to the suffix our type detection expects.
SUFFIXES = {"text/html": ".html", "application/xhtml+xml": ".xhtml", "text/plain": ".txt",
            "text/markdown": ".md", "application/pdf": ".pdf", "application/rtf": ".rtf",
            "text/rtf": ".rtf", "application/epub+zip": ".epub",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
            "application/vnd.oasis.opendocument.text": ".odt"}


class DownloadCancelled(DocumentError):
    pass


def _suffix(url: str, content_type: str) -> str | None:
    """The suffix our type detection expects, from what the server says it sends and the
    address; None for what no loader reads (an image, an archive, a program)."""
    from_address = Path(urlsplit(url).path).suffix.lower()
    from_address = from_address if from_address in SUPPORTED_SUFFIXES else ""
    if content_type in ("", "text/plain", "application/octet-stream") and from_address:
        return from_address  # a raw Markdown file, a server that names no type
    if content_type in SUFFIXES:
        return SUFFIXES[content_type]
    if content_type.startswith("text/"):
        return ".txt"
    return ".html" if content_type == "" else None


def download(url: str, folder: Path, cancelled: Callable[[], bool] = lambda: False) -> Path:
    """Save the page at `url` in `folder`; DocumentError (naming the address) if it fails."""
    if not is_web_address(url):
        raise DocumentError(url, "is not a web address (http:// or https://)")
    accept = "text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.5"
    cap = f"the {MAX_PAGE_BYTES // 2**20} MiB cap for a web page"
    try:
        with open_url(url, {"Accept": accept}) as response:
            named = response.headers.get("Content-Type")
            content_type = response.headers.get_content_type() if named else ""
            suffix = _suffix(response.url or url, content_type)
            if suffix is None:
                raise DocumentError(url, f"is {content_type} content, not a document Writer "
                                         "can read")
            declared = declared_length(response)
            if declared > MAX_PAGE_BYTES:
                raise DocumentError(url, f"is {declared / 2**20:.0f} MiB, over {cap}")
            # The copy's name is never shown (messages name the address): keep it plain.
            target = folder / ("page" + suffix)
            received = 0
            with open(target, "wb") as out:
                for chunk in chunks(response, cancelled, MAX_PAGE_SECONDS):
                    received += len(chunk)
                    if received > MAX_PAGE_BYTES:
                        raise DocumentError(url, f"is over {cap}")
                    out.write(chunk)
            if cancelled():
                raise DownloadCancelled(url, "the download was cancelled")
            if declared and received < declared:
                raise DocumentError(url, f"the connection closed after {received:,} of "
                                         f"{declared:,} bytes")
    except DocumentError:
        raise
    except DOWNLOAD_ERRORS as exc:  # refused, timed out, HTTP errors, not a web server
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
