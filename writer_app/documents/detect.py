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
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mime = zf.read("mimetype")[:100].strip()
                if mime == b"application/epub+zip":
                    return "epub"
                if mime == b"application/vnd.oasis.opendocument.text":
                    return "odt"
            if "word/document.xml" in names:
                return "docx"
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return "zip"


def detect(path: Path, head: bytes) -> str:
    """One of text, markdown, html, pdf, docx, odt, epub, rtf, zip, or binary."""
    by_name = EXTENSIONS.get(path.suffix.lower())
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
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
