"""The one structure every loader returns: a title and blocks that keep the structure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from writer_app.errors import WriterError

BlockKind = Literal["heading", "paragraph", "list_item", "code", "table", "page_break"]

# Bounds that keep a hostile or huge file from taking the machine down.
MAX_FILE_BYTES = 200 * 2**20
MAX_UNZIPPED_BYTES = 500 * 2**20
MAX_COMPRESSION_RATIO = 200
# What one document may produce, counted as it is read (documents/limits.py): a long
# book is about a million characters; a page at the 50 MiB web cap fits.
MAX_TEXT_CHARS = 60_000_000
MAX_BLOCKS = 1_000_000
MAX_PAGES = 10_000
# Heading levels and list depths beyond this are shown at this depth (Word has 9 levels).
MAX_LEVEL = 9


class DocumentError(WriterError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


# What File > Reopen with Encoding offers (any codec name Python knows can be typed).
ENCODING_CHOICES = (
    "UTF-8", "Windows-1252 (Western European)", "ISO-8859-1 (Latin-1)",
    "ISO-8859-15 (Latin-9)", "Windows-1250 (Central European)", "Windows-1251 (Cyrillic)",
    "KOI8-R (Cyrillic)", "Windows-1253 (Greek)", "Windows-1254 (Turkish)",
    "Windows-1255 (Hebrew)", "Windows-1256 (Arabic)", "Windows-1257 (Baltic)",
    "Windows-1258 (Vietnamese)", "Big5 (Traditional Chinese)",
    "GB18030 (Simplified Chinese)", "Shift_JIS (Japanese)", "EUC-JP (Japanese)",
    "EUC-KR (Korean)", "UTF-16",
)


@dataclass(frozen=True)
class Decoded:
    """A text file's text and the encoding it was read in (and is saved back in)."""

    text: str
    encoding: str
    # Set when the encoding is a guess the user may want to change.
    note: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str = ""
    # Heading level (1 = top) or list nesting depth (0 = top).
    level: int = 0

    def marked(self) -> str:
        """The text with its Markdown mark: "## " for a heading, "  - " for a list item."""
        if self.kind == "heading":
            return "#" * max(1, min(self.level, 6)) + " " + self.text
        if self.kind == "list_item":
            return "  " * min(self.level, MAX_LEVEL) + "- " + self.text
        return self.text


def block_pages(blocks: list[Block]) -> list[int]:
    """Each block's page, from 1, counted by the page breaks (a PDF's blocks have them;
    a page break itself is on the page it ends)."""
    pages, page = [], 1
    for block in blocks:
        pages.append(page)
        if block.kind == "page_break":
            page += 1
    return pages


def pages_label(blocks: list[Block], pages: list[int], indexes: Iterable[int]) -> str | None:
    """Where the text of the blocks at `indexes` is: "Page 3", or "Pages 3" en dash
    "5"; None when they hold none."""
    held = [pages[i] for i in indexes if blocks[i].kind != "page_break" and blocks[i].text.strip()]
    if not held:
        return None
    first, last = min(held), max(held)
    return f"Page {first}" if first == last else f"Pages {first}\u2013{last}"


@dataclass
class Document:
    # The file read, or the web address a page was downloaded from.
    path: Path | str
    type: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    pages: int | None = None
    # What the user should know about how it was read: a guessed encoding, text kept
    # as plain paragraphs.
    notes: list[str] = field(default_factory=list)

    @property
    def words(self) -> int:
        return sum(len(b.text.split()) for b in self.blocks)

    def text(self) -> str:
        """Plain text with light Markdown marks, blocks separated by blank lines."""
        out: list[str] = []
        previous = ""
        for b in self.blocks:
            if b.kind == "list_item" and previous == "list_item":
                out[-1] += "\n" + b.marked()
                continue
            previous = b.kind
            if b.kind == "code":
                out.append("```\n" + b.text + "\n```")
            elif b.kind != "page_break":
                out.append(b.marked())
        return "\n\n".join(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "type": self.type,
            "title": self.title,
            "pages": self.pages,
            "words": self.words,
            "notes": self.notes,
            "blocks": [{"kind": b.kind, "text": b.text, "level": b.level} for b in self.blocks],
        }
