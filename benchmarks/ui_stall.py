"""How long can the window freeze while work goes on? A 5 ms probe timer on the GUI
thread records the gaps between its ticks in each scenario (see `Scenarios`): a
suggestion, a translation, a 100-page PDF summary, a model swap while a suggestion runs,
the Model menu with 40 models, an autosave of 5 MB, opening a 20 MB file, Summarize my
text on 1 MB, and spell-checking a 100-page text.

Prints the max and p99 gap of each. The goal is p99 < 16 ms and max < 50 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stall.py [--only NAME ...]
"""

from __future__ import annotations

import os
import random
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
from writer_app.app import settle_heap  # noqa: E402
from writer_app.engine import default_model  # noqa: E402
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


class Scenarios:
    """Each scenario starts work from the window and returns once it is done."""

    def __init__(self, window: MainWindow, folder: Path) -> None:
        self.w = window
        self.folder = folder

    def suggestion(self) -> None:
        """A suggestion of about 500 tokens."""
        self.w.files.set_text("The lighthouse keeper climbed the stairs as the storm rolled "
                              "in from the sea, and", None)
        self.w.editor.selectAll()
        self.w.suggesting.suggest("continue")
        wait(lambda: not self.w.suggesting.running, 600)

    def translation(self) -> None:
        """Translating a Markdown document."""
        self.w.files.set_text("\n\n".join(
            f"## Part {i}\n\nThe harbour was busy in year {i}, and the cafe owners were "
            "happy.\n\n- Ships came.\n- Cranes worked." for i in range(8)), None)
        self.w.translation.start(whole=True)
        wait(lambda: not (self.w.translation.job and self.w.translation.job.running), 900)

    def pdf_summary(self) -> None:
        """Summarizing a 100-page PDF dropped on the window."""
        self.w.drops.drop_files([hundred_page_pdf(self.folder)])
        wait(lambda: not self.w.summary.busy, 3600)

    def model_swap(self) -> None:
        """Loading a model while a suggestion streams (the swap waits for it)."""
        self.w.files.set_text("The lighthouse keeper climbed the stairs as the storm rolled "
                              "in from the sea, and", None)
        self.w.editor.selectAll()
        self.w.suggesting.suggest("continue")
        wait(lambda: bool(self.w.speed_label.text()), 60)
        assert self.w.host.engine is not None
        self.w.models.load_model(str(self.w.host.engine.info.path))
        wait(lambda: not self.w.host.loading and not self.w.suggesting.running, 600)

    def model_menu(self) -> None:
        """Opening the Model menu with 40 models in the folders, twice."""
        shelf = self.folder / "forty-models"
        shelf.mkdir(exist_ok=True)
        default = ROOT / "models" / default_model.FILE_NAME
        for i in range(40):
            link = shelf / f"model-{i:02}.gguf"
            if not link.exists():
                os.link(default, link)
        self.w.models.folders.append(shelf)
        for _ in range(2):  # headers read, then from the cache
            looks: list[object] = []
            self.w.models.sig_models_found.connect(looks.append)
            self.w.model_menu.aboutToShow.emit()
            wait(lambda looks=looks: bool(looks), 60)  # type: ignore[misc]
            self.w.models.sig_models_found.disconnect()

    def autosave(self) -> None:
        """Autosaving a 5 MB text."""
        self.w.files.set_text(big_text(5 << 20), None, modified=True)
        wait(lambda: not self.w.files.filling, 60)
        self.w.files.autosave()
        wait(lambda: not self.w.files.autosaving, 60)

    def open_file(self) -> None:
        """Opening a 20 MB text file."""
        path = self.folder / "twenty-megabytes.txt"
        path.write_text(big_text(20 << 20), encoding="utf-8")
        opened: list[object] = []
        self.w.files.sig_opened.connect(opened.append)
        self.w.editor.document().setModified(False)  # no "save your changes?" question
        self.w.files.open_path(path)
        wait(lambda: bool(opened), 120)

    def summarize_my_text(self) -> None:
        """Summarize my text on 1 MB: until the summary starts (parsing is what matters)."""
        self.w.files.set_text(big_text(1 << 20), None)
        wait(lambda: not self.w.files.filling, 60)
        self.w.summary.summarize_own_text()
        wait(lambda: self.w.summary.progress.text().startswith("Your text"), 120)
        self.w.summary.stop()
        wait(lambda: not self.w.summary.busy, 60)


    def spell_check(self) -> None:
        """Spell-checking a 100-page text as it goes in (300 KB, a misspelling a line)."""
        words = ["harbour", "master", "counted", "boats", "storm", "ledger", "window",
                 "ferries", "tourists", "cafe", "owners", "receive", "definitely",
                 "separate", "becuase", "yeer", "recieve", "quay", "lantern", "rope"]
        pick = random.Random(1).choice
        lines = [" ".join(pick(words) for _ in range(12)) + "." for _ in range(3000)]
        self.w.files.set_text("\n\n".join(lines), None)
        wait(lambda: not self.w.files.filling, 60)
        wait(lambda: bool(self.w.spelling.results) and not self.w.spelling.busy, 300)


def big_text(size: int) -> str:
    paragraph = ("The harbour master counted the boats that came in before the storm, and "
                 "wrote each name in the ledger by the window.\n\n")
    return (paragraph * (size // len(paragraph) + 1))[:size]


def main() -> int:
    import argparse

    names = [n for n in vars(Scenarios) if not n.startswith("_")]
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=names, default=names)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    os.environ.setdefault("WRITER_HOME", tempfile.mkdtemp(prefix="writer-bench-"))
    window = MainWindow(Settings(max_tokens=500), paths.model_search_dirs())
    settle_heap()  # as the app does at start
    window.show()
    wait(lambda: window.host.engine is not None and not window.host.loading, 60)
    # What start-up loads in the background (the dictionaries: one hitch of ~150 ms while
    # spylls reads one) is done before the scenarios, as it is before anyone types.
    wait(lambda: window.spelling.session is not None, 60)
    probe = Probe()
    with tempfile.TemporaryDirectory() as tmp:
        scenarios = Scenarios(window, Path(tmp))
        for name in args.only:
            scenario = getattr(scenarios, name)
            probe.start()
            start = time.perf_counter()
            scenario()
            report(scenario.__doc__.strip().rstrip("."), probe.stop(),
                   time.perf_counter() - start)
    window.editor.document().setModified(False)
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
