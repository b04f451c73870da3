"""The writing area: a plain-text editor that hands dropped files and links to the window."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QPainter,
    QPaintEvent,
    QTextCursor,
)
from PySide6.QtWidgets import QMenu, QPlainTextEdit, QWidget

from writer_app.net import is_web_address


def selected_text(cursor: QTextCursor) -> str:
    """The selection as plain text: Qt marks paragraph breaks in it with U+2029."""
    return cursor.selectedText().replace("\u2029", "\n")


def utf16_offsets(text: str) -> list[int]:
    """For each character offset of `text` (and its end), the offset in UTF-16 units:
    Qt's positions count those, and a character beyond U+FFFF takes two."""
    units = [0]
    for ch in text:
        units.append(units[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return units


def dropped_sources(mime: QMimeData) -> list[str]:
    """The local files and web addresses a drop carries, each once; empty for a drop of
    plain text (or of links of other kinds, mailto: say), which the editor inserts."""
    if not mime.hasUrls():
        return []
    sources: list[str] = []
    for url in mime.urls():
        if url.isLocalFile():
            source = url.toLocalFile()
        else:
            # Encoded as sent: a space or a letter of another script stays %-escaped.
            source = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
            if not is_web_address(source):
                continue
        if source not in sources:
            sources.append(source)
    return sources


class Editor(QPlainTextEdit):
    """Qt's editor types a dropped file in as its "file://" address; here a drop of files
    or links is left to the window (to summarize it, or add a model), and text is inserted.
    Only drops are refused: pasting a copied link still inserts it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Called before an edit made by the app (not by typing): a text still going into
        # the editor in pieces is finished first.
        self.before_edit: Callable[[], None] = lambda: None
        # Adds to the right-click menu what concerns a document position (spelling).
        self.extend_context_menu: Callable[[QMenu, int], None] = lambda _menu, _at: None
        # Drawn over the text after it is painted (ghost text), never part of it.
        self.ghost_overlay: Callable[[QPainter], None] | None = None

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.ghost_overlay is not None:
            painter = QPainter(self.viewport())
            try:
                self.ghost_overlay(painter)
            finally:
                painter.end()

    def target(self) -> tuple[int, int, str]:
        """The selection, or the paragraph (text block) the cursor is in: start, end, text."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            block = cursor.block()
            cursor.setPosition(block.position())
            cursor.setPosition(block.position() + block.length() - 1,
                               QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectionStart(), cursor.selectionEnd(), selected_text(cursor)

    def selection_or_all(self) -> tuple[str, tuple[int, int] | None]:
        """The selected text and its span, or the whole text and None."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            return selected_text(cursor), (cursor.selectionStart(), cursor.selectionEnd())
        return self.toPlainText(), None

    def selection_or_whole(self, whole: bool) -> tuple[str, tuple[int, int] | None]:
        """The whole text (and None) when `whole` or nothing is selected, else the selection."""
        if whole:
            return self.toPlainText(), None
        return self.selection_or_all()

    def text_between(self, start: int, end: int) -> str:
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return selected_text(cursor)

    def replace(self, span: tuple[int, int] | None, text: str) -> None:
        """Put `text` over the span (the whole text when None), as one undo step."""
        self.before_edit()
        cursor = QTextCursor(self.document())
        if span is None:
            cursor.select(QTextCursor.SelectionType.Document)
        else:
            cursor.setPosition(span[0])
            cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        cursor.beginEditBlock()
        cursor.insertText(text)
        cursor.endEditBlock()

    def append_after(self, end: int, text: str) -> None:
        """Put `text` right after position `end`, spaced from it, as one undo step."""
        self.before_edit()
        cursor = QTextCursor(self.document())
        cursor.setPosition(end)
        cursor.beginEditBlock()
        cursor.insertText(text if text[:1].isspace() else " " + text)
        cursor.endEditBlock()

    def insert_block(self, text: str) -> None:
        """Put `text` as its own paragraph after the selection (or at the cursor)."""
        self.before_edit()
        cursor = self.textCursor()
        cursor.setPosition(cursor.selectionEnd())
        at_end = cursor.atEnd()
        cursor.beginEditBlock()
        cursor.insertText(("\n\n" if cursor.position() > 0 else "") + text
                          + ("" if at_end else "\n\n"))
        cursor.endEditBlock()
        self.setTextCursor(cursor)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.createStandardContextMenu(event.pos())
        self.extend_context_menu(menu, self.cursorForPosition(event.pos()).position())
        menu.exec(event.globalPos())
        menu.deleteLater()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_sources(event.mimeData()):
            event.ignore()  # Qt passes it on to the window
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_sources(event.mimeData()):
            event.ignore()
            return
        super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if dropped_sources(event.mimeData()):
            event.ignore()
            return
        super().dropEvent(event)
