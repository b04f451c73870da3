"""The one structure every loader returns: a title and blocks that keep the structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from writer_app.errors import WriterError

BlockKind = Literal["heading", "paragraph", "list_item", "code", "table", "page_break"]

# Bounds that keep a hostile or huge file from taking the machine down.
MAX_FILE_BYTES = 200 * 2**20
MAX_UNZIPPED_BYTES = 500 * 2**20
MAX_COMPRESSION_RATIO = 200
MAX_TEXT_CHARS = 50_000_000


class DocumentError(WriterError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
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
            return "  " * self.level + "- " + self.text
        return self.text


@dataclass
class Document:
    # The file read, or the web address a page was downloaded from.
    path: Path | str
    type: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    pages: int | None = None

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
            "blocks": [{"kind": b.kind, "text": b.text, "level": b.level} for b in self.blocks],
        }
