"""HTML (and the XHTML inside EPUBs) to blocks, keeping headings, lists, code and tables.

Read as a stream of parser events (lxml's parser-target interface): no tree is built,
so the memory is the input plus the blocks (a BeautifulSoup tree cost about 140 times the
page's size), and a thousand unclosed tags are a deep stack, not deep recursion.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterable, Iterator

from lxml import etree

from writer_app.documents.limits import BlockBudget

_SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside",
         "form", "button", "svg", "head", "iframe", "select", "math", "object"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "ul", "ol", "li", "pre",
           "table", "figure", "figcaption", "dl", "dt", "dd", "address", "body", "hr", "br",
           "tr", "td", "th", *_HEADINGS}
_FEED = 2**16  # lxml parses each piece fed in one call
_TITLE_CHARS = 1000
_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)"""
                       rb"""|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def _clean(text: str) -> str:
    return " ".join(text.split())


def _is_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _FEED):
            decoder.decode(data[start:start + _FEED])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def declared_encoding(head: bytes) -> str | None:
    """A BOM, else what the page declares in its first bytes (if Python knows it)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    declared = _DECLARED.search(head[:4096])
    if declared:
        name = (declared.group(1) or declared.group(2)).decode("ascii", "replace")
        try:
            return codecs.lookup(name).name
        except LookupError:
            pass
    return None


def page_encoding(data: bytes) -> str:
    """What the page says, else UTF-8 when it is valid UTF-8, else Windows-1252 (what
    browsers assume)."""
    return declared_encoding(data) or ("utf-8" if _is_utf8(data) else "cp1252")


# Inline markup written back as Markdown when the HTML came from Markdown, so that a
# Markdown file reads back as the Markdown it was ("*first*", links with their address).
_MARKS = {"em": "*", "i": "*", "strong": "**", "b": "**", "code": "`", "del": "~~",
          "s": "~~"}


class _Reader:
    """The parser's target: turns start, end and text events into blocks."""

    def __init__(self, budget: BlockBudget, marks: bool = False) -> None:
        self.budget = budget
        self.marks = marks
        self.links: list[str] = []
        self.stack: list[str] = []
        self.inline: list[str] = []
        self.skip_from = 0  # stack depth of the skipped element; 0 when not skipping
        self.mode = ""  # "heading", "pre" or "table" while one is open
        self.mode_from = 0
        self.heading_level = 0
        self.buffer: list[str] = []
        self.rows: list[str] = []
        self.cells: list[str] | None = None
        self.cell: list[str] | None = None
        self.list_depth = -1
        self.items: list[int] = []  # the depth of each open list item, innermost last
        self.title: list[str] = []
        self.title_chars = 0

    # lxml calls these -------------------------------------------------------------------

    def start(self, tag: object, attrib: dict[str, str]) -> None:
        name = tag.lower() if isinstance(tag, str) else ""
        self.stack.append(name)
        if self.skip_from:
            return
        if self.marks and self.mode != "pre" and (name in _MARKS or name in ("a", "img")):
            self._mark_start(name, attrib)
        elif name in _SKIP:
            self.skip_from = len(self.stack)
        elif self.mode == "table":
            self._table_start(name)
        elif self.mode:
            if name in _BLOCKS:
                self.buffer.append("\n" if self.mode == "pre" and name == "br" else " ")
        elif name == "br":
            self.inline.append("\n")
        elif name not in _BLOCKS:
            return
        elif self.items and name not in ("ul", "ol", "li"):
            self.inline.append(" ")  # a paragraph inside a list item stays in the item
        else:
            self._block_start(name)

    def end(self, tag: object) -> None:
        if not self.stack:
            return
        name = self.stack.pop()
        depth = len(self.stack)
        if self.skip_from:
            if depth < self.skip_from:
                self.skip_from = 0
            return
        if self.marks and self.mode != "pre" and (name in _MARKS or name == "a"):
            self._mark_end(name)
        elif self.mode and depth < self.mode_from:
            self._mode_end()
        elif self.mode == "table":
            self._table_end(name)
        elif self.mode or name not in _BLOCKS or name == "br":
            return
        elif name in ("ul", "ol"):
            self.flush()
            self.list_depth -= 1
        elif name == "li":
            self.flush()
            if self.items:
                self.items.pop()
        elif self.items:
            self.inline.append(" ")
        else:
            self.flush()

    def data(self, text: str) -> None:
        if self.stack and self.stack[-1] == "title":
            if self.title_chars < _TITLE_CHARS:
                self.title.append(text[:_TITLE_CHARS])
                self.title_chars += len(text)
            return
        if self.skip_from:
            return
        self._text(text)

    def _text(self, text: str) -> None:
        self.budget.spend(len(text))
        if self.mode == "table":
            if self.cell is not None:
                self.cell.append(text)
        elif self.mode:
            self.buffer.append(text)
        else:
            self.inline.append(text)

    def close(self) -> None:
        if self.mode:
            self._mode_end()
        self.flush()

    # Markdown's inline marks ----------------------------------------------------------

    def _mark_start(self, name: str, attrib: dict[str, str]) -> None:
        if name == "a":
            self.links.append(attrib.get("href", ""))
            self._text("[")
        elif name == "img":
            self._text(f"![{attrib.get('alt', '')}]({attrib.get('src', '')})")
        else:
            self._text(_MARKS[name])

    def _mark_end(self, name: str) -> None:
        if name == "a":
            self._text(f"]({self.links.pop() if self.links else ''})")
        else:
            self._text(_MARKS[name])

    # blocks -----------------------------------------------------------------------------

    def flush(self) -> None:
        text = _clean("".join(self.inline))
        self.inline = []
        if text:
            if self.items:
                self.budget.add("list_item", text, self.items[-1], counted=True)
            else:
                self.budget.add("paragraph", text, counted=True)

    def _block_start(self, name: str) -> None:
        self.flush()
        if name in _HEADINGS or name in ("pre", "table"):
            self.mode = "heading" if name in _HEADINGS else name
            self.mode_from = len(self.stack)
            self.heading_level = int(name[1]) if name in _HEADINGS else 0
            self.buffer = []
            self.rows, self.cells, self.cell = [], None, None
        elif name in ("ul", "ol"):
            self.list_depth += 1
        elif name == "li":
            self.items.append(max(self.list_depth, 0))

    def _mode_end(self) -> None:
        mode, self.mode = self.mode, ""
        if mode == "heading":
            text = _clean("".join(self.buffer))
            if text:
                self.budget.add("heading", text, self.heading_level, counted=True)
        elif mode == "pre":
            code = "".join(self.buffer).strip("\n")
            if code.strip():
                self.budget.add("code", code, counted=True)
        else:
            self._row_end()
            if self.rows:
                self.budget.add("table", "\n".join(self.rows), counted=True)
        self.buffer, self.rows = [], []

    def _table_start(self, name: str) -> None:
        if name == "tr":
            self._row_end()
            self.cells = []
        elif name in ("td", "th"):
            self._cell_end()
            if self.cells is None:
                self.cells = []
            self.cell = []
        elif self.cell is not None and name in _BLOCKS:
            self.cell.append(" ")

    def _table_end(self, name: str) -> None:
        if name in ("td", "th"):
            self._cell_end()
        elif name == "tr":
            self._row_end()
        elif self.cell is not None and name in _BLOCKS:
            self.cell.append(" ")

    def _cell_end(self) -> None:
        if self.cell is not None and self.cells is not None:
            self.cells.append(_clean("".join(self.cell)))
        self.cell = None

    def _row_end(self) -> None:
        self._cell_end()
        if self.cells and any(self.cells):
            self.rows.append(" | ".join(self.cells))
        self.cells = None


def read_html(markup: str | bytes, budget: BlockBudget, marks: bool = False,
              encoding: str | None = None) -> str:
    """Add the page's blocks to `budget`; the page title (or ""). `marks` writes inline
    markup back as Markdown (for HTML made from Markdown); `encoding` when it is known."""
    data = markup.encode("utf-8") if isinstance(markup, str) else markup
    pieces = (data[start:start + _FEED] for start in range(0, len(data), _FEED))
    return _feed(pieces, encoding or page_encoding(data), budget, marks)


def read_html_chunks(chunks: Iterator[bytes], budget: BlockBudget) -> str:
    """The same for a stream too large to hold (an EPUB chapter): the encoding comes from
    its first bytes, else UTF-8 (XHTML's default)."""
    first = next(chunks, b"")
    return _feed(itertools.chain([first], chunks), declared_encoding(first) or "utf-8",
                 budget)


def _feed(chunks: Iterable[bytes], encoding: str, budget: BlockBudget,
          marks: bool = False) -> str:
    reader = _Reader(budget, marks)
    parser = etree.HTMLParser(target=reader, encoding=encoding, recover=True,
                              no_network=True, remove_comments=True, remove_pis=True)
    for chunk in chunks:
        parser.feed(chunk)
    parser.close()
    return _clean("".join(reader.title))[:_TITLE_CHARS]
