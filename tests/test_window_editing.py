"""Find/replace, settings, the model menu and the remembered layout (no model needed)."""

import json

import pytest
from PySide6.QtWidgets import QApplication

from writer_app import paths, settings
from writer_app.engine import default_model
from writer_app.settings import Settings
from writer_app.ui.main_window import MainWindow
from writer_app.ui.settings_dialog import SettingsDialog


@pytest.fixture
def window(bare_window):
    return bare_window


def test_find_and_replace_all_is_one_undo_step(qtbot, window):
    window.files.set_text("The cat and the Cat and the dog.", None)
    window.show_find()
    assert window.find_bar.isVisible()
    window.find_bar.find_text.setText("cat")
    assert window.find_bar.find_next()
    assert window.editor.textCursor().selectedText() == "cat"
    window.find_bar.replace_text.setText("fox")
    assert window.find_bar.replace_all() == 2
    assert window.editor.toPlainText() == "The fox and the fox and the dog."
    window.editor.undo()
    assert window.editor.toPlainText() == "The cat and the Cat and the dog."
    window.find_bar.case.setChecked(True)
    assert window.find_bar.replace_all() == 1


def test_find_wraps_and_says_when_nothing_is_found(qtbot, window):
    window.files.set_text("alpha beta alpha", None)
    window.find_bar.find_text.setText("alpha")
    assert window.find_bar.find_next() and window.find_bar.find_next()
    assert window.find_bar.find_next()  # wrapped to the first one
    assert window.editor.textCursor().selectionStart() == 0
    window.find_bar.find_text.setText("gamma")
    assert not window.find_bar.find_next()
    assert window.find_bar.status.text() == "Not found"


def test_settings_dialog_saves_and_applies(qtbot, window):
    dialog = SettingsDialog(window.prefs, window)
    dialog.temperature.setValue(0.3)
    dialog.context.setValue(4096)
    dialog.custom.setPlainText(json.dumps([{"name": "haiku", "label": "As a haiku",
                                            "instruction": "Rewrite as a haiku."}]))
    dialog.accept()
    window.apply_settings(dialog.result_settings)
    qtbot.waitUntil(lambda: settings.load().temperature == 0.3, timeout=5000)  # saved off
    assert settings.load().context_length_cap == 4096                         # the GUI thread
    assert window.prefs.sampling().temperature == 0.3
    assert "As a haiku" in [window.suggestions.action_box.itemText(i)
                            for i in range(window.suggestions.action_box.count())]


def test_settings_dialog_takes_its_bounds_and_choices_from_the_settings(window):
    dialog = SettingsDialog(window.prefs, window)
    assert (dialog.temperature.minimum(), dialog.temperature.maximum()) == \
        settings.bounds_of("temperature")
    assert [dialog.backend.itemData(i) for i in range(dialog.backend.count())] == \
        list(settings.choices_of("backend"))
    dialog.reject()


def test_settings_dialog_refuses_bad_custom_actions(qtbot, window):
    dialog = SettingsDialog(window.prefs, window)
    dialog.custom.setPlainText('[{"name": "x"}]')
    dialog.accept()
    assert "lacks 'label'" in dialog.error.text()
    dialog.custom.setPlainText("not json")
    dialog.accept()
    assert "not valid JSON" in dialog.error.text()
    dialog.reject()


def test_model_menu_lists_models_with_metadata(qtbot, window):
    qtbot.waitUntil(lambda: bool(window.models.found), timeout=10000)  # read off the GUI thread
    window.model_menu.aboutToShow.emit()
    labels = [a.text() for a in window.model_menu.actions()]
    entry = next(t for t in labels if t.strip().startswith(default_model.FILE_NAME))
    assert "Q4_1" in entry and "context 8192" in entry and "135" in entry
    assert "fits in memory" in entry  # 0.4 GiB at 8192 tokens
    assert any(t.startswith("Your models folder: ") for t in labels)


def test_the_layout_is_remembered(qtbot):
    first = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    first.show()
    first.summary_dock.hide()
    first.resize(900, 600)
    first.close()
    second = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    second.show()
    QApplication.processEvents()
    assert not second.summary_dock.isVisible()
    assert second.suggestion_dock.isVisible() or second.translation_dock.isVisible()
    second.close()


def test_word_count_follows_the_text(qtbot, window):
    qtbot.keyClicks(window.editor, "three short words")
    qtbot.waitUntil(lambda: window.words_label.text() == "3 words", timeout=2000)
    window.files.set_text("", None)
    qtbot.waitUntil(lambda: window.words_label.text() == "0 words", timeout=2000)
