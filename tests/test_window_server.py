"""A server as the window's engine: Model → Connect to a server…, what the status bar and
the Model menu say, the question before text goes to another machine, and a server that
goes away mid-job. Against llama-cpp-python's own server with the default model."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QMessageBox

from writer_app import credentials, paths, settings
from writer_app.settings import Settings
from writer_app.ui.main_window import MainWindow
from writer_app.ui.settings_dialog import SettingsDialog

from .helpers import answer_next_dialog
from .llama_server import llama_server
from .loopback import free_port

FAR = "http://198.51.100.7:8000/v1"  # TEST-NET-2: never reached (the tests block it anyway)


@pytest.fixture(scope="module")
def server(default_model_path):
    with llama_server(default_model_path, "--n_ctx", "1024",
                      "--interrupt_requests", "False") as (url, _proc):
        yield url


def open_window(qtbot, prefs: Settings | None = None) -> MainWindow:
    w = MainWindow(prefs or Settings(ghost_text="off"), paths.model_search_dirs())
    w.show()
    qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading, timeout=60000)
    return w


def close_window(w: MainWindow) -> None:
    w.editor.document().setModified(False)
    w.close()
    w.deleteLater()


def menu_texts(w: MainWindow) -> list[str]:
    w.models.fill_menu()
    return [a.text() for a in w.model_menu.actions()]


def connect_through_dialog(qtbot, w: MainWindow, url: str, key: str = "") -> None:
    dialog = w.models.servers.open_dialog()
    dialog.url.setText(url)
    dialog.key.setText(key)
    dialog.test.click()
    qtbot.waitUntil(lambda: dialog.connect_button.isEnabled(), timeout=30000)
    dialog.connect_button.click()


def test_connect_lists_the_models_and_the_status_bar_names_the_server(qtbot, server):
    w = open_window(qtbot)
    try:
        dialog = w.models.servers.open_dialog()
        dialog.url.setText(server)
        assert not dialog.privacy.isVisibleTo(dialog)  # this computer: nothing to warn of
        dialog.test.click()
        qtbot.waitUntil(lambda: dialog.models.count() > 0, timeout=30000)
        assert "SmolLM2-135M-Instruct.Q4_1.gguf" in dialog.models.itemText(0)
        assert dialog.state.text().startswith("Connected to 127.0.0.1:")
        dialog.connect_button.click()
        qtbot.waitUntil(lambda: w.device_label.text().startswith("Server:"), timeout=30000)
        host = server.split("//")[1].removesuffix("/v1")
        assert w.device_label.text() == f"Server: {host}"
        assert f"on {host}" in w.model_label.text()
        assert "this computer" in w.device_label.toolTip()
        texts = menu_texts(w)
        heading = texts.index(f"On the server {host}")
        assert "SmolLM2-135M" in texts[heading + 1] and texts[heading + 1].endswith("(server)")
        assert w.model_menu.actions()[heading + 1].isChecked()
        assert "Disconnect: use a model on this computer" in texts
        # The local file the server happens to serve is listed, not in use.
        local = next(a for a in w.model_menu.actions()[:heading]
                     if a.text().strip().startswith("SmolLM2") and "fits" in a.text())
        assert not local.isChecked()
        # Remembered: the next start connects to it again.
        qtbot.waitUntil(lambda: settings.load().server_url == server, timeout=10000)
        assert settings.load().server_model.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    finally:
        close_window(w)
    again = open_window(qtbot, settings.load())
    try:
        assert again.device_label.text() == f"Server: {host}"
        # Disconnect: a local model, and the next start uses one.
        next(a for a in again.model_menu.actions()
             if a.text().startswith("Disconnect")).trigger()
        qtbot.waitUntil(lambda: again.device_label.text().startswith("Device:"),
                        timeout=60000)
        qtbot.waitUntil(lambda: settings.load().server_url == "", timeout=10000)
    finally:
        close_window(again)


def test_a_rewrite_runs_over_the_server_and_its_loss_is_shown_with_the_text_kept(
        qtbot, default_model_path):
    original = "The harbour was very busy this year, and the town was full of people."
    with llama_server(default_model_path, "--interrupt_requests", "False") as (url, proc):
        w = open_window(qtbot)
        try:
            connect_through_dialog(qtbot, w, url)
            qtbot.waitUntil(lambda: w.device_label.text().startswith("Server:"),
                            timeout=30000)
            w.files.set_text(original, None)
            w.editor.selectAll()
            with qtbot.waitSignal(w.suggesting.sig_suggestion_ready, timeout=60000):
                w.suggesting.suggest("rewrite")
            assert w.suggestions.view.toPlainText().strip()
            w.suggesting.reject()
            # The server goes away while it writes a longer version of a long paragraph
            # (hundreds of tokens to write: the kill lands mid-answer on a slow machine too).
            original = (
                "The harbour was very busy this year, and the town was full of people. "
                "Container traffic grew by a fifth, while the fishing boats held steady. "
                "The new quay opened in March, two months late, and the cranes arrived "
                "in June. Hotels were full from May to September, and the cafes on the "
                "front stayed open late. The council wants a second quay by 2030, but "
                "the money is not there yet, and the fishermen fear for their moorings.")
            w.files.set_text(original, None)
            w.editor.selectAll()
            w.suggesting.suggest("longer")
            qtbot.waitUntil(lambda: w.suggestions.view.toPlainText().strip() != "",
                            timeout=30000)
            with qtbot.waitSignal(w.suggesting.sig_suggestion_ended, timeout=60000) as ended:
                proc.kill()
            message = ended.args[0]
            assert "127.0.0.1" in message and ("broke off" in message or "cut" in message
                                               or "refused" in message), message
            assert message in w.suggestions.status.text()
            assert w.editor.toPlainText() == original
            assert not w.suggesting.accept()
        finally:
            close_window(w)


def test_another_machine_is_asked_about_first_and_http_is_called_unencrypted(qtbot):
    w = open_window(qtbot)
    try:
        dialog = w.models.servers.open_dialog()
        dialog.url.setText(FAR)
        assert dialog.privacy.isVisibleTo(dialog)
        assert "unencrypted" in dialog.privacy.text()
        dialog.url.setText("https://198.51.100.7/v1")
        assert "another machine" in dialog.privacy.text()
        assert "unencrypted" not in dialog.privacy.text()
        # Refused: nothing is sent, nothing is remembered.
        seen = answer_next_dialog(QMessageBox.StandardButton.Cancel)
        w.models.servers.connect_to(FAR, "", "served")
        assert "198.51.100.7:8000" in seen[0] and "unencrypted" in seen[0]
        assert not w.host.loading and w.device_label.text().startswith("Device:")
        assert settings.load().allowed_servers == []
        # Allowed: remembered for this host, and the connection is tried.
        seen = answer_next_dialog("Send to 198.51.100.7:8000")
        with qtbot.waitSignal(w.host.sig_load_failed, timeout=60000):
            answer_next_dialog(QMessageBox.StandardButton.Ok)  # the failure, said
            w.models.servers.connect_to(FAR, "", "served")
        assert seen and w.prefs.allowed_servers == ["198.51.100.7:8000"]
        qtbot.waitUntil(lambda: settings.load().allowed_servers == ["198.51.100.7:8000"],
                        timeout=10000)
        assert w.device_label.text().startswith("Device:")  # the local model stays
        # Not asked again for the same host.
        assert w.models.servers.ask_to_allow("http://198.51.100.7:8000")
        # Taken back in the settings.
        prefs_dialog = SettingsDialog(w.prefs, w)
        assert prefs_dialog.allowed.count() == 1
        prefs_dialog.allowed.setCurrentRow(0)
        prefs_dialog.revoke.click()
        w.apply_settings(prefs_dialog.values())
        qtbot.waitUntil(lambda: settings.load().allowed_servers == [], timeout=10000)
        assert not w.models.servers.allowed(FAR)
    finally:
        close_window(w)


def test_a_server_not_allowed_or_gone_at_start_gives_the_local_model(qtbot):
    # Another machine never allowed: not contacted at all.
    w = open_window(qtbot, Settings(server_url=FAR, server_model="served"))
    try:
        assert w.device_label.text().startswith("Device:")
        assert "not allowed" in w.statusBar().currentMessage()
    finally:
        close_window(w)
    # This computer's server, gone: said, and a local model loaded.
    gone = f"http://127.0.0.1:{free_port()}/v1"
    w = open_window(qtbot, Settings(server_url=gone, server_model="x"))
    try:
        qtbot.waitUntil(lambda: w.device_label.text().startswith("Device:"), timeout=60000)
        message = w.statusBar().currentMessage()
        assert "refused the connection" in message and "this computer instead" in message
    finally:
        close_window(w)


def test_the_api_key_goes_to_the_keyring_never_the_settings(qtbot, default_model_path):
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    keyring.set_keyring(PlaintextKeyring())
    with llama_server(default_model_path, "--api_key", "s3cret-key") as (url, _proc):
        w = open_window(qtbot)
        try:
            connect_through_dialog(qtbot, w, url, "s3cret-key")
            qtbot.waitUntil(lambda: w.device_label.text().startswith("Server:"),
                            timeout=30000)
            qtbot.waitUntil(lambda: settings.load().server_url == url, timeout=10000)
        finally:
            close_window(w)
        assert "s3cret-key" not in paths.settings_file().read_text()
        assert keyring.get_password(credentials.SERVICE, credentials.server_id(url)) \
            == "s3cret-key"
        assert not credentials.key_file().exists()
        # The next start reads the key back from the keyring.
        w = open_window(qtbot, settings.load())
        try:
            assert w.device_label.text().startswith("Server:")
        finally:
            close_window(w)


def test_without_a_keyring_the_key_file_is_private_and_the_user_warned(qtbot, default_model_path):
    with llama_server(default_model_path, "--api_key", "s3cret-key") as (url, _proc):
        w = open_window(qtbot)
        try:
            seen = answer_next_dialog(QMessageBox.StandardButton.Ok)
            connect_through_dialog(qtbot, w, url, "s3cret-key")
            qtbot.waitUntil(lambda: bool(seen), timeout=30000)
            assert "No system keyring" in seen[0] and str(credentials.key_file()) in seen[0]
            qtbot.waitUntil(lambda: w.device_label.text().startswith("Server:"),
                            timeout=30000)
        finally:
            close_window(w)
    path = credentials.key_file()
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text()) == {credentials.server_id(url): "s3cret-key"}
    assert "s3cret-key" not in paths.settings_file().read_text()
    credentials.forget_key(url)
    assert credentials.load_key(url) is None


def test_a_key_is_filed_under_the_server_however_its_address_was_typed():
    assert credentials.server_id("192.168.1.5:8080") == "http://192.168.1.5:8080"
    assert credentials.server_id("http://192.168.1.5:8080/v1/") == "http://192.168.1.5:8080"
    credentials.save_key("192.168.1.5:8080", "k1")
    assert credentials.load_key("http://192.168.1.5:8080/v1") == "k1"


def test_only_this_computer_is_loopback():
    from writer_app.engine.remote_backend import is_loopback

    assert is_loopback("http://127.0.0.1:8080") and is_loopback("localhost:11434")
    assert is_loopback("http://[::1]:8000/v1")
    assert not is_loopback("http://127.evil.example/v1")
    assert not is_loopback("http://192.168.1.5:8080")
