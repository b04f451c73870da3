"""Load any supported file into a Document, or raise DocumentError naming file and reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from striprtf.striprtf import rtf_to_text

from writer_app.documents.detect import detect
from writer_app.documents.epub import load_epub
from writer_app.documents.html import read_html
from writer_app.documents.limits import BlockBudget, mib, read_regular_file
from writer_app.documents.model import MAX_FILE_BYTES, Document, DocumentError
from writer_app.documents.office import load_docx, load_odt
from writer_app.documents.pdf import load_pdf
from writer_app.documents.text import markdown_blocks, read_text_file, text_blocks
from writer_app.filecheck import regular_file_problem

LABELS = {"text": "text", "markdown": "Markdown", "html": "HTML", "pdf": "PDF",
          "docx": "Word (DOCX)", "odt": "OpenDocument (ODT)", "epub": "EPUB", "rtf": "RTF"}
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".xhtml", ".pdf", ".docx",
                      ".odt", ".epub", ".rtf")
# Types whose bytes are text in some encoding (the user may name it).
ENCODED_TYPES = ("text", "markdown")


def _read_text(path: Path, budget: BlockBudget, encoding: str | None) -> str:
    decoded = read_text_file(path, encoding)
    if decoded.note:
        budget.notes.append(decoded.note)
    budget.check(len(decoded.text))
    return decoded.text


def _load_text(path: Path, budget: BlockBudget, encoding: str | None) -> Document:
    blocks = text_blocks(_read_text(path, budget, encoding), budget)
    title = blocks[0].text if blocks and len(blocks[0].text) < 100 else path.stem
    return Document(path, "text", title, blocks)


def _load_markdown(path: Path, budget: BlockBudget, encoding: str | None) -> Document:
    blocks = markdown_blocks(_read_text(path, budget, encoding), budget)
    title = next((b.text for b in blocks if b.kind == "heading"), path.stem)
    return Document(path, "markdown", title, blocks)


def _load_html(path: Path, budget: BlockBudget, encoding: str | None) -> Document:
    title = read_html(read_regular_file(path, MAX_FILE_BYTES), budget)
    return Document(path, "html", title or path.stem, budget.blocks)


def _load_rtf(path: Path, budget: BlockBudget, encoding: str | None) -> Document:
    text = rtf_to_text(read_regular_file(path, MAX_FILE_BYTES).decode("latin-1"),
                       errors="ignore")
    # RTF ends each paragraph with \\par, which becomes one line break.
    for line in text.splitlines():
        if line.strip():
            budget.add("paragraph", " ".join(line.split()))
    blocks = budget.blocks
    title = blocks[0].text if blocks and len(blocks[0].text) < 100 else path.stem
    return Document(path, "rtf", title, blocks)


def _without_encoding(load: Callable[[Path, BlockBudget], Document]
                      ) -> Callable[[Path, BlockBudget, str | None], Document]:
    return lambda path, budget, _encoding: load(path, budget)


LOADERS: dict[str, Callable[[Path, BlockBudget, str | None], Document]] = {
    "text": _load_text, "markdown": _load_markdown, "html": _load_html,
    "pdf": _without_encoding(load_pdf), "docx": _without_encoding(load_docx),
    "odt": _without_encoding(load_odt), "epub": _without_encoding(load_epub),
    "rtf": _load_rtf,
}


def load_document(path: Path, encoding: str | None = None) -> Document:
    """The document at `path`; `encoding` overrides the guess for text and Markdown."""
    path = Path(path)
    problem, size = regular_file_problem(path, "a document")
    if problem:
        raise DocumentError(path, problem)
    if size > MAX_FILE_BYTES:
        raise DocumentError(path, f"is {mib(size)}, over the {mib(MAX_FILE_BYTES)} size cap")
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise DocumentError(path, f"cannot be read: {exc.strerror or exc}") from None
    kind = detect(path, head)
    if kind == "zip":
        raise DocumentError(path, "is a zip archive, not a document Writer can read")
    budget = BlockBudget(path)
    try:
        doc = LOADERS[kind](path, budget, encoding)
    except DocumentError:
        raise
    except MemoryError:
        raise DocumentError(path, "is too large to load into memory") from None
    except RecursionError:
        raise DocumentError(path, f"is a damaged {LABELS[kind]} file (nested too deeply)"
                            ) from None
    except Exception as exc:  # any library's failure on a damaged file becomes one message
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise DocumentError(path, f"is a damaged {LABELS[kind]} file "
                                  f"({type(exc).__name__}{': ' + detail if detail else ''})"
                            ) from None
    if not any(b.text.strip() for b in doc.blocks):
        raise DocumentError(path, f"has no text (an empty {LABELS[kind]} document)")
    doc.notes = budget.notes
    return doc
