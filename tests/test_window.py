"""The window with the real default model: suggestions, files, autosave, model loading."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from writer_app import paths
from writer_app.engine import default_model
from writer_app.settings import Settings
from writer_app.ui import file_ops
from writer_app.ui.main_window import MainWindow

from .helpers import answer_next_dialog

SAMPLE = "Teh harbour was very busy this yeer, and the cafe owners was happy about it."


def suggestion_ready(qtbot, w):
    """Wait (in a with block) for the suggestion the block asks for to be shown."""
    return qtbot.waitSignal(w.suggesting.sig_suggestion_ready, timeout=120000)


def test_window_shows_the_model_and_device(window):
    assert default_model.FILE_NAME in window.model_label.text()
    assert "Q4_1" in window.model_label.text()
    assert window.device_label.text() in ("Device: cpu", "Device: gpu")
    cpu_line, reason = window.device_label.toolTip().split("\n")
    assert cpu_line == window.host.engine.device.cpu
    assert cpu_line.startswith("CPU: ") and " variant (" in cpu_line
    assert reason == window.host.engine.device.reason


def test_suggestion_streams_and_accept_is_one_undo_step(qtbot, window):
    window.files.set_text(SAMPLE, None)
    window.editor.selectAll()
    with suggestion_ready(qtbot, window) as ready:
        window.suggesting.suggest("rewrite")
        assert window.suggestions.stop_button.isEnabled()
    suggestion = ready.args[0].text
    assert suggestion and suggestion != SAMPLE
    assert window.suggestions.accept_button.isEnabled()
    assert "line-through" in window.suggestions.view.toHtml()  # the diff is shown
    assert window.suggesting.accept()
    assert window.editor.toPlainText() == suggestion
    window.editor.undo()
    assert window.editor.toPlainText() == SAMPLE


def test_no_selection_works_on_the_current_paragraph(qtbot, window):
    window.files.set_text("First paragraph stays.\nTeh second one was writen badly.\nThird stays.",
                    None)
    cursor = window.editor.textCursor()
    cursor.setPosition(len("First paragraph stays.\n") + 3)
    window.editor.setTextCursor(cursor)
    with suggestion_ready(qtbot, window):
        window.suggesting.suggest("proofread")
    assert window.suggesting.pending.original == "Teh second one was writen badly."
    window.suggesting.accept()
    lines = window.editor.toPlainText().split("\n")
    assert lines[0] == "First paragraph stays." and lines[2] == "Third stays."


def test_the_editor_stays_usable_and_a_changed_original_is_not_overwritten(qtbot, window):
    window.files.set_text(SAMPLE, None)
    window.editor.selectAll()
    with suggestion_ready(qtbot, window):
        window.suggesting.suggest("longer")
        # Typing while the model works: the original text changes under the suggestion.
        cursor = window.editor.textCursor()
        cursor.setPosition(0)
        window.editor.setTextCursor(cursor)
        qtbot.keyClicks(window.editor, "Note: ")
    before = window.editor.toPlainText()
    assert before == "Note: " + SAMPLE
    assert not window.suggesting.accept()
    assert window.editor.toPlainText() == before
    assert "changed while the suggestion was written" in window.suggestions.status.text()


def test_stop_reject_and_regenerate(qtbot, window):
    window.files.set_text(SAMPLE * 6, None)
    window.editor.selectAll()
    window.suggesting.suggest("longer")
    qtbot.waitUntil(lambda: window.suggestions.view.toPlainText() != "", timeout=30000)
    with qtbot.waitSignal(window.suggesting.sig_suggestion_ended, timeout=30000) as ended:
        window.suggesting.stop()
    assert ended.args == ["Stopped."] and window.suggestions.status.text() == "Stopped."
    assert window.editor.toPlainText() == SAMPLE * 6
    window.editor.selectAll()
    with suggestion_ready(qtbot, window):
        window.suggesting.suggest("formal")
    with suggestion_ready(qtbot, window):
        window.suggesting.regenerate()
    assert window.suggesting.pending.result is not None
    window.suggesting.reject()
    assert window.suggesting.pending is None and window.editor.toPlainText() == SAMPLE * 6


def test_title_marks_unsaved_changes_and_save_is_atomic(qtbot, window, tmp_path):
    path = tmp_path / "draft.md"
    window.files.set_text("# Draft\n", None)
    qtbot.keyClicks(window.editor, "More words")
    assert window.isWindowModified() and window.windowTitle().startswith("Untitled[*]")
    with qtbot.waitSignal(window.files.sig_saved, timeout=10000):
        window.files.save_to(path)
    assert path.read_text() == window.editor.toPlainText()
    assert not window.isWindowModified()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.md"]
    assert window.prefs.recent_files[0] == str(path)


def test_closing_with_unsaved_changes_asks(qtbot, window):
    qtbot.keyClicks(window.editor, "unsaved words")
    answer_next_dialog(QMessageBox.StandardButton.Cancel)
    window.close()
    assert window.isVisible()
    assert window.editor.toPlainText() == "unsaved words"


def test_open_and_import(qtbot, window, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Some notes.", encoding="utf-8")
    with qtbot.waitSignal(window.files.sig_opened, timeout=10000):
        window.files.open_path(path)
    assert window.editor.toPlainText() == "Some notes." and window.files.path == path
    fixture = Path(__file__).parent / "fixtures" / "harbour-libreoffice.docx"
    window.files.import_path(fixture)
    qtbot.waitUntil(lambda: window.editor.toPlainText().startswith("# Harbour Report"),
                    timeout=10000)


def test_a_failed_model_load_keeps_the_previous_model(qtbot, window, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_text("not a model")
    answer_next_dialog(QMessageBox.StandardButton.Ok)
    with qtbot.waitSignal(window.host.sig_load_failed, timeout=10000):
        window.models.load_model(str(bad))
    assert "bad.gguf: is not a GGUF model file" in window.model_label.toolTip()
    assert default_model.FILE_NAME in window.model_label.text()
    assert window.host.engine is not None
    assert window.host.engine.info.path.name == default_model.FILE_NAME


def test_autosave_is_offered_back_after_a_crash(tmp_path, writer_home):
    """Type in the real app, kill -9 it, start again: the text is offered back."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    code = ("import sys; from PySide6.QtWidgets import QApplication; "
            "from writer_app import settings, paths; "
            "from writer_app.ui.main_window import MainWindow; "
            "import writer_app.ui.files as f; f.AUTOSAVE_MS = 200; "
            "app = QApplication(sys.argv); "
            "w = MainWindow(settings.load(), paths.model_search_dirs(), load_model=False); "
            "w.show(); w.editor.insertPlainText('Words I must not lose.'); "
            "print('typed', flush=True); app.exec()")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "typed"
    deadline = time.time() + 20
    while file_ops.pending_recovery() is None and time.time() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    recovery = file_ops.pending_recovery()
    assert recovery is not None and recovery.text == "Words I must not lose."


def test_recovery_is_restored_in_the_window(qtbot):
    file_ops.autosave("Recovered words.", None)
    w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    qtbot.addWidget(w)
    answer_next_dialog(QMessageBox.StandardButton.Yes)
    assert w.offer_recovery()
    assert w.editor.toPlainText() == "Recovered words." and w.isWindowModified()
    w.editor.document().setModified(False)


def test_window_says_when_no_model_is_found(qtbot, tmp_path):
    w = MainWindow(Settings(), [tmp_path])
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: not w.host.loading, timeout=10000)
    assert w.model_label.text().startswith("No model: no model found")


def test_self_test_command():
    proc = subprocess.run([sys.executable, "-m", "writer_app", "self-test"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "undo restored it: OK" in proc.stdout


def test_a_model_llama_cpp_refuses_keeps_the_previous_model(qtbot, window, tmp_path):
    from .helpers import write_tiny_gguf

    tiny = tmp_path / "tiny.gguf"
    write_tiny_gguf(tiny)  # a valid GGUF header that llama.cpp cannot load
    window.models.load_model(str(tiny))
    assert window.model_label.text() == "Loading tiny.gguf…"
    assert window.busy.isVisible()
    answer_next_dialog(QMessageBox.StandardButton.Ok)
    qtbot.waitSignal(window.host.sig_load_failed, timeout=20000).wait()
    qtbot.waitUntil(lambda: "llama.cpp could not load" in window.model_label.toolTip(),
                    timeout=5000)
    assert window.host.engine.info.path.name == default_model.FILE_NAME


def test_status_bar_shows_tokens_per_second_while_generating(qtbot, window):
    window.files.set_text("The lighthouse keeper climbed the stairs as the storm came, and", None)
    window.editor.selectAll()
    # What the status bar was told, not what it shows at one instant: a short answer
    # shows its speed only briefly.
    shown: list[str] = []
    # (the window's own connection, made first, has set the label when this one runs)
    window.suggesting.sig_speed.connect(lambda _text: shown.append(window.speed_label.text()))
    with suggestion_ready(qtbot, window):
        window.suggesting.suggest("continue")
    speeds = [text for text in shown if text]
    assert speeds and all(text.endswith(" tokens/s") and float(text.split()[0]) > 0
                          for text in speeds), shown
    assert window.speed_label.text() == ""


def test_recent_files_menu(qtbot, window, tmp_path):
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(name)
        with qtbot.waitSignal(window.files.sig_opened, timeout=10000):
            window.files.open_path(tmp_path / name)
    entries = [a.text() for a in window.recent_menu.actions()]
    assert entries[:2] == [str(tmp_path / "b.md"), str(tmp_path / "a.md")]
    with qtbot.waitSignal(window.files.sig_opened, timeout=10000):
        window.recent_menu.actions()[1].trigger()
    assert window.editor.toPlainText() == "a.md" and window.files.path == tmp_path / "a.md"


def test_a_long_rewrite_shows_how_far_it_got(qtbot, window):
    """A long text's rewrite has the bar every long job has: the share written so far
    against the answer's expected length; a short one has none."""
    paragraph = ("The harbour was rebuilt after the storm, and the fishing boats came back "
                 "to land their catch on the new pier every morning before dawn. ")
    window.files.set_text("\n\n".join([paragraph * 3] * 4), None)
    window.editor.selectAll()
    bar = window.suggestions.bar
    shown: list[str] = []
    window.suggesting.suggest("rewrite")
    assert not bar.isHidden() and bar.value() == 0
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=120000)
    shown.append(bar.format())
    assert shown[0].startswith("Written ") and "of about" in shown[0]
    window.suggesting.stop()
    qtbot.waitUntil(lambda: not window.suggesting.running, timeout=30000)
    assert bar.isHidden()
    window.files.set_text("A short line to rewrite.", None)
    window.editor.selectAll()
    with suggestion_ready(qtbot, window):
        window.suggesting.suggest("rewrite")
        assert bar.isHidden()
