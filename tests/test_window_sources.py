"""What can be summarized from the window: files and links dropped on the editor, a web
address typed in the pane, the writer's own text. Real default model, real Qt drops."""

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from writer_app.documents.model import Document

from .helpers import answer_next_dialog, drop_on

FIXTURES = Path(__file__).parent / "fixtures"


def files(*paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def link(address):
    mime = QMimeData()  # what a browser gives for a dragged link
    mime.setUrls([QUrl(address)])
    mime.setText(address)
    return mime


def wait_idle(qtbot, window, summaries, count):
    qtbot.waitUntil(lambda: len(summaries) == count and not window.summary.busy,
                    timeout=120000)


def test_a_file_dropped_on_the_editor_is_summarized_not_typed_in(qtbot, window, summaries):
    window.files.set_text("My draft.", None)
    assert drop_on(window.editor.viewport(), files(FIXTURES / "harbour.html"))
    qtbot.waitUntil(window.summary_dock.isVisible)
    wait_idle(qtbot, window, summaries, 1)
    assert window.editor.toPlainText() == "My draft."  # no "file://…" in the writing
    assert summaries[0][0] == FIXTURES / "harbour.html"
    assert window.summary.output.toPlainText().strip()


def test_text_dropped_on_the_editor_is_still_inserted(window):
    window.files.set_text("", None)
    mime = QMimeData()
    mime.setText("dropped words")
    assert drop_on(window.editor.viewport(), mime)
    assert window.editor.toPlainText() == "dropped words"
    assert not window.summary.busy


def test_a_dropped_link_is_summarized_after_the_user_agrees(qtbot, window, web_server, summaries):
    window.files.set_text("My draft.", None)
    answer_next_dialog(QMessageBox.StandardButton.Yes)  # "Download and summarize"
    assert drop_on(window.editor.viewport(), link(web_server + "harbour.html"))
    wait_idle(qtbot, window, summaries, 1)
    assert summaries[0][0] == web_server + "harbour.html"
    assert "summarized 1 part" in window.summary.progress.text()
    assert window.summary.output.toPlainText().strip()
    assert window.editor.toPlainText() == "My draft."


def test_a_dropped_link_can_be_inserted_instead_where_it_was_dropped(qtbot, window,
                                                                     web_server, summaries):
    window.files.set_text("is the page.", None)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    at_start = window.editor.textCursor()
    at_start.setPosition(0)
    start = window.editor.cursorRect(at_start).topLeft()
    answer_next_dialog(QMessageBox.StandardButton.No)  # "Insert the link"
    assert drop_on(window.editor.viewport(), link(web_server + "harbour.html"),
                   start + QPoint(0, 4))
    qtbot.waitUntil(lambda: window.editor.toPlainText() == (
        web_server + "harbour.htmlis the page."))
    assert not window.summary.busy and not summaries


def test_a_broken_web_page_shows_the_address_and_the_reason(qtbot, window, web_server):
    window.summary.address.setText(web_server + "missing.html")
    window.summary.address.returnPressed.emit()
    qtbot.waitUntil(lambda: not window.summary.busy, timeout=30000)
    assert window.summary.progress.text() == (
        f"{web_server}missing.html: the server answered 404 File not found")
    window.summary.address.setText("not an address")
    window.summary.address.returnPressed.emit()
    assert "not a web address" in window.summary.progress.text()


def test_stop_during_a_download(qtbot, window, web_server):
    window.summary.add([web_server + "slow"])
    qtbot.waitUntil(lambda: window.summary.progress.text() == "Downloading the page…")
    qtbot.wait(300)
    window.summary.stop_button.click()
    qtbot.waitUntil(lambda: not window.summary.busy, timeout=10000)
    assert window.summary.progress.text() == "Stopped."


def test_summarize_my_text_takes_the_selection(qtbot, window, summaries):
    text = ("The harbour was very busy this year. Ships came from the north and the south, "
            "and the fishermen sold more fish than ever.\n\nUnrelated closing paragraph.")
    window.files.set_text(text, None)
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(text.index("\n\n"), cursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    window.summary.own_button.click()
    wait_idle(qtbot, window, summaries, 1)
    source = summaries[0][0]
    assert isinstance(source, Document) and source.title == "The selection"
    assert "Unrelated" not in source.text() and "fishermen" in source.text()
    assert window.summary.output.toPlainText().strip()
    assert window.editor.toPlainText() == text


def test_cancel_drops_the_rest_of_a_drop_and_links_are_asked_once(qtbot, window, web_server,
                                                                    summaries):
    mime = QMimeData()
    mime.setUrls([QUrl(web_server + "harbour.html"), QUrl(web_server + "harbour.html"),
                  QUrl.fromLocalFile(str(FIXTURES / "harbour.html"))])
    asked = answer_next_dialog(QMessageBox.StandardButton.Cancel)
    assert drop_on(window.editor.viewport(), mime)
    qtbot.waitUntil(lambda: len(asked) == 1)
    qtbot.wait(300)
    assert len(asked) == 1
    assert not window.summary.busy and not summaries


def test_a_dropped_model_link_opens_the_download_dialog(qtbot, window, web_server):
    address = web_server + "models/Some-Model.Q4_K_M.gguf"
    assert drop_on(window.editor.viewport(), link(address))
    qtbot.waitUntil(lambda: window.models.download_dialog is not None
                    and window.models.download_dialog.isVisible())
    assert window.models.download_dialog.link.text() == address
    assert not window.models.download_dialog.running  # the user presses Download
    window.models.download_dialog.close()


def test_a_mailto_link_does_not_hide_the_files_beside_it(qtbot, window, summaries):
    mime = files(FIXTURES / "harbour.html")
    mime.setUrls([QUrl("mailto:someone@example.org"), *mime.urls()])
    window.files.set_text("Draft.", None)
    assert drop_on(window.editor.viewport(), mime)
    wait_idle(qtbot, window, summaries, 1)
    assert window.editor.toPlainText() == "Draft."


def test_a_copied_link_can_still_be_pasted(window):
    clipboard = QGuiApplication.clipboard()
    clipboard.setMimeData(link("https://example.org/page"))  # the clipboard owns it now
    window.files.set_text("", None)
    assert window.editor.canPaste()
    window.editor.paste()
    assert window.editor.toPlainText() == "https://example.org/page"
    clipboard.clear()  # Qt frees the data now, not after Python's wrapper is gone at exit


def test_what_is_added_after_stop_is_still_summarized(qtbot, window, web_server, summaries):
    window.summary.add([web_server + "silent"])
    qtbot.waitUntil(lambda: window.summary.busy)
    window.summary.stop()
    window.summary.add([FIXTURES / "harbour.html"])
    wait_idle(qtbot, window, summaries, 1)
    assert summaries[0][0] == FIXTURES / "harbour.html"
