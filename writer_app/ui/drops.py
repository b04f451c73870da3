"""Files and links dropped on the window: models are offered as models, web pages are
summarized after asking (they must be downloaded), every other file is summarized."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QMessageBox, QWidget

from writer_app.net import is_web_address
from writer_app.ui.editor import Editor, dropped_sources
from writer_app.ui.model_control import ModelControl

WebAnswer = Literal["summarize", "insert", "cancel"]


class Drops(QObject):
    def __init__(self, window: QWidget, editor: Editor, models: ModelControl,
                 summarize: Callable[[Sequence[Path | str]], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.editor = editor
        self.models = models
        self.summarize = summarize

    def enter(self, event: QDragEnterEvent | QDragMoveEvent) -> None:
        if dropped_sources(event.mimeData()):
            event.acceptProposedAction()

    def drop(self, event: QDropEvent) -> None:
        sources = dropped_sources(event.mimeData())
        event.acceptProposedAction()
        # A link the user chooses to insert goes where it was dropped, when that was the text.
        at = self.editor.viewport().mapFrom(self.window, event.position().toPoint())
        position = self.editor.cursorForPosition(at).position() \
            if self.editor.viewport().rect().contains(at) else None
        # Questions (add this model? download this page?) come after the drop returns: the
        # app the drag came from waits for the drop to end (Windows' Explorer freezes).
        QTimer.singleShot(0, lambda: self.drop_files(
            [s if is_web_address(s) else Path(s) for s in sources], position))

    def drop_files(self, sources: Sequence[Path | str], position: int | None = None) -> None:
        """Models are offered as models (a model link opens the download dialog), links are
        offered for a summary; every other file is summarized, in turn. Cancel on a
        question drops the rest of the drop."""
        documents: list[Path | str] = []
        for source in sources:
            if isinstance(source, str):
                if urlsplit(source).path.lower().endswith(".gguf"):
                    self.models.open_download_dialog(source)
                    continue
                answer = self.offer_web_page(source, position)
                if answer == "cancel":
                    return
                if answer == "summarize":
                    documents.append(source)
            elif source.suffix.lower() == ".gguf":
                self.models.offer_model(source)
            else:
                documents.append(source)
        if documents:
            self.summarize(documents)

    def offer_web_page(self, address: str, position: int | None = None) -> WebAnswer:
        """Ask before going online: summarize the page, insert its link, or cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, "Web page",
                          f"Summarize the page at {address}?\n\nWriter downloads this one "
                          "page to read it; nothing else leaves your computer.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                          | QMessageBox.StandardButton.Cancel, self.window)
        box.button(QMessageBox.StandardButton.Yes).setText("Download and summarize")
        box.button(QMessageBox.StandardButton.No).setText("Insert the link")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.No:
            self.editor.before_edit()
            cursor = self.editor.textCursor()
            if position is not None:
                cursor.setPosition(min(position, self.editor.document().characterCount() - 1))
            cursor.insertText(address)
            return "insert"
        return "summarize" if answer == QMessageBox.StandardButton.Yes else "cancel"
