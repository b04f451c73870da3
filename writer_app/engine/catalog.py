"""The catalog of recommended models (resources/catalog.json, versioned with the app).

Each entry says where its file is and what it is, with the source of each value; its
shape (layers, heads, key and value lengths, vocabulary, sliding window) lets the memory
arithmetic (engine/memory.py) say whether it fits before it is downloaded. An entry whose
sha256 could not be checked against a Hugging Face page has none: its download is
checked by the sha256 Hugging Face announces and by its GGUF header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from writer_app import paths
from writer_app.engine import memory
from writer_app.engine.discovery import FoundModel
from writer_app.engine.errors import EngineError

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    family: str
    parameters: str
    quantization: str
    file_name: str
    url: str
    size: int
    size_verified: bool
    sha256: str | None
    licence: str
    languages: str
    context_length: int
    description: str
    shape: memory.Shape

    def needed_bytes(self, context_cap: int) -> tuple[int, int]:
        """(bytes, context): the memory it needs at its context as the settings cap it."""
        n_ctx = memory.context_for(self.context_length, context_cap)
        return memory.needed_bytes(self.shape, n_ctx), n_ctx

    def on_disk(self, found: Iterable[FoundModel]) -> FoundModel | None:
        """The model already on this machine (found in any source), by its file name."""
        for m in found:
            if m.info is not None and m.path.name.lower() == self.file_name.lower():
                return m
        return None


def catalog_file() -> Path:
    return paths.resources_dir() / "catalog.json"


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """The catalog's entries; EngineError names the file and what is wrong with it."""
    path = path or catalog_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EngineError(f"{path}: the model catalog cannot be read ({exc})") from None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise EngineError(f"{path}: the model catalog has no list of models")
    return [_entry(path, i, m) for i, m in enumerate(models)]


def _entry(path: Path, index: int, raw: object) -> CatalogEntry:
    where = f"{path}: model {index + 1}"
    if not isinstance(raw, dict):
        raise EngineError(f"{where} is not an object")
    try:
        shape = raw["shape"]
        entry = CatalogEntry(
            id=_text(raw, "id"), name=_text(raw, "name"), family=_text(raw, "family"),
            parameters=_text(raw, "parameters"), quantization=_text(raw, "quantization"),
            file_name=_text(raw, "file_name"), url=_text(raw, "url"),
            size=_number(raw, "size"), size_verified=raw.get("size_verified") is True,
            sha256=raw.get("sha256"), licence=_text(raw, "licence"),
            languages=_text(raw, "languages"), context_length=_number(raw, "context_length"),
            description=_text(raw, "description"),
            shape=memory.Shape(
                weight_bytes=_number(raw, "size"), layers=_number(shape, "layers"),
                heads=_number(shape, "heads"), kv_heads=_number(shape, "kv_heads"),
                key_length=_number(shape, "key_length"),
                value_length=_number(shape, "value_length"),
                vocab_size=_number(shape, "vocab_size"),
                sliding_window=_number(shape, "sliding_window", 0),
                swa_layers=_number(shape, "swa_layers", 0)))
    except (KeyError, TypeError, ValueError) as exc:
        raise EngineError(f"{where}: {exc}") from None
    if entry.sha256 is not None and not (isinstance(entry.sha256, str)
                                         and _SHA256.fullmatch(entry.sha256)):
        raise EngineError(f"{where} ({entry.id}): sha256 must be 64 hex digits or null")
    if not entry.url.startswith(("https://", "http://")) or \
            not entry.file_name.endswith(".gguf"):
        raise EngineError(f"{where} ({entry.id}): a web link to a .gguf file is expected")
    return entry


def _text(raw: dict[str, object], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be text")
    return value


def _number(raw: object, key: str, default: int | None = None) -> int:
    if not isinstance(raw, dict):
        raise TypeError("shape must be an object")
    value = raw.get(key, default)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a whole number")
    return value


def find_entry(name: str, entries: list[CatalogEntry]) -> CatalogEntry | None:
    """The entry named by its id, its name or its file name (any case)."""
    wanted = name.strip().lower()
    for e in entries:
        if wanted in (e.id.lower(), e.name.lower(), e.file_name.lower()):
            return e
    return None
