"""`writer-app self-test`: the window, one suggestion end to end, accept, undo.

Runs offscreen with the default model; the packaging checks run it inside the bundle.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from writer_app import settings
from writer_app.ui.main_window import MainWindow

SAMPLE = "Teh harbour was very busy this yeer, and the cafe owners was happy about it."


def _wait(until: Callable[[], bool], seconds: float) -> bool:
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: loop.quit() if until() else None)
    poll.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    poll.stop()
    return until()


def run_self_test(prefs: settings.Settings, folders: list[Path]) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    window = MainWindow(prefs, folders)
    window.show()

    def fail(message: str) -> int:
        print(f"self-test: FAILED: {message}", file=sys.stderr)
        window.editor.document().setModified(False)
        window.close()
        return 1

    if not _wait(lambda: not window.host.loading, 120):
        return fail("the model did not load within 120 s")
    if window.host.engine is None:
        return fail(f"no model: {window.model_label.text()}")
    print(f"self-test: {window.model_label.text()}")
    device = window.host.engine.device
    print(f"self-test: device {device.device}; {device.cpu or 'CPU code unknown'}")
    window.files.set_text(SAMPLE, None)
    window.editor.selectAll()
    flow = window.suggesting
    flow.suggest("rewrite")
    pending = flow.pending
    if pending is None or pending.job is None:
        return fail(f"no suggestion started: {window.suggestions.status.text()}")
    if not _wait(lambda: not flow.running, 300):
        return fail("the suggestion did not finish within 300 s")
    if pending.result is None:
        return fail(f"the suggestion failed: {window.suggestions.status.text()}")
    print(f"self-test: suggestion: {pending.result.text!r}")
    if not flow.accept():
        return fail(f"accept failed: {window.suggestions.status.text()}")
    changed = window.editor.toPlainText()
    if changed == SAMPLE:
        return fail("accepting did not change the editor's text")
    window.editor.undo()
    if window.editor.toPlainText() != SAMPLE:
        return fail("undo did not restore the original text")
    print("self-test: suggestion accepted, text changed, undo restored it: OK")
    window.editor.document().setModified(False)
    window.close()
    app.processEvents()
    return 0
