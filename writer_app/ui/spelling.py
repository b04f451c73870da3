"""Spelling as you type: wavy underlines under misspelled words, and their right-click menu
(suggestions first, then Add to Dictionary and Ignore).

Paragraphs are checked off the GUI thread in batches (loading a dictionary takes about a
second, checking a word about 20 µs); the highlighter only paints what is already known,
so typing never waits. Results are kept by paragraph text: an edit rechecks only the
paragraph it changed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import (
    QAction,
    QColor,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QMenu, QPlainTextEdit

from writer_app.tasks.spelling import SpellSession
from writer_app.ui.jobs import JobContext, JobRunner

Spans = tuple[tuple[int, int], ...]  # (start, length) in the paragraph
BATCH = 200  # paragraphs a job checks
PAINT_SLICE_S = 0.008  # painting checked paragraphs, per turn of the event loop
MAX_KEPT = 50_000  # paragraphs whose results are kept
SWEEP_STEP = 200  # paragraphs looked at between two looks at the clock


class SpellHighlighter(QSyntaxHighlighter):
    def __init__(self, editor: QPlainTextEdit, runner: JobRunner,
                 make_session: Callable[[], SpellSession]) -> None:
        super().__init__(editor.document())
        self.editor = editor
        self.runner = runner
        self.make_session = make_session
        self.session: SpellSession | None = None
        self.enabled = True
        self.results: dict[str, Spans] = {}
        # Paragraph texts waiting for a check, with the numbers of the blocks that hold
        # them (so that only those are painted again, not the whole document).
        self._pending: dict[str, list[int]] = {}
        self._painting: dict[str, list[int]] = {}
        self._checking = False
        self._format = QTextCharFormat()
        self._format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SpellCheckUnderline)
        self._format.setUnderlineColor(QColor("red"))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)  # gathers the paragraphs painted in one go
        self._timer.timeout.connect(self._check_batch)
        self._to_paint: deque[tuple[str, int]] = deque()
        # Walks over the document for paragraphs to paint again (a word ignored or
        # added): (the next block's number, which paragraphs).
        self._sweeps: deque[tuple[int, Callable[[str], bool]]] = deque()
        self._paint_timer = QTimer(self)
        self._paint_timer.setSingleShot(True)
        self._paint_timer.setInterval(0)
        self._paint_timer.timeout.connect(self._paint_some)

    # --- painting (GUI thread, from what is known) --------------------------------------
    def highlightBlock(self, text: str) -> None:
        if not self.enabled or not text.strip():
            return
        spans = self.results.get(text)
        if spans is None:
            self._pending.setdefault(text, []).append(self.currentBlock().blockNumber())
            self._timer.start()
            return
        typing_at = self._cursor_in_block()
        for start, length in spans:
            if start + length == typing_at:
                continue  # the word being typed is not finished yet
            self.setFormat(start, length, self._format)

    def prepare(self) -> None:
        """Load the dictionaries and the language detector now, in the background (a
        second of work, some of it in calls that hold the interpreter), rather than when
        the user first types."""
        if self.session is None and self.enabled and not self._checking:
            self._checking = True
            self.runner.run(lambda _ctx: (self.make_session().warm(), {}), lane="io",
                            on_done=self._checked, on_failed=self._failed,
                            on_cancelled=lambda: self._failed(""))

    def _cursor_in_block(self) -> int:
        cursor = self.editor.textCursor()
        block = self.currentBlock()
        if cursor.block() == block and not cursor.hasSelection():
            return cursor.position() - block.position()
        return -1

    # --- checking (a job in the I/O pool) ------------------------------------------------
    def _check_batch(self) -> None:
        if self._checking or not self._pending or not self.enabled:
            return
        texts = list(self._pending)[:BATCH]
        for text in texts:
            self._painting[text] = self._pending.pop(text)
        session, make = self.session, self.make_session
        self._checking = True

        def work(_ctx: JobContext) -> tuple[SpellSession, dict[str, Spans]]:
            s = session or make()
            return s, {t: tuple((m.start, m.end - m.start) for m in s.check(t)) for t in texts}

        self.runner.run(work, lane="io", on_done=self._checked, on_failed=self._failed,
                        on_cancelled=lambda: self._failed(""))

    def _checked(self, result: tuple[SpellSession, dict[str, Spans]]) -> None:
        self._checking = False
        self.session, found = result
        if len(self.results) > MAX_KEPT:
            self.results.clear()
        self.results.update(found)
        for text in found:
            self._to_paint.extend((text, n) for n in self._painting.pop(text, []))
        self._paint_timer.start()
        if self._pending:
            self._timer.start()

    def _paint_some(self) -> None:
        """Paint the checked paragraphs a few milliseconds at a time: a text of one
        paragraph repeated thousands of times brings thousands at once, and a word
        ignored in a long document is looked for in all its paragraphs."""
        document = self.document()
        deadline = time.perf_counter() + PAINT_SLICE_S
        while self._to_paint and time.perf_counter() < deadline:
            text, number = self._to_paint.popleft()
            block = document.findBlockByNumber(number)
            if block.isValid() and block.text() == text:  # not edited meanwhile
                self.rehighlightBlock(block)
        while self._sweeps and time.perf_counter() < deadline:
            number, wanted = self._sweeps.popleft()
            block = document.findBlockByNumber(number)
            for _ in range(SWEEP_STEP):
                if not block.isValid():
                    break
                if wanted(block.text()):
                    self.rehighlightBlock(block)
                block = block.next()
            else:
                self._sweeps.appendleft((block.blockNumber(), wanted))
        if self._to_paint or self._sweeps:
            self._paint_timer.start()

    def _failed(self, _message: str) -> None:
        self._checking = False
        self._pending.clear()
        self._painting.clear()

    def forget(self, word: str | None = None) -> None:
        """Check again the paragraphs holding `word` (all of them when None)."""
        if word is None:
            self.results.clear()
            self.rehighlight()
            return
        stale = [t for t in self.results if word in t]
        for text in stale:
            del self.results[text]
        self._sweeps.append((0, lambda text: word in text))
        self._paint_timer.start()

    def new_document(self) -> None:
        """Another file is in the editor: what was ignored was ignored in the last one.
        (Its paragraphs were checked as they went in: only those holding a word ignored
        before are checked again, not the whole text, which may be 20 MB.)"""
        if self.session is None or not self.session.ignored:
            return
        words = list(self.session.ignored)
        self.session.ignored.clear()
        for word in words:
            self.forget(word)

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        self.rehighlight()

    @property
    def busy(self) -> bool:
        """Paragraphs are waiting for a check, being checked, or being painted."""
        return self._checking or bool(self._pending) or bool(self._to_paint)

    # --- what is under the pointer --------------------------------------------------------
    def misspelling_at(self, position: int) -> tuple[int, int, str] | None:
        """(start, end, word) of the marked word at a document position."""
        block = self.document().findBlock(position)
        text = block.text()
        at = position - block.position()
        for start, length in self.results.get(text, ()):
            if start <= at <= start + length:
                return (block.position() + start, block.position() + start + length,
                        text[start:start + length])
        return None


def add_spelling_actions(menu: QMenu, editor: QPlainTextEdit, highlighter: SpellHighlighter,
                         position: int) -> None:
    """Put the word's suggestions (found in the background, filled in while the menu is
    open), Add to Dictionary and Ignore at the top of `menu`."""
    found = highlighter.misspelling_at(position)
    session = highlighter.session
    if found is None or session is None:
        return
    start, end, word = found
    # Everything goes above Qt's own entries (Undo, Cut, Copy…).
    first = menu.actions()[0] if menu.actions() else menu.addSeparator()
    waiting = QAction("Looking for suggestions…", menu)
    waiting.setEnabled(False)
    menu.insertAction(first, waiting)

    def replace_with(suggestion: str) -> None:
        cursor = QTextCursor(editor.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        if cursor.selectedText() == word:  # the text did not move meanwhile
            cursor.beginEditBlock()
            cursor.insertText(suggestion)
            cursor.endEditBlock()

    def show(suggestions: list[str]) -> None:
        for suggestion in suggestions:
            action = QAction(suggestion, menu)
            font = action.font()
            font.setBold(True)
            action.setFont(font)
            action.triggered.connect(lambda _=False, s=suggestion: replace_with(s))
            menu.insertAction(waiting, action)
        if suggestions:
            menu.removeAction(waiting)
        else:
            waiting.setText("No suggestions")

    context = editor.document().findBlock(start).text()
    highlighter.runner.run(lambda _ctx: session.suggestions(word, context), lane="io",
                           on_done=show)
    add = QAction(f"Add “{word}” to Dictionary", menu)
    add.triggered.connect(lambda: _add_word(highlighter, word))
    ignore = QAction(f"Ignore “{word}”", menu)
    ignore.triggered.connect(lambda: _ignore_word(highlighter, word))
    for action in (add, ignore):
        menu.insertAction(first, action)
    menu.insertSeparator(first)


def _ignore_word(highlighter: SpellHighlighter, word: str) -> None:
    if highlighter.session is not None:
        highlighter.session.ignore(word)  # in this document, until it closes
        highlighter.forget(word)


def _add_word(highlighter: SpellHighlighter, word: str) -> None:
    session = highlighter.session
    if session is None:
        return
    session.user_words.add(word)  # at once, for the repaint; the file in the background
    highlighter.forget(word)
    highlighter.runner.run(lambda _ctx: session.add(word), lane="io", cancellable=False)
