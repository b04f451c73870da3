"""The translation pane: target language, detected source, streamed translation."""

from __future__ import annotations

from collections.abc import Callable

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

from writer_app.engine.engine import Engine
from writer_app.errors import WriterError
from writer_app.tasks.languages import COMMON, language
from writer_app.tasks.translate import Translation, translate
from writer_app.ui.jobs import Job, JobContext, JobRunner
from writer_app.ui.streaming import append_text


class TranslationPane(QWidget):
    sig_insert = Signal(str)
    sig_replace = Signal(str)

    def __init__(self, runner: JobRunner, engine: Callable[[], Engine | None],
                 text_to_translate: Callable[[bool], tuple[str, bool]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.engine = engine
        self.text_to_translate = text_to_translate
        self.job: Job | None = None
        self.result: Translation | None = None

        self.target = QComboBox(self)
        self.target.setEditable(True)  # a language not in the list can be typed
        for code, (name, native) in COMMON.items():
            self.target.addItem(f"{name} ({native})" if name != native else name, code)
        self.target.setCurrentIndex(list(COMMON).index("fr"))
        self.source_label = QLabel("Source: detected when you translate", self)
        self.selection_button = QPushButton("Translate selection", self)
        self.document_button = QPushButton("Translate document", self)
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        self.status = QLabel("", self)
        self.copy_button = QPushButton("Copy", self)
        self.insert_button = QPushButton("Insert", self)
        self.replace_button = QPushButton("Replace", self)
        self.stop_button = QPushButton("Stop", self)

        row = QHBoxLayout()
        row.addWidget(self.selection_button)
        row.addWidget(self.document_button)
        buttons = QHBoxLayout()
        for b in (self.copy_button, self.insert_button, self.replace_button, self.stop_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.target)
        layout.addWidget(self.source_label)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.output, 1)
        layout.addLayout(buttons)

        self.selection_button.clicked.connect(lambda: self.start(whole=False))
        self.document_button.clicked.connect(lambda: self.start(whole=True))
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.output.toPlainText()))
        self.insert_button.clicked.connect(lambda: self.sig_insert.emit(self.output.toPlainText()))
        self.replace_button.clicked.connect(
            lambda: self.sig_replace.emit(self.output.toPlainText()))
        self.stop_button.clicked.connect(self.stop)
        self._set_running(False, has_result=False)

    def _set_running(self, running: bool, has_result: bool) -> None:
        self.selection_button.setEnabled(not running)
        self.document_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for b in (self.copy_button, self.insert_button, self.replace_button):
            b.setEnabled(has_result and not running)

    def target_language(self) -> str:
        data = self.target.currentData()
        text = self.target.currentText()
        # A typed entry has no code; an entry picked from the list does.
        return data if data and self.target.itemText(self.target.currentIndex()) == text \
            else text

    def start(self, whole: bool) -> None:
        engine = self.engine()
        if engine is None:
            self.status.setText("No model is loaded yet.")
            return
        try:
            target = language(self.target_language())
        except WriterError as exc:
            self.status.setText(str(exc))
            return
        text, whole = self.text_to_translate(whole)
        if not text.strip():
            self.status.setText("There is no text to translate: select some, or translate "
                                "the whole document.")
            return
        self.whole = whole
        self.output.clear()
        self.result = None
        self.status.setText(f"Translating into {target.name}…")
        self._set_running(True, has_result=False)

        def work(ctx: JobContext) -> Translation:
            def block(i: int, n: int) -> None:
                ctx.progress((i, n))
                if i > 1:
                    ctx.text("\n")

            return translate(engine, text, target, cancel=ctx.cancel, progress=block,
                             on_piece=ctx.text)

        def done(result: Translation) -> None:
            self.result = result
            d = result.source
            sure = "" if d.sure else " — unsure; the source may be another language"
            self.source_label.setText(f"Source: {d.language.name} ({d.confidence:.0%}){sure}")
            self.output.setPlainText(result.text)
            self.status.setText(f"Translated {result.blocks} blocks into {target.name}.")
            self._set_running(False, has_result=True)

        def failed(message: str) -> None:
            self.status.setText(message)
            self._set_running(False, has_result=False)

        def cancelled() -> None:
            self.status.setText("Stopped.")
            self._set_running(False, has_result=False)

        self.job = self.runner.run(
            work, lane="inference", on_done=done, on_failed=failed, on_cancelled=cancelled,
            on_progress=lambda p: self.status.setText(f"Translating block {p[0]} of {p[1]}…"),
            on_text=lambda piece: append_text(self.output, piece))

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
