"""The user's file: new, open, import, save, recent files, autosave and recovery.

Reads, decoding, writes and their fsyncs run in the I/O pool; the GUI thread only copies
the text out of the editor (a 5 MB text copies in about 15 ms) and puts text into it, a
large file in pieces so that no single step stalls the window.

Edits are numbered (`edit`), and each text put in the editor starts a new generation:
a save or an autosave that ends after more typing, or after another file was opened,
changes nothing it should not. Saves and autosaves are not cancelled: closing waits for
them (only them), then clears the autosave.
"""

from __future__ import annotations

import codecs
import logging
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QTextCursor
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget

from writer_app import settings
from writer_app.documents.model import ENCODING_CHOICES, Decoded
from writer_app.errors import WriterError
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
# Each piece of a fill is sized to take about this long: the spell checker's highlighter
# runs for every paragraph a piece brings, so a piece of short lines costs more.
FILL_STEP_MS = 12.0
MIN_FILL_PIECE = 4 * 1024
# How long closing waits for saves being written.
SAVE_WAIT_S = 30
log = logging.getLogger(__name__)


class Files(QObject):
    sig_title_changed = Signal(str)  # the window title ("name[*] — Writer")
    sig_opened = Signal(object)  # the Path now in the editor
    sig_saved = Signal(object)  # the Path written
    sig_status = Signal(str)  # a passing note for the status bar (an autosave that failed)
    sig_encoding = Signal(str, str)  # the text's encoding, and a note when it was guessed

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
        self.encoding = "utf-8"  # the file's; a save keeps it
        self.edit = 0  # counts the edits to the text
        self._generation = 0  # counts the texts put in the editor
        self._writes = file_ops.Writes()
        self._autosave = file_ops.AutosaveSlot()
        self._autosaving = False
        self._autosaved_edit = -1
        self._fill: _Fill | None = None
        editor.document().contentsChanged.connect(self._edited)
        editor.document().modificationChanged.connect(lambda _m: self._title())
        editor.before_edit = self.settle
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.fill_recent()

    def _edited(self) -> None:
        self.edit += 1

    @property
    def filling(self) -> bool:
        """A large text is still going into the editor."""
        return self._fill is not None

    @property
    def autosaving(self) -> bool:
        return self._autosaving

    def is_modified(self) -> bool:
        """Unsaved changes (a text still going into the editor counts as it will be)."""
        if self._fill is not None:
            return self._fill.modified
        return self.editor.document().isModified()

    # --- the text in the editor -------------------------------------------------------
    def set_text(self, text: str, path: Path | None, modified: bool = False,
                 then: Callable[[], None] | None = None, encoding: str = "utf-8",
                 note: str = "") -> None:
        """Put `text` in the editor (a large one in pieces), then call `then`. `encoding`
        is the file's, which a save keeps; `note` says when it was guessed."""
        if self._fill is not None:
            self._fill.stop()
        self.path = path
        self.encoding = encoding
        self.sig_encoding.emit(encoding, note)
        self._generation += 1

        def finished() -> None:
            self._fill = None
            self.editor.document().setModified(modified)
            self._title()
            if then is not None:
                then()

        if len(text) <= MIN_FILL_PIECE * 4:
            self.editor.setPlainText(text)
            finished()
        else:
            self._fill = _Fill(self.editor, text, modified, finished)

    def settle(self) -> None:
        """Finish putting a large text into the editor now (before anything edits it)."""
        if self._fill is not None:
            self._fill.finish()

    def _title(self) -> None:
        name = self.path.name if self.path else "Untitled"
        self.sig_title_changed.emit(f"{name}[*] — Writer")

    def confirm_discard(self, then: Callable[[], object]) -> None:
        """Call `then` once unsaved changes are saved or dropped; not if the user cancels."""
        if not self.is_modified():
            then()
            return
        answer = QMessageBox.question(
            self.window, "Unsaved changes", "Save your changes first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            self.save(then=then)
        elif answer == QMessageBox.StandardButton.Discard:
            self.settle()
            self.editor.document().setModified(False)
            then()

    # --- opening ------------------------------------------------------------------------
    def new_file(self) -> None:
        self.confirm_discard(lambda: self.set_text("", None))

    def open_dialog(self) -> None:
        def choose() -> None:
            name, _ = QFileDialog.getOpenFileName(self.window, "Open", "", TEXT_FILTER)
            if name:
                self.open_path(Path(name), asked_at=self.edit)

        self.confirm_discard(choose)

    def open_path(self, path: Path, asked_at: int | None = None,
                  encoding: str | None = None) -> None:
        """Read and decode the file (in `encoding` when the user chose one) off the GUI
        thread; sig_opened when it is in. Unsaved changes made since the user was asked
        (`asked_at`, an edit number) are asked about again when the text arrives."""

        def opened(decoded: Decoded) -> None:
            def put() -> None:
                self.set_text(decoded.text, path, then=lambda: self.sig_opened.emit(path),
                              encoding=decoded.encoding, note=decoded.note)
                self._add_recent(path)
                if decoded.note:
                    self.sig_status.emit(f"{path.name}: {decoded.note}")

            if self.is_modified() and asked_at != self.edit:
                self.confirm_discard(put)
            else:
                put()

        operations.open_text(self.runner, path, operations.Callbacks(
            done=opened, failed=lambda m: self._warn("Open", m)), encoding)

    def reopen_with_encoding_dialog(self) -> None:
        """File > Reopen with Encoding: the same file, read in the encoding chosen."""
        if self.path is None:
            QMessageBox.information(self.window, "Reopen with Encoding",
                                    "The text is not from a file: there is nothing to reopen.")
            return
        current = next((i for i, label in enumerate(ENCODING_CHOICES)
                        if _codec(label) == _codec(self.encoding)), 0)
        label, ok = QInputDialog.getItem(self.window, "Reopen with Encoding",
                                         f"Read {self.path.name} as:", list(ENCODING_CHOICES),
                                         current, True)
        if ok and label.strip():
            self.reopen(label.split()[0])

    def reopen(self, encoding: str) -> None:
        """Read the current file again in `encoding` (unsaved changes are asked about)."""
        path = self.path
        if path is not None:
            self.confirm_discard(lambda: self.open_path(path, asked_at=self.edit,
                                                        encoding=encoding))

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
        text = self._fill.text if self._fill is not None else self.editor.toPlainText()
        edit, generation = self.edit, self._generation

        def saved(written: Path) -> None:
            if generation == self._generation:  # still the text that was saved
                self.path = written
                if self.edit == edit:  # nothing typed meanwhile
                    self.editor.document().setModified(False)
                self._title()
                operations.clear_autosave(self.runner, self._autosave, edit,
                                          operations.Callbacks(done=lambda _n: None,
                                                               failed=self.sig_status.emit))
            self._add_recent(written)
            self.sig_saved.emit(written)
            if then is not None:
                then()

        operations.save_text(self.runner, path, text, self._writes, operations.Callbacks(
            done=saved, failed=lambda m: self._warn("Save", m)), self.encoding)

    def autosave(self) -> None:
        """Every 5 s: the text, when it changed since the last one, to the data folder."""
        if self._autosaving or self._fill is not None or not self.is_modified() \
                or self.edit == self._autosaved_edit:
            return
        self._autosaving = True
        edit = self.edit

        def done(_written: bool) -> None:
            self._autosaving = False
            self._autosaved_edit = edit

        def failed(message: str) -> None:
            self._autosaving = False
            self.sig_status.emit(f"Autosave failed: {message}")

        operations.autosave(self.runner, self._autosave, self.editor.toPlainText(), self.path,
                            edit, self._writes,
                            operations.Callbacks(done=done, failed=failed))

    def offer_recovery(self) -> bool:
        """At start: offer back the text of each Writer that did not close (newest first).
        One can be restored into the editor; each other one is discarded or kept for later.
        Slots of Writers still running are left alone. True when a text was restored."""
        found = file_ops.take_orphans()
        if found.problems:
            self._warn("Autosave set aside",
                       "An autosave could not be read. Nothing was deleted; it was moved "
                       "aside:\n\n" + "\n\n".join(found.problems))
        restored = False
        for orphan in found.orphans:
            answer = _ask_recovery(self.window, orphan.recovery, can_restore=not restored)
            try:
                if answer == QMessageBox.StandardButton.Yes:
                    recovery = orphan.recovery
                    self.set_text(recovery.text, recovery.path, modified=True)
                    restored = True
                    # Its slot becomes this session's: the text stays on disk meanwhile.
                    # (This session has one already: it stays an orphan, offered again.)
                    if not self._autosave.adopt(orphan):
                        orphan.release()
                elif answer == QMessageBox.StandardButton.Discard:
                    orphan.remove()
                else:
                    orphan.release()
            except WriterError as exc:
                self.sig_status.emit(str(exc))
        return restored

    def shutdown(self) -> bool:
        """At close: wait for the saves and autosaves being written (only those), then drop
        the autosave for good. False when a write did not end in time."""
        self.autosave_timer.stop()
        if self._fill is not None:
            self._fill.stop()
        finished = self._writes.wait_idle(SAVE_WAIT_S)
        try:
            self._autosave.clear()
        except WriterError as exc:  # left behind: offered at the next start, nothing lost
            log.warning("%s", exc)
        return finished

    # --- recent files -------------------------------------------------------------------
    def _add_recent(self, path: Path) -> None:
        prefs = self.prefs()
        recent = [str(path), *(p for p in prefs.recent_files if p != str(path))]
        prefs.recent_files = recent[:MAX_RECENT]
        operations.save_settings(self.runner, prefs, self.sig_status.emit)
        self.fill_recent()

    def fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.prefs().recent_files:
            action = QAction(p, self.recent_menu)
            action.triggered.connect(lambda _=False, p=p: self._open_recent(Path(p)))
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(self.prefs().recent_files))

    def _open_recent(self, path: Path) -> None:
        self.confirm_discard(lambda: self.open_path(path, asked_at=self.edit))

    def _warn(self, title: str, message: str) -> None:
        QMessageBox.warning(self.window, title, message)


def _ask_recovery(parent: QWidget, recovery: file_ops.Recovery,
                  can_restore: bool) -> QMessageBox.StandardButton:
    """Restore (Yes), Discard, or Later (anything else: the slot is kept)."""
    name = recovery.path.name if recovery.path else "an untitled text"
    when = recovery.saved.astimezone().strftime("%Y-%m-%d %H:%M")
    about = f"{name} ({len(recovery.text.split())} words, autosaved {when})"
    box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved text", "", parent=parent)
    buttons = QMessageBox.StandardButton
    if can_restore:
        box.setText(f"Writer did not close properly. Restore the unsaved text of {about}?")
        box.addButton(buttons.Yes).setText("Restore")
    else:
        box.setText(f"Writer also found the unsaved text of {about}.")
        box.setInformativeText("One text is restored at a time. Later keeps this one: it is "
                               "offered again when Writer starts, by a second Writer too.")
    box.addButton(buttons.Discard)
    later = box.addButton(buttons.Ignore)
    later.setText("Later")
    box.setEscapeButton(later)
    box.setDefaultButton(buttons.Yes if can_restore else buttons.Ignore)
    box.exec()
    answer = box.standardButton(box.clickedButton())
    box.deleteLater()
    return answer


class _Fill(QObject):
    """Puts a large text into the editor a piece per turn of the event loop, read-only
    and without undo steps meanwhile."""

    def __init__(self, editor: Editor, text: str, modified: bool,
                 finished: Callable[[], None]) -> None:
        super().__init__(editor)
        self.editor = editor
        self.text = text
        self.modified = modified  # what the document will be once it is in
        self.at = 0
        self.finished = finished
        self.was_read_only = editor.isReadOnly()
        editor.setReadOnly(True)
        editor.document().setUndoRedoEnabled(False)
        editor.clear()
        self.piece = MIN_FILL_PIECE * 4  # grows or shrinks to take about FILL_STEP_MS
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(lambda: self._step())
        self.timer.start()

    def _step(self, size: int | None = None) -> None:
        size = size or self.piece
        started = time.perf_counter()
        cursor = QTextCursor(self.editor.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(self.text[self.at:self.at + size])
        self.at += size
        took_ms = max((time.perf_counter() - started) * 1000, 0.1)
        self.piece = int(min(FILL_PIECE, max(MIN_FILL_PIECE,
                                             size * min(FILL_STEP_MS / took_ms, 2.0))))
        if self.at >= len(self.text):
            self._end()
            self.editor.moveCursor(QTextCursor.MoveOperation.Start)
            self.finished()

    def finish(self) -> None:
        """The rest at once."""
        self._step(len(self.text))

    def _end(self) -> None:
        self.timer.stop()
        self.editor.document().setUndoRedoEnabled(True)
        self.editor.setReadOnly(self.was_read_only)
        self.deleteLater()

    def stop(self) -> None:
        self._end()


def _codec(name: str) -> str:
    """The codec a label or name means ("Windows-1251 (Cyrillic)" -> "cp1251")."""
    word = name.split()[0] if name.split() else name
    try:
        return codecs.lookup(word).name
    except LookupError:
        return word
