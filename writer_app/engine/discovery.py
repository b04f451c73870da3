"""Finding model files: the app's models/, the user's models/, and folders the user added."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from writer_app.engine import default_model
from writer_app.engine.errors import EngineError, ModelFileError
from writer_app.engine.model_info import ModelInfo, read_model_info

# Users keep models in publisher/model/ folders (as LM Studio does): look a little deeper.
MAX_DEPTH = 3
# Only the first part of a split model is loadable by path; llama.cpp finds the rest.
_LATER_SPLIT = re.compile(r"-0*(?:[2-9]|\d{2,})-of-\d+\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class FoundModel:
    path: Path
    info: ModelInfo | None
    error: str | None

    @property
    def usable(self) -> bool:
        return self.info is not None


def _gguf_files(folder: Path) -> Iterable[Path]:
    base_depth = len(folder.parts)
    for root, dirs, files in os.walk(folder, onerror=lambda _e: None):
        if len(Path(root).parts) - base_depth >= MAX_DEPTH:
            dirs.clear()
        dirs.sort()
        for name in sorted(files):
            lower = name.lower()
            # mmproj files hold vision projectors, not language models.
            if lower.endswith(".gguf") and not _LATER_SPLIT.search(name) \
                    and not lower.startswith("mmproj"):
                yield Path(root) / name


# Headers already read, by path, while the file's size and time stay the same: listing
# 40 models again costs 40 stat calls, not 40 header reads.
_seen_lock = threading.Lock()
_seen: dict[Path, tuple[tuple[int, int], FoundModel]] = {}


def _checked(path: Path) -> FoundModel:
    try:
        st = path.stat()
    except OSError as exc:
        return FoundModel(path, None, f"cannot be read: {exc.strerror or exc}")
    stamp = (st.st_size, st.st_mtime_ns)
    with _seen_lock:
        known = _seen.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        found = FoundModel(path, read_model_info(path), None)
    except ModelFileError as exc:
        found = FoundModel(path, None, exc.reason)
    with _seen_lock:
        _seen[path] = (stamp, found)
    return found


def discover(folders: Iterable[Path]) -> list[FoundModel]:
    """Every GGUF file in the folders, checked; bad files are listed with their error."""
    found: list[FoundModel] = []
    seen: set[Path] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in _gguf_files(folder):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            found.append(_checked(path))
    return found


def resolve(name_or_path: str | None, folders: Iterable[Path]) -> ModelInfo:
    """The model a user named (a path, a file name or part of one), or the default model."""
    folders = list(folders)
    if name_or_path:
        candidate = Path(name_or_path).expanduser()
        if candidate.exists() or os.sep in name_or_path:
            return read_model_info(candidate)
    models = discover(folders)
    usable = [m for m in models if m.info is not None]
    if name_or_path:
        wanted = name_or_path.lower()
        exact = [m for m in usable if m.path.name.lower() in (wanted, wanted + ".gguf")]
        partial = [m for m in usable if wanted in m.path.name.lower()]
        matches = exact or partial
        if len(matches) == 1 and matches[0].info is not None:
            return matches[0].info
        if len(matches) > 1:
            names = ", ".join(m.path.name for m in matches)
            raise EngineError(f"model {name_or_path!r} is ambiguous: it matches {names}")
        raise EngineError(f"no model named {name_or_path!r} was found in "
                          f"{', '.join(str(f) for f in folders)}")
    if not usable:
        raise EngineError("no model found: put a .gguf file in "
                          f"{', '.join(str(f) for f in folders)}")
    for m in usable:
        if m.path.name == default_model.FILE_NAME and m.info is not None:
            return m.info
    info = usable[0].info
    assert info is not None
    return info
