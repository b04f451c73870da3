"""Check tone in the window: each rated paragraph gets a coloured bar in a margin left of
the text (red negative, grey neutral, green positive; outlined when unrated) whose
tooltip gives the rating and its reason, and a bar under the editor gives the overall
line. A paragraph edited afterwards loses its mark: its rating was of other words."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QRect, Signal
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPaintEvent, QTextCursor
from PySide6.QtWidgets import (
    QPlainTextEdit,
    QToolTip,
    QWidget,
)

from writer_app.tasks.tone import Rating, ToneReport, overall, paragraphs_of
from writer_app.ui import operations
from writer_app.ui.editor import selected_text, utf16_offsets
from writer_app.ui.editor_bar import EditorBar
from writer_app.ui.jobs import Job, JobRunner

MARGIN_PX = 10
COLOURS = {"negative": QColor("#d0453f"), "neutral": QColor("#9a9a9a"),
           "positive": QColor("#3f9c46")}


@dataclass
class Mark:
    # Selects the paragraph; Qt moves it with the text as the text around it changes.
    cursor: QTextCursor
    rating: Rating

    @property
    def span(self) -> tuple[int, int]:
        return self.cursor.selectionStart(), self.cursor.selectionEnd()


class ToneMargin(QWidget):
    """The strip left of the editor's text where the marks are drawn."""

    def __init__(self, editor: QPlainTextEdit, marks: ToneMarks) -> None:
        super().__init__(editor)
        self.editor = editor
        self.marks = marks

    def rows(self) -> list[tuple[QRect, Mark]]:
        """Each mark's bar, in this widget's coordinates (the viewport's, vertically)."""
        editor, doc = self.editor, self.editor.document()
        offset = editor.contentOffset()
        found = []
        for mark in self.marks.marks:
            start, end = mark.span
            first, last = doc.findBlock(start), doc.findBlock(max(start, end - 1))
            if not first.isValid() or not last.isValid():
                continue
            top = editor.blockBoundingGeometry(first).translated(offset).top()
            bottom = editor.blockBoundingGeometry(last).translated(offset).bottom()
            found.append((QRect(2, int(top) + 2, MARGIN_PX - 4, int(bottom - top) - 4), mark))
        return found

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            for rect, mark in self.rows():
                sentiment = mark.rating.sentiment
                if sentiment is None:
                    painter.setPen(COLOURS["neutral"])
                    painter.drawRect(rect.adjusted(0, 0, -1, -1))
                else:
                    painter.fillRect(rect, COLOURS[sentiment])
        finally:
            painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            for rect, mark in self.rows():
                if rect.top() - 2 <= event.pos().y() <= rect.bottom() + 2:
                    QToolTip.showText(event.globalPos(), tooltip(mark.rating), self)
                    return True
            QToolTip.hideText()
            event.ignore()
            return True
        return super().event(event)


def tooltip(rating: Rating) -> str:
    if not rating.rated:
        return f"Not rated: {rating.reason.removeprefix('unrated: ')}"
    return f"{(rating.sentiment or '').capitalize()}, {rating.tone}: {rating.reason}"


class ToneBar(EditorBar):
    """Under the editor: the check's progress, then its overall line; Stop and Clear."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(["Stop", "Clear marks"], parent)
        self.stop_button, self.clear_button = self.buttons


class ToneMarks(QObject):
    """Runs Check tone on the editor's text and keeps its marks."""

    sig_status = Signal(str)  # a passing message (a failure)

    def __init__(self, editor: QPlainTextEdit, runner: JobRunner,
                 engine: operations.EngineSource, bar: ToneBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor, self.runner, self.engine, self.bar = editor, runner, engine, bar
        self.marks: list[Mark] = []
        self._pending: dict[int, QTextCursor] = {}  # paragraphs not rated yet
        self.job: Job[ToneReport] | None = None
        self.margin = ToneMargin(editor, self)
        self.margin.hide()
        bar.hide()
        bar.stop_button.clicked.connect(self.stop)
        bar.clear_button.clicked.connect(self.clear)
        editor.updateRequest.connect(lambda *_: self.margin.update())
        editor.document().contentsChange.connect(self._edited)
        editor.installEventFilter(self)

    # --- running ------------------------------------------------------------------------
    def check(self) -> None:
        """Rate the selection's paragraphs, or the whole text's."""
        if self.job is not None:
            return
        cursor = QTextCursor(self.editor.textCursor())
        if not cursor.hasSelection():
            cursor.select(QTextCursor.SelectionType.Document)
        # Qt's positions count UTF-16 units; the text is rated as Python characters.
        text = selected_text(cursor)
        if not text.strip():
            self.sig_status.emit("Check tone: there is no text to rate")
            return
        self.clear()
        # Each paragraph is held by a cursor from now on, so text that moves or changes
        # while the model rates is followed; a rating whose words changed is dropped.
        base, units = cursor.selectionStart(), utf16_offsets(text)
        self._pending = {p.index: self._cursor(base + units[p.start], base + units[p.end])
                         for p in paragraphs_of(text)}
        self._show_margin(True)
        self.bar.show()
        self.bar.stop_button.show()
        self.bar.label.setText("Checking tone…")

        # This check's outcomes count while it is the one running (not after a Clear).
        def current() -> bool:
            return self.job is job

        def progress(payload: object) -> None:
            if not current():
                return
            if isinstance(payload, Rating):
                self._add(payload)
            elif isinstance(payload, tuple):
                done, total = payload
                self.bar.label.setText(f"Checking tone: paragraph {done + 1} of {total}…")

        def finished(report: ToneReport | None) -> None:
            if not current():
                return
            self.job = None
            self.bar.stop_button.hide()
            line = report.overall if report is not None else overall(
                [m.rating for m in self.marks])
            stopped = report is None or report.cancelled
            self.bar.label.setText(f"Tone: {line}" + (" (stopped)" if stopped else ""))

        def failed(message: str) -> None:
            if not current():
                return
            self.job = None
            self.bar.stop_button.hide()
            self.bar.label.setText(f"Check tone: {message}")

        self.job = job = operations.check_tone(
            self.runner, self.engine, text,
            operations.Callbacks(done=finished, failed=failed,
                                 cancelled=lambda: finished(None), progress=progress))

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def clear(self) -> None:
        """Take the marks away, with the bar; a check still running stops, and the
        paragraphs it had yet to rate get no mark."""
        if self.job is not None:  # stopped, and forgotten: a new check may start at once
            self.job.cancel()
            self.job = None
        self._pending.clear()
        self.marks.clear()
        self._show_margin(False)
        self.bar.hide()

    # --- marks --------------------------------------------------------------------------
    def _cursor(self, start: int, end: int) -> QTextCursor:
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def _add(self, rating: Rating) -> None:
        cursor = self._pending.pop(rating.paragraph.index, None)
        if cursor is None or selected_text(cursor) != rating.paragraph.text:
            return  # edited (or the text replaced) while it was being rated
        self.marks.append(Mark(cursor, rating))
        self.margin.update()

    def _edited(self, position: int, removed: int, added: int) -> None:
        """A paragraph the edit touches (or ends at: typing on at its end) loses its mark."""
        if not self.marks:
            return
        end = position + added
        kept = [m for m in self.marks if not (m.span[0] <= end and position <= m.span[1])]
        if len(kept) != len(self.marks):
            self.marks = kept
            self.margin.update()
            if self.job is None:
                if kept:
                    self.bar.label.setText(f"Tone: {overall([m.rating for m in kept])} "
                                           "(edited paragraphs unmarked)")
                else:
                    self.clear()

    def _show_margin(self, shown: bool) -> None:
        self.editor.setViewportMargins(MARGIN_PX if shown else 0, 0, 0, 0)
        self.margin.setVisible(shown)
        self._place()

    def _place(self) -> None:
        rect = self.editor.contentsRect()
        self.margin.setGeometry(rect.left(), rect.top(), MARGIN_PX, rect.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.editor and event.type() == QEvent.Type.Resize:
            self._place()
        return False
