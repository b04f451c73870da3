"""The summary pane: documents dropped on the window are summarized one after another."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.documents.loader import load_document
from writer_app.documents.model import Document
from writer_app.engine.engine import Engine
from writer_app.tasks.summarize import SummaryResult, summarize
from writer_app.ui.jobs import Job, JobContext, JobRunner
from writer_app.ui.streaming import append_text


class SummaryPane(QWidget):
    sig_insert = Signal(str)
    sig_idle = Signal()

    def __init__(self, runner: JobRunner, engine: Callable[[], Engine | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.engine = engine
        self.queue: deque[Path] = deque()
        self.job: Job | None = None
        self.results: list[tuple[Path, SummaryResult]] = []

        self.length = QComboBox(self)
        for label, value in (("A paragraph", "medium"), ("One or two sentences", "short"),
                             ("Key points", "points")):
            self.length.addItem(label, value)
        self.title = QLabel("Drop a document (PDF, DOCX, ODT, EPUB, HTML, RTF, Markdown, text) "
                            "on the window to summarize it.", self)
        self.title.setWordWrap(True)
        self.progress = QLabel("", self)
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        self.stop_button = QPushButton("Stop", self)
        self.copy_button = QPushButton("Copy", self)
        self.insert_button = QPushButton("Insert", self)
        buttons = QHBoxLayout()
        for b in (self.stop_button, self.copy_button, self.insert_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.length)
        layout.addWidget(self.title)
        layout.addWidget(self.progress)
        layout.addWidget(self.output, 1)
        layout.addLayout(buttons)
        self.stop_button.clicked.connect(self.stop)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.output.toPlainText()))
        self.insert_button.clicked.connect(lambda: self.sig_insert.emit(self.output.toPlainText()))
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        done = not running and bool(self.output.toPlainText().strip())
        self.copy_button.setEnabled(done)
        self.insert_button.setEnabled(done)

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.running

    def add(self, paths: list[Path]) -> None:
        """Queue documents; they are summarized one after another."""
        self.queue.extend(paths)
        if not self.busy:
            self._next()

    def _next(self) -> None:
        if not self.queue:
            self._set_running(False)
            self.sig_idle.emit()
            return
        path = self.queue.popleft()
        waiting = f" ({len(self.queue)} more waiting)" if self.queue else ""
        self.title.setText(f"{path.name}{waiting}")
        self.progress.setText("Reading the document…")
        self.output.clear()
        self._set_running(True)
        # Reading is I/O: the pool, not the inference lane.
        self.job = self.runner.run(lambda _ctx: load_document(path),
                                   on_done=lambda doc: self._summarize(path, doc),
                                   on_failed=self._failed, on_cancelled=self._stopped)

    def _summarize(self, path: Path, doc: Document) -> None:
        engine = self.engine()
        if engine is None:
            self._failed("No model is loaded yet.")
            return
        length = self.length.currentData()
        self.progress.setText(f"{doc.type.upper()}, {doc.words} words: summarizing…")

        def work(ctx: JobContext) -> SummaryResult:
            return summarize(doc, engine, length, cancel=ctx.cancel,
                             progress=lambda stage, i, n: ctx.progress((stage, i, n)),
                             on_piece=ctx.text)

        def progress(p: tuple[str, int, int]) -> None:
            stage, i, n = p
            words = {"part": "part", "combine": "combining summaries, step",
                     "summary": "summarizing, part"}[stage]
            self.progress.setText(f"{doc.title}: {words} {i} of {n}")

        def done(result: SummaryResult) -> None:
            self.results.append((path, result))
            self.output.setPlainText(result.summary)
            self.progress.setText(f"{doc.title}: summarized {result.parts} part"
                                  f"{'s' if result.parts != 1 else ''} in "
                                  f"{result.seconds:.0f} s")
            self._next()

        self.job = self.runner.run(work, lane="inference", on_done=done, on_failed=self._failed,
                                   on_cancelled=self._stopped, on_progress=progress,
                                   on_text=lambda piece: append_text(self.output, piece))

    def _failed(self, message: str) -> None:
        self.progress.setText(message)
        self._next()

    def _stopped(self) -> None:
        self.progress.setText("Stopped.")
        self.queue.clear()
        self._set_running(False)
        self.sig_idle.emit()

    def stop(self) -> None:
        self.queue.clear()
        if self.job is not None:
            self.job.cancel()
