"""HTML (and the XHTML inside EPUBs) to blocks, keeping headings, lists, code and tables."""

from __future__ import annotations

import warnings

from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.element import Comment, Doctype, ProcessingInstruction

from writer_app.documents.model import Block

_SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside",
         "form", "button", "svg", "head", "iframe", "select"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "ul", "ol", "li", "pre",
           "table", "figure", "figcaption", "dl", "dt", "dd", "address", "body", "hr", "br",
           *_HEADINGS}


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.inline: list[str] = []
        self.list_depth = -1

    def flush(self, kind: str = "paragraph", level: int = 0) -> None:
        text = _clean("".join(self.inline))
        self.inline = []
        if text:
            self.blocks.append(Block(kind, text, level))  # type: ignore[arg-type]

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in _SKIP:
                continue
            if name not in _BLOCKS:
                self.walk(child)
                continue
            if name == "br":
                self.inline.append("\n")
                continue
            self.flush()
            if name in _HEADINGS:
                self.blocks.append(Block("heading", _clean(child.get_text(" ")), int(name[1])))
            elif name == "pre":
                self.blocks.append(Block("code", child.get_text().strip("\n")))
            elif name == "table":
                self._table(child)
            elif name in ("ul", "ol"):
                self.list_depth += 1
                self.walk(child)
                self.list_depth -= 1
            elif name == "li":
                self._item(child)
            else:
                self.walk(child)
                self.flush()

    def _item(self, li: Tag) -> None:
        depth = max(self.list_depth, 0)
        for child in li.children:
            if isinstance(child, Tag) and child.name in ("ul", "ol"):
                self.flush("list_item", depth)
                self.list_depth += 1
                self.walk(child)
                self.list_depth -= 1
            elif isinstance(child, Tag) and child.name not in _SKIP:
                self.inline.append(child.get_text(" "))
            elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                self.inline.append(str(child))
        self.flush("list_item", depth)

    def _table(self, table: Tag) -> None:
        rows = []
        for tr in table.find_all("tr"):
            cells = [_clean(c.get_text(" ")) for c in tr.find_all(["th", "td"])]
            if any(cells):
                rows.append(" | ".join(cells))
        if rows:
            self.blocks.append(Block("table", "\n".join(rows)))


def html_blocks(markup: str | bytes) -> tuple[str, list[Block]]:
    """The page title (or "") and its blocks."""
    with warnings.catch_warnings():
        # EPUB chapters are XHTML; the forgiving HTML parser reads them well.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "lxml")
    title_tag = soup.find("title")
    title = _clean(title_tag.get_text()) if title_tag else ""
    walker = _Walker()
    walker.walk(soup.body or soup)
    walker.flush()
    return title, walker.blocks
