"""Translation pane, drop-to-summarize and model drops, with the real default model."""

import re
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from .helpers import answer_next_dialog

FIXTURES = Path(__file__).parent / "fixtures"


def test_translate_the_document_then_replace_in_one_undo_step(qtbot, window):
    original = "# Harbour\n\nThe harbour was busy this year.\n\n- More ships came."
    window.files.set_text(original, None)
    pane = window.translation
    pane.target.setCurrentIndex(pane.target.findData("de"))
    bars: list[str] = []
    pane.bar.valueChanged.connect(lambda _v: bars.append(pane.bar.format()))
    with qtbot.waitSignal(pane.sig_translation_done, timeout=120000):
        pane.start(whole=True)
        assert pane.stop_button.isEnabled() and pane.bar.isVisible()
    assert pane.source_label.text().startswith("Source: English")
    # The shared progress bar went block by block, and is gone once done.
    assert any(b.startswith("Block 2 of 3") for b in bars), bars
    assert not pane.bar.isVisible()
    translated = pane.output.toPlainText()
    assert translated.startswith("# ") and "\n\n- " in translated
    assert pane.replace_button.isEnabled()
    pane.replace_button.click()
    assert window.editor.toPlainText() == translated
    window.editor.undo()
    assert window.editor.toPlainText() == original


def test_translate_a_selection_and_insert_it(qtbot, window):
    window.files.set_text("The cat sleeps.\nThe dog barks loudly at night.", None)
    cursor = window.editor.textCursor()
    cursor.setPosition(16)
    cursor.setPosition(len(window.editor.toPlainText()), cursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    pane = window.translation
    pane.target.setEditText("Esperanto")  # a language typed by the user
    with qtbot.waitSignal(pane.sig_translation_done, timeout=120000):
        pane.start(whole=False)
    assert "Esperanto" in pane.status.text()
    pane.insert_button.click()
    text = window.editor.toPlainText()
    assert text.startswith("The cat sleeps.\nThe dog barks loudly at night.\n\n")
    assert len(text) > len("The cat sleeps.\nThe dog barks loudly at night.\n\n")


def test_stop_a_translation(qtbot, window):
    window.files.set_text("\n\n".join(f"Paragraph {i} about ships." for i in range(30)), None)
    pane = window.translation
    pane.start(whole=True)
    # The status moves on block by block: any block past the first will do.
    qtbot.waitUntil(lambda: (m := re.search(r"block (\d+) of", pane.status.text()))
                    is not None and int(m[1]) >= 2, timeout=60000)
    pane.stop()
    qtbot.waitUntil(lambda: pane.status.text() == "Stopped.", timeout=30000)


def test_drop_documents_to_summarize_them_in_turn(qtbot, window, summaries):
    seen = []
    window.drops.drop_files([FIXTURES / "harbour-libreoffice.docx", FIXTURES / "harbour.html"])
    assert window.summary_dock.isVisible()

    def record():
        seen.append(window.summary.progress.text())
        return len(summaries) == 2 and not window.summary.busy

    qtbot.waitUntil(record, timeout=240000)
    names = [p.name for p, _ in summaries]
    assert names == ["harbour-libreoffice.docx", "harbour.html"]
    assert window.summary.output.toPlainText().strip()
    assert any("of 1" in s for s in seen)
    window.files.set_text("Notes:", None)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    window.summary.insert_button.click()
    assert window.editor.toPlainText() == (
        "Notes:\n\n" + window.summary.output.toPlainText())


def test_a_broken_drop_shows_the_loaders_message_and_changes_nothing(qtbot, window, tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a pdf")
    window.files.set_text("My text.", None)
    window.drops.drop_files([bad])
    qtbot.waitUntil(lambda: not window.summary.busy, timeout=30000)
    assert str(bad) in window.summary.progress.text()
    assert "PDF" in window.summary.progress.text()
    assert window.editor.toPlainText() == "My text."


def test_dropping_a_model_offers_to_add_it(qtbot, window, default_model_path):
    answer_next_dialog(QMessageBox.StandardButton.No)
    window.drops.drop_files([default_model_path])
    assert not window.host.loading
    answer_next_dialog(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.host.sig_model_loaded, timeout=60000):
        window.drops.drop_files([default_model_path])
        assert window.host.loading
    assert window.host.engine.info.path == default_model_path
