"""How fast ghost text comes while typing, with and without reusing what the model read.

The real window (offscreen unless DISPLAY is set) with the default model holds a
document of about 2,000 tokens (the Python reference's prose); at the end of its last
paragraph, 60 characters are typed, one every 150 ms (or, when a ghost is still coming,
as soon as it is on screen, so each request's time is seen). For each request: the time
from the pause ending (the request going out) to its first ghost on screen; and the
longest stall of the GUI thread (a 5 ms heartbeat's lateness). Run twice in one
process: ghost text's context reusing what it holds, and reading the whole prompt
afresh for each request. Prints p50 and p95 of each and their ratio.

Then the two ways to keep ghost text's cache, measured on the same prompt: a second
context (what Writer does: its memory) against saving and restoring the main context's
state around each ghost request (the copy's time and size).

    .venv/bin/python benchmarks/ghost_latency.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from pydoc_data.topics import topics

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from writer_app import paths  # noqa: E402
from writer_app.engine.engine import Engine  # noqa: E402
from writer_app.engine.llama_backend import LlamaCppBackend  # noqa: E402
from writer_app.engine.types import CancelToken  # noqa: E402
from writer_app.settings import Settings  # noqa: E402
from writer_app.tasks import ghost as ghost_task  # noqa: E402
from writer_app.ui.main_window import MainWindow  # noqa: E402

TYPED = "The keeper wrote in his log that the storm had passed at dawn"[:60]
KEY_MS = 150
DOC_TOKENS = 2000


def document(count_tokens: Callable[[str], int]) -> str:
    paragraphs: list[str] = []
    for _name, text in sorted(topics.items())[40:]:
        for paragraph in text.split("\n\n"):
            words = " ".join(paragraph.split())
            if len(words) > 200 and "::=" not in words and ">>>" not in words:
                paragraphs.append(words)
        if count_tokens("\n\n".join(paragraphs)) >= DOC_TOKENS:
            break
    return "\n\n".join(paragraphs) + "\n\n"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Run:
    """Types TYPED into the window and notes each request's first ghost."""

    def __init__(self, app: QApplication, window: MainWindow, fresh: bool) -> None:
        self.app, self.window = app, window
        self.ghost = window.ghosts.ghost
        self.ghost.fresh = fresh
        self.latencies: list[float] = []
        self.stall = 0.0
        self.walked = 0  # characters typed through a ghost (no request)
        self._seen: set[int] = set()
        self._typed = 0
        self._beat = time.perf_counter()
        self.ghost.sig_shown.connect(self._shown)

    def _shown(self, _text: str) -> None:
        serial = self.ghost._request
        if serial not in self._seen:
            self._seen.add(serial)
            self.latencies.append(time.perf_counter() - self.ghost.last_request_at)

    def _heartbeat(self) -> None:
        now = time.perf_counter()
        self.stall = max(self.stall, now - self._beat - 0.005)
        self._beat = now

    def _waiting(self) -> bool:
        """A request is out and its first ghost not on screen yet."""
        return self.ghost.job is not None and self.ghost._request not in self._seen

    def _type_next(self) -> None:
        if self._waiting():
            QTimer.singleShot(5, self._type_next)
            return
        if self._typed == len(TYPED):
            QTimer.singleShot(1000, self.app.exit)  # quit() would close the window first
            return
        char = TYPED[self._typed]
        if self.ghost.text.startswith(char):
            self.walked += 1
        QTest.keyClicks(self.window.editor, char)
        self._typed += 1
        QTimer.singleShot(KEY_MS, self._type_next)

    def go(self, text: str) -> None:
        editor = self.window.editor
        self.window.files.set_text(text, None)
        cursor = editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        editor.setTextCursor(cursor)
        editor.setFocus()
        # Warm up what the first keystroke starts that is not ghost text (the spell
        # checker's first look, 50-80 ms on the GUI thread here), then measure.
        QTest.keyClicks(editor, " ")
        QTest.keyClick(editor, Qt.Key.Key_Backspace)
        until = time.perf_counter() + 3
        while time.perf_counter() < until:
            self.app.processEvents()
            time.sleep(0.01)
        self.ghost.dismiss()
        beat = QTimer()
        beat.timeout.connect(self._heartbeat)
        self._beat = time.perf_counter()
        beat.start(5)
        QTimer.singleShot(KEY_MS, self._type_next)
        self.app.exec()
        beat.stop()
        self.ghost.sig_shown.disconnect(self._shown)
        self.ghost.dismiss()


def state_copy(engine: Engine, text: str) -> tuple[float, float, float]:
    """The main context holding `text`: the seconds to save and restore its state, and
    the state's size in MB (what a saved state per ghost request would cost)."""
    backend = engine.backend
    assert isinstance(backend, LlamaCppBackend)
    llm = backend._llm
    llm.reset()
    llm.eval(llm.tokenize(text.encode(), add_bos=True))
    start = time.perf_counter()
    state = llm.save_state()
    saved = time.perf_counter() - start
    start = time.perf_counter()
    llm.load_state(state)
    return saved, time.perf_counter() - start, state.llama_state_size / 1e6


def main() -> int:
    import llama_cpp as L

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    app = QApplication(sys.argv)
    window = MainWindow(Settings(ghost_text="on", context_length_cap=4096),
                        paths.model_search_dirs())
    window.show()
    while window.host.engine is None or window.host.loading:
        app.processEvents()
        time.sleep(0.02)
    engine = window.host.engine
    text = document(engine.count_tokens)
    print(f"document: {engine.count_tokens(text)} tokens; typing {len(TYPED)} characters, "
          f"one every {KEY_MS} ms, at the end of its last paragraph")
    results = {}
    for fresh in (False, True):
        run = Run(app, window, fresh)
        run.go(text)
        name = "afresh" if fresh else "reusing"
        results[name] = run.latencies
        ms = [1000 * s for s in run.latencies]
        print(f"{name:8} {len(ms):3d} requests  first ghost p50 {percentile(ms, 0.5):7.1f} ms "
              f" p95 {percentile(ms, 0.95):7.1f} ms  longest GUI stall "
              f"{1000 * run.stall:5.1f} ms (goal < 50)  ({run.walked} characters typed "
              "through a ghost)")
    reuse, fresh_ms = (statistics.median(results[k]) for k in ("reusing", "afresh"))
    print(f"p50 afresh / p50 reusing: {fresh_ms / reuse:.1f}x")
    cold = ghost_task.complete(engine, ghost_task.at_end(text), CancelToken(), lambda _g: None,
                               fresh=True)[1]
    print(f"reading the {cold.prompt_tokens}-token prompt without reuse: first token in "
          f"{1000 * cold.first_token_seconds:.0f} ms")
    whole = engine.inline(text, None, 1, CancelToken(), lambda _p: False, fresh=True)
    print(f"reading the whole document ({whole.prompt_tokens} tokens) without reuse: first "
          f"token in {1000 * whole.first_token_seconds:.0f} ms")
    backend = engine.backend
    assert isinstance(backend, LlamaCppBackend)
    inline = backend._inline
    assert inline is not None
    held = L.llama_state_get_size(inline.ctx) / 1e6
    saved, restored, size = state_copy(engine, text)
    print(f"second context: holds {held:.1f} MB of state for this prompt (its KV cache is "
          f"allocated once, {inline.n_ctx} tokens); saving and restoring the main context "
          f"instead: {1000 * saved:.0f} ms + {1000 * restored:.0f} ms per request, "
          f"{size:.1f} MB copied each way")
    window.editor.document().setModified(False)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
