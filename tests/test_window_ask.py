"""Asking the summarized document from the summary pane, with the real default model:
the answer and its citations; a citation opens its passage, or, for the writer's own
text, moves the cursor to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl

from writer_app import paths
from writer_app.settings import Settings
from writer_app.tasks.ask import DOES_NOT_SAY
from writer_app.ui.main_window import MainWindow

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def window(qtbot):
    w = MainWindow(Settings(ghost_text="off"), paths.model_search_dirs())
    w.show()
    qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading, timeout=60000)
    yield w
    w.summary.stop()
    w.summary.ask_box.stop()
    w.editor.document().setModified(False)
    w.close()
    w.deleteLater()


def ask(qtbot, box, question):
    box.question.setText(question)
    box.ask_button.click()
    qtbot.waitUntil(lambda: box.result is not None, timeout=120000)
    return box.result


def test_a_dropped_document_is_asked_and_a_citation_opens_its_passage(qtbot, window):
    pane, box = window.summary, window.summary.ask_box
    assert not box.question.isEnabled()  # nothing to ask yet
    done: list = []
    pane.sig_summary_done.connect(lambda *_a: done.append(1))
    pane.add([FIXTURES / "harbour-libreoffice.docx"])
    qtbot.waitUntil(lambda: bool(done), timeout=120000)
    assert box.question.isEnabled()
    answer = ask(qtbot, box, "How much did container traffic grow?")
    assert answer.answer != DOES_NOT_SAY and answer.citations
    shown = box.answer.toPlainText()
    assert "Container traffic grew by a fifth" in shown and "Traffic" in shown
    i = next(i for i, c in enumerate(answer.citations) if "grew" in c.quote)
    box.answer.anchorClicked.emit(QUrl(f"cite:{i}"))
    assert "fishing boats held steady" in box.answer.toPlainText()  # the whole passage
    assert window.editor.toPlainText() == ""  # the editor is not touched
    assert ask(qtbot, box, "Who is the mayor of the town?").answer == DOES_NOT_SAY


def test_a_citation_of_my_own_text_moves_the_cursor_there(qtbot, window):
    text = ("# Garden\n\nThe roses bloom in June along the south wall.\n\n"
            "# Kitchen\n\nThe oven was replaced in March after it broke.\n")
    window.files.set_text(text, None)
    done: list = []
    window.summary.sig_summary_done.connect(lambda *_a: done.append(1))
    window.summary.summarize_own_text()
    qtbot.waitUntil(lambda: bool(done), timeout=120000)
    answer = ask(qtbot, window.summary.ask_box, "When was the oven replaced?")
    assert answer.citations and answer.citations[0].heading == "Kitchen"
    window.summary.ask_box.answer.anchorClicked.emit(QUrl("cite:0"))
    cursor = window.editor.textCursor()
    assert cursor.selectedText().startswith("The oven was replaced")
    assert cursor.selectionStart() == text.index("The oven")
