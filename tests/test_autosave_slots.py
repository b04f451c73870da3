"""Each running Writer autosaves into a slot of its own, under a lock: two Writers never
clear each other's autosave, the slot of a Writer that died is offered at the next start,
a slot that cannot be read is set aside (never deleted) without stopping the window, and
the single autosave of earlier versions is moved into a slot and offered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QLockFile, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from writer_app import paths
from writer_app.settings import Settings
from writer_app.ui import file_ops

ROOT = Path(__file__).resolve().parent.parent
Button = QMessageBox.StandardButton


def slots() -> list[Path]:
    area = file_ops.autosave_dir()
    return sorted(p for p in area.iterdir() if p.is_dir()) if area.exists() else []


def slot_text(folder: Path) -> str:
    return (folder / file_ops.TEXT).read_text(encoding="utf-8")


def make_slot(text: str, path: str | None = None, saved: datetime | None = None) -> Path:
    """An orphaned slot, as a Writer that died leaves it."""
    folder = file_ops.autosave(text, Path(path) if path else None)
    if saved is not None:
        meta = {"saved": saved.isoformat(), "path": path}
        (folder / file_ops.META).write_text(json.dumps(meta), encoding="utf-8")
    return folder


class Dialogs:
    """Answers the message boxes that come up, in order, and keeps what each said; a box
    nobody planned for is answered with its escape button (and recorded, so a test that
    expected none fails rather than hangs)."""

    def __init__(self, *answers: Button) -> None:
        self.answers = list(answers)
        self.seen: list[str] = []
        self.buttons: list[set[Button]] = []
        self._last: QMessageBox | None = None
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._look)
        self.timer.start()

    def _look(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box is self._last or not box.isVisible():
            return
        self._last = box
        self.seen.append(f"{box.windowTitle()}: {box.text()} {box.informativeText()}")
        self.buttons.append({box.standardButton(b) for b in box.buttons()})
        if self.answers:
            box.button(self.answers.pop(0)).click()
        else:
            box.escapeButton().click()

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture
def windows(qtbot):
    """Makes main windows (as separate Writers would be); closes them, text dropped."""
    from writer_app.ui.main_window import MainWindow

    made = []

    def make():
        w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        if w.isVisible():
            w.editor.document().setModified(False)
            w.close()


def type_and_autosave(qtbot, w, text: str) -> None:
    w.editor.insertPlainText(text)
    w.files.autosave()
    qtbot.waitUntil(lambda: not w.files.autosaving, timeout=10000)


def start(qtbot, windows, *answers: Button):
    """A Writer starting, as app.py starts it: (window, restored?, dialogs seen)."""
    w = windows()
    dialogs = Dialogs(*answers)
    try:
        restored = w.offer_recovery()
    finally:
        dialogs.stop()
    return w, restored, dialogs


# --- locks ---------------------------------------------------------------------------------
def test_a_second_lock_object_in_the_same_process_cannot_take_a_held_lock(tmp_path):
    first, second = QLockFile(str(tmp_path / "a.lock")), QLockFile(str(tmp_path / "a.lock"))
    for lock in (first, second):
        lock.setStaleLockTime(0)
    assert first.tryLock(0)
    assert not second.tryLock(0)  # what lets one process stand in for two Writers
    first.unlock()
    assert second.tryLock(0)
    second.unlock()


def test_two_slots_keep_their_own_text_and_clear_only_their_own():
    first, second = file_ops.AutosaveSlot(), file_ops.AutosaveSlot()
    assert first.write("The first Writer's words.", None, edit=1)
    assert second.write("The second Writer's words.", Path("/notes/b.md"), edit=1)
    assert first.folder != second.folder
    assert slot_text(first.folder) == "The first Writer's words."
    assert slot_text(second.folder) == "The second Writer's words."
    assert file_ops.take_orphans().orphans == []  # both held: nobody else may touch them
    first.clear()
    assert not first.folder.exists()
    assert slot_text(second.folder) == "The second Writer's words."
    second.clear()
    assert slots() == []


def test_two_windows_each_keep_their_own_autosave(qtbot, windows):
    one, two = windows(), windows()
    type_and_autosave(qtbot, one, "Typed in the first window.")
    type_and_autosave(qtbot, two, "Typed in the second window.")
    assert sorted(slot_text(s) for s in slots()) == ["Typed in the first window.",
                                                     "Typed in the second window."]
    # A third Writer starting now offers neither: both Writers run.
    _, restored, dialogs = start(qtbot, windows)
    assert not restored and dialogs.seen == []
    # Closing one (its text discarded) clears its own slot only.
    dialogs = Dialogs(Button.Discard)
    one.close()
    qtbot.waitUntil(lambda: not one.isVisible(), timeout=10000)
    dialogs.stop()
    assert [slot_text(s) for s in slots()] == ["Typed in the second window."]


# --- orphans -------------------------------------------------------------------------------
DIES = """
import sys, time
from pathlib import Path
from writer_app.ui import file_ops
slot = file_ops.AutosaveSlot()
slot.write("Words of a Writer that died.", Path("/notes/died.md"), edit=3)
print(slot.folder, flush=True)
time.sleep(600)
"""


def test_the_slot_of_a_writer_killed_is_offered_at_the_next_start(qtbot, windows):
    proc = subprocess.Popen([sys.executable, "-c", DIES], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        folder = Path(proc.stdout.readline().strip())
        assert slot_text(folder) == "Words of a Writer that died."
        assert file_ops.take_orphans().orphans == []  # alive: left alone
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert folder.with_name(folder.name + ".lock").exists()  # the dead Writer's lock is left
    w, restored, dialogs = start(qtbot, windows, Button.Yes)
    assert restored and "died.md" in dialogs.seen[0]
    assert w.editor.toPlainText() == "Words of a Writer that died."
    assert w.files.path == Path("/notes/died.md") and w.files.is_modified()
    # The slot is this Writer's now: still on disk, and no other Writer offers it.
    assert slot_text(folder) == "Words of a Writer that died."
    assert file_ops.take_orphans().orphans == []


def test_a_restored_text_saved_leaves_no_slot(qtbot, windows, tmp_path):
    folder = make_slot("Recovered, then saved.")
    w, restored, _ = start(qtbot, windows, Button.Yes)
    assert restored
    with qtbot.waitSignal(w.files.sig_saved, timeout=10000):
        w.files.save_to(tmp_path / "saved.md")
    qtbot.waitUntil(lambda: not folder.exists(), timeout=10000)
    assert (tmp_path / "saved.md").read_text(encoding="utf-8") == "Recovered, then saved."


def test_each_orphan_is_asked_about_newest_first(qtbot, windows):
    now = datetime.now(timezone.utc)
    make_slot("Oldest words.", "/notes/oldest.md", now - timedelta(hours=2))
    newest = make_slot("Newest words.", "/notes/newest.md", now)
    middle = make_slot("Middle words.", "/notes/middle.md", now - timedelta(hours=1))
    w, restored, dialogs = start(qtbot, windows, Button.Yes, Button.Ignore, Button.Discard)
    assert restored and w.editor.toPlainText() == "Newest words."
    assert ["newest.md" in dialogs.seen[0], "middle.md" in dialogs.seen[1],
            "oldest.md" in dialogs.seen[2]] == [True, True, True]
    # Once one is in the editor the others cannot be restored over it: Discard or Later.
    assert Button.Yes in dialogs.buttons[0]
    assert dialogs.buttons[1] == dialogs.buttons[2] == {Button.Discard, Button.Ignore}
    # Restored: adopted; Later: kept and free; Discarded: gone.
    assert sorted(slots()) == sorted([newest, middle])
    later = file_ops.take_orphans().orphans
    assert [o.recovery.text for o in later] == ["Middle words."]
    later[0].release()


def test_discard_removes_the_slot_and_later_keeps_it(qtbot, windows):
    folder = make_slot("Maybe later.")
    _, restored, _ = start(qtbot, windows, Button.Ignore)
    assert not restored and slot_text(folder) == "Maybe later."
    _, restored, _ = start(qtbot, windows, Button.Discard)
    assert not restored and slots() == []
    assert not folder.with_name(folder.name + ".lock").exists()


def test_an_empty_slot_is_removed_without_a_word(qtbot, windows):
    make_slot("")
    _, restored, dialogs = start(qtbot, windows)
    assert not restored and dialogs.seen == [] and slots() == []


# --- slots that cannot be read -------------------------------------------------------------
TEXT_OK = "Words in a slot whose metadata is broken."
BAD = {
    "a list": (b"[]", TEXT_OK, "not a JSON object"),
    "null": (b"null", TEXT_OK, "not a JSON object"),
    "a bad date": (b'{"saved": "not a date", "path": null}', TEXT_OK, "not a date"),
    "a number for a date": (b'{"saved": 5, "path": null}', TEXT_OK, "its date is int"),
    "no date": (b'{"path": null}', TEXT_OK, "its date is null"),
    "no path": (b'{"saved": "2024-05-01T10:00:00+00:00"}', TEXT_OK, "no file path"),
    "a number for a path": (b'{"saved": "2024-05-01T10:00:00", "path": 7}', TEXT_OK,
                            "its file path is int"),
    "binary garbage": (bytes(range(256)) * 4, TEXT_OK, "not JSON"),
    "deep nesting": (b"[" * 30_000, TEXT_OK, "not JSON"),  # past the recursion limit
    "too large": (b" " * 100_000, TEXT_OK, "too large"),
    "no text file": (b'{"saved": "2024-05-01T10:00:00+00:00", "path": null}', None,
                     "text file is missing"),
    "text not UTF-8": (b'{"saved": "2024-05-01T10:00:00+00:00", "path": null}',
                       b"\xff\xfe\x00garbage", "not UTF-8"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_slot_that_cannot_be_read_is_set_aside_and_the_window_starts(qtbot, windows, case):
    meta, text, reason = BAD[case]
    folder = file_ops.autosave_dir() / ("ab" * 16)
    folder.mkdir(parents=True)
    (folder / file_ops.META).write_bytes(meta)
    if text is not None:
        data = text.encode() if isinstance(text, str) else text
        (folder / file_ops.TEXT).write_bytes(data)
    good = make_slot("A good slot beside it.")
    w, restored, dialogs = start(qtbot, windows, Button.Ok, Button.Yes)
    assert restored and w.editor.toPlainText() == "A good slot beside it."
    aside = [p for p in file_ops.autosave_dir().iterdir() if ".bad-" in p.name]
    assert len(aside) == 1 and aside[0].name.startswith(folder.name + ".bad-")
    assert not folder.exists() and (aside[0] / file_ops.META).read_bytes() == meta  # kept
    assert dialogs.seen[0].startswith("Autosave set aside")
    assert str(aside[0]) in dialogs.seen[0] and reason in dialogs.seen[0]
    assert good.exists()  # adopted by the window
    # The next start asks about it no more.
    _, restored, dialogs = start(qtbot, windows)
    assert not restored and dialogs.seen == []


def test_a_text_without_metadata_is_still_offered(qtbot, windows):
    folder = make_slot("Only the text survived.")
    (folder / file_ops.META).unlink()
    w, restored, _ = start(qtbot, windows, Button.Yes)
    assert restored and w.editor.toPlainText() == "Only the text survived."
    assert w.files.path is None


# --- the single autosave of earlier versions -------------------------------------------
def legacy(text: str | None, meta: bytes | None) -> Path:
    area = file_ops.autosave_dir()
    area.mkdir(parents=True)
    if text is not None:
        (area / "unsaved.txt").write_text(text, encoding="utf-8")
    if meta is not None:
        (area / "unsaved.json").write_bytes(meta)
    return area


def test_the_autosave_of_an_earlier_version_is_moved_and_offered(qtbot, windows):
    area = legacy("Words from before slots.", b'{"path": "/notes/old.md"}')
    w, restored, dialogs = start(qtbot, windows, Button.Yes)
    assert restored and "old.md" in dialogs.seen[0]
    assert w.editor.toPlainText() == "Words from before slots."
    assert w.files.path == Path("/notes/old.md")
    assert not (area / "unsaved.txt").exists() and not (area / "unsaved.json").exists()
    [folder] = slots()
    assert slot_text(folder) == "Words from before slots."


def test_an_earlier_autosave_without_a_file_name_or_metadata(qtbot, windows):
    legacy("Untitled words from before.", b'{"path": ""}')
    w, restored, _ = start(qtbot, windows, Button.Yes)
    assert restored and w.files.path is None
    w.editor.document().setModified(False)
    legacy_text_only = file_ops.autosave_dir() / "unsaved.txt"
    legacy_text_only.write_text("Only the text, from before.", encoding="utf-8")
    w, restored, _ = start(qtbot, windows, Button.Yes)
    assert restored and w.editor.toPlainText() == "Only the text, from before."


def test_an_earlier_autosave_with_broken_metadata_is_set_aside_whole(qtbot, windows):
    legacy("Words behind a broken file.", b"[]")
    _, restored, dialogs = start(qtbot, windows, Button.Ok)
    assert not restored and "not a JSON object" in dialogs.seen[0]
    [aside] = [p for p in file_ops.autosave_dir().iterdir() if ".bad-" in p.name]
    assert (aside / file_ops.TEXT).read_text(encoding="utf-8") == "Words behind a broken file."


def test_pending_recovery_reads_without_taking_anything():
    assert file_ops.pending_recovery() is None
    now = datetime.now(timezone.utc)
    make_slot("Older.", None, now - timedelta(minutes=5))
    make_slot("Newer.", "/notes/n.md", now)
    found = file_ops.pending_recovery()
    assert found is not None and found.text == "Newer." and found.path == Path("/notes/n.md")
    orphans = file_ops.take_orphans().orphans  # nothing was locked by the read
    assert [o.recovery.text for o in orphans] == ["Newer.", "Older."]
    for orphan in orphans:
        orphan.release()
