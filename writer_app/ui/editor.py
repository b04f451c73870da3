"""The writing area: a plain-text editor that hands dropped files and links to the window."""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from writer_app.net import is_web_address


def dropped_sources(mime: QMimeData) -> list[str]:
    """The local files and web addresses a drop carries; empty for a drop of plain text."""
    if not mime.hasUrls():
        return []
    sources = []
    for url in mime.urls():
        if url.isLocalFile():
            sources.append(url.toLocalFile())
        elif is_web_address(url.toString()):
            sources.append(url.toString())
        else:
            return []  # some other scheme: let the editor insert it as text
    return sources


class Editor(QPlainTextEdit):
    """Qt's editor inserts a dropped file as its "file://" address; here a drop of files or
    links is left to the window (to summarize it, or add a model), and text is inserted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        if dropped_sources(source):
            return False
        return super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if dropped_sources(source) and not source.hasFormat("text/plain"):
            return  # a paste of copied files: no "file://" text in the writing
        super().insertFromMimeData(source)
