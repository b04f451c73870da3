"""The type of a file from its first bytes (and a zip's contents), not only its name."""

from __future__ import annotations

import zipfile
from pathlib import Path

EXTENSIONS = {
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf", ".docx": "docx",
    ".odt": "odt", ".epub": "epub", ".rtf": "rtf",
}


def _zip_type(path: Path) -> str | None:
    mime = b""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                # Never more than its first bytes: a `mimetype` can inflate to gigabytes.
                with zf.open("mimetype") as member:
                    mime = member.read(100).strip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError, RuntimeError):  # damaged, encrypted, a format Python lacks
        return None
    if mime:
        if mime == b"application/epub+zip":
            return "epub"
        if mime == b"application/vnd.oasis.opendocument.text":
            return "odt"
    if "word/document.xml" in names:
        return "docx"
    return "zip"


def detect(path: Path, head: bytes) -> str:
    """One of text, markdown, html, pdf, docx, odt, epub, rtf, zip, or binary."""
    by_name = EXTENSIONS.get(path.suffix.lower())
    # PDF readers accept a header anywhere in the first kilobyte; a text that merely
    # mentions "%PDF-" is still text unless its name says PDF.
    if head.startswith(b"%PDF-") or (by_name == "pdf" and b"%PDF-" in head[:1024]):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path) or (by_name if by_name in ("docx", "odt", "epub") else "zip")
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    sniff = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in head.lower():
        return "html"
    if by_name in ("html", "markdown"):
        return by_name
    return "text"
