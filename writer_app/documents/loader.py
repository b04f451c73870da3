"""Load any supported file into a Document, or raise DocumentError naming file and reason."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from striprtf.striprtf import rtf_to_text

from writer_app.documents.detect import detect
from writer_app.documents.epub import load_epub
from writer_app.documents.html import html_blocks
from writer_app.documents.model import (
    MAX_COMPRESSION_RATIO,
    MAX_FILE_BYTES,
    MAX_UNZIPPED_BYTES,
    Block,
    Document,
    DocumentError,
)
from writer_app.documents.office import load_docx, load_odt
from writer_app.documents.pdf import load_pdf
from writer_app.documents.text import NotText, decode, markdown_blocks, text_blocks
from writer_app.filecheck import regular_file_problem

LABELS = {"text": "text", "markdown": "Markdown", "html": "HTML", "pdf": "PDF",
          "docx": "Word (DOCX)", "odt": "OpenDocument (ODT)", "epub": "EPUB", "rtf": "RTF"}
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".xhtml", ".pdf", ".docx",
                      ".odt", ".epub", ".rtf")


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def _check_zip(path: Path) -> None:
    """Refuse a zip that would expand past the cap before any library unpacks it."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise DocumentError(path, f"is a damaged zip container ({exc})") from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise DocumentError(path, f"would expand to {_mib(total)} when unzipped, over the "
                                  f"{_mib(MAX_UNZIPPED_BYTES)} cap (a zip bomb?)")
    for i in infos:
        if i.file_size > 10 * 2**20 and i.file_size > MAX_COMPRESSION_RATIO * max(
                i.compress_size, 1):
            raise DocumentError(path, f"{i.filename} is compressed more than "
                                      f"{MAX_COMPRESSION_RATIO}:1 (a zip bomb?); refused")


def _read_text(path: Path) -> str:
    try:
        return decode(path.read_bytes())
    except NotText as exc:
        raise DocumentError(path, str(exc)) from None


def _load_text(path: Path) -> Document:
    text = _read_text(path)
    blocks = text_blocks(text)
    title = blocks[0].text if blocks and len(blocks[0].text) < 100 else path.stem
    return Document(path, "text", title, blocks)


def _load_markdown(path: Path) -> Document:
    blocks = markdown_blocks(_read_text(path))
    title = next((b.text for b in blocks if b.kind == "heading"), path.stem)
    return Document(path, "markdown", title, blocks)


def _load_html(path: Path) -> Document:
    title, blocks = html_blocks(path.read_bytes())
    return Document(path, "html", title or path.stem, blocks)


def _load_rtf(path: Path) -> Document:
    text = rtf_to_text(path.read_bytes().decode("latin-1"), errors="ignore")
    # RTF ends each paragraph with \\par, which becomes one line break.
    blocks = [Block("paragraph", " ".join(line.split())) for line in text.splitlines()
              if line.strip()]
    title = blocks[0].text if blocks and len(blocks[0].text) < 100 else path.stem
    return Document(path, "rtf", title, blocks)


LOADERS: dict[str, Callable[[Path], Document]] = {
    "text": _load_text, "markdown": _load_markdown, "html": _load_html, "pdf": load_pdf,
    "docx": load_docx, "odt": load_odt, "epub": load_epub, "rtf": _load_rtf,
}


def load_document(path: Path) -> Document:
    path = Path(path)
    problem, size = regular_file_problem(path, "a document")
    if problem:
        raise DocumentError(path, problem)
    if size > MAX_FILE_BYTES:
        raise DocumentError(path, f"is {_mib(size)}, over the {_mib(MAX_FILE_BYTES)} size cap")
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise DocumentError(path, f"cannot be read: {exc.strerror or exc}") from None
    kind = detect(path, head)
    if kind == "zip":
        raise DocumentError(path, "is a zip archive, not a document Writer can read")
    if kind in ("docx", "odt", "epub"):
        _check_zip(path)
    try:
        doc = LOADERS[kind](path)
    except DocumentError:
        raise
    except MemoryError:
        raise DocumentError(path, "is too large to load into memory") from None
    except Exception as exc:  # any library's failure on a damaged file becomes one message
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise DocumentError(path, f"is a damaged {LABELS[kind]} file "
                                  f"({type(exc).__name__}{': ' + detail if detail else ''})"
                            ) from None
    if not any(b.text.strip() for b in doc.blocks):
        raise DocumentError(path, f"has no text (an empty {LABELS[kind]} document)")
    return doc
