"""Saving keeps the user's file the user's file, on the real filesystem: its mode, owner and
extended attributes; a symlink stays a link and its target gets the text; every name of a
hard-linked file sees the text; a write that fails leaves the file as it was."""

from __future__ import annotations

import errno
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.errors import WriterError
from writer_app.filecheck import write_atomically
from writer_app.ui import file_ops

ROOT = Path(__file__).resolve().parent.parent
OLD = "The old text, which must survive a failed save.\n"
NEW = "The new text.\n"
UNENCODABLE = "Half a pair: \ud800 and nothing after."  # a lone surrogate: no UTF-8 for it


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def names_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.fixture
def umask():
    """Sets the process umask for the test, then puts the old one back."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.parametrize("mode", [0o664, 0o640, 0o600, 0o444])
def test_the_mode_of_a_file_is_kept(tmp_path, mode):
    path = tmp_path / "notes.md"
    path.write_text(OLD)
    os.chmod(path, mode)
    write_atomically(path, NEW)
    assert path.read_text() == NEW
    assert mode_of(path) == mode
    assert names_in(tmp_path) == {"notes.md"}  # no temporary file left


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_a_new_file_gets_what_any_editor_gives_it(tmp_path, umask, mask):
    umask(mask)
    path = tmp_path / "new.md"
    write_atomically(path, NEW)
    assert mode_of(path) == 0o666 & ~mask  # not the 0600 of a temporary file


def test_a_symlink_stays_a_link_and_its_target_gets_the_text(tmp_path):
    target = tmp_path / "real" / "notes.md"
    target.parent.mkdir()
    target.write_text(OLD)
    os.chmod(target, 0o664)
    link = tmp_path / "link.md"
    link.symlink_to(target)  # absolute
    write_atomically(link, NEW)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == NEW and mode_of(target) == 0o664
    assert names_in(tmp_path) == {"real", "link.md"}
    assert names_in(target.parent) == {"notes.md"}


def test_a_relative_symlink_and_a_chain_of_them(tmp_path):
    (tmp_path / "docs").mkdir()
    target = tmp_path / "docs" / "notes.md"
    target.write_text(OLD)
    middle = tmp_path / "docs" / "current.md"
    middle.symlink_to("notes.md")  # relative, in the target's folder
    first = tmp_path / "draft.md"
    first.symlink_to("docs/current.md")  # relative, to another link
    write_atomically(first, NEW)
    assert os.readlink(first) == "docs/current.md" and os.readlink(middle) == "notes.md"
    assert target.read_text() == NEW
    assert not target.is_symlink()


def test_a_dangling_symlink_gets_its_target_made(tmp_path):
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "later.md")
    write_atomically(link, NEW)
    assert link.is_symlink() and (tmp_path / "later.md").read_text() == NEW


def test_a_symlink_to_a_missing_folder_is_refused_and_left_alone(tmp_path):
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "gone" / "notes.md")
    with pytest.raises(FileNotFoundError, match="gone"):
        write_atomically(link, NEW)
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_a_symlink_loop_is_refused_and_left_alone(tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(OSError) as raised:
        write_atomically(a, NEW)
    assert raised.value.errno == errno.ELOOP
    assert a.is_symlink() and b.is_symlink()


def test_every_name_of_a_hard_linked_file_sees_the_text(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(OLD * 100)  # longer than the new text: the rest is cut off
    os.chmod(path, 0o640)
    other = tmp_path / "other-name.md"
    os.link(path, other)
    inode = os.stat(path).st_ino
    write_atomically(path, NEW)
    assert path.read_text() == NEW and other.read_text() == NEW
    assert os.stat(path).st_ino == inode and os.stat(path).st_nlink == 2
    assert mode_of(path) == 0o640
    assert names_in(tmp_path) == {"notes.md", "other-name.md"}  # the backup is gone


def test_extended_attributes_are_kept(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(OLD)
    try:
        os.setxattr(path, "user.test", b"kept")
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            pytest.skip(f"the filesystem of {tmp_path} takes no user xattrs")
        raise
    write_atomically(path, NEW)
    assert path.read_text() == NEW
    assert os.getxattr(path, "user.test") == b"kept"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_the_owner_is_kept(tmp_path):
    nobody = pwd.getpwnam("nobody")
    path = tmp_path / "notes.md"
    path.write_text(OLD)
    os.chown(path, nobody.pw_uid, nobody.pw_gid)
    os.chmod(path, 0o664)
    write_atomically(path, NEW)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    assert path.read_text() == NEW and mode_of(path) == 0o664


@pytest.mark.parametrize("hard_linked", [False, True], ids=["rename", "in-place"])
def test_a_text_that_cannot_be_encoded_changes_nothing(tmp_path, hard_linked):
    path = tmp_path / "notes.md"
    path.write_text(OLD)
    if hard_linked:
        os.link(path, tmp_path / "other.md")
    before = names_in(tmp_path)
    with pytest.raises(UnicodeEncodeError):
        write_atomically(path, UNENCODABLE)
    assert path.read_text() == OLD and names_in(tmp_path) == before
    # The editor's save says so in words, naming the file.
    with pytest.raises(WriterError, match=r"notes\.md: could not be saved: .*UTF-8"):
        file_ops.write_atomically(path, UNENCODABLE)


# A write that fails midway, as on a full disk: a child Python whose files may not grow past
# 4 KiB (RLIMIT_FSIZE; with SIGXFSZ ignored a write past it fails with EFBIG).
MIDWAY = """
import resource, signal, sys
from pathlib import Path
from writer_app.filecheck import write_atomically
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    write_atomically(Path(sys.argv[1]), "x" * 100_000)
except OSError as exc:
    print("failed:", exc.errno, exc)
else:
    print("written")
"""


@pytest.mark.parametrize("hard_linked", [False, True], ids=["rename", "in-place"])
def test_a_write_that_fails_midway_leaves_the_old_text(tmp_path, hard_linked):
    path = tmp_path / "notes.md"
    path.write_text(OLD)
    os.chmod(path, 0o664)
    other = tmp_path / "other.md"
    if hard_linked:
        os.link(path, other)
    inode = os.stat(path).st_ino
    before = names_in(tmp_path)
    out = subprocess.run([sys.executable, "-c", MIDWAY, str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith(f"failed: {errno.EFBIG}"), out.stdout + out.stderr
    assert path.read_text() == OLD and mode_of(path) == 0o664
    assert names_in(tmp_path) == before  # no temporary file, no backup
    if hard_linked:  # put back in place: the same file, under both names
        assert os.stat(path).st_ino == inode and other.read_text() == OLD


def test_settings_are_still_saved_and_read_back(tmp_path):
    from writer_app import settings

    prefs = settings.Settings(recent_files=["/somewhere/notes.md"])
    file = tmp_path / "config" / "settings.json"  # a folder not made yet
    settings.save(prefs, file)
    assert settings.load(file).recent_files == ["/somewhere/notes.md"]


# --- through the bare_window ------------------------------------------------------------------


def open_edit_save(qtbot, w, path: Path) -> None:
    with qtbot.waitSignal(w.files.sig_opened, timeout=10000):
        w.files.open_path(path)
    w.editor.moveCursor(w.editor.textCursor().MoveOperation.End)
    w.editor.insertPlainText("Typed in the bare_window.")
    with qtbot.waitSignal(w.files.sig_saved, timeout=10000):
        w.files.save()
    assert not w.files.is_modified()


def test_the_window_keeps_a_files_mode(qtbot, bare_window, tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(OLD)
    os.chmod(path, 0o664)
    open_edit_save(qtbot, bare_window, path)
    assert path.read_text() == OLD + "Typed in the bare_window."
    assert mode_of(path) == 0o664


def test_the_window_saves_through_a_symlink(qtbot, bare_window, tmp_path):
    target = tmp_path / "real.md"
    target.write_text(OLD)
    link = tmp_path / "link.md"
    link.symlink_to("real.md")
    open_edit_save(qtbot, bare_window, link)
    assert link.is_symlink() and os.readlink(link) == "real.md"
    assert target.read_text() == OLD + "Typed in the bare_window."
