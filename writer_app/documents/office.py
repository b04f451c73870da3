"""Word (.docx, python-docx) and OpenDocument (.odt, odfpy) text documents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from odf import opendocument, teletype
from odf.dc import Title
from odf.element import Element
from odf.namespaces import TABLENS, TEXTNS
from odf.table import TableCell, TableRow

from writer_app.documents.model import Block, Document

_HEADING_STYLE = re.compile(r"^heading (\d)$", re.IGNORECASE)


def _docx_paragraph(p: Paragraph) -> Block | None:
    text = " ".join(p.text.split())
    if not text:
        return None
    style = (p.style.name if p.style is not None else "") or ""
    match = _HEADING_STYLE.match(style)
    if match:
        return Block("heading", text, int(match.group(1)))
    if style.lower() == "title":
        return Block("heading", text, 1)
    ppr: Any = p._p.pPr  # python-docx's descriptors are untyped
    num = ppr.numPr if ppr is not None else None
    if num is not None or style.lower().startswith("list"):
        level = num.ilvl.val if num is not None and num.ilvl is not None else 0
        return Block("list_item", text, int(level))
    return Block("paragraph", text)


def _docx_table(t: Table) -> Block | None:
    rows = []
    for row in t.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text:  # merged cells repeat their text
                cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    return Block("table", "\n".join(rows)) if rows else None


def load_docx(path: Path) -> Document:
    d = docx.Document(str(path))
    blocks: list[Block] = []
    for child in d.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        block = None
        if tag == "p":
            block = _docx_paragraph(Paragraph(child, d))
        elif tag == "tbl":
            block = _docx_table(Table(child, d))
        if block is not None:
            blocks.append(block)
    # A heading names the document better than the core title, which editors fill with
    # defaults such as "Word Document".
    title = _first_heading(blocks) or (d.core_properties.title or "").strip()
    return Document(path, "docx", title or path.stem, blocks)


def _first_heading(blocks: list[Block]) -> str:
    return next((b.text for b in blocks if b.kind == "heading"), "")


def _odt_walk(node: Element, blocks: list[Block], depth: int) -> None:
    for child in node.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        ns, name = child.qname
        if ns == TEXTNS and name == "h":
            level = child.getAttrNS(TEXTNS, "outline-level") or "1"
            text = " ".join(teletype.extractText(child).split())
            if text:
                blocks.append(Block("heading", text, int(level)))
        elif ns == TEXTNS and name == "p":
            text = " ".join(teletype.extractText(child).split())
            if text:
                blocks.append(Block("list_item" if depth >= 0 else "paragraph", text,
                                    max(depth, 0)))
        elif ns == TEXTNS and name == "list":
            _odt_walk(child, blocks, depth + 1)
        elif ns == TABLENS and name == "table":
            rows = []
            for row in child.getElementsByType(TableRow):
                cells = [" ".join(teletype.extractText(c).split())
                         for c in row.getElementsByType(TableCell)]
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                blocks.append(Block("table", "\n".join(rows)))
        else:
            _odt_walk(child, blocks, depth)



def load_odt(path: Path) -> Document:
    d = opendocument.load(str(path))
    blocks: list[Block] = []
    _odt_walk(d.text, blocks, -1)
    titles = d.meta.getElementsByType(Title)
    title = teletype.extractText(titles[0]).strip() if titles else ""
    return Document(path, "odt", title or _first_heading(blocks) or path.stem, blocks)
