"""The word count in the status bar, counted once typing pauses, a few milliseconds at a
time: copying and splitting a large text at once held the window (about 15 ms per MB)."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QTextBlock, QTextDocument

PAUSE_MS = 250
SLICE_S = 0.004  # the most one turn of the event loop spends counting


class WordCount(QObject):
    sig_counted = Signal(int)  # the words in the document, once counted

    def __init__(self, document: QTextDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._words = 0
        self._block: QTextBlock | None = None
        self.pause = QTimer(self)
        self.pause.setSingleShot(True)
        self.pause.setInterval(PAUSE_MS)
        self.pause.timeout.connect(self._start)
        self.step = QTimer(self)
        self.step.setInterval(0)
        self.step.timeout.connect(self._count_some)
        document.contentsChanged.connect(self._changed)

    def _changed(self) -> None:
        self.step.stop()  # a count under way is out of date
        self.pause.start()

    def _start(self) -> None:
        self._words = 0
        self._block = self.document.begin()
        self.step.start()

    def _count_some(self) -> None:
        block = self._block
        deadline = time.perf_counter() + SLICE_S
        while block is not None and block.isValid():
            self._words += len(block.text().split())
            block = block.next()
            if time.perf_counter() > deadline:
                self._block = block
                return
        self.step.stop()
        self._block = None
        self.sig_counted.emit(self._words)
