"""A server as the engine, as the user handles it: Model → Connect to a server…, the
server's models in the Model menu, what the status bar says, and the privacy promise.

Nothing goes to another machine unasked: the first use of a server that is not this
computer asks, naming its host (the answer is kept in `allowed_servers`, revocable in
the settings), and an http:// address on another machine is called unencrypted. The API
key goes to the system keyring (credentials.py), read and written in the I/O pool (a
keyring may ask the user to unlock it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from writer_app import credentials, settings
from writer_app.engine.engine import Engine
from writer_app.engine.remote_backend import (
    RemoteBackend,
    is_loopback,
    is_unencrypted,
    server_host,
)
from writer_app.ui import operations
from writer_app.ui.jobs import JobRunner
from writer_app.ui.model_host import ModelHost
from writer_app.ui.server_dialog import ServerDialog


def served_by(engine: Engine | None) -> RemoteBackend | None:
    backend = engine.backend if engine is not None else None
    return backend if isinstance(backend, RemoteBackend) else None


def status_texts(backend: RemoteBackend) -> tuple[str, str, str]:
    """(model label, device label, device tooltip) for the status bar."""
    where = "this computer" if is_loopback(backend.base) else "another machine"
    device = f"Server: {backend.host}"
    tip = f"Your text is sent to {backend.host} ({where}): {backend.about}."
    if is_unencrypted(backend.base) and not is_loopback(backend.base):
        device += " (unencrypted)"
        tip += " The connection is http://: not encrypted."
    model = f"Model: {backend.model} on {backend.host} (context {backend.context_length})"
    return model, device, tip


class ServerControl(QObject):
    def __init__(self, host: ModelHost, runner: JobRunner,
                 prefs: Callable[[], settings.Settings], window: QMainWindow,
                 load_local: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.runner = runner
        self.prefs = prefs
        self.window = window
        self.load_local = load_local
        self.dialog: ServerDialog | None = None
        # The connection at start-up is under way: its failure loads a local model, which
        # does not make Writer forget the server (it may be back at the next start).
        self.starting = False
        self._fallback = False
        host.sig_model_loaded.connect(self._loaded)

    # --- start-up ---------------------------------------------------------------------
    def start(self) -> bool:
        """Connect to the server used last, when it is allowed; False when there is none
        to connect to (the caller loads a local model)."""
        url = self.prefs().server_url
        if not url:
            return False
        if not self.allowed(url):
            self._status(f"Not connecting to {server_host(url)}: it was not allowed. Model "
                         "→ Connect to a server… to use it.", 30000)
            return False
        self.starting = True
        model = self.prefs().server_model or None

        def go(key: str | None) -> None:
            if self.starting:  # not when the user picked a model meanwhile
                self.host.use_server(url, key, model, self.prefs().server_requests)

        self.runner.run(lambda _ctx: credentials.load_key(url), lane="io", on_done=go,
                        on_failed=lambda _m: go(None))
        return True

    def start_failed(self, message: str) -> None:
        """The server of last time did not answer: a local model instead, and why."""
        self.starting = False
        self._fallback = True
        self._status(f"{message}. Using a model on this computer instead.", 30000)
        self.load_local()

    # --- privacy ----------------------------------------------------------------------
    def allowed(self, url: str) -> bool:
        return is_loopback(url) or server_host(url) in self.prefs().allowed_servers

    def ask_to_allow(self, url: str) -> bool:
        """Asked once per host: may text go there? Kept in the settings when yes."""
        if self.allowed(url):
            return True
        host = server_host(url)
        text = (f"Writer keeps your text on this computer. With the server at {host}, "
                "the text you ask about (a selection to rewrite or translate, a document "
                f"to summarize) is sent to {host}.")
        if is_unencrypted(url):
            text += ("\n\nThe address starts with http://: the text travels unencrypted, "
                     "and anyone on the network between can read it.")
        text += f"\n\nSend text to {host}? (You can take this back in the settings.)"
        box = QMessageBox(QMessageBox.Icon.Warning, "Send text to another machine?", text,
                          QMessageBox.StandardButton.Cancel, self.window)
        allow = box.addButton(f"Send to {host}", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is not allow:
            return False
        prefs = self.prefs()
        prefs.allowed_servers = [*prefs.allowed_servers, host]
        operations.save_settings(self.runner, prefs, self._status)
        return True

    # --- connecting -------------------------------------------------------------------
    def open_dialog(self) -> ServerDialog:
        if self.dialog is None:
            prefs = self.prefs()
            self.dialog = ServerDialog(self.runner, prefs.server_url, "",
                                       prefs.server_model, self.ask_to_allow, self.window)
            self.dialog.sig_connect.connect(
                lambda url, key, model: self.connect_to(url, key, model, keep_key=True))
            if prefs.server_url:
                url = prefs.server_url
                self.runner.run(lambda _ctx: credentials.load_key(url), lane="io",
                                on_done=self._fill_key)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _fill_key(self, key: str | None) -> None:
        if self.dialog is not None and key and not self.dialog.key.text():
            self.dialog.key.setText(key)

    def connect_to(self, url: str, key: str, model: str, keep_key: bool = False) -> None:
        """Use `model` on the server at `url`, once the user allowed its host; with
        `keep_key` (the user typed it), the key is kept in the keyring (or a private file,
        with a warning)."""
        if not self.ask_to_allow(url):
            return
        self.starting = self._fallback = False  # the user's choice now
        if keep_key:
            self.runner.run(lambda _ctx: credentials.save_key(url, key), lane="io",
                            on_done=self._key_kept, on_failed=self._key_kept)
        self.host.use_server(url, key or None, model, self.prefs().server_requests)

    def _key_kept(self, warning: str) -> None:
        """Said when the key is kept less safely than in a keyring, or not at all."""
        if warning:
            QMessageBox.warning(self.window, "API key", warning)

    def settings_changed(self) -> bool:
        """A server taken back from the allowed ones is left at once (True then)."""
        backend = served_by(self.host.engine)
        if backend is None or self.allowed(backend.base):
            return False
        self._status(f"No longer sending text to {backend.host}: using a model on this "
                     "computer.", 15000)
        self.leave_server()
        return True

    def leave_server(self) -> None:
        self.starting = self._fallback = False
        self._forget_server()
        self.load_local()

    def _loaded(self, engine: Engine) -> None:
        self.starting = False
        backend = served_by(engine)
        if backend is not None:
            prefs = self.prefs()
            if (prefs.server_url, prefs.server_model) != (backend.base, backend.model):
                prefs.server_url, prefs.server_model = backend.base, backend.model
                operations.save_settings(self.runner, prefs, self._status)
        elif self._fallback:
            self._fallback = False  # the server stays the one to try at the next start
        elif self.prefs().server_url:
            self._forget_server()  # a local model picked: start with one next time

    def _forget_server(self) -> None:
        prefs = self.prefs()
        if prefs.server_url:
            prefs.server_url = prefs.server_model = ""
            operations.save_settings(self.runner, prefs, self._status)

    # --- the menu ---------------------------------------------------------------------
    def fill_menu(self, menu: QMenu) -> None:
        """The server's models (when one is in use), each marked, and the actions."""
        backend = served_by(self.host.engine)
        if backend is not None:
            menu.addAction(f"On the server {backend.host}").setEnabled(False)
            for entry in backend.listed:
                item = QAction(f"    {entry['id']}  (server{self._length(entry)})", menu)
                item.setCheckable(True)
                item.setChecked(entry["id"] == backend.model)
                item.triggered.connect(
                    lambda _=False, m=str(entry["id"]), b=backend:
                    self.connect_to(b.base, b.api_key or "", m))
                menu.addAction(item)
        connect = QAction("Connect to a server…", menu)
        connect.triggered.connect(lambda: self.open_dialog())
        menu.addAction(connect)
        if backend is not None:
            local = QAction("Disconnect: use a model on this computer", menu)
            local.triggered.connect(self.leave_server)
            menu.addAction(local)

    @staticmethod
    def _length(entry: dict[str, Any]) -> str:
        length = entry.get("max_model_len")
        return f", context {length}" if isinstance(length, int) else ""

    def _status(self, message: str, ms: int = 8000) -> None:
        self.window.statusBar().showMessage(message, ms)
