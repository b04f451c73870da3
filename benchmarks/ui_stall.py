"""How long can the window freeze while the model works? A 5 ms probe timer on the GUI
thread records the gaps between its ticks in three situations:

1. streaming a suggestion of about 500 tokens (the Continue action);
2. translating a Markdown document in the translation pane;
3. summarizing a 100-page PDF dropped on the window.

Prints the max and p99 gap of each. The goal is p99 < 16 ms and max < 50 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stall.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fpdf import FPDF  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from writer_app import paths  # noqa: E402
from writer_app.settings import Settings  # noqa: E402
from writer_app.ui.main_window import MainWindow  # noqa: E402

PROBE_MS = 5


class Probe:
    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self.tick)
        self.ticks: list[float] = []

    def tick(self) -> None:
        self.ticks.append(self.clock.nsecsElapsed() / 1e6)

    def start(self) -> None:
        self.ticks.clear()
        self.clock.start()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return [b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False)]


def wait(until: Callable[[], bool], seconds: float) -> None:
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: loop.quit() if until() else None)
    poll.start(50)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    poll.stop()


def report(name: str, gaps: list[float], seconds: float) -> None:
    gaps_sorted = sorted(gaps)
    p99 = gaps_sorted[int(0.99 * (len(gaps_sorted) - 1))] if gaps else float("nan")
    print(f"{name}: {seconds:.1f} s, {len(gaps)} ticks, max gap {max(gaps):.1f} ms, "
          f"p99 {p99:.1f} ms, median {statistics.median(gaps):.1f} ms "
          f"(goal p99 < 16, max < 50)", flush=True)


def hundred_page_pdf(folder: Path) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    from pydoc_data.topics import topics

    words = " ".join(topics[k] for k in sorted(topics)).encode("latin-1", "replace")
    text = words.decode("latin-1").split()
    for page in range(100):
        pdf.add_page()
        chunk = " ".join(text[page * 330:(page + 1) * 330])
        pdf.multi_cell(0, 5, chunk)
    path = folder / "hundred-pages.pdf"
    pdf.output(str(path))
    return path


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    os.environ.setdefault("WRITER_HOME", tempfile.mkdtemp(prefix="writer-bench-"))
    window = MainWindow(Settings(max_tokens=500), paths.model_search_dirs())
    window.show()
    wait(lambda: window.host.engine is not None, 60)
    probe = Probe()

    # 1. A suggestion of about 500 tokens.
    window.files.set_text("The lighthouse keeper climbed the stairs as the storm rolled in "
                          "from the sea, and", None)
    window.editor.selectAll()
    probe.start()
    start = time.perf_counter()
    window.suggesting.suggest("continue")
    wait(lambda: not window.suggesting.running, 600)
    report("suggestion (~500 tokens)", probe.stop(), time.perf_counter() - start)

    # 2. Translating a document.
    window.files.set_text("\n\n".join(f"## Part {i}\n\nThe harbour was busy in year {i}, and the "
                                f"cafe owners were happy.\n\n- Ships came.\n- Cranes worked."
                                for i in range(8)), None)
    probe.start()
    start = time.perf_counter()
    window.translation.start(whole=True)
    wait(lambda: not window.translation.job.running, 900)  # type: ignore[union-attr]
    report("translating a document", probe.stop(), time.perf_counter() - start)

    # 3. Summarizing a 100-page PDF dropped on the window.
    with tempfile.TemporaryDirectory() as tmp:
        pdf = hundred_page_pdf(Path(tmp))
        probe.start()
        start = time.perf_counter()
        window.drops.drop_files([pdf])
        wait(lambda: not window.summary.busy, 3600)
        report("summarizing a 100-page PDF", probe.stop(), time.perf_counter() - start)
    window.editor.document().setModified(False)
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
