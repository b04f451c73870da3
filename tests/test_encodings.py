"""Text files in legacy encodings: read right, or read with a note and chosen by the user
(File > Reopen with Encoding, `--encoding`), and saved back in the encoding they came in.

The texts are ordinary files with ASCII rules and letter-spaced titles, written in UTF-8
under tests/fixtures/legacy and encoded here, as iconv would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from writer_app.documents.loader import load_document
from writer_app.documents.model import DocumentError
from writer_app.documents.text import decode_text

from .helpers import answer_next_dialog

LEGACY = Path(__file__).parent / "fixtures" / "legacy"
FILES = [("french", "latin-1", "cp1252"), ("russian", "cp1251", "cp1251"),
         ("chinese", "big5", "big5"), ("greek", "cp1253", "cp1253"),
         ("japanese", "shift_jis", "cp932")]


def legacy_file(folder: Path, name: str, encoding: str) -> tuple[Path, str]:
    text = (LEGACY / f"{name}.txt").read_text(encoding="utf-8")
    path = folder / f"{name}.txt"
    path.write_bytes(text.encode(encoding))
    return path, text


@pytest.mark.parametrize(("name", "encoding", "read_as"), FILES)
def test_legacy_texts_of_five_scripts_are_read_exactly(tmp_path, name, encoding, read_as):
    path, text = legacy_file(tmp_path, name, encoding)
    decoded = decode_text(path.read_bytes())
    assert decoded.text == text
    assert decoded.encoding == read_as
    assert f"read as {read_as}, a guess" in decoded.note
    doc = load_document(path)
    assert doc.notes == [decoded.note]
    assert doc.blocks[-1].text == " ".join(text.strip().split("\n\n")[-1].split())


def test_a_short_text_with_a_letter_spaced_title_is_read_as_western():
    """The Baltic code page fits this one with less noise; the common one wins."""
    text = "=" * 72 + "\nÉ T É   À   L A   M E R\n" + "=" * 72 + "\n\nLe maître d'école.\n"
    assert decode_text(text.encode("latin-1")).text == text


def test_the_encoding_the_user_names_wins(tmp_path):
    path, text = legacy_file(tmp_path, "greek", "iso8859-7")
    assert load_document(path, encoding="iso8859-7").text().split()[-1] == text.split()[-1]
    assert load_document(path, encoding="iso8859-7").notes == []
    with pytest.raises(DocumentError) as err:
        load_document(path, encoding="klingon")
    assert str(err.value) == f"{path}: 'klingon' is not an encoding Writer knows"


def test_the_cli_takes_an_encoding_and_says_when_it_guessed(tmp_path):
    path, text = legacy_file(tmp_path, "greek", "cp1253")
    run = [sys.executable, "-m", "writer_app", "extract"]
    guessed = subprocess.run([*run, str(path)], capture_output=True, text=True)
    assert guessed.returncode == 0
    assert "read as cp1253, a guess" in guessed.stderr
    chosen = subprocess.run([*run, "--encoding", "iso8859-7", str(path)], capture_output=True,
                            text=True)
    assert chosen.returncode == 0 and chosen.stderr == ""
    assert chosen.stdout.split()[-1] == text.split()[-1]
    bad = subprocess.run([*run, "--encoding", "klingon", str(path)], capture_output=True,
                         text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip() == (f"writer-app: error: {path}: 'klingon' is not an encoding "
                                  "Writer knows")




def open_in(qtbot, w, path, **kwargs):
    with qtbot.waitSignal(w.files.sig_opened, timeout=10000):
        w.files.open_path(path, **kwargs)


def choose_in_next_input_dialog(label: str) -> None:
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            dialog.setTextValue(label)
            dialog.accept()
        else:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(20, answer)


def test_the_window_reads_reopens_and_saves_in_the_files_encoding(qtbot, bare_window, tmp_path):
    w = bare_window
    path, text = legacy_file(tmp_path, "russian", "cp1251")
    with qtbot.waitSignal(w.files.sig_status) as status:
        open_in(qtbot, w, path)
    assert w.editor.toPlainText() == text
    assert "read as cp1251, a guess" in status.args[0]
    # It stays in sight beside the word count, with how to change it.
    assert w.encoding_label.text() == "cp1251 (guessed)"
    assert "Reopen with Encoding" in w.encoding_label.toolTip()
    # Reopened as KOI8-R (wrong for this file): the letters change, the file does not.
    choose_in_next_input_dialog("KOI8-R (Cyrillic)")
    with qtbot.waitSignal(w.files.sig_opened, timeout=10000):
        next(a for a in w.file_menu.actions() if "Encoding" in a.text()).trigger()
    assert w.editor.toPlainText() != text and w.files.encoding == "koi8-r"
    assert w.encoding_label.text() == "koi8-r"  # chosen, not guessed
    open_in(qtbot, w, path, encoding="cp1251")
    assert w.editor.toPlainText() == text
    # Edited and saved: still Windows-1251 on disk.
    w.editor.moveCursor(w.editor.textCursor().MoveOperation.End)
    w.editor.insertPlainText("Конец.\n")
    with qtbot.waitSignal(w.files.sig_saved, timeout=10000):
        w.files.save()
    assert path.read_bytes().decode("cp1251") == text + "Конец.\n"


def test_a_character_the_files_encoding_lacks_is_refused_by_name(qtbot, bare_window, tmp_path):
    w = bare_window
    path, text = legacy_file(tmp_path, "russian", "cp1251")
    open_in(qtbot, w, path)
    w.editor.insertPlainText("漢")
    message = warning_after(qtbot, w.files.save)
    assert message.startswith(f"{path}: could not be saved: the text holds a character "
                              "cp1251 cannot store ('漢', at position 0)")
    assert path.read_bytes() == text.encode("cp1251")


def warning_after(qtbot, act) -> str:
    """The text of the warning `act` shows (it is dismissed)."""
    seen = answer_next_dialog(QMessageBox.StandardButton.Ok)
    act()
    qtbot.waitUntil(lambda: bool(seen), timeout=10000)
    return seen[0]


def test_opening_a_fifo_or_a_device_is_refused_without_waiting(qtbot, bare_window, tmp_path):
    w = bare_window
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert warning_after(qtbot, lambda: w.files.open_path(fifo)) == \
        f"{fifo}: is not a regular file"
    assert warning_after(qtbot, lambda: w.files.open_path(Path("/dev/zero"))) == \
        "/dev/zero: is not a regular file"
