"""Finding models: GGUF files and Hugging Face model folders in the app's models/, the
user's models/, and folders the user added; and the GGUF files other apps downloaded
(engine/stores.py: LM Studio, GPT4All, Ollama, Jan, the Hugging Face cache).

The walk runs at start-up over folders the user chose, so it must end and must not
raise whatever it meets: link loops, unreadable folders, deep trees, a home folder of a
million files. It follows links to folders (models are often kept on another disk) but
visits each folder once (by device and inode), goes MAX_DEPTH levels down, skips a folder
of more than MAX_LISTING entries and stops after MAX_ENTRIES; each of those is listed as
a note, so the user sees why a model was not found.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from writer_app.engine import default_model
from writer_app.engine import stores as stores_
from writer_app.engine.errors import EngineError, ModelFileError
from writer_app.engine.model_folder import PICKLED, folder_model_info
from writer_app.engine.model_info import ModelInfo, read_model_info

# Users keep models in publisher/model/ folders (as LM Studio does): look a little deeper.
MAX_DEPTH = 3
# Entries looked at in each folder the user named (its subfolders included), and in any
# one folder: a folder of more is not a models folder, and listing it costs seconds.
MAX_ENTRIES = 100_000
MAX_LISTING = 10_000
# Only the first part of a split model is loadable by path; llama.cpp finds the rest.
_LATER_SPLIT = re.compile(r"-0*(?:[2-9]|\d{2,})-of-\d+\.gguf$", re.IGNORECASE)
_WEIGHTS = (".safetensors", *PICKLED)


@dataclass(frozen=True)
class FoundModel:
    path: Path
    info: ModelInfo | None
    error: str | None
    source: str = "Writer"  # where it came from: Writer's folders, or another app's store
    name: str = ""  # the name that store gives it (Ollama's "llama3.2:3b"), if not the file's

    @property
    def label(self) -> str:
        return self.name or self.path.name

    @property
    def usable(self) -> bool:
        return self.info is not None

    @property
    def is_gguf(self) -> bool:
        """A GGUF file (Ollama's blobs have no extension), not a Hugging Face folder."""
        return self.path.suffix.lower() == ".gguf" or self.source == stores_.STORES["ollama"]


@dataclass(frozen=True)
class _Hit:
    kind: str  # "gguf", "folder" (a Hugging Face model folder), "crowded" or "stopped"
    path: Path


def _dir_key(entry: os.DirEntry[str]) -> tuple[int, int] | None:
    """The entry's identity (device, inode) when it is a folder, following links."""
    try:
        if entry.is_file(follow_symlinks=False):  # most entries: known from the listing
            return None
        st = entry.stat()
    except OSError:  # a link loop, a dangling link, no permission
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _listing(folder: Path) -> list[os.DirEntry[str]] | None:
    """Up to MAX_LISTING + 1 entries of the folder, by name; None if it cannot be read."""
    entries: list[os.DirEntry[str]] = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                entries.append(entry)
                if len(entries) > MAX_LISTING:
                    break
    except OSError:
        if not entries:
            return None
    return sorted(entries, key=lambda e: e.name)


def _is_model_file(name: str) -> bool:
    lower = name.lower()
    # mmproj files hold vision projectors, not language models; GPT4All names a download
    # under way incomplete-*.
    return (lower.endswith(".gguf") and not _LATER_SPLIT.search(name)
            and not lower.startswith(("mmproj", "incomplete-")))


def _walk(folder: Path) -> Iterator[_Hit]:
    """Model files and model folders under `folder`, depth first in name order."""
    try:
        st = os.stat(folder)
    except OSError:
        return
    if not stat.S_ISDIR(st.st_mode):
        return
    visited = {(st.st_dev, st.st_ino)}
    budget = MAX_ENTRIES
    stack: list[tuple[Path, int]] = [(folder, 0)]
    while stack:
        here, depth = stack.pop()
        entries = _listing(here)
        if entries is None:
            continue  # unreadable: what the other folders hold is still listed
        if len(entries) > MAX_LISTING:
            yield _Hit("crowded", here)
            continue
        if len(entries) > budget:
            yield _Hit("stopped", folder)
            return
        budget -= len(entries)
        names = {e.name for e in entries}
        if "config.json" in names and any(n.endswith(_WEIGHTS) for n in names):
            yield _Hit("folder", here)
        subfolders = []
        for entry in entries:
            key = _dir_key(entry)
            if key is None:
                if _is_model_file(entry.name):
                    yield _Hit("gguf", here / entry.name)
            elif depth < MAX_DEPTH and key not in visited:
                visited.add(key)
                subfolders.append((here / entry.name, depth + 1))
        stack.extend(reversed(subfolders))


# What was already read, by path, while the file's (or folder config's) size and time stay
# the same: listing 40 models again costs 40 stat calls, not 40 header reads.
_seen_lock = threading.Lock()
_seen: dict[Path, tuple[tuple[int, ...], FoundModel]] = {}


def _stamp(paths: Iterable[Path]) -> tuple[int, ...]:
    stamp: list[int] = []
    for p in paths:
        st = os.stat(p)
        stamp += [st.st_size, st.st_mtime_ns]
    return tuple(stamp)


def _checked(hit: _Hit) -> FoundModel:
    path = hit.path
    folder = hit.kind == "folder"
    try:
        stamp: tuple[int, ...] | None = _stamp([path, path / "config.json"] if folder
                                               else [path])
    except OSError as exc:
        if not folder:
            return FoundModel(path, None, f"cannot be read: {exc.strerror or exc}")
        stamp = None  # its check below says which file is missing, and is not kept
    with _seen_lock:
        known = _seen.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        info = folder_model_info(path) if folder else read_model_info(path)
        found = FoundModel(path, info, None)
    except ModelFileError as exc:
        found = FoundModel(path, None, exc.reason)
    if stamp is not None:
        with _seen_lock:
            _seen[path] = (stamp, found)
    return found


def _file_key(path: Path) -> object:
    try:
        st = os.stat(path)
    except OSError:
        return path  # unreadable: listed once, with its error
    return (st.st_dev, st.st_ino)


def discover(folders: Iterable[Path], stores: Iterable[str] = (),
             place: stores_.Place | None = None) -> list[FoundModel]:
    """Every model in the folders, then in the other apps' `stores` (ids of
    stores.STORES), checked; bad ones are listed with their error. A file found twice
    (a link, a store inside a folder) is listed once, where it was found first.

    Never raises: a folder that cannot be searched is skipped, and whatever goes wrong
    with one model is that model's error, so the window always starts."""
    found: list[FoundModel] = []
    seen: set[object] = set()
    for folder in folders:
        _collect(_folder_hits(folder, "Writer", model_folders=True), folder, "Writer",
                 found, seen)
    place = place or stores_.Place.here()
    for store in stores:
        source = stores_.STORES[store]
        try:
            store_folders = stores_.FOLDERS[store](place)
        except Exception as exc:  # a bug must not keep the window from starting
            found.append(FoundModel(Path(store), None, f"could not be searched ({exc})",
                                    source))
            continue
        for folder in store_folders:
            hits = (_ollama_hits(folder) if store == "ollama"
                    else _folder_hits(folder, source, model_folders=False))
            _collect(hits, folder, source, found, seen)
    return found


# What a search yields: a model file to check (with the name its store gives it), or a
# note already made (a crowded folder, a broken manifest).
_Found = FoundModel | tuple[_Hit, str]


def _folder_hits(folder: Path, source: str, model_folders: bool) -> Iterator[_Found]:
    """The models under `folder` (Hugging Face model folders too when `model_folders`:
    another app's store is searched for GGUF files only)."""
    for hit in _walk(folder):
        if hit.kind in ("crowded", "stopped"):
            yield FoundModel(hit.path, None, _crowded(hit.kind), source)
        elif hit.kind != "folder" or model_folders:
            yield hit, ""


def _ollama_hits(folder: Path) -> Iterator[_Found]:
    for model in stores_.ollama_models(folder):
        if model.blob is None:
            yield FoundModel(model.manifest, None, model.error, stores_.STORES["ollama"],
                             model.name)
        else:
            yield _Hit("gguf", model.blob), model.name


def _collect(hits: Iterator[_Found], folder: Path, source: str, found: list[FoundModel],
             seen: set[object]) -> None:
    """Each hit checked and added to `found`, once per file (by device and inode)."""
    try:
        for item in hits:
            if isinstance(item, FoundModel):
                found.append(item)
                continue
            hit, name = item
            key = _file_key(hit.path)
            if key in seen:
                continue
            seen.add(key)
            found.append(dataclasses.replace(_checked_safely(hit), source=source, name=name))
    except Exception as exc:  # a bug must not keep the window from starting
        found.append(FoundModel(folder, None, f"could not be searched ({exc})", source))


def _crowded(kind: str) -> str:
    if kind == "crowded":
        return (f"holds more than {MAX_LISTING} files and folders; Writer did not look for "
                "models in it (keep models in a folder of their own)")
    return (f"holds more than {MAX_ENTRIES} files and folders within {MAX_DEPTH} levels; "
            "Writer stopped looking there (keep models in a folder of their own)")


def _checked_safely(hit: _Hit) -> FoundModel:
    try:
        return _checked(hit)
    except Exception as exc:  # the model's error, not the window's
        return FoundModel(hit.path, None, f"could not be checked ({type(exc).__name__}: "
                                          f"{exc})")


def resolve(name_or_path: str | None, folders: Iterable[Path],
            stores: Iterable[str] = ()) -> ModelInfo:
    """The model a user named (a path, a file name or part of one, an Ollama name), or
    the default model."""
    folders = list(folders)
    if name_or_path:
        candidate = Path(name_or_path).expanduser()
        if candidate.exists() or os.sep in name_or_path:
            return read_model_info(candidate)
    models = [m for m in discover(folders, stores) if m.is_gguf]
    usable = [m for m in models if m.info is not None]
    if name_or_path:
        wanted = name_or_path.lower()
        exact = [m for m in usable if m.label.lower() in (wanted, wanted + ".gguf")]
        partial = [m for m in usable if wanted in m.label.lower()]
        matches = exact or partial
        if len(matches) == 1 and matches[0].info is not None:
            return matches[0].info
        if len(matches) > 1:
            names = ", ".join(m.label for m in matches)
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
