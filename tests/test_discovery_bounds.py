"""Walking the user's model folders ends, within bounds, whatever they hold: link loops,
unreadable folders, deep trees, crowds of files, broken Hugging Face folders. Each walk
runs in a child process (tests/bounded.py), so a regression that hangs or eats memory
fails the test instead of the machine."""

import json
import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from writer_app.engine import discovery
from writer_app.engine.discovery import discover

from .bounded import run_bounded
from .helpers import write_tiny_gguf

ELOOP = os.strerror(40)  # "Too many levels of symbolic links"


def found_in(folders: list[str], limits: dict | None = None) -> list[list]:
    """[name, usable, error] of each model discover() lists; run in a child.
    `limits` lowers module limits, to test a budget without a million files."""
    for name, value in (limits or {}).items():
        setattr(discovery, name, value)
    return [[m.path.name, m.usable, m.error] for m in discover([Path(f) for f in folders])]


def walk_bounded(*folders: Path, limits: dict | None = None, seconds: float = 5) -> list:
    outcome = run_bounded("tests.test_discovery_bounds:found_in",
                          [str(f) for f in folders], limits)
    assert outcome.ok, outcome.traceback or outcome.message
    outcome.within_bounds(seconds=seconds, memory_mb=256)
    assert isinstance(outcome.value, list)
    return outcome.value


def test_link_loops_do_not_stop_the_walk(tmp_path):
    """Folders linked to their parent, to themselves and to each other, and two model
    names linked to each other: the real model is found, the loop names are listed as
    unreadable, and the walk ends."""
    models = tmp_path / "models"
    (models / "publisher").mkdir(parents=True)
    write_tiny_gguf(models / "publisher" / "real.gguf")
    (models / "up").symlink_to("..")
    (models / "here").symlink_to(".")
    (models / "publisher" / "back").symlink_to("../..")
    (models / "ping").symlink_to("pong")
    (models / "pong").symlink_to("ping")
    (models / "a.gguf").symlink_to("b.gguf")
    (models / "b.gguf").symlink_to("a.gguf")
    found = walk_bounded(models)
    assert found == [["a.gguf", False, f"cannot be read: {ELOOP}"],
                     ["b.gguf", False, f"cannot be read: {ELOOP}"],
                     ["real.gguf", True, None]]


def test_a_linked_folder_is_searched_once(tmp_path, default_model_path):
    """A link to a folder on another disk is followed; two ways to one folder list its
    model once."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "m.gguf").symlink_to(default_model_path)
    models = tmp_path / "models"
    models.mkdir()
    (models / "big-disk").symlink_to(elsewhere)
    (models / "same-disk").symlink_to(elsewhere)
    assert [m.path for m in discover([models])] == [models / "big-disk" / "m.gguf"]


def test_a_deep_tree_is_searched_three_levels_down(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    deep = models
    # 300 levels: deep enough to show the bound, shallow enough for pytest's cleanup
    # (shutil.rmtree recurses per level).
    for _ in range(300):
        deep = deep / "d"
        deep.mkdir()
    write_tiny_gguf(deep / "too-deep.gguf")
    write_tiny_gguf(models / "d" / "d" / "d" / "deep-enough.gguf")
    assert walk_bounded(models) == [["deep-enough.gguf", True, None]]


def test_a_crowded_folder_is_skipped_and_said_so(tmp_path):
    """A folder of more than MAX_LISTING entries is not listed (seconds for a million);
    the models beside it still are."""
    models = tmp_path / "models"
    crowd = models / "a-crowd"
    crowd.mkdir(parents=True)
    for i in range(discovery.MAX_LISTING + 1):
        (crowd / f"{i}.gguf").touch()
    write_tiny_gguf(models / "z.gguf")
    assert walk_bounded(models) == [  # a folder's files come before its subfolders
        ["z.gguf", True, None],
        ["a-crowd", False, f"holds more than {discovery.MAX_LISTING} files and folders; "
                           "Writer did not look for models in it (keep models in a folder "
                           "of their own)"]]


def test_the_entries_of_a_whole_folder_are_bounded(tmp_path):
    """Many folders each under the cap still add up to a budget (lowered here to 250)."""
    models = tmp_path / "models"
    write_tiny_gguf(models.parent / "m.gguf")
    for part in ("a", "b", "c"):
        (models / part).mkdir(parents=True)
        for i in range(100):
            (models / part / f"{i}.txt").touch()
        (models / part / "m.gguf").symlink_to(models.parent / f"m-{part}.gguf")
        shutil.copy(models.parent / "m.gguf", models.parent / f"m-{part}.gguf")
    found = walk_bounded(models, limits={"MAX_ENTRIES": 250})
    assert found == [["m.gguf", True, None], ["m.gguf", True, None],
                     ["models", False, "holds more than 250 files and folders within 3 "
                                       "levels; Writer stopped looking there (keep models in "
                                       "a folder of their own)"]]


def _discover_as_nobody(folder: Path) -> list:
    """discover() run by user nobody in a forked child (root reads every folder)."""
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.write(write_end, json.dumps(found_in([str(folder)])).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_an_unreadable_folder_is_passed_over(default_model_path):
    folder = Path(tempfile.mkdtemp(prefix="writer-discovery-"))
    try:
        folder.chmod(0o755)
        for name in ("locked", "open"):
            (folder / name).mkdir()
            write_tiny_gguf(folder / name / f"{name}.gguf")
            (folder / name / f"{name}.gguf").chmod(0o644)
        (folder / "locked").chmod(0)
        found = _discover_as_nobody(folder) if os.geteuid() == 0 else found_in([str(folder)])
        assert found == [["open.gguf", True, None]]
    finally:
        (folder / "locked").chmod(0o755)
        shutil.rmtree(folder)


@pytest.mark.parametrize("named", ["file", "fifo", "missing", "loop"])
def test_a_folder_that_is_not_one_is_skipped(tmp_path, named):
    target = tmp_path / "models"
    if named == "file":
        target.write_text("not a folder")
    elif named == "fifo":
        os.mkfifo(target)
    elif named == "loop":
        target.symlink_to("models")
    assert walk_bounded(target) == []
