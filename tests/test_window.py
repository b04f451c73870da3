"""The placeholder window: it opens and names the model that was found."""

from writer_app import paths
from writer_app.engine import default_model
from writer_app.settings import Settings
from writer_app.ui.main_window import MainWindow


def test_window_shows_the_default_model(qtbot):
    window = MainWindow(Settings(), paths.model_search_dirs())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert default_model.FILE_NAME in window.model_label.text()
    assert "Q4_1" in window.model_label.text()
    qtbot.keyClicks(window.editor, "Hello")
    assert window.editor.toPlainText() == "Hello"


def test_window_says_when_no_model_is_found(qtbot, tmp_path):
    window = MainWindow(Settings(), [tmp_path])
    qtbot.addWidget(window)
    assert window.model_label.text().startswith("No model: no model found")
