"""Ghost text in the window with the real default model: it appears after a pause, Tab
takes it (one undo step), Ctrl+Right one word, Esc dismisses it, typing walks through
it, a keystroke cancels a request in flight, a suggestion preempts it, and it never
reaches the document, the undo stack, the saved file or the autosave."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from writer_app import paths
from writer_app.settings import Settings
from writer_app.ui.main_window import MainWindow

TYPED = "The lighthouse keeper climbed the stairs every evening to light the"


@pytest.fixture
def window(qtbot):
    w = MainWindow(Settings(ghost_text="on"), paths.model_search_dirs())
    w.show()
    qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading, timeout=60000)
    yield w
    w.ghosts.ghost.dismiss()
    w.suggesting.stop()
    w.editor.document().setModified(False)
    w.close()
    w.deleteLater()


def type_and_wait_for_ghost(qtbot, w, text=TYPED):
    ghost = w.ghosts.ghost
    w.editor.setFocus()
    qtbot.keyClicks(w.editor, text)
    qtbot.waitUntil(lambda: bool(ghost.text) and ghost.job is None, timeout=30000)
    return ghost


def test_the_ghost_appears_and_tab_takes_it_in_one_undo_step(qtbot, window):
    ghost = type_and_wait_for_ghost(qtbot, window)
    shown = ghost.text
    assert shown.strip() and window.ghosts.action.isChecked()
    # Not in the document, nor in the undo stack.
    assert window.editor.toPlainText() == TYPED
    undo_steps = window.editor.document().availableUndoSteps()
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == TYPED + shown
    assert window.editor.document().availableUndoSteps() > undo_steps
    # Typing after it is a step of its own; undo then takes back exactly what Tab put
    # in, and the typing before it stays.
    qtbot.keyClicks(window.editor, " Then")
    window.editor.undo()
    assert window.editor.toPlainText() == TYPED + shown
    window.editor.undo()
    assert window.editor.toPlainText() == TYPED


def test_a_saved_file_holds_the_text_without_the_ghost(qtbot, window, tmp_path):
    ghost = type_and_wait_for_ghost(qtbot, window)
    shown = ghost.text
    path = tmp_path / "saved.txt"
    window.files.save_to(path)
    qtbot.waitUntil(lambda: path.exists() and not window.files.is_modified(), timeout=10000)
    assert path.read_text(encoding="utf-8") == TYPED
    assert ghost.text == shown  # saving leaves the ghost offered


def test_the_autosave_holds_the_text_without_the_ghost(qtbot, window):
    ghost = type_and_wait_for_ghost(qtbot, window)
    assert ghost.text
    window.files.autosave()
    slot = window.files._autosave.folder
    qtbot.waitUntil(lambda: not window.files.autosaving, timeout=10000)
    written = "".join(p.read_text(encoding="utf-8", errors="replace")
                      for p in slot.iterdir() if p.is_file())
    assert TYPED in written and ghost.text.strip() not in written.replace(TYPED, "")


def test_ctrl_right_takes_one_word_and_esc_dismisses(qtbot, window):
    ghost = type_and_wait_for_ghost(qtbot, window)
    shown = ghost.text
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    word = window.editor.toPlainText()[len(TYPED):]
    assert word and shown.startswith(word) and len(word.split()) == 1
    if ghost.text:  # the rest stays offered after the word
        assert ghost.text == shown[len(word):]
        qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
        assert ghost.text == ""
    assert window.editor.toPlainText() == TYPED + word


def test_typing_what_the_ghost_shows_walks_through_it(qtbot, window):
    ghost = type_and_wait_for_ghost(qtbot, window)
    shown = ghost.text
    asked = ghost._request
    qtbot.keyClicks(window.editor, shown[:2])
    assert ghost.text == shown[2:]
    assert ghost._request == asked and ghost.job is None  # the model was not asked again
    assert window.editor.toPlainText() == TYPED + shown[:2]


def test_a_keystroke_cancels_the_request_and_no_stale_ghost_shows(qtbot, window):
    window.ghosts.ghost.fresh = True  # each request reads afresh: it is still in flight
    window.files.set_text(" ".join([TYPED + "."] * 40) + " " + TYPED, None)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    ghost = window.ghosts.ghost
    seen: list[tuple[int, int]] = []
    ghost.sig_shown.connect(lambda _t: seen.append(
        (ghost.at, window.editor.textCursor().position())))
    ghost.request()
    job = ghost.job
    assert job is not None
    qtbot.keyClick(window.editor, Qt.Key.Key_X)  # not what any ghost would start with
    assert job.cancel_token.cancelled
    qtbot.waitUntil(lambda: not job.running, timeout=30000)
    qtbot.wait(300)
    assert all(at == position for at, position in seen)


def test_a_suggestion_preempts_a_ghost_request(qtbot, window):
    window.ghosts.ghost.fresh = True
    window.files.set_text(" ".join([TYPED + "."] * 40) + " " + TYPED, None)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    ghost = window.ghosts.ghost
    ghost.request()
    job = ghost.job
    assert job is not None
    qtbot.wait(200)  # it holds the model now
    window.editor.selectAll()
    window.suggesting.suggest("shorter")
    qtbot.waitUntil(lambda: not job.running, timeout=30000)
    assert job.cancel_token.cancelled
    qtbot.waitUntil(lambda: not window.suggesting.running, timeout=120000)
    assert window.suggesting.pending is not None and window.suggesting.pending.result


def test_the_toolbar_toggle_turns_it_off_and_the_setting_follows(qtbot, window):
    window.ghosts.action.trigger()
    assert not window.ghosts.ghost.enabled and window.prefs.ghost_text == "off"
    qtbot.keyClicks(window.editor, "The sea was calm and")
    qtbot.wait(800)
    assert window.ghosts.ghost.text == "" and window.ghosts.ghost.job is None


def test_no_ghost_while_a_summary_runs_and_the_status_bar_says_why(qtbot, window, tmp_path):
    path = tmp_path / "long.md"
    path.write_text("\n\n".join(f"# Part {i}\n\n" + " ".join([TYPED + "."] * 30)
                                for i in range(6)), encoding="utf-8")
    window.summary.add([path])
    qtbot.waitUntil(lambda: window.summary.reading.value() > 0, timeout=60000)
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "The sea was calm and")
    qtbot.waitUntil(lambda: any("busy" in m for m in messages), timeout=10000)
    assert window.ghosts.ghost.text == ""
    window.summary.stop()
    qtbot.waitUntil(lambda: not window.summary.busy, timeout=30000)
    # Once the model is free, the ghost comes without another key.
    qtbot.waitUntil(lambda: window.ghosts.ghost.text != "", timeout=30000)
