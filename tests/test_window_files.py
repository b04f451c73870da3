"""The user's file while work goes on in the background: a large text going into the editor,
saves still writing when the window closes or another file opens, autosaves at close."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QMessageBox

from writer_app import paths
from writer_app.settings import Settings
from writer_app.ui import file_ops
from writer_app.ui.files import FILL_PIECE
from writer_app.ui.main_window import MainWindow

from .helpers import answer_next_dialog

BIG = ("The harbour master counted the boats before the storm.\n\n" * 80_000)  # 4.5 MB




def test_a_large_text_goes_in_whole_in_pieces_unmodified_and_without_undo(qtbot, bare_window):
    w = bare_window
    assert len(BIG) > 10 * FILL_PIECE
    with qtbot.waitSignal(w.files.sig_opened, timeout=30000):
        w.files.set_text(BIG, None, then=lambda: w.files.sig_opened.emit(None))
        assert w.files.filling and w.editor.isReadOnly()
    assert w.editor.toPlainText() == BIG
    assert not w.files.is_modified() and not w.editor.isReadOnly()
    assert not w.editor.document().isUndoAvailable()


def test_saving_while_a_large_text_goes_in_writes_all_of_it(qtbot, bare_window, tmp_path):
    w = bare_window
    path = tmp_path / "big.md"
    w.files.set_text(BIG, path)
    assert w.files.filling
    with qtbot.waitSignal(w.files.sig_saved, timeout=30000):
        w.files.save_to(path)
    assert path.read_text(encoding="utf-8") == BIG


def test_an_edit_by_the_app_during_the_fill_comes_after_the_whole_text(qtbot, bare_window):
    w = bare_window
    w.files.set_text(BIG, None)
    w.editor.insert_block("Inserted.")  # a translation or a summary, inserted
    assert not w.files.filling  # the rest went in first, and the cursor is at the start
    assert w.editor.toPlainText() == "Inserted.\n\n" + BIG


def test_closing_waits_for_a_save_still_writing(qtbot, tmp_path):
    w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    w.show()
    path = tmp_path / "draft.md"
    text = "Every word of the draft.\n" * 400_000  # 10 MB: the save takes a moment
    w.files.set_text(text, None)
    qtbot.waitUntil(lambda: not w.files.filling, timeout=30000)
    w.files.save_to(path)  # Ctrl+S on an unchanged text, then Quit at once
    assert w.close()
    assert path.read_text(encoding="utf-8") == text


def test_text_typed_while_the_close_saves_is_asked_about_again(qtbot, tmp_path):
    w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    w.show()
    path = tmp_path / "draft.md"
    w.files.set_text("First words.", path, modified=True)
    answer_next_dialog(QMessageBox.StandardButton.Save)
    with qtbot.waitSignal(w.files.sig_saved, timeout=10000):
        w.close()  # asks, Save: the window stays until the text is on disk
        w.editor.moveCursor(w.editor.textCursor().MoveOperation.End)
        w.editor.insertPlainText(" Typed meanwhile.")
        answer_next_dialog(QMessageBox.StandardButton.Cancel)  # asked again after the save
    qtbot.wait(300)
    assert w.isVisible()
    assert w.editor.toPlainText() == "First words. Typed meanwhile."
    assert path.read_text(encoding="utf-8") == "First words."
    w.editor.document().setModified(False)
    w.close()


def test_a_save_that_ends_after_another_file_opened_leaves_that_file_alone(qtbot, bare_window,
                                                                          tmp_path):
    w = bare_window
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    second.write_text("The second file.", encoding="utf-8")
    w.files.set_text("The first file.\n" * 200_000, first, modified=True)
    qtbot.waitUntil(lambda: not w.files.filling, timeout=30000)
    with qtbot.waitSignals([w.files.sig_saved, w.files.sig_opened], timeout=20000):
        w.files.save_to(first)
        w.editor.document().setModified(False)  # as after Discard
        w.files.open_path(second)
    assert w.files.path == second and w.windowTitle().startswith("second.md")
    assert w.editor.toPlainText() == "The second file."


def test_an_autosave_writing_at_close_leaves_no_recovery_behind(qtbot, tmp_path):
    w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    w.show()
    w.files.set_text("Words worth keeping.\n" * 200_000, None, modified=True)
    qtbot.waitUntil(lambda: not w.files.filling, timeout=30000)
    w.files.autosave()
    answer_next_dialog(QMessageBox.StandardButton.Discard)
    w.close()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10000)
    time.sleep(0.5)  # any write still queued would land by now
    assert file_ops.pending_recovery() is None
