"""Assist → Check tone in the window, with the real default model: a mark beside each
paragraph with its rating as tooltip, the overall line under the editor, a paragraph
edited afterwards losing its mark, Stop keeping the marks made, and Clear marks
stopping a check that runs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from writer_app import paths
from writer_app.settings import Settings
from writer_app.ui.main_window import MainWindow

TEXT = ("Thanks so much for the quick turnaround, I am really happy with it!\n\n"
        "The figures are wrong again. Fix them today.\n\n"
        "The meeting is at ten in room four.\n")


@pytest.fixture
def window(qtbot):
    w = MainWindow(Settings(ghost_text="off"), paths.model_search_dirs())
    w.show()
    qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading, timeout=60000)
    w.files.set_text(TEXT, None)
    yield w
    w.tone.stop()
    qtbot.waitUntil(lambda: w.tone.job is None, timeout=60000)
    w.editor.document().setModified(False)
    w.close()
    w.deleteLater()


def check(qtbot, window):
    action = next(a for a in window.assist_menu.actions() if a.text() == "Check &tone")
    action.trigger()
    qtbot.waitUntil(lambda: window.tone.job is None, timeout=120000)


def test_each_paragraph_is_marked_and_the_overall_line_shown(qtbot, window):
    check(qtbot, window)
    tone = window.tone
    assert len(tone.marks) == 3 and tone.margin.isVisible()
    spans = [m.span for m in tone.marks]
    assert [TEXT[a:b] for a, b in spans] == TEXT.strip().split("\n\n")
    assert window.tone_bar.isVisible()
    assert window.tone_bar.label.text() == f"Tone: {tone_overall(tone)}"
    rows = tone.margin.rows()
    assert len(rows) == 3 and rows[0][0].bottom() < rows[1][0].top()  # one bar each
    rect, mark = rows[1]
    at = QPoint(4, rect.center().y())
    QApplication.sendEvent(tone.margin, QHelpEvent(QEvent.Type.ToolTip, at,
                                                   tone.margin.mapToGlobal(at)))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert QToolTip.text().startswith(mark.rating.sentiment.capitalize() + ", ")
    assert mark.rating.reason in QToolTip.text()


def tone_overall(tone):
    from writer_app.tasks.tone import overall

    return overall([m.rating for m in tone.marks])


def test_an_edited_paragraph_loses_its_mark(qtbot, window):
    check(qtbot, window)
    tone = window.tone
    end = tone.marks[1].span[1]
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(end)
    cursor.insertText(" Please.")  # typed at the end of the second paragraph
    assert len(tone.marks) == 2
    assert [window.editor.toPlainText()[a:b] for a, b in (m.span for m in tone.marks)] == \
        [TEXT.split("\n\n")[0], TEXT.split("\n\n")[2].strip()]
    assert "(edited paragraphs unmarked)" in window.tone_bar.label.text()
    # Typing into the first paragraph takes its mark too.
    cursor.setPosition(3)
    cursor.insertText("x")
    assert len(tone.marks) == 1
    window.tone_bar.clear_button.click()
    assert not tone.marks and not tone.margin.isVisible() and not window.tone_bar.isVisible()


def test_stop_keeps_the_marks_made(qtbot, window):
    tone = window.tone
    tone.check()
    qtbot.waitUntil(lambda: len(tone.marks) >= 1, timeout=60000)
    tone.stop()
    qtbot.waitUntil(lambda: tone.job is None, timeout=60000)
    assert 1 <= len(tone.marks) <= 3
    assert window.tone_bar.label.text().startswith("Tone: ")
    if len(tone.marks) < 3:
        assert window.tone_bar.label.text().endswith("(stopped)")


def test_clear_marks_while_checking_stops_the_check(qtbot, window):
    tone = window.tone
    tone.check()
    qtbot.waitUntil(lambda: len(tone.marks) >= 1, timeout=60000)
    window.tone_bar.clear_button.click()
    qtbot.waitUntil(lambda: tone.job is None, timeout=60000)
    assert not tone.marks and not tone.margin.isVisible() and not window.tone_bar.isVisible()
    tone.check()  # a new check starts afresh and marks every paragraph
    qtbot.waitUntil(lambda: tone.job is None, timeout=120000)
    assert len(tone.marks) == 3 and window.tone_bar.isVisible()


def test_a_paragraph_edited_while_it_is_rated_gets_no_stale_mark(qtbot, window):
    # An emoji (two UTF-16 units in Qt) before the text: marks stay on their paragraphs.
    window.files.set_text("\U0001F600 " + TEXT, None)
    tone = window.tone
    tone.check()
    found = window.editor.document().find("room four")
    found.insertText("the big room")  # the last paragraph changes before it is rated
    qtbot.waitUntil(lambda: tone.job is None, timeout=120000)
    text = window.editor.toPlainText()
    units = text.encode("utf-16-le")

    def chars(position):  # a Qt position (UTF-16 units) as a Python index
        return len(units[:2 * position].decode("utf-16-le"))

    shown = [text[chars(a):chars(b)] for a, b in (m.span for m in tone.marks)]
    first, second = TEXT.split("\n\n")[:2]
    assert shown == ["\U0001F600 " + first, second]
