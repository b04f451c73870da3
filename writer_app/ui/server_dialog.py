"""Model → Connect to a server…: an address, an API key, "Test connection" to list the
server's models, and the model to use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.engine.remote_backend import is_loopback, is_unencrypted, list_models
from writer_app.ui.jobs import JobRunner

PLACEHOLDER = "http://localhost:8080/v1"
WARNING_STYLE = "color: #b9770e"
ERROR_STYLE = "color: #c0392b"


def privacy_note(url: str) -> str:
    """What the user should know before text goes to `url` ("" for this computer)."""
    url = url.strip()
    if not url or is_loopback(url):
        return ""
    note = "This server is on another machine: the text you work on is sent to it."
    if is_unencrypted(url):
        note += " The address starts with http://, so it travels unencrypted."
    return note


class ServerDialog(QDialog):
    sig_connect = Signal(str, str, str)  # address, API key ("" for none), model

    def __init__(self, runner: JobRunner, url: str, key: str, model: str,
                 may_contact: Callable[[str], bool], parent: QWidget | None = None) -> None:
        """`may_contact(url)` says (asking the user where need be) whether the server may
        be contacted at all: a test sends the API key."""
        super().__init__(parent)
        self.setWindowTitle("Connect to a server")
        self.runner = runner
        self.may_contact = may_contact
        self._asked = 0  # the newest test; older answers are dropped
        self._wanted_model = model
        self.url = QLineEdit(url, self)
        self.url.setPlaceholderText(PLACEHOLDER)
        self.key = QLineEdit(key, self)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("none")
        self.test = QPushButton("Test connection", self)
        self.models = QComboBox(self)
        self.models.setMinimumWidth(320)
        self.privacy = QLabel("", self)
        self.privacy.setWordWrap(True)
        self.privacy.setStyleSheet(WARNING_STYLE)
        self.state = QLabel("Test the connection to see the server's models.", self)
        self.state.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Address", self.url)
        form.addRow("API key", self.key)
        form.addRow("", self.test)
        form.addRow("Model", self.models)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.connect_button = self.buttons.addButton(
            "Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._connect)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A server you run (Ollama, llama-server, LM Studio, vLLM) "
                                "that speaks the OpenAI-compatible API.", self))
        layout.addLayout(form)
        layout.addWidget(self.privacy)
        layout.addWidget(self.state)
        layout.addWidget(self.buttons)
        self.test.clicked.connect(self.test_connection)
        self.url.returnPressed.connect(self.test_connection)
        self.url.textChanged.connect(self._address_changed)
        self.key.textChanged.connect(lambda _t: self._forget_models())
        self._address_changed(url)

    def _address_changed(self, url: str) -> None:
        self.privacy.setText(privacy_note(url))
        self.privacy.setVisible(bool(self.privacy.text()))
        self._forget_models()

    def _forget_models(self) -> None:
        self._asked += 1  # a test running now answers for another address
        self.models.clear()
        self.connect_button.setEnabled(False)
        self.test.setEnabled(bool(self.url.text().strip()))

    def test_connection(self) -> None:
        url, key = self.url.text().strip(), self.key.text().strip()
        if not url or not self.may_contact(url):
            return
        self._forget_models()
        asked = self._asked
        self.test.setEnabled(False)
        self._say(f"Asking {url} for its models…")
        self.runner.run(lambda _ctx: list_models(url, key or None), lane="io",
                        on_done=self._if_current(asked, self._listed),
                        on_failed=self._if_current(asked, self._failed))

    def _if_current(self, asked: int, then: Callable[[Any], None]) -> Callable[[Any], None]:
        def call(result: Any) -> None:
            if asked == self._asked:
                then(result)
        return call

    def _listed(self, models: list[dict[str, Any]]) -> None:
        self.test.setEnabled(True)
        for model in models:
            length = model["context_length"]
            label = model["id"] + (f"  (context {length})" if length else "")
            self.models.addItem(label, model["id"])
        found = self.models.findData(self._wanted_model)
        self.models.setCurrentIndex(max(0, found))
        self.connect_button.setEnabled(True)
        self._say(f"Connected to {models[0]['server']}: {len(models)} model"
                  f"{'' if len(models) == 1 else 's'}.")

    def _failed(self, message: str) -> None:
        self.test.setEnabled(True)
        self._say(message, ERROR_STYLE)

    def _say(self, text: str, style: str = "") -> None:
        self.state.setText(text)
        self.state.setStyleSheet(style)

    def _connect(self) -> None:
        model = self.models.currentData()
        if not model:
            return
        self.sig_connect.emit(self.url.text().strip(), self.key.text().strip(), model)
        self.accept()
