"""The suggestion pane: the streamed suggestion, then its diff, with Accept/Reject/…"""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from writer_app.tasks.actions import Action
from writer_app.tasks.diff import Change
from writer_app.ui.job_progress import JobProgress
from writer_app.ui.streaming import append_text


def diff_html(changes: list[Change], dark: bool = False) -> str:
    """Deleted words struck through in red, inserted ones underlined in green, or in blue
    when the spell checker made the fix (lighter shades on a dark palette, so all stay
    readable). Each change says its source when hovered."""
    red, green, blue = (("#ff7b72", "#56d364", "#79c0ff") if dark
                        else ("#c0392b", "#1e8449", "#1f5fbf"))
    spans = []
    for c in changes:
        text = html.escape(c.text).replace("\n", "<br>")
        title = {"spelling": ' title="spell checker"', "model": ' title="model"'}.get(
            c.source, "")
        if c.op == "delete":
            spans.append(f'<span style="color:{red};text-decoration:line-through"{title}>'
                         f"{text}</span>")
        elif c.op == "insert":
            color = blue if c.source == "spelling" else green
            spans.append(f'<span style="color:{color};text-decoration:underline"{title}>'
                         f"{text}</span>")
        else:
            spans.append(text)
    return "".join(spans)


class SuggestionPane(QWidget):
    sig_run = Signal(str, str)  # action name, instruction
    sig_accept = Signal()
    sig_reject = Signal()
    sig_regenerate = Signal()
    sig_stop = Signal()

    def __init__(self, actions: list[Action], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action_box = QComboBox(self)
        self.set_actions(actions)
        self.instruction = QLineEdit(self)
        self.instruction.setPlaceholderText("Your instruction (for Custom instruction…)")
        self.run_button = QPushButton("Suggest", self)
        self.status = QLabel("Select text, or put the cursor in a paragraph, and pick an action.",
                             self)
        self.status.setWordWrap(True)
        self.view = QTextBrowser(self)
        self.bar = JobProgress(self)  # a long text's rewrite: how far, how long is left
        self.accept_button = QPushButton("Accept", self)
        self.reject_button = QPushButton("Reject", self)
        self.regenerate_button = QPushButton("Regenerate", self)
        self.stop_button = QPushButton("Stop", self)

        top = QHBoxLayout()
        top.addWidget(self.action_box, 1)
        top.addWidget(self.run_button)
        buttons = QHBoxLayout()
        for b in (self.accept_button, self.reject_button, self.regenerate_button,
                  self.stop_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.instruction)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

        self.run_button.clicked.connect(self._run)
        self.accept_button.clicked.connect(self.sig_accept)
        self.reject_button.clicked.connect(self.sig_reject)
        self.regenerate_button.clicked.connect(self.sig_regenerate)
        self.stop_button.clicked.connect(self.sig_stop)
        self.set_state("idle")

    def set_actions(self, actions: list[Action]) -> None:
        self.writing_actions = actions
        self.action_box.clear()
        for a in actions:
            self.action_box.addItem(a.label, a.name)

    def _run(self) -> None:
        self.sig_run.emit(self.action_box.currentData(), self.instruction.text())

    def set_state(self, state: str) -> None:
        """idle, running, or ready (a suggestion waits for Accept or Reject)."""
        running = state == "running"
        if not running:
            self.bar.finish()
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.accept_button.setEnabled(state == "ready")
        self.reject_button.setEnabled(state == "ready")
        self.regenerate_button.setEnabled(state == "ready")

    def start(self, label: str, long: bool = False) -> None:
        """A suggestion is being written; a `long` one shows how far it got."""
        self.view.clear()
        self.status.setText(f"{label}…")
        self.set_state("running")
        if long:
            self.bar.start("Reading the text…")
        else:
            self.bar.finish()

    def append(self, text: str) -> None:
        append_text(self.view, text)

    def show_result(self, changes: list[Change], note: str) -> None:
        dark = self.palette().base().color().lightness() < 128
        self.view.setHtml(diff_html(changes, dark))
        if any(c.source == "spelling" for c in changes):
            note = f"{note} Blue: the spell checker's fixes; green: the model's.".strip()
        self.status.setText(note)
        self.set_state("ready")

    def show_message(self, message: str) -> None:
        self.status.setText(message)
        self.set_state("idle")
