"""Read aloud in the window: the selection, or the text from the cursor on, with the
sentence being heard highlighted; a bar under the editor has Pause/Resume and Stop.

The player (speech/player.py) knows which sample the sound card is playing; a timer asks
it 25 times a second, so the highlight follows the voice as heard. A machine without a
voice or a sound output gets the reason in the bar, naming what to install.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from writer_app.settings import Settings
from writer_app.speech.player import Player
from writer_app.speech.voice import NoVoice
from writer_app.ui.editor import selected_text, utf16_offsets
from writer_app.ui.editor_bar import EditorBar

POLL_MS = 40
HIGHLIGHT = QColor("#fff0a8")


class ReadAloudBar(EditorBar):
    """Under the editor while it reads: the sentence it is at; Pause/Resume and Stop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(["Pause", "Stop"], parent)
        self.pause_button, self.stop_button = self.buttons


class ReadAloud(QObject):
    def __init__(self, editor: QPlainTextEdit, bar: ReadAloudBar,
                 prefs: Callable[[], Settings], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor, self.bar, self.prefs = editor, bar, prefs
        self.player: Player | None = None
        self.device = "default"  # ALSA's: the system's sound output
        self.sentence: tuple[int, int] | None = None  # in the editor, highlighted
        self._units: list[int] = [0]  # each character's position in UTF-16 units
        self._base = QTextCursor(editor.document())  # where the text read begins
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._follow)
        bar.hide()
        bar.pause_button.clicked.connect(self.toggle_pause)
        bar.stop_button.clicked.connect(self.stop)

    def start(self) -> None:
        """Read the selection, or from the cursor to the end."""
        self.stop()
        cursor = QTextCursor(self.editor.textCursor())
        if not cursor.hasSelection():
            cursor.movePosition(QTextCursor.MoveOperation.End,
                                QTextCursor.MoveMode.KeepAnchor)
        start = cursor.selectionStart()
        # Qt's positions count UTF-16 units; the text is read as Python characters.
        text = selected_text(cursor)
        self._units = utf16_offsets(text)
        self.bar.show()
        if not text.strip():
            self._say("Read aloud: nothing to read from the cursor (select text, or put the "
                      "cursor before it)")
            return
        prefs = self.prefs()
        player = Player(text, prefs.speech_voice, prefs.speech_rate, self.device)
        try:
            player.start()
        except NoVoice as exc:
            self._say(str(exc))
            return
        self.player = player
        self._base.setPosition(start)
        self.bar.pause_button.setText("Pause")
        self.bar.pause_button.show()
        self.bar.stop_button.show()
        self.bar.label.setText("Reading aloud…")
        self._timer.start()

    def toggle_pause(self) -> None:
        player = self.player
        if player is None:
            return
        if player.state == "paused":
            player.resume()
            self.bar.pause_button.setText("Pause")
        elif player.state == "playing":
            player.pause()
            self.bar.pause_button.setText("Resume")
            self.bar.label.setText("Paused")

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
            self._end("")

    def shut_down(self) -> None:
        """Stop, and let the threads leave eSpeak and ALSA before the app exits."""
        player = self.player
        self.stop()
        if player is not None:
            player.wait(1.0)

    def _say(self, message: str) -> None:
        self.bar.label.setText(message)
        self.bar.pause_button.hide()
        self.bar.stop_button.hide()

    def _follow(self) -> None:
        player = self.player
        if player is None:
            return
        if player.state in ("finished", "stopped", "failed"):
            self._end(player.error)
            return
        speech = player.speech
        i = speech.sentence_at(player.heard()) if speech is not None else None
        if speech is not None and i is not None:
            heard, base = speech.sentences[i], self._base.position()
            self._highlight((base + self._units[heard.start], base + self._units[heard.end]))
            if player.state == "playing":
                self.bar.label.setText(f"Reading aloud: sentence {i + 1} of about "
                                       f"{len(speech.sentences)}")

    def _highlight(self, span: tuple[int, int] | None) -> None:
        if span == self.sentence:
            return
        self.sentence = span
        if span is None:
            self.editor.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(span[0])
        cursor.setPosition(min(span[1], self.editor.document().characterCount() - 1),
                           QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setBackground(HIGHLIGHT)
        selection.cursor, selection.format = cursor, fmt
        self.editor.setExtraSelections([selection])
        visible = QTextCursor(cursor)
        visible.setPosition(span[0])
        if not self.editor.viewport().rect().contains(self.editor.cursorRect(visible)):
            self._scroll_to(visible)

    def _scroll_to(self, cursor: QTextCursor) -> None:
        """Keep the sentence heard in view without moving the writer's cursor."""
        bar = self.editor.verticalScrollBar()
        block = cursor.block().blockNumber()
        bar.setValue(max(0, block - 2))

    def _end(self, error: str) -> None:
        self._timer.stop()
        self.player = None
        self._highlight(None)
        if error:
            self._say(error if error.startswith("Read aloud") else
                      f"Read aloud stopped: {error}")
        else:
            self.bar.hide()
