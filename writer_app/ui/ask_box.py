"""Ask the document shown in the summary pane a question (tasks/ask.py): the answer
streams in, then its citations (heading, page, quote) as links. A citation of a dropped
document or a web page opens its passage below the answer; one of the writer's own text
moves the editor's cursor there."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from writer_app.documents.model import Document
from writer_app.ui import operations
from writer_app.ui.jobs import Job, JobRunner

if TYPE_CHECKING:  # the ranking's library loads with the first question
    from writer_app.tasks.ask import Answer


class AskBox(QWidget):
    # A passage of the writer's own text to show in the editor (its text).
    sig_show_in_editor = Signal(str)

    def __init__(self, runner: JobRunner, engine: operations.EngineSource,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.engine = engine
        self.document: Document | None = None
        self.own = False  # the document is the writer's own text
        self.job: Job[Answer] | None = None
        self.result: Answer | None = None
        self._streamed = ""
        self.question = QLineEdit(self)
        self.question.setPlaceholderText("Ask this document a question, then Enter")
        self.ask_button = QPushButton("Ask", self)
        self.answer = QTextBrowser(self)
        self.answer.setOpenLinks(False)
        self.answer.anchorClicked.connect(self._cited)
        self.answer.hide()
        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.answer, 1)
        self.question.returnPressed.connect(self.ask)
        self.ask_button.clicked.connect(self.ask)
        self.set_document(None)

    def set_document(self, doc: Document | None, own: bool = False) -> None:
        """The document questions go to (None: none yet)."""
        self.stop()
        self.document, self.own, self.result = doc, own, None
        self.question.setEnabled(doc is not None)
        self.ask_button.setEnabled(doc is not None)
        self.question.setToolTip("" if doc is None else f"Questions go to {doc.title}")
        self.answer.clear()
        self.answer.hide()

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job = None

    def ask(self) -> None:
        question = self.question.text().strip()
        if self.document is None or not question or self.job is not None:
            return
        self.result = None
        self._streamed = ""
        self.answer.show()
        self.answer.setHtml(f"<p><i>{escape(question)}</i></p><p>…</p>")

        def done(answer: Answer) -> None:
            self.job = None
            self.result = answer
            self._show(question, answer)

        def failed(message: str) -> None:
            self.job = None
            self.answer.setHtml(f"<p><i>{escape(question)}</i></p><p>{escape(message)}</p>")

        def cancelled() -> None:
            self.job = None
            self.answer.setHtml(f"<p><i>{escape(question)}</i></p><p>Stopped.</p>")

        def piece(text: str) -> None:
            self._streamed += text
            self.answer.setHtml(f"<p><i>{escape(question)}</i></p>"
                                f"<p>{escape(self._streamed)}</p>")

        self.job = operations.ask(self.runner, self.engine, self.document, question,
                                  operations.Callbacks(done=done, failed=failed,
                                                       cancelled=cancelled, text=piece))

    def _show(self, question: str, answer: Answer, opened: int | None = None) -> None:
        html = [f"<p><i>{escape(question)}</i></p><p>{escape(answer.answer)}</p>"]
        if answer.citations:
            html.append("<p>From the document:</p><ol>")
            for i, c in enumerate(answer.citations):
                where = c.heading + (f", page {c.page}" if c.page else "")
                html.append(f'<li><a href="cite:{i}">{escape(where or "(no heading)")}</a>: '
                            f"“{escape(c.quote)}”")
                if i == opened and self.document is not None:
                    passage = self.document.blocks[c.block].text
                    html.append(f"<blockquote>{escape(passage)}</blockquote>")
                html.append("</li>")
            html.append("</ol>")
        self.answer.setHtml("".join(html))

    def _cited(self, url: QUrl) -> None:
        if self.result is None or url.scheme() != "cite":
            return
        i = int(url.path())
        citation = self.result.citations[i]
        if self.own and self.document is not None:
            self.sig_show_in_editor.emit(self.document.blocks[citation.block].text)
            return
        self._show(self.question.text().strip(), self.result, opened=i)
