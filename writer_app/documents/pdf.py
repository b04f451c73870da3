"""PDF through PDFium (pypdfium2): fast, and robust on damaged files."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium

from writer_app.documents.limits import BlockBudget
from writer_app.documents.model import MAX_PAGES, Block, Document, DocumentError

_SENTENCE_END = re.compile(r"[.!?:;\"')\]]$")
_BULLET = re.compile(r"^[\u2022\u25aa\u25cf\u2013\u2014*\-]\s+")


def _blocks(page_text: str) -> list[Block]:
    """Rejoin the lines PDFium gives back into paragraphs and list items.

    A PDF keeps no paragraphs, only lines: a blank line, a bullet, or a short line
    (a sentence's end, or a heading-like line with no closing punctuation) ends one.
    """
    lines = [line.strip() for line in page_text.replace("\r\n", "\n").split("\n")]
    width = max((len(line) for line in lines), default=0)
    blocks: list[Block] = []
    current, kind = "", "paragraph"

    def flush() -> None:
        nonlocal current, kind
        if current:
            blocks.append(Block(kind, current))  # type: ignore[arg-type]
        current, kind = "", "paragraph"

    for line in lines:
        if not line:
            flush()
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            kind, line = "list_item", line[bullet.end():]
        elif _SENTENCE_END.search(current) and len(line) < 0.5 * width \
                and not _SENTENCE_END.search(line) and line[:1].isupper():
            flush()  # a heading-like line after a finished sentence
        if current.endswith("-") and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        short = len(line) < 0.75 * width
        if short and (_SENTENCE_END.search(line) or len(line) < 0.5 * width):
            flush()
    flush()
    return blocks


def load_pdf(path: Path, budget: BlockBudget) -> Document:
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise DocumentError(path, "is password-protected; open it with its password "
                                      "and save an unprotected copy") from None
        raise DocumentError(path, f"is not a readable PDF ({exc})") from None
    try:
        n_pages = len(pdf)
        if n_pages > MAX_PAGES:
            # A page tree can list one page a million times in a few megabytes.
            raise DocumentError(path, f"has {n_pages:,} pages, over the {MAX_PAGES:,}-page "
                                      "cap for one document")
        for i in range(n_pages):
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_bounded()
            finally:
                textpage.close()
                page.close()
            budget.spend(len(text))
            if i:
                budget.add("page_break", counted=True)
            for block in _blocks(text):
                budget.add(block.kind, block.text, block.level, counted=True)
        title = (pdf.get_metadata_dict().get("Title") or "").strip()[:1000]
    finally:
        pdf.close()
    if not any(b.text for b in budget.blocks):
        raise DocumentError(path, "has no extractable text (it may be a scan; text "
                                  "recognition is not supported)")
    return Document(path, "pdf", title or path.stem, budget.blocks, pages=n_pages)
