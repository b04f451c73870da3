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

from writer_app.errors import WriterError
from writer_app.tasks.languages import COMMON, Language, language
from writer_app.tasks.translate import Translation
from writer_app.ui import operations
from writer_app.ui.job_progress import JobProgress
from writer_app.ui.jobs import Job, JobRunner
from writer_app.ui.streaming import append_text


class TranslationPane(QWidget):
    sig_insert = Signal(str)
    # The translation, and the span it replaces: the selection it came from (start, end),
    # or None for the whole document.
    sig_replace = Signal(str, object)
    sig_translation_done = Signal(object)  # the Translation, now in the pane

    def __init__(self, runner: JobRunner, engine: operations.EngineSource,
                 text_to_translate: Callable[[bool], tuple[str, tuple[int, int] | None]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.engine = engine
        # (whole document?) -> the text, and its span (None: the whole document)
        self.text_to_translate = text_to_translate
        self._span: tuple[int, int] | None = None
        self.job: Job[Translation] | None = None
        self.result: Translation | None = None
        self._target: Language | None = None

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
        self.bar = JobProgress(self)
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
        layout.addWidget(self.bar)
        layout.addWidget(self.output, 1)
        layout.addLayout(buttons)

        self.selection_button.clicked.connect(lambda: self.start(whole=False))
        self.document_button.clicked.connect(lambda: self.start(whole=True))
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.output.toPlainText()))
        self.insert_button.clicked.connect(lambda: self.sig_insert.emit(self.output.toPlainText()))
        self.replace_button.clicked.connect(
            lambda: self.sig_replace.emit(self.output.toPlainText(), self._span))
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
        try:
            target = language(self.target_language())
        except WriterError as exc:
            self.status.setText(str(exc))
            return
        text, span = self.text_to_translate(whole)
        if not text.strip():
            self.status.setText("There is no text to translate: select some, or translate "
                                "the whole document.")
            return
        self._target = target
        self._span = span
        self.output.clear()
        self.result = None
        self.status.setText(f"Translating into {target.name}…")
        self.bar.start("Translating…")
        self._set_running(True, has_result=False)
        self.job = operations.translate(self.runner, self.engine, text, target,
                                        operations.Callbacks(
                                            done=self._done, failed=self._ended,
                                            cancelled=lambda: self._ended("Stopped."),
                                            progress=self._progress,
                                            text=lambda p: append_text(self.output, p)))

    def _progress(self, block: tuple[int, int]) -> None:
        i, n = block
        self.status.setText(f"Translating block {i} of {n}…")
        self.bar.advance(i - 1, n, f"Block {i} of {n}")  # the blocks before this one are done

    def _done(self, result: Translation) -> None:
        self.bar.finish()
        self.result = result
        d = result.source
        sure = "" if d.sure else " — unsure; the source may be another language"
        self.source_label.setText(f"Source: {d.language.name} ({d.confidence:.0%}){sure}")
        self.output.setPlainText(result.text)
        name = self._target.name if self._target else "the target language"
        self.status.setText(f"Translated {result.blocks} blocks into {name}.")
        self._set_running(False, has_result=True)
        self.sig_translation_done.emit(result)

    def _ended(self, message: str) -> None:
        self.bar.finish()
        self.status.setText(message)
        self._set_running(False, has_result=False)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
