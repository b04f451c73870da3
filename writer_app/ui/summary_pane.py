"""The summary pane: documents dropped or opened, web pages and the writer's own text are
summarized one after another."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.documents.loader import LABELS, SUPPORTED_SUFFIXES
from writer_app.documents.model import Document
from writer_app.net import is_web_address
from writer_app.tasks.summarize import SummaryResult
from writer_app.ui import operations
from writer_app.ui.jobs import Job, JobRunner
from writer_app.ui.streaming import append_text


@dataclass(frozen=True)
class _OwnText:
    """The writer's text, waiting to be read as Markdown."""

    text: str
    title: str


# What can be summarized: a file, a web address (downloaded when its turn comes), or text
# already in memory (the writer's own).
Source = Path | str | Document
DOCUMENT_FILTER = ("Documents (" + " ".join(f"*{s}" for s in SUPPORTED_SUFFIXES) + ")"
                   ";;All files (*)")


def source_name(source: Source) -> str:
    if isinstance(source, Path):
        return source.name
    if isinstance(source, Document):
        return source.title
    return source


class SummaryPane(QWidget):
    sig_insert = Signal(str)
    # A summary is done: what was summarized (a Path, a web address, or the writer's own
    # text as a Document) and the SummaryResult.
    sig_summary_done = Signal(object, object)

    def __init__(self, runner: JobRunner, engine: operations.EngineSource,
                 own_text: Callable[[], tuple[str, str]], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.engine = engine
        self.own_text = own_text  # () -> (text, what it is: "the selection" or the file name)
        self.queue: deque[Source | _OwnText] = deque()
        self.job: Job[Document] | Job[SummaryResult] | None = None

        self.length = QComboBox(self)
        for label, value in (("A paragraph", "medium"), ("One or two sentences", "short"),
                             ("Key points", "points")):
            self.length.addItem(label, value)
        self.own_button = QPushButton("Summarize my text", self)
        self.own_button.setToolTip("The selection, or the whole text when nothing is selected")
        self.open_button = QPushButton("Open a document…", self)
        self.address = QLineEdit(self)
        self.address.setPlaceholderText("A web page's address, then Enter")
        self.address.setToolTip("Writer downloads this one page to summarize it")
        self.title = QLabel("Drop a document (PDF, DOCX, ODT, EPUB, HTML, RTF, Markdown, text) "
                            "or a link on the window to summarize it.", self)
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
        sources = QHBoxLayout()
        sources.addWidget(self.own_button)
        sources.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.length)
        layout.addLayout(sources)
        layout.addWidget(self.address)
        layout.addWidget(self.title)
        layout.addWidget(self.progress)
        layout.addWidget(self.output, 1)
        layout.addLayout(buttons)
        self.stop_button.clicked.connect(self.stop)
        self.own_button.clicked.connect(self.summarize_own_text)
        self.open_button.clicked.connect(self.open_dialog)
        self.address.returnPressed.connect(self._address_entered)
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

    def add(self, sources: Sequence[Source]) -> None:
        """Queue files, web addresses or documents; they are summarized one after another."""
        self.queue.extend(sources)
        if not self.busy:
            self._next()

    def summarize_own_text(self) -> None:
        text, what = self.own_text()
        if not text.strip():
            self.progress.setText("There is no text to summarize yet.")
            return
        if self.busy:  # queued behind the summary running now, read when its turn comes
            self.queue.append(_OwnText(text, what))
            return
        self._read_own_text(_OwnText(text, what))

    def _read_own_text(self, own: _OwnText) -> None:
        # Reading the text's Markdown structure takes a while for a long text: off the
        # GUI thread, as a job of the pane (Stop stops it).
        self.title.setText(own.title)
        self.output.clear()
        self.progress.setText("Reading your text…")
        self._set_running(True)

        def read(doc: Document) -> None:
            self.job = None
            self._summarize(doc, doc)

        self.job = operations.writers_text(self.runner, own.text, own.title,
                                           operations.Callbacks(done=read,
                                                                failed=self._failed,
                                                                cancelled=self._stopped))

    def open_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Summarize documents", "",
                                                DOCUMENT_FILTER)
        self.add([Path(n) for n in names])

    def _address_entered(self) -> None:
        address = self.address.text().strip()
        if not is_web_address(address):
            self.progress.setText(f"{address}: not a web address (it starts with http:// or "
                                  "https://)")
            return
        self.address.clear()
        self.add([address])

    def _next(self) -> None:
        if not self.queue:
            self._set_running(False)
            return
        source = self.queue.popleft()
        if isinstance(source, _OwnText):
            self._read_own_text(source)
            return
        waiting = f" ({len(self.queue)} more waiting)" if self.queue else ""
        self.title.setText(f"{source_name(source)}{waiting}")
        self.output.clear()
        self._set_running(True)
        if isinstance(source, Document):
            self._summarize(source, source)
            return
        self.progress.setText("Reading the document…" if isinstance(source, Path)
                              else "Downloading the page…")
        # Reading and downloading are I/O: the pool, not the inference lane.
        self.job = operations.read_document(self.runner, source, operations.Callbacks(
            done=lambda doc: self._summarize(source, doc), failed=self._failed,
            cancelled=self._stopped))

    def _summarize(self, source: Source, doc: Document) -> None:
        length = self.length.currentData()
        kind = "Your text" if isinstance(source, Document) else LABELS.get(doc.type, doc.type)
        self.progress.setText(f"{kind}, {doc.words} words: summarizing…")

        def progress(p: tuple[str, int, int]) -> None:
            stage, i, n = p
            words = {"part": "part", "combine": "combining summaries, step",
                     "summary": "summarizing, part"}[stage]
            self.progress.setText(f"{doc.title}: {words} {i} of {n}")

        # How the file was read, when the user should know (a guessed encoding).
        notes = "".join(f" Note: {note}." for note in doc.notes)

        def done(result: SummaryResult) -> None:
            self.output.setPlainText(result.summary)
            self.progress.setText(f"{doc.title}: summarized {result.parts} part"
                                  f"{'s' if result.parts != 1 else ''} in "
                                  f"{result.seconds:.0f} s.{notes}")
            self.sig_summary_done.emit(source, result)
            self._next()

        self.job = operations.summarize(self.runner, self.engine, doc, length,
                                        operations.Callbacks(
                                            done=done, failed=self._failed,
                                            cancelled=self._stopped, progress=progress,
                                            text=lambda piece: append_text(self.output, piece)))

    def _failed(self, message: str) -> None:
        self.progress.setText(message)
        self._next()

    def _stopped(self) -> None:
        self.progress.setText("Stopped.")
        if self.queue:  # added after Stop was pressed: those were not stopped
            self._next()
            return
        self._set_running(False)

    def stop(self) -> None:
        self.queue.clear()
        if self.job is not None:
            self.job.cancel()
