"""Plain text and Markdown: encodings, then paragraphs or Markdown structure."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes
from markdown_it import MarkdownIt

from writer_app.documents.model import Block

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class NotText(ValueError):
    pass


def decode(data: bytes) -> str:
    """UTF-8 or UTF-16/32 with a BOM, else UTF-8, else the most likely legacy encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    if b"\x00" in data[:4096]:
        raise NotText("it holds binary data, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode(_legacy_encoding(data), errors="replace")
    sample = text[:20000]
    if sample and len(_CONTROL.findall(sample)) > len(sample) / 100:
        raise NotText("it holds binary data, not text")
    return text


def _legacy_encoding(data: bytes) -> str:
    matches = list(from_bytes(data[: 2**20]))
    if not matches:
        raise NotText("it holds binary data, not text in a known encoding")
    least = min(m.chaos for m in matches)
    tied = [m.encoding for m in matches if m.chaos <= least + 0.01]
    # Short Western text fits several code pages equally well; Windows-1252 is by far
    # the most common of them.
    return "cp1252" if "cp1252" in tied else tied[0]


def text_blocks(text: str) -> list[Block]:
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [Block("paragraph", " ".join(p.split())) for p in paragraphs if p.strip()]


def markdown_blocks(text: str) -> list[Block]:
    md = MarkdownIt("commonmark").enable("table")
    blocks: list[Block] = []
    depth = -1
    in_item = 0
    pending_kind: str | None = None
    level = 0
    in_cell = False
    row: list[str] = []
    rows: list[str] = []
    for tok in md.parse(text):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "list_item_open":
            in_item += 1
        elif tok.type == "list_item_close":
            in_item -= 1
        elif tok.type == "heading_open":
            pending_kind, level = "heading", int(tok.tag[1])
        elif tok.type in ("fence", "code_block"):
            blocks.append(Block("code", tok.content.rstrip("\n")))
        elif tok.type in ("th_open", "td_open"):
            in_cell = True
        elif tok.type in ("th_close", "td_close"):
            in_cell = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            rows.append(" | ".join(row))
        elif tok.type == "table_close":
            blocks.append(Block("table", "\n".join(rows)))
            rows = []
        elif tok.type == "inline":
            content = " ".join(tok.content.split())
            if in_cell:
                row.append(content)
            elif pending_kind == "heading":
                blocks.append(Block("heading", content, level))
                pending_kind = None
            elif in_item:
                blocks.append(Block("list_item", content, max(depth, 0)))
            elif content:
                blocks.append(Block("paragraph", content))
    return blocks
