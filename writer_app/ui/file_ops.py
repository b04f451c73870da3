"""Saving the user's text: atomic writes, and an autosave offered back after a crash."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from writer_app import filecheck, paths
from writer_app.errors import WriterError


def write_atomically(path: Path, text: str) -> None:
    """Write then rename (filecheck.write_atomically); a failure names the file."""
    try:
        filecheck.write_atomically(path, text)
    except OSError as exc:
        raise WriterError(f"{path}: could not be saved: {exc.strerror or exc}") from None


def read_text_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        from writer_app.documents.text import NotText, decode

        try:
            return decode(path.read_bytes())
        except NotText as exc:
            raise WriterError(f"{path}: {exc}") from None
    except OSError as exc:
        raise WriterError(f"{path}: cannot be read: {exc.strerror or exc}") from None


@dataclass
class Recovery:
    text: str
    path: str


def autosave_dir() -> Path:
    return paths.data_dir() / "autosave"


def autosave(text: str, path: Path | None) -> None:
    folder = autosave_dir()
    write_atomically(folder / "unsaved.txt", text)
    meta = {"path": str(path) if path else ""}
    write_atomically(folder / "unsaved.json", json.dumps(meta))


def clear_autosave() -> None:
    for name in ("unsaved.txt", "unsaved.json"):
        (autosave_dir() / name).unlink(missing_ok=True)


class AutosaveSlot:
    """The session's autosave, written and cleared in order from any thread: an older text
    never lands over a newer one, nor over the clear that followed a save of it.

    Texts are numbered by the edit they were taken at; `clear(n)` says the text up to edit
    n is saved elsewhere (a file, or nowhere after Discard: n = infinity).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._on_disk: float = -1  # the edit the autosave file holds; -1: none
        self._cleared_through: float = -1

    def write(self, text: str, path: Path | None, edit: int) -> bool:
        with self._lock:
            if edit <= max(self._on_disk, self._cleared_through):
                return False
            autosave(text, path)
            self._on_disk = edit
            return True

    def clear(self, through: float = math.inf) -> None:
        with self._lock:
            self._cleared_through = max(self._cleared_through, through)
            if self._on_disk <= through:
                clear_autosave()
                self._on_disk = -1


class Writes:
    """Counts the writes not yet done (saves, autosaves): counted when queued, and done by
    the thread that wrote, so that closing can wait for them, queued ones included,
    without waiting on the GUI thread's own events."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0

    def queued(self) -> None:
        with self._cond:
            self._running += 1

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around the write of one that was `queued()`."""
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def wait_idle(self, seconds: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._running == 0, seconds)


def pending_recovery() -> Recovery | None:
    """Text autosaved by a session that did not end cleanly, if any."""
    folder = autosave_dir()
    try:
        text = (folder / "unsaved.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        meta = json.loads((folder / "unsaved.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    return Recovery(text, str(meta.get("path", "")))
