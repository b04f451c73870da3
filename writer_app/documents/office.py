"""Word (.docx) and OpenDocument (.odt) text documents, read as streams of XML events.

Neither python-docx nor odfpy is used to read: both build the whole tree first, and both
expand what the file only describes (python-docx repeats a cell `gridSpan` times, odfpy
writes out a `text:s` run of three billion spaces). Here each member is parsed through a
counted zip stream (documents/limits.py) into a parser target that keeps only the text,
so memory follows the text, not the markup.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from lxml import etree

from writer_app.documents.limits import BlockBudget, BoundedZip
from writer_app.documents.model import MAX_LEVEL, Document, DocumentError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
# Markup with no text of its own costs time too: a cap on elements bounds it.
MAX_ELEMENTS = 5_000_000
_METADATA_BYTES = 2**20
_HEADING_STYLE = re.compile(r"^heading ?(\d)$", re.IGNORECASE)


def _level(value: str | None) -> int:
    """A list level or heading level from the file: any junk is level 0, any huge
    number the deepest level shown."""
    try:
        return max(0, min(int(value or 0), MAX_LEVEL))
    except ValueError:
        return 0


def _clean(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


def _parser(target: object) -> etree.XMLParser:
    return etree.XMLParser(target=target, resolve_entities=False, no_network=True,
                           load_dtd=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def _parse(zf: BoundedZip, name: str, target: object) -> None:
    parser = _parser(target)
    for chunk in zf.chunks(name):
        parser.feed(chunk)
    parser.close()


class _Counted:
    """Counts elements, so that a flood of empty markup stops as early as huge text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.elements = 0
        self.skip = 0  # depth inside a skipped element; 0 when not skipping

    def count(self) -> None:
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise DocumentError(self.path, f"holds more than {MAX_ELEMENTS:,} XML elements, "
                                           "over the cap for one document")

    def close(self) -> None:
        return None


class _Metadata(_Counted):
    """The first dc:title of a small metadata part."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.inside = False
        self.title: list[str] = []

    def start(self, tag: str, attrib: object) -> None:
        self.count()
        self.inside = tag == DC_TITLE and not self.title

    def end(self, tag: str) -> None:
        self.inside = False

    def data(self, text: str) -> None:
        if self.inside and sum(map(len, self.title)) < 1000:
            self.title.append(text)


def _title(zf: BoundedZip, path: Path, name: str) -> str:
    if name not in zf:
        return ""
    target = _Metadata(path)
    parser = _parser(target)
    # A damaged or cut metadata part costs the title only.
    with contextlib.suppress(etree.XMLSyntaxError):
        parser.feed(zf.read(name, _METADATA_BYTES))
        parser.close()
    return _clean(target.title)[:1000]


class _Table:
    """Rows of cells; each cell the text of its paragraphs."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.cells: list[str] | None = None
        self.cell: list[str] | None = None

    def row_start(self) -> None:
        self.row_end()
        self.cells = []

    def cell_start(self) -> None:
        self.cell_end()
        self.cell = []

    def cell_end(self) -> None:
        if self.cell is not None:
            if self.cells is None:
                self.cells = []
            self.cells.append(" ".join(" ".join(self.cell).split()))
        self.cell = None

    def row_end(self) -> None:
        self.cell_end()
        if self.cells and any(self.cells):
            self.rows.append(" | ".join(self.cells))
        self.cells = None

    def text(self) -> str:
        self.row_end()
        return "\n".join(self.rows)


class _BodyReader(_Counted):
    """What both readers share: paragraphs (nested ones join the outer one), and tables
    whose cells take the paragraphs inside them."""

    # The reader's names for a table, a row and a cell.
    TABLE_TAGS: tuple[str, str, str] = ("", "", "")

    def __init__(self, path: Path, budget: BlockBudget) -> None:
        super().__init__(path)
        self.budget = budget
        self.paragraph = 0  # depth of nested paragraphs (notes, text boxes)
        self.tables = 0
        self.table = _Table()
        self.parts: list[str] = []

    def table_start(self, tag: str) -> bool:
        """Count a table, row or cell opening; True when `tag` was one."""
        table, row, cell = self.TABLE_TAGS
        if tag == table:
            self.tables += 1
            if self.tables == 1:
                self.table = _Table()
        elif self.tables == 1 and tag == row:
            self.table.row_start()
        elif self.tables == 1 and tag == cell:
            self.table.cell_start()
        else:
            return False
        return True

    def table_end(self, tag: str) -> None:
        table, row, cell = self.TABLE_TAGS
        if tag == table:
            self.tables -= 1
            if self.tables == 0:
                text = self.table.text()
                if text:
                    self.budget.add("table", text, counted=True)
        elif self.tables == 1 and tag == cell:
            self.table.cell_end()
        elif self.tables == 1 and tag == row:
            self.table.row_end()

    def paragraph_text(self) -> str | None:
        """The paragraph just ended, or None when it was empty or went into a cell."""
        text = _clean(self.parts)
        self.parts = []
        if not text:
            return None
        if self.tables:
            if self.table.cell is not None:
                self.table.cell.append(text)
            return None
        return text


class _DocxReader(_BodyReader):
    TABLE_TAGS = (W + "tbl", W + "tr", W + "tc")

    def __init__(self, path: Path, budget: BlockBudget, styles: dict[str, str]) -> None:
        super().__init__(path, budget)
        self.styles = styles
        self.runs = 0
        self.in_text = False
        self.style = ""
        self.numbered = False
        self.ilvl = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.count()
        if self.skip:
            self.skip += 1
            return
        if tag in (MC_FALLBACK, W + "txbxContent", W + "delText", W + "instrText"):
            self.skip = 1  # a drawing's second copy, text boxes, deleted text, field codes
        elif tag == W + "p":
            self.paragraph += 1
            if self.paragraph == 1:
                self.parts, self.style, self.numbered, self.ilvl = [], "", False, 0
        elif tag == W + "t":
            self.in_text = self.paragraph > 0
        elif tag == W + "r":
            self.runs += 1
        elif tag in (W + "tab", W + "ptab", W + "br", W + "cr") and self.runs:
            self.parts.append(" ")
        elif tag == W + "pStyle":
            self.style = attrib.get(W + "val", "")
        elif tag == W + "numPr":
            self.numbered = True
        elif tag == W + "ilvl":
            self.ilvl = _level(attrib.get(W + "val"))
        else:
            self.table_start(tag)

    def end(self, tag: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        if tag == W + "t":
            self.in_text = False
        elif tag == W + "r":
            self.runs -= 1
        elif tag == W + "p":
            self.paragraph -= 1
            if self.paragraph == 0:
                self._paragraph_end()
        else:
            self.table_end(tag)

    def data(self, text: str) -> None:
        if self.in_text and not self.skip:
            self.budget.spend(len(text))
            self.parts.append(text)

    def _paragraph_end(self) -> None:
        text = self.paragraph_text()
        if text is None:
            return
        name = self.styles.get(self.style, self.style)
        heading = _HEADING_STYLE.match(name)
        if heading:
            self.budget.add("heading", text, int(heading.group(1)), counted=True)
        elif name.lower() == "title":
            self.budget.add("heading", text, 1, counted=True)
        elif self.numbered or name.lower().startswith("list"):
            self.budget.add("list_item", text, self.ilvl, counted=True)
        else:
            self.budget.add("paragraph", text, counted=True)


class _StyleNames(_Counted):
    """Style id -> style name (a paragraph names its style by id: "Heading1")."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.names: dict[str, str] = {}
        self.current = ""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.count()
        if tag == W + "style":
            self.current = attrib.get(W + "styleId", "")
        elif tag == W + "name" and self.current and len(self.names) < 100_000:
            self.names[self.current] = attrib.get(W + "val", "")[:200]

    def end(self, tag: str) -> None:
        return None

    def data(self, text: str) -> None:
        return None


def load_docx(path: Path, budget: BlockBudget) -> Document:
    with BoundedZip(path) as zf:
        styles = _StyleNames(path)
        if "word/styles.xml" in zf:
            _parse(zf, "word/styles.xml", styles)
        _parse(zf, "word/document.xml", _DocxReader(path, budget, styles.names))
        core = _title(zf, path, "docProps/core.xml")
    # A heading names the document better than the core title, which editors fill with
    # defaults such as "Word Document".
    title = _first_heading(budget) or core
    return Document(path, "docx", title or path.stem, budget.blocks)


def _first_heading(budget: BlockBudget) -> str:
    return next((b.text for b in budget.blocks if b.kind == "heading"), "")


class _OdtReader(_BodyReader):
    TABLE_TAGS = (TABLE + "table", TABLE + "table-row", TABLE + "table-cell")

    def __init__(self, path: Path, budget: BlockBudget) -> None:
        super().__init__(path, budget)
        self.kind = "paragraph"
        self.level = 0
        self.lists = -1

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.count()
        if self.skip:
            self.skip += 1
            return
        if tag in (TEXT + "tracked-changes", OFFICE + "annotation",
                   TABLE + "covered-table-cell"):
            self.skip = 1  # deleted text, comments, the hidden half of a merged cell
        elif tag in (TEXT + "p", TEXT + "h"):
            self.paragraph += 1
            if self.paragraph > 1:
                self.parts.append(" ")
                return
            self.parts = []
            if tag == TEXT + "h":
                self.kind, self.level = "heading", max(
                    1, _level(attrib.get(TEXT + "outline-level", "1")))
            elif self.lists >= 0:
                self.kind, self.level = "list_item", min(self.lists, MAX_LEVEL)
            else:
                self.kind, self.level = "paragraph", 0
        elif tag in (TEXT + "s", TEXT + "tab", TEXT + "line-break"):
            # A run of spaces is one space once the text is cleaned: never written out.
            if self.paragraph:
                self.parts.append(" ")
        elif tag == TEXT + "list" and not self.paragraph:
            self.lists += 1
        else:
            self.table_start(tag)

    def end(self, tag: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        if tag in (TEXT + "p", TEXT + "h"):
            self.paragraph -= 1
            if self.paragraph == 0:
                self._paragraph_end()
        elif tag == TEXT + "list" and not self.paragraph:
            self.lists -= 1
        else:
            self.table_end(tag)

    def data(self, text: str) -> None:
        if self.paragraph and not self.skip:
            self.budget.spend(len(text))
            self.parts.append(text)

    def _paragraph_end(self) -> None:
        text = self.paragraph_text()
        if text is not None:
            self.budget.add(self.kind, text, self.level, counted=True)  # type: ignore[arg-type]


def load_odt(path: Path, budget: BlockBudget) -> Document:
    with BoundedZip(path) as zf:
        _parse(zf, "content.xml", _OdtReader(path, budget))
        title = _title(zf, path, "meta.xml")
    return Document(path, "odt", title or _first_heading(budget) or path.stem, budget.blocks)

