"""Saving the user's text: atomic writes, and autosaves offered back after a crash.

Each running Writer autosaves into a slot of its own, a folder in the autosave area held
under a lock file (QLockFile) while the slot exists:

    <data>/autosave/<32 hex>/meta.json   {"saved": ISO 8601 date, "path": str | null}
    <data>/autosave/<32 hex>/text.txt    the text, UTF-8
    <data>/autosave/<32 hex>.lock

A slot whose lock nobody holds (its Writer crashed: QLockFile sees the holder's PID is
gone) is an orphan, offered back at the next start. A slot that cannot be read is renamed
to <32 hex>.bad-<date> and never deleted. Versions before slots kept one autosave as
unsaved.txt and unsaved.json in the area; it is moved into a slot of its own.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QLockFile

from writer_app import filecheck, paths
from writer_app.errors import WriterError

log = logging.getLogger(__name__)

TEXT = "text.txt"
META = "meta.json"
LEGACY_TEXT = "unsaved.txt"
LEGACY_META = "unsaved.json"
MAX_META_BYTES = 64 * 1024  # a few hundred bytes when we wrote it
_SLOT_NAME = re.compile(r"[0-9a-f]{32}")


def write_atomically(path: Path, text: str, encoding: str = "utf-8") -> None:
    """filecheck.write_atomically; a failure names the file."""
    try:
        filecheck.write_atomically(path, text, encoding)
    except OSError as exc:
        raise WriterError(f"{path}: could not be saved: {exc.strerror or exc}") from None
    except UnicodeEncodeError as exc:
        raise WriterError(f"{path}: could not be saved: the text holds a character "
                          f"{_encoding_name(encoding)} cannot store ({text[exc.start]!r}, at "
                          f"position {exc.start}); reopen it as UTF-8 or remove the character"
                          ) from None


def _encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding.replace("_", "-").lower().startswith("utf-8") else encoding


@dataclass
class Recovery:
    """The text a slot holds, the file it belonged to, and when it was autosaved."""

    text: str
    path: Path | None
    saved: datetime
    folder: Path


class BadSlot(Exception):
    """A slot that cannot be read; the message says why."""


def autosave_dir() -> Path:
    return paths.data_dir() / "autosave"


def _lock_for(folder: Path) -> QLockFile:
    lock = QLockFile(str(folder.with_name(folder.name + ".lock")))
    # Stale only when its holder's process is gone, never by age: Qt's default (30 s)
    # would let a second Writer take the slot of one that has run for a minute.
    lock.setStaleLockTime(0)
    return lock


def _write_slot(folder: Path, text: str, path: Path | None) -> None:
    # The metadata first: cut short between the two, a slot has nothing to lose.
    meta = {"saved": datetime.now(timezone.utc).isoformat(), "path": str(path) if path else None}
    write_atomically(folder / META, json.dumps(meta))
    write_atomically(folder / TEXT, text)


def _remove_slot(folder: Path, lock: QLockFile | None) -> None:
    """Delete the slot's files and folder, then free its lock (whatever happened: a slot
    left behind unlocked is offered again, which loses nothing). Raises WriterError."""
    try:
        for name in (META, TEXT):  # metadata first: a text left alone is still offered
            (folder / name).unlink(missing_ok=True)
        for leftover in folder.glob(".*.tmp"):  # writes cut short by a crash
            leftover.unlink(missing_ok=True)
        folder.rmdir()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise WriterError(f"{folder}: the autosave could not be removed: "
                          f"{exc.strerror or exc}") from None
    finally:
        if lock is not None:
            lock.unlock()


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _read_meta(file: Path) -> tuple[datetime, Path | None]:
    """The date and file path a slot's metadata holds; BadSlot when any of it is wrong."""
    try:
        if file.stat().st_size > MAX_META_BYTES:
            raise BadSlot("its metadata file is too large")
        meta = json.loads(file.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise BadSlot(f"its metadata cannot be read: {exc.strerror or exc}") from None
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deep
        raise BadSlot("its metadata is not JSON") from None
    if not isinstance(meta, dict):
        raise BadSlot(f"its metadata is {_kind(meta)}, not a JSON object")
    saved = meta.get("saved")
    if not isinstance(saved, str):
        raise BadSlot(f"its date is {_kind(saved)}, not text")
    try:
        when = datetime.fromisoformat(saved)
    except ValueError:
        raise BadSlot(f"its date {saved[:40]!r} is not a date") from None
    if when.tzinfo is None:
        when = when.astimezone()  # taken as local time
    if "path" not in meta:
        raise BadSlot("its metadata names no file path (not even null)")
    path = meta["path"]
    if path is None:
        return when, None
    if not isinstance(path, str) or not path or "\0" in path:
        raise BadSlot(f"its file path is {_kind(path)}, not the name of a file")
    return when, Path(path)


def read_slot(folder: Path) -> Recovery | None:
    """What the slot holds; None when it holds no text. BadSlot when it cannot be read.
    A text without metadata is offered still (for a file not named, dated by the file)."""
    text_file, meta_file = folder / TEXT, folder / META
    has_meta = meta_file.exists()
    try:
        data = text_file.read_bytes()
        modified = datetime.fromtimestamp(text_file.stat().st_mtime, timezone.utc)
    except FileNotFoundError:
        if has_meta:
            raise BadSlot("its text file is missing") from None
        return None
    except OSError as exc:
        raise BadSlot(f"its text cannot be read: {exc.strerror or exc}") from None
    saved, path = _read_meta(meta_file) if has_meta else (modified, None)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadSlot("its text is not UTF-8") from None
    return Recovery(text, path, saved, folder) if text else None


def _slot_folders(area: Path) -> list[Path]:
    try:
        return sorted(p for p in area.iterdir() if _SLOT_NAME.fullmatch(p.name) and p.is_dir())
    except OSError:  # no area yet
        return []


def _set_aside(folder: Path, reason: str) -> str:
    """Rename a slot that cannot be read out of the way; a message that names it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = folder.with_name(f"{folder.name}.bad-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = folder.with_name(f"{folder.name}.bad-{stamp}-{n}")
    try:
        folder.rename(aside)
    except OSError as exc:
        log.warning("autosave %s: %s; not set aside: %s", folder, reason, exc)
        return f"{folder}: {reason}. It could not be set aside: {exc.strerror or exc}"
    log.warning("autosave %s: %s; set aside as %s", folder, reason, aside)
    return f"{aside}: {reason}"


@dataclass
class Orphan:
    """The slot of a Writer that did not close, held by this one until removed (its text
    was restored elsewhere or discarded) or released (offered again at the next start)."""

    recovery: Recovery
    lock: QLockFile

    def remove(self) -> None:
        _remove_slot(self.recovery.folder, self.lock)

    def release(self) -> None:
        self.lock.unlock()


@dataclass
class Found:
    orphans: list[Orphan] = field(default_factory=list)  # newest first
    problems: list[str] = field(default_factory=list)  # slots set aside, and why


def take_orphans() -> Found:
    """Lock every slot no running Writer holds, and read it. Slots that hold nothing are
    removed; slots that cannot be read are set aside. Slots of running Writers (this one
    included) are not touched."""
    area = autosave_dir()
    found = Found()
    _move_legacy(area, found)
    for folder in _slot_folders(area):
        lock = _lock_for(folder)
        if not lock.tryLock(0):
            continue  # a running Writer's
        try:
            recovery = read_slot(folder) if folder.is_dir() else None
        except BadSlot as exc:
            found.problems.append(_set_aside(folder, str(exc)))
            lock.unlock()
            continue
        if recovery is None:
            try:
                _remove_slot(folder, lock)
            except WriterError as exc:
                log.warning("%s", exc)
            continue
        found.orphans.append(Orphan(recovery, lock))
    found.orphans.sort(key=lambda o: o.recovery.saved, reverse=True)
    return found


def _move_legacy(area: Path, found: Found) -> None:
    """The autosave of a version before slots, into a slot of its own (where the scan
    finds it as an orphan), its metadata converted when it can be read."""
    old_text, old_meta = area / LEGACY_TEXT, area / LEGACY_META
    if not (old_text.exists() or old_meta.exists()):
        return
    guard = _lock_for(area / "moving-legacy")
    if not guard.tryLock(0):
        return  # another Writer starting now moves it, and offers it
    folder = area / uuid.uuid4().hex
    lock = _lock_for(folder)
    try:
        if not (old_text.exists() or old_meta.exists()) or not lock.tryLock(0):
            return
        folder.mkdir(mode=0o700)
        if old_meta.exists():
            saved = old_text.stat().st_mtime if old_text.exists() else None
            converted = _legacy_meta(old_meta, saved)
            if converted is None:  # left as it was: the scan sets it aside, saying why
                os.replace(old_meta, folder / META)
            else:
                write_atomically(folder / META, converted)
                old_meta.unlink()
        if old_text.exists():
            os.replace(old_text, folder / TEXT)
    except (OSError, WriterError) as exc:
        message = exc.strerror if isinstance(exc, OSError) else str(exc)
        found.problems.append(f"{area}: the autosave of an earlier Writer could not be moved "
                              f"into a slot ({message}); it is tried again at the next start")
    finally:
        lock.unlock()
        guard.unlock()


def _legacy_meta(file: Path, saved: float | None) -> str | None:
    """unsaved.json ({"path": str, "" for none}) as a slot's metadata; None when it is not
    what the earlier version wrote."""
    try:
        old = json.loads(file.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(old, dict) or not isinstance(old.get("path", ""), str):
        return None
    when = datetime.fromtimestamp(saved, timezone.utc) if saved else datetime.now(timezone.utc)
    return json.dumps({"saved": when.isoformat(), "path": old.get("path") or None})


def pending_recovery() -> Recovery | None:
    """The newest text autosaved in any slot, whether the Writer that wrote it still runs or
    not. Reads only: nothing is locked, moved or removed."""
    newest: Recovery | None = None
    for folder in _slot_folders(autosave_dir()):
        try:
            found = read_slot(folder)
        except BadSlot:
            continue
        if found is not None and (newest is None or found.saved > newest.saved):
            newest = found
    return newest


def autosave(text: str, path: Path | None) -> Path:
    """Write `text` to a new slot that no Writer holds, as a crashed one leaves it (it is
    offered at the next start); its folder."""
    folder = autosave_dir() / uuid.uuid4().hex
    folder.mkdir(mode=0o700, parents=True)
    _write_slot(folder, text, path)
    return folder


class AutosaveSlot:
    """This session's autosave, written and cleared in order from any thread: an older text
    never lands over a newer one, nor over the clear that followed a save of it. The slot
    exists on disk, locked, only while it holds a text.

    Texts are numbered by the edit they were taken at; `clear(n)` says the text up to edit
    n is saved elsewhere (a file, or nowhere after Discard: n = infinity).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._on_disk: float = -1  # the edit the autosave file holds; -1: none
        self._cleared_through: float = -1
        self.folder = autosave_dir() / uuid.uuid4().hex
        self._held: QLockFile | None = None  # taken at the first write

    def write(self, text: str, path: Path | None, edit: int) -> bool:
        with self._lock:
            if edit <= max(self._on_disk, self._cleared_through):
                return False
            self._take()
            _write_slot(self.folder, text, path)
            self._on_disk = edit
            return True

    def _take(self) -> None:
        if self._held is not None:
            return
        lock = _lock_for(self.folder)
        try:
            self.folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not lock.tryLock(0):
                raise WriterError(f"{self.folder}: the autosave slot cannot be locked "
                                  f"({lock.error().name})")
            self.folder.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            lock.unlock()
            raise WriterError(f"{self.folder}: cannot be made: {exc.strerror or exc}") from None
        self._held = lock

    def clear(self, through: float = math.inf) -> None:
        """Raises WriterError when the files could not be removed (the lock is freed)."""
        with self._lock:
            self._cleared_through = max(self._cleared_through, through)
            if self._on_disk <= through and self._held is not None:
                held, self._held, self._on_disk = self._held, None, -1
                _remove_slot(self.folder, held)

    def adopt(self, orphan: Orphan) -> bool:
        """Make a recovered slot this session's: its text, now in the editor, stays on disk
        until autosaved over, saved or discarded. False (nothing changed) when this session
        already has a slot on disk, or one is being written (the GUI thread never waits)."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if self._held is not None:
                return False
            self.folder, self._held, self._on_disk = orphan.recovery.folder, orphan.lock, -1
            return True
        finally:
            self._lock.release()


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
