"""The checks every file a user hands us goes through before anything parses it, and the
one way Writer writes a file (settings, the user's text, autosaves)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename it over
    `path` (as QSaveFile does): a crash never leaves half a file. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def regular_file_problem(path: Path, what: str) -> tuple[str | None, int]:
    """(reason the file cannot be used, or None; its size). `what` names the expected kind."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file", 0
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}", 0
    if stat.S_ISDIR(st.st_mode):
        return f"is a folder, not {what}", 0
    if not stat.S_ISREG(st.st_mode):
        # A pipe or device would block the reader, or never end.
        return "is not a regular file", 0
    if st.st_size == 0:
        return "is empty (0 bytes)", 0
    return None, st.st_size
