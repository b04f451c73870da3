"""The Qt binding itself: PySide6 6.12.0 dropped a reference to None on every call of a
method that returns nothing, and on Python 3.11 the interpreter aborted ("deallocating
None") after some ten thousand of them: a spell-checked 20 MB file was enough. The
project excludes that version; this keeps any later one from doing the same."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QSyntaxHighlighter, QTextCharFormat, QTextDocument


def test_methods_returning_nothing_keep_none_alive(qapp):
    timer = QTimer()
    results = {}

    class Highlighter(QSyntaxHighlighter):
        def highlightBlock(self, text):
            before = sys.getrefcount(None)
            for _ in range(1000):
                self.setFormat(0, 1, QTextCharFormat())
            results["setFormat"] = sys.getrefcount(None) - before

    document = QTextDocument("a line")
    highlighter = Highlighter(document)
    before = sys.getrefcount(None)
    for _ in range(1000):
        timer.start(1000)
        highlighter.rehighlight()
    timer.stop()
    assert sys.getrefcount(None) - before > -100  # noise, not one per call
    assert results["setFormat"] > -100
