"""Model ▸ Download a model…, against a server on this machine serving the default model."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from writer_app import paths

from .helpers import answer_next_dialog

NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_download_a_model_and_use_it(qtbot, window, web_server):
    window.models.open_download_dialog()
    dialog = window.models.download_dialog
    assert dialog.isVisible()
    assert dialog.where.text() == f"Saved in {paths.user_models_dir()}"
    dialog.link.setText(web_server + "models/" + NAME)
    answer_next_dialog(QMessageBox.StandardButton.Yes)  # "Use it now?"
    qtbot.keyClick(dialog.link, Qt.Key.Key_Return)  # Return presses Download, nothing else
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Downloaded"), timeout=60000)
    assert dialog.isVisible()
    assert (paths.user_models_dir() / NAME).is_file()
    assert "llama" in dialog.status.text() and dialog.bar.value() == 100
    qtbot.waitUntil(lambda: window.host.engine is not None and not window.host.loading
                    and window.host.engine.info.path == paths.user_models_dir() / NAME,
                    timeout=60000)


def test_a_bad_link_says_why_and_keeps_nothing(qtbot, window, web_server):
    window.models.open_download_dialog()
    dialog = window.models.download_dialog
    dialog.link.setText(web_server + "login/model.gguf")
    dialog.download_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=30000)
    assert dialog.status.text().endswith("answered with a web page, not a model file (a wrong "
                                         "link, or a page that asks you to log in?)")
    assert dialog.download_button.isEnabled()
    assert not paths.user_models_dir().exists() or not any(paths.user_models_dir().iterdir())
    dialog.link.setText("https://huggingface.co/org/repo")
    dialog.download_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=30000)
    assert "does not end with a .gguf file name" in dialog.status.text()
    dialog.close()
