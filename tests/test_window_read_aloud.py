"""Assist → Read aloud in the window, on a real sound server (PulseAudio, null sink): the
sentence heard is highlighted, from the cursor on; Pause holds it, Resume goes on, Stop
clears it; without a sound output the bar says why."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextCursor

from writer_app import paths
from writer_app.settings import Settings
from writer_app.ui.main_window import MainWindow

from .sound import need_espeak, sound_server

TEXT = ("Skipped \U0001F600 before the cursor. The harbour was busy this year. Container traffic "
        "grew by a fifth. The cafes were full.")


@pytest.fixture(scope="module")
def pulse():
    with sound_server() as server:
        yield server


@pytest.fixture
def window(qtbot):
    need_espeak()
    w = MainWindow(Settings(ghost_text="off", speech_rate=260), paths.model_search_dirs(),
                   load_model=False)
    w.show()
    w.files.set_text(TEXT, None)
    yield w
    w.reader.stop()
    w.editor.document().setModified(False)
    w.close()
    w.deleteLater()


def highlighted(window):
    selections = window.editor.extraSelections()
    return selections[0].cursor.selectedText() if selections else None


def read_aloud(window):
    action = next(a for a in window.assist_menu.actions() if a.text() == "Read &aloud")
    action.trigger()


def test_the_sentence_heard_is_highlighted_from_the_cursor(qtbot, window, pulse,
                                                            monkeypatch):
    monkeypatch.setenv("PULSE_SERVER", pulse)
    cursor = window.editor.textCursor()
    cursor.setPosition(TEXT.index("The harbour"))
    window.editor.setTextCursor(cursor)
    read_aloud(window)
    assert window.read_bar.isVisible() and window.reader.player is not None
    seen: list[str] = []

    def track():
        text = highlighted(window)
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        return len(seen) >= 2

    qtbot.waitUntil(track, timeout=20000)
    window.read_bar.pause_button.click()
    assert window.read_bar.pause_button.text() == "Resume"
    held = highlighted(window)
    qtbot.wait(600)
    assert highlighted(window) == held and window.reader.player.state == "paused"
    window.read_bar.pause_button.click()
    qtbot.waitUntil(lambda: track() and window.reader.player is None, timeout=20000)
    assert seen == ["The harbour was busy this year.", "Container traffic grew by a fifth.",
                    "The cafes were full."]
    assert highlighted(window) is None and not window.read_bar.isVisible()
    assert window.editor.textCursor().position() == TEXT.index("The harbour")  # not moved


def test_stop_clears_the_highlight_at_once(qtbot, window, pulse, monkeypatch):
    monkeypatch.setenv("PULSE_SERVER", pulse)
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    read_aloud(window)
    qtbot.waitUntil(lambda: highlighted(window) is not None, timeout=20000)
    player = window.reader.player
    window.read_bar.stop_button.click()
    assert player.state == "stopped" and player.wait(2.0)
    assert highlighted(window) is None and not window.read_bar.isVisible()


def test_without_a_sound_output_the_bar_says_why(qtbot, window):
    window.reader.device = "writer-no-such-device"  # an ALSA device nobody has
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    read_aloud(window)
    assert window.read_bar.isVisible() and window.reader.player is None
    assert "no sound output" in window.read_bar.label.text()
    assert not window.read_bar.stop_button.isVisible()
