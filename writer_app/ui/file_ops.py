"""Saving the user's text: atomic writes, and an autosave offered back after a crash."""

from __future__ import annotations

import json
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
