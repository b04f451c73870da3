"""Ghost text in the editor: after a pause in typing, the model's next words appear in
grey at the cursor. Tab takes them, Ctrl+Right one word, Esc dismisses them; typing the
same characters walks through them; anything else dismisses them and cancels the
request in flight.

The ghost is drawn over the editor, never put in the document: not in the undo stack,
the saved file, the autosave or the word count. Requests go to the background lane with
the engine's background priority: a user's request (a suggestion, a translation) stops
one at once, and none waits behind a long job (the status bar says why there is none).
"""

from __future__ import annotations

import re
import statistics
import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QInputMethodEvent,
    QKeyEvent,
    QPainter,
    QTextCursor,
)

from writer_app.engine.engine import Engine
from writer_app.engine.errors import EngineBusy
from writer_app.engine.types import CancelToken
from writer_app.tasks import ghost
from writer_app.ui.editor import Editor
from writer_app.ui.jobs import Job, JobContext, JobRunner

# The pause before asking adapts to the writer's pace, within Tabby's bounds: this share
# of the usual gap between keys, so a request goes out when the writer pauses.
MIN_DELAY_MS, MAX_DELAY_MS = 100, 400
PACE_SHARE = 0.75
# Ghost text starts on by itself when the model's first token comes this fast.
FAST_ENOUGH_S = 0.3
PROBE_TEXT = "The weather was mild for the season, and the"
BUSY = "No ghost text while the model is busy with another job"
BUSY_RETRY_MS = 500


class GhostText(QObject):
    sig_status = Signal(str)  # why no ghost shows (the model is busy), "" when one may
    sig_shown = Signal(str)  # a ghost is on screen (the whole of it so far)

    def __init__(self, editor: Editor, runner: JobRunner, engine: Callable[[], Engine],
                 has_engine: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.runner = runner
        self.engine = engine  # taken on the background lane
        self.has_engine = has_engine
        self.enabled = False
        self.text = ""  # the ghost on screen ("" when none)
        self.at = -1  # the document position it follows
        self.fresh = False  # a context read afresh each request (to measure reuse)
        self.job: Job[object] | None = None
        self._request = 0  # the latest request: answers to older ones are dropped
        self._walking = False  # a typed character is walking through the ghost
        self._revision = editor.document().revision()
        self._edited_at = -1  # where the last edit left the cursor
        self._keys: deque[float] = deque(maxlen=12)
        self.last_request_at = 0.0  # when the latest request went out (perf_counter)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.request)
        editor.installEventFilter(self)
        editor.ghost_overlay = self.paint
        editor.document().contentsChange.connect(self._changed)
        editor.cursorPositionChanged.connect(self._moved)
        editor.selectionChanged.connect(self._moved)

    # --- when to ask -------------------------------------------------------------------
    def delay_ms(self) -> int:
        """The pause that counts as a pause for this writer: a share of their usual gap
        between keys (the median of the last few)."""
        gaps = [b - a for a, b in zip(self._keys, list(self._keys)[1:], strict=False)
                if b - a < 2.0]
        if not gaps:
            return MAX_DELAY_MS
        usual = statistics.median(gaps) * 1000
        return int(min(MAX_DELAY_MS, max(MIN_DELAY_MS, usual * PACE_SHARE)))

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        if not on:
            self.dismiss()

    def request(self) -> None:
        """Ask for a ghost at the cursor, when one may be offered there."""
        self.cancel()
        if not self.enabled or not self.has_engine():
            return
        cursor = self.editor.textCursor()
        at = cursor.position()
        # Only the text near the cursor is read (a 20 MB document costs what a page does),
        # through the editor's own positions (which count UTF-16 units, not characters).
        start = ghost.window_start(at)
        before = self._between(start, at)
        line_end = QTextCursor(cursor)
        line_end.movePosition(QTextCursor.MoveOperation.EndOfBlock)
        line_rest = self._between(at, line_end.position())
        if ghost.why_not(before, line_rest, cursor.hasSelection()) is not None:
            return
        if self.runner.busy("inference"):
            # A job the user asked for has the model, or is next (a summary between two
            # of its parts, say): a ghost must not slip in, nor wait behind it. Asked
            # again later, so the ghost comes once the model is free.
            self.sig_status.emit(BUSY)
            self.timer.start(BUSY_RETRY_MS)
            return
        after = self._between(line_end.position(), line_end.position() + ghost.AFTER_CHARS)
        context = ghost.context_of(before, after, start > 0)
        self._request += 1
        serial, fresh = self._request, self.fresh
        self.last_request_at = time.perf_counter()

        def work(ctx: JobContext) -> object:
            return ghost.complete(self.engine(), context, ctx.cancel,
                                  lambda g: ctx.progress((serial, g)), fresh)[1]

        self.job = self.runner.run(work, lane="background", priority="background",
                                   on_progress=lambda p: self._grown(p, at),
                                   on_done=lambda _stats: self._ended(serial, ""),
                                   on_failed=lambda m: self._ended(serial, m))

    def _between(self, start: int, end: int) -> str:
        """The document's text between two of its positions (clamped to its end)."""
        cursor = QTextCursor(self.editor.document())
        last = self.editor.document().characterCount() - 1
        cursor.setPosition(min(start, last))
        cursor.setPosition(min(end, last), QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n").replace("\u2028", "\n")

    def _grown(self, payload: object, at: int) -> None:
        assert isinstance(payload, tuple)
        serial: int = payload[0]
        text: str = payload[1]
        if serial != self._request or self.editor.textCursor().position() != at:
            return  # typing moved on: a stale ghost never shows
        if self.editor.textCursor().hasSelection():
            return
        self.text, self.at = text, at
        self.editor.viewport().update()
        self.sig_shown.emit(text)

    def _ended(self, serial: int, message: str) -> None:
        if serial != self._request:
            return
        self.job = None
        if message == str(EngineBusy()):
            self.sig_status.emit(BUSY)
        else:
            self.sig_status.emit("")

    def cancel(self) -> None:
        """Stop the request in flight; its answer will not show."""
        self._request += 1
        if self.job is not None:
            self.job.cancel()
            self.job = None

    def dismiss(self) -> None:
        """No ghost, none asked for, none about to be."""
        self.timer.stop()
        self._hide()

    def _hide(self) -> None:
        """No ghost and none in flight (the pause timer, started by a key, runs on)."""
        self.cancel()
        if self.text:
            self.text, self.at = "", -1
            self.editor.viewport().update()

    # --- keys --------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.editor and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            return self._key(event)
        if watched is self.editor and event.type() == QEvent.Type.InputMethod:
            assert isinstance(event, QInputMethodEvent)
            # An input method composing (CJK, dead keys): no ghost under its preedit;
            # what it commits is typing, and the pause starts over.
            self.dismiss()
            if event.commitString():
                self._keys.append(time.perf_counter())
                self.timer.start(self.delay_ms())
        return False

    def _key(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        if key in _MODIFIER_KEYS:
            return False  # Shift before a capital, Ctrl before Ctrl+Right: not typing yet
        self._walking = False
        self._keys.append(time.perf_counter())
        commands = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier
        if self.text:
            if key == Qt.Key.Key_Tab and mods == Qt.KeyboardModifier.NoModifier:
                self.take(self.text)
                return True
            if key == Qt.Key.Key_Right and mods == Qt.KeyboardModifier.ControlModifier:
                self.take(_first_word(self.text))
                return True
            if key == Qt.Key.Key_Escape:
                self.dismiss()
                return True
            typed = event.text()
            if (typed and typed.isprintable() and not mods & commands
                    and self.text.startswith(typed)):
                self._walking = True  # the editor types it; the rest stays (see _changed)
                return False
        self.dismiss()
        if (event.text() and event.text().isprintable()) or key in (Qt.Key.Key_Backspace,
                                                                   Qt.Key.Key_Delete):
            self.timer.start(self.delay_ms())
        return False

    def take(self, part: str) -> None:
        """Put `part` of the ghost in the text, as typing would (one undo step)."""
        if self.editor.isReadOnly():
            return
        rest = self.text[len(part):]
        self._walking = True
        cursor = self.editor.textCursor()
        # An edit block of its own: Qt would merge a plain insert into the typing before
        # it, and one undo would take the writer's words away with the ghost's.
        cursor.beginEditBlock()
        cursor.insertText(part)
        # A character put in and taken out: Qt would otherwise merge the typing that
        # follows into this step, and one undo would take both.
        cursor.insertText("\u200b")
        cursor.deletePreviousChar()
        cursor.endEditBlock()
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()
        self._walking = False
        if rest:
            self.text, self.at = rest, self.editor.textCursor().position()
            self.editor.viewport().update()
        else:
            self.dismiss()
            self.timer.start(self.delay_ms())

    def _changed(self, position: int, removed: int, added: int) -> None:
        revision = self.editor.document().revision()
        if revision == self._revision:
            return  # formats only (the spell checker's underlines): the text is the same
        self._revision = revision
        self._edited_at = position + added
        if self._walking and removed == 0 and self.text:
            typed = self._between(position, position + added)
            self._walking = False
            if self.text.startswith(typed) and position == self.at:
                # `added` counts UTF-16 units (Qt's positions); the ghost is a str.
                self.text, self.at = self.text[len(typed):], position + added
                if not self.text:
                    self.timer.start(self.delay_ms())
                self.editor.viewport().update()
                return
        self._walking = False
        self._hide()

    def _moved(self) -> None:
        """A click or an arrow key elsewhere: no ghost there, none coming."""
        cursor = self.editor.textCursor()
        if cursor.hasSelection() or cursor.position() not in (self.at, self._edited_at):
            self.dismiss()

    # --- drawing -----------------------------------------------------------------------
    def paint(self, painter: QPainter) -> None:
        """Draw the ghost after the cursor, wrapping at the editor's width."""
        if not self.text or self.editor.textCursor().position() != self.at:
            return
        rect = self.editor.cursorRect(self.editor.textCursor())
        view = self.editor.viewport().rect()
        margin = int(self.editor.document().documentMargin())
        metrics = QFontMetrics(self.editor.font())
        color = QColor(self.editor.palette().text().color())
        color.setAlpha(110)
        painter.setPen(color)
        painter.setFont(self.editor.font())
        x, y = rect.right() + 1, rect.top()
        line = metrics.lineSpacing()
        for word in _words_with_spaces(self.text):
            width = metrics.horizontalAdvance(word)
            if x + width > view.right() - margin and x > margin + 1:
                x, y = margin, y + line
                word = word.lstrip()
                width = metrics.horizontalAdvance(word)
            painter.drawText(QRect(x, y, width + 2, line), Qt.AlignmentFlag.AlignLeft, word)
            x += width


_MODIFIER_KEYS = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta,
                  Qt.Key.Key_AltGr, Qt.Key.Key_CapsLock}


def _first_word(text: str) -> str:
    """The ghost's first word, with the space before it (what Ctrl+Right takes)."""
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    end = next((i for i, c in enumerate(stripped) if c.isspace()), len(stripped))
    return text[:lead + end]


def _words_with_spaces(text: str) -> list[str]:
    """The ghost in pieces to wrap at: each word with the spaces before it."""
    return re.findall(r"\s*\S+|\s+$", text)


def probe(engine: Engine, cancel: CancelToken) -> float | None:
    """Seconds to the first token of a ghost on a short text, read afresh: the better of
    two tries (the first may page the weights in). None when it could not be measured
    (cancelled by a user's request, or no token came)."""
    best: float | None = None
    for _ in range(2):
        stats = ghost.complete(engine, ghost.at_end(PROBE_TEXT), cancel, lambda _g: None,
                               fresh=True)[1]
        if stats.cancelled or stats.completion_tokens == 0:
            return None
        best = min(best or stats.first_token_seconds, stats.first_token_seconds)
    return best
