"""The summary pane: documents dropped or opened, web pages and the writer's own text are
summarized one after another.

Something useful comes at once: the document's outline (each section's most central
sentences, taken without the model) fills the parts view within a moment; each part's
summary replaces its sections' sentences as soon as the model has read it; the final
summary goes on top at the end, and the parts view folds under it. Stop keeps what is
done.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.documents.loader import LABELS, SUPPORTED_SUFFIXES
from writer_app.documents.model import Document
from writer_app.engine.engine import Engine
from writer_app.engine.types import SummaryBudget
from writer_app.net import is_web_address
from writer_app.tasks.outline import Outline
from writer_app.tasks.summarize import Plan, SummaryResult
from writer_app.ui import operations
from writer_app.ui.ask_box import AskBox
from writer_app.ui.job_progress import JobProgress
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


def _section_html(heading: str, sentences: list[str]) -> list[str]:
    items = "".join(f"<li>{escape(s)}</li>" for s in sentences)
    return ([f"<p><b>{escape(heading)}</b></p>"] if heading else []) + [f"<ul>{items}</ul>"]


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
                 own_text: Callable[[], tuple[str, str]],
                 budget: Callable[[], SummaryBudget] = lambda: "thorough",
                 parent: QWidget | None = None,
                 map_engine: Callable[[], Engine | None] = lambda: None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.engine = engine
        # The smaller model that reads a long document's parts (None: the engine does),
        # taken on the inference lane when a summary starts.
        self.map_engine = map_engine
        self.budget = budget  # how much of a long document to read (the settings say)
        self.own_text = own_text  # () -> (text, what it is: "the selection" or the file name)
        self.queue: deque[Source | _OwnText] = deque()
        self.job: Job[Document] | Job[SummaryResult] | None = None
        self.outline_job: Job[Outline] | None = None
        self._outline: Outline | None = None
        self._plan: Plan | None = None
        self._parts_done: dict[int, str] = {}
        self._serial = 0  # which summary the pane shows: late answers for others are dropped

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
        # How much of the document the model has read, and about how long is left.
        self.reading = JobProgress(self)
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        # Each part as it is done (the outline's sentences until then), folded under the
        # final summary once there is one.
        self.parts_toggle = QToolButton(self)
        self.parts_toggle.setCheckable(True)
        self.parts_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.parts_toggle.toggled.connect(self._fold)
        self.parts_view = QTextEdit(self)
        self.parts_view.setReadOnly(True)
        # Questions to the document summarized last (its whole text, not the summary).
        self.ask_box = AskBox(runner, engine, self)
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
        layout.addWidget(self.reading)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.ask_box, 1)
        layout.addWidget(self.parts_toggle)
        layout.addWidget(self.parts_view, 2)
        layout.addLayout(buttons)
        self.stop_button.clicked.connect(self.stop)
        self.own_button.clicked.connect(self.summarize_own_text)
        self.open_button.clicked.connect(self.open_dialog)
        self.address.returnPressed.connect(self._address_entered)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.result_text()))
        self.insert_button.clicked.connect(lambda: self.sig_insert.emit(self.result_text()))
        self._clear()
        self._set_running(False)

    def result_text(self) -> str:
        """The summary, or, when it was stopped before its end, what was done: each
        part's summary and the outline's sentences of the rest."""
        final = self.output.toPlainText().strip()
        return final or self._parts_markdown()

    def _set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        done = not running and bool(self.result_text())
        self.copy_button.setEnabled(done)
        self.insert_button.setEnabled(done)

    # --- the outline and each part's summary -------------------------------------------
    def _clear(self) -> None:
        self._serial += 1
        self.reading.finish()
        self.output.clear()
        self.output.show()
        self._outline, self._plan, self._parts_done = None, None, {}
        self.parts_view.clear()
        self.parts_toggle.hide()
        self.parts_view.hide()

    def _fold(self, unfolded: bool) -> None:
        self.parts_view.setVisible(unfolded)
        self.parts_toggle.setArrowType(Qt.ArrowType.DownArrow if unfolded
                                       else Qt.ArrowType.RightArrow)

    def _in_parts(self) -> bool:
        """Whether the view goes part by part (else it is the outline alone)."""
        return self._plan is not None and len(self._plan.labels) > 1

    def _sections_by_part(self) -> dict[int, list[tuple[str, list[str]]]]:
        """The outline's sections (heading, sentences), under the part that reads each."""
        plan = self._plan
        grouped: dict[int, list[tuple[str, list[str]]]] = {}
        if plan is not None and self._outline is not None:
            for section in self._outline.sections:
                part = plan.part_of_block[min(section.first_block,
                                              len(plan.part_of_block) - 1)]
                grouped.setdefault(part, []).append((section.heading, section.sentences))
        return grouped

    def _parts_markdown(self) -> str:
        """The parts view as Markdown, for Copy and Insert."""
        if not self._in_parts():
            return self._outline.markdown() if self._outline is not None else ""
        assert self._plan is not None
        in_part = self._sections_by_part()
        text: list[str] = []
        for i, label in enumerate(self._plan.labels):
            if i in self._parts_done:
                text.append(f"## {label}\n\n{self._parts_done[i]}")
                continue
            text.append(f"## {label} (not read by the model)")
            for heading, sentences in in_part.get(i, []):
                text.append("\n".join(([f"**{heading}**", ""] if heading else [])
                                      + [f"- {s}" for s in sentences]))
        return "\n\n".join(text).strip()

    def _show_parts(self) -> None:
        """The parts view as it stands: each part's summary when done, else the outline's
        sentences of the sections in it. Built as HTML with every text escaped: a model's
        answer or a document's sentence may hold markup."""
        outline, plan = self._outline, self._plan
        if outline is None and plan is None:
            return
        html: list[str] = []
        if not self._in_parts():
            if outline is not None:
                html.append("<p><i>Outline: sentences taken from the document while the "
                            "model reads it.</i></p>")
                for section in outline.sections:
                    html += _section_html(section.heading, section.sentences)
        else:
            assert plan is not None
            in_part = self._sections_by_part()
            for i, label in enumerate(plan.labels):
                if i in self._parts_done:
                    html.append(f"<h3>{escape(label)}</h3>")
                    html += [f"<p>{escape(line)}</p>"
                             for line in self._parts_done[i].splitlines() if line.strip()]
                    continue
                note = ("being read; meanwhile, sentences taken from it" if i in in_part
                        else "being read")
                html.append(f"<h3>{escape(label)} <i>({note})</i></h3>")
                for heading, sentences in in_part.get(i, []):
                    html += _section_html(heading, sentences)
        bar = self.parts_view.verticalScrollBar()
        at = bar.value()
        self.parts_view.setHtml("".join(html))
        bar.setValue(at)  # the reader keeps their place as parts fill in
        n = len(plan.labels) if plan else 0
        done = len(self._parts_done)
        self.parts_toggle.setText(f"Each part: {done} of {n} summarized" if n > 1
                                  else "Outline")
        self.parts_toggle.show()
        if not self.parts_toggle.isChecked() and not self.output.toPlainText().strip():
            self.parts_toggle.setChecked(True)  # unfolded while there is no summary yet
        self._fold(self.parts_toggle.isChecked())

    def _outline_ready(self, outline: Outline) -> None:
        self.outline_job = None
        self._outline = outline
        self._show_parts()

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
        self._clear()
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
        self._clear()
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
        self.ask_box.set_document(doc, own=isinstance(source, Document))
        kind = "Your text" if isinstance(source, Document) else LABELS.get(doc.type, doc.type)
        self.progress.setText(f"{kind}, {doc.words} words: summarizing…")

        # The summary's box shows once the summary comes, after every part is read: the
        # room is the parts' until then.
        self.output.hide()
        self.reading.start("Reading…")
        self.parts_toggle.setToolTip("The summary comes above once the whole document is "
                                     "read; here, each part as soon as it is done.")
        serial = self._serial

        def outline_ready(outline: Outline) -> None:
            if serial == self._serial:
                self._outline_ready(outline)

        self.outline_job = operations.outline(self.runner, doc, operations.Callbacks(
            done=outline_ready, failed=lambda _m: None))

        def progress(p: tuple[Any, ...]) -> None:
            if p[0] == "plan":
                self._plan = p[1]
                self._show_parts()
                return
            if p[0] == "read":
                self._show_reading(p[1], p[2])
                return
            if p[0] == "part done":
                self._parts_done[p[1]] = p[2]
                self._show_parts()
                return
            stage, i, n = p
            words = {"part": "reading part", "combine": "combining summaries, step",
                     "summary": "summarizing, part"}[stage]
            done = f"; {len(self._parts_done)} done" if stage == "part" else ""
            self.progress.setText(f"{doc.title}: {words} {i} of {n}{done}")

        # How the file was read, when the user should know (a guessed encoding).
        notes = "".join(f" Note: {note}." for note in doc.notes)

        def done(result: SummaryResult) -> None:
            self.reading.finish()
            self.output.setPlainText(result.summary)
            self.output.show()
            if self.parts_toggle.isVisible():
                self.parts_toggle.setChecked(False)  # folded under the summary
            read = ("" if result.read_share >= 0.999 else
                    f", from its key sentences ({100 * result.read_share:.0f}% of the text; "
                    "Settings → Summaries of long documents reads every word)")
            by = f" (the parts by {result.map_model})" if result.map_model else ""
            self.progress.setText(f"{doc.title}: summarized {result.parts} part"
                                  f"{'s' if result.parts != 1 else ''}{by} in "
                                  f"{result.seconds:.0f} s{read}.{notes}")
            self.sig_summary_done.emit(source, result)
            self._next()

        self.job = operations.summarize(self.runner, self.engine, doc, length,
                                        budget=self.budget(), map_engine=self.map_engine,
                                        callbacks=operations.Callbacks(
                                            done=done, failed=self._failed,
                                            cancelled=self._stopped, progress=progress,
                                            text=self._summary_piece))

    def _summary_piece(self, piece: str) -> None:
        self.output.show()
        append_text(self.output, piece)

    def _show_reading(self, read: int, of: int) -> None:
        self.reading.advance(read, of, f"Read {100 * min(1.0, read / max(1, of)):.0f}%")

    def _failed(self, message: str) -> None:
        self.reading.finish()
        self.progress.setText(message)
        self._next()

    def _stopped(self) -> None:
        self.reading.finish()
        self.progress.setText("Stopped.")
        if self.queue:  # added after Stop was pressed: those were not stopped
            self._next()
            return
        self._set_running(False)

    def stop(self) -> None:
        self.queue.clear()
        if self.job is not None:
            self.job.cancel()
        if self.outline_job is not None:
            self.outline_job.cancel()
