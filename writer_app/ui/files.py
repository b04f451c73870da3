"""The user's file: new, open, import, save, recent files, autosave and recovery.

Reads, decoding, writes and their fsyncs run in the I/O pool; the GUI thread only copies
the text out of the editor (a 5 MB text copies in about 15 ms) and puts text into it, a
large file in pieces so that no single step stalls the window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QTextCursor
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from writer_app import settings
from writer_app.ui import file_ops, operations
from writer_app.ui.editor import Editor
from writer_app.ui.jobs import JobRunner

AUTOSAVE_MS = 5000
TEXT_FILTER = "Text and Markdown (*.txt *.md *.markdown);;All files (*)"
DOCUMENT_FILTER = ("Documents (*.txt *.md *.html *.htm *.pdf *.docx *.odt *.epub *.rtf)"
                   ";;All files (*)")
MAX_RECENT = 8
# Text above this size goes into the editor in pieces of it, one per turn of the event
# loop: setPlainText of 20 MB holds the window for a quarter of a second, a piece of
# 128 KiB about 10 ms.
FILL_PIECE = 128 * 1024
# How long closing waits for a save already writing.
SAVE_WAIT_S = 30


class Files(QObject):
    sig_title_changed = Signal(str)  # the window title ("name[*] — Writer")
    sig_opened = Signal(object)  # the Path now in the editor
    sig_saved = Signal(object)  # the Path written
    sig_status = Signal(str)  # a passing note for the status bar (an autosave that failed)

    def __init__(self, editor: Editor, runner: JobRunner,
                 prefs: Callable[[], settings.Settings], window: QWidget,
                 recent_menu: QMenu, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.runner = runner
        self.prefs = prefs
        self.window = window
        self.recent_menu = recent_menu
        self.path: Path | None = None
        self._saving = threading.Event()  # set while no save is writing
        self._saving.set()
        self._autosaving = False
        self._autosaved_revision = -1
        self._fill: _Fill | None = None
        editor.document().modificationChanged.connect(lambda _m: self._title())
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.fill_recent()

    @property
    def filling(self) -> bool:
        """A large text is still going into the editor."""
        return self._fill is not None

    @property
    def autosaving(self) -> bool:
        return self._autosaving

    # --- the text in the editor -------------------------------------------------------
    def set_text(self, text: str, path: Path | None, modified: bool = False,
                 then: Callable[[], None] | None = None) -> None:
        """Put `text` in the editor (a large one in pieces), then call `then`."""
        if self._fill is not None:
            self._fill.stop()
        self.path = path

        def finished() -> None:
            self._fill = None
            self.editor.document().setModified(modified)
            self._title()
            if then is not None:
                then()

        if len(text) <= FILL_PIECE:
            self.editor.setPlainText(text)
            finished()
        else:
            self._fill = _Fill(self.editor, text, finished)

    def _title(self) -> None:
        name = self.path.name if self.path else "Untitled"
        self.sig_title_changed.emit(f"{name}[*] — Writer")

    def confirm_discard(self, then: Callable[[], object]) -> None:
        """Call `then` once unsaved changes are saved or dropped; not if the user cancels."""
        if not self.editor.document().isModified():
            then()
            return
        answer = QMessageBox.question(
            self.window, "Unsaved changes", "Save your changes first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            self.save(then=then)
        elif answer == QMessageBox.StandardButton.Discard:
            then()

    # --- opening ------------------------------------------------------------------------
    def new_file(self) -> None:
        self.confirm_discard(lambda: self.set_text("", None))

    def open_dialog(self) -> None:
        def choose() -> None:
            name, _ = QFileDialog.getOpenFileName(self.window, "Open", "", TEXT_FILTER)
            if name:
                self.open_path(Path(name))

        self.confirm_discard(choose)

    def open_path(self, path: Path) -> None:
        """Read and decode the file off the GUI thread; sig_opened when it is in."""

        def opened(text: str) -> None:
            self.set_text(text, path, then=lambda: self.sig_opened.emit(path))
            self._add_recent(path)

        operations.open_text(self.runner, path, operations.Callbacks(
            done=opened, failed=lambda m: self._warn("Open", m)))

    def import_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Import document", "",
                                              DOCUMENT_FILTER)
        if name:
            self.import_path(Path(name))

    def import_path(self, path: Path) -> None:
        """Read any supported document off the GUI thread and put its text in the editor."""

        def imported(text: str) -> None:
            self.confirm_discard(lambda: self.set_text(
                text, None, modified=True, then=lambda: self.sig_opened.emit(path)))

        operations.import_document(self.runner, path, operations.Callbacks(
            done=imported, failed=lambda m: self._warn("Import", m)))

    # --- saving -------------------------------------------------------------------------
    def save(self, then: Callable[[], object] | None = None) -> None:
        if self.path is None:
            self.save_as(then)
        else:
            self.save_to(self.path, then)

    def save_as(self, then: Callable[[], object] | None = None) -> None:
        name, _ = QFileDialog.getSaveFileName(self.window, "Save as", str(self.path or ""),
                                              TEXT_FILTER)
        if name:
            self.save_to(Path(name), then)

    def save_to(self, path: Path, then: Callable[[], object] | None = None) -> None:
        """Write the text atomically off the GUI thread; sig_saved once it is on disk."""
        doc = self.editor.document()
        revision = doc.revision()
        self._saving.clear()

        def saved(written: Path) -> None:
            self._saving.set()
            self.path = written
            if doc.revision() == revision:  # typed on meanwhile: that is not saved yet
                doc.setModified(False)
            self._autosaved_revision = -1
            self._add_recent(written)
            self._title()
            self.sig_saved.emit(written)
            if then is not None:
                then()

        def failed(message: str) -> None:
            self._saving.set()
            self._warn("Save", message)

        operations.save_text(self.runner, path, self.editor.toPlainText(),
                             operations.Callbacks(done=saved, failed=failed))

    def autosave(self) -> None:
        """Every 5 s: the text, when it changed since the last one, to the data folder."""
        doc = self.editor.document()
        if self._autosaving or self._fill is not None or not doc.isModified() \
                or doc.revision() == self._autosaved_revision:
            return
        self._autosaving = True
        revision = doc.revision()

        def done(_none: None) -> None:
            self._autosaving = False
            self._autosaved_revision = revision

        def failed(message: str) -> None:
            self._autosaving = False
            self.sig_status.emit(f"Autosave failed: {message}")

        operations.autosave(self.runner, self.editor.toPlainText(), self.path,
                            operations.Callbacks(done=done, failed=failed))

    def offer_recovery(self) -> bool:
        """After a crash: offer the autosaved text back. True when it was restored."""
        recovery = file_ops.pending_recovery()
        if recovery is None or not recovery.text:
            return False
        answer = QMessageBox.question(
            self.window, "Recover unsaved text",
            "Writer did not close properly last time. Restore the unsaved text "
            f"({len(recovery.text.split())} words)?")
        if answer != QMessageBox.StandardButton.Yes:
            file_ops.clear_autosave()
            return False
        self.set_text(recovery.text, Path(recovery.path) if recovery.path else None,
                      modified=True)
        return True

    def shutdown(self) -> bool:
        """At close: wait for a save that is writing (only that); drop the autosave."""
        self.autosave_timer.stop()
        finished = self._saving.wait(SAVE_WAIT_S)
        file_ops.clear_autosave()
        return finished

    # --- recent files -------------------------------------------------------------------
    def _add_recent(self, path: Path) -> None:
        prefs = self.prefs()
        recent = [str(path), *(p for p in prefs.recent_files if p != str(path))]
        prefs.recent_files = recent[:MAX_RECENT]
        operations.save_settings(self.runner, prefs, operations.Callbacks(
            done=lambda _none: None,
            failed=lambda m: self.sig_status.emit(f"Settings not saved: {m}")))
        self.fill_recent()

    def fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.prefs().recent_files:
            action = QAction(p, self.recent_menu)
            action.triggered.connect(
                lambda _=False, p=p: self.confirm_discard(lambda: self.open_path(Path(p))))
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(self.prefs().recent_files))

    def _warn(self, title: str, message: str) -> None:
        QMessageBox.warning(self.window, title, message)


class _Fill(QObject):
    """Puts a large text into the editor a piece per turn of the event loop, read-only
    and without undo steps meanwhile."""

    def __init__(self, editor: Editor, text: str, finished: Callable[[], None]) -> None:
        super().__init__(editor)
        self.editor = editor
        self.text = text
        self.at = 0
        self.finished = finished
        self.was_read_only = editor.isReadOnly()
        editor.setReadOnly(True)
        editor.document().setUndoRedoEnabled(False)
        editor.clear()
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._step)
        self.timer.start()

    def _step(self) -> None:
        cursor = QTextCursor(self.editor.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(self.text[self.at:self.at + FILL_PIECE])
        self.at += FILL_PIECE
        if self.at >= len(self.text):
            self._end()
            self.editor.moveCursor(QTextCursor.MoveOperation.Start)
            self.finished()

    def _end(self) -> None:
        self.timer.stop()
        self.editor.document().setUndoRedoEnabled(True)
        self.editor.setReadOnly(self.was_read_only)
        self.deleteLater()

    def stop(self) -> None:
        self._end()
