"""The writing area: a plain-text editor that hands dropped files and links to the window."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from writer_app.net import is_web_address


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
