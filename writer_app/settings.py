"""One typed settings object: each setting, its default, its choices or bounds, declared
once, with a schema version and atomic saves.

The CLI, the settings dialog and the checks on a loaded file all read the declarations
here (`choices_of`, `bounds_of`). A file written by an older version is migrated, keeping
every value it can. A value that is not allowed (the wrong type, out of bounds, NaN) is
dropped for its default with a warning that names it (a bad custom action alone, the
good ones kept), the rest is kept, and the file as it was is copied aside; a file that
cannot be read or parsed at all (too large, not UTF-8, not JSON, nested too deeply, not
an object) is set aside whole. None of it stops the app: load() never raises.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
import stat
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writer_app import filecheck, paths
from writer_app.engine.stores import STORES
from writer_app.engine.types import (
    BackendChoice,
    DeviceChoice,
    EngineConfig,
    EnglishSpelling,
    GhostChoice,
    OffloadChoice,
    SamplingOptions,
    SpellCheckChoice,
    SummaryBudget,
    choices,
)
from writer_app.errors import WriterError
from writer_app.speech.voice import DEFAULT_RATE, MAX_RATE, MIN_RATE
from writer_app.tasks.actions import ActionError, custom_action

SCHEMA_VERSION = 2
# A settings file is a few KiB; a far larger one is not read (it would be read whole).
MAX_FILE_BYTES = 4 * 2**20
log = logging.getLogger(__name__)


def bounded(default: float, low: float, high: float) -> Any:
    """A number setting with its bounds, kept beside it (read by the checks and the dialog)."""
    return field(default=default, metadata={"bounds": (low, high)})


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    # Model: a path, or empty for the default model.
    model_path: str = ""
    extra_model_dirs: list[str] = field(default_factory=list)
    # The catalog offered once at start when only the built-in model was found.
    model_offer_dismissed: bool = False
    # Other apps' model stores not to look in (ids of engine/stores.py's STORES).
    model_sources_off: list[str] = field(default_factory=list)
    # A server as the engine (engine/remote_backend.py): its address ("" for a local
    # model), the model chosen on it, and the requests sent to it at once (0: as many as
    # the server says it serves). Its API key is in the system keyring (credentials.py).
    server_url: str = ""
    server_model: str = ""
    server_requests: int = bounded(0, 0, 64)
    # Servers on other machines the user agreed to send text to (host:port each).
    allowed_servers: list[str] = field(default_factory=list)
    # Most recent first.
    recent_files: list[str] = field(default_factory=list)
    # Writing actions of the user's own: {"name", "label", "instruction", "use"?} each.
    custom_actions: list[dict[str, str]] = field(default_factory=list)
    # The context is the model's trained length, capped by this (memory grows with it).
    context_length_cap: int = bounded(EngineConfig.context_length_cap, 256, 1 << 20)
    threads: int = bounded(EngineConfig.threads, 0, 1024)  # 0: from the CPU count
    gpu_offload: OffloadChoice = EngineConfig.gpu_offload
    backend: BackendChoice = EngineConfig.backend
    device: DeviceChoice = EngineConfig.device
    spell_check: SpellCheckChoice = "auto"
    # How much of a long document a summary reads (tasks/summarize.py, READ_TOKENS).
    summary_budget: SummaryBudget = "default"
    # A smaller, faster model that summarizes a long document's parts (a path or a name;
    # "": the model in use reads them too). The model in use combines them.
    summary_map_model: str = ""
    # The next words offered in grey as the user types (ui/ghost_text.py).
    ghost_text: GhostChoice = "auto"
    # Read aloud (speech/): the platform voice's name ("": English) and words a minute.
    speech_voice: str = ""
    speech_rate: int = bounded(DEFAULT_RATE, MIN_RATE, MAX_RATE)
    english_spelling: EnglishSpelling = "system"
    # Sampling: the defaults are the engine's own.
    temperature: float = bounded(SamplingOptions.temperature, 0.0, 2.0)
    top_p: float = bounded(SamplingOptions.top_p, 0.0, 1.0)
    top_k: int = bounded(SamplingOptions.top_k, 0, 1000)
    min_p: float = bounded(SamplingOptions.min_p, 0.0, 1.0)
    repeat_penalty: float = bounded(SamplingOptions.repeat_penalty, 0.5, 2.0)
    max_tokens: int = bounded(SamplingOptions.max_tokens, 1, 1 << 20)
    seed: int = bounded(SamplingOptions.seed, -1, 2**31 - 1)  # -1: a random seed

    def model_stores(self) -> list[str]:
        """The other apps' stores to look for models in."""
        return [s for s in STORES if s not in self.model_sources_off]

    def engine_config(self) -> EngineConfig:
        """How to load a model, from these settings."""
        return EngineConfig(self.context_length_cap, self.threads, self.gpu_offload,
                            self.backend, self.device)

    def sampling(self, **overrides: Any) -> SamplingOptions:
        """The sampling options these settings give, with `overrides` that are not None;
        an override out of its bounds raises SettingsError naming it."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(SamplingOptions)
                  if f.name != "stop"}
        for name, value in overrides.items():
            if value is not None:
                if name in _FIELDS:
                    check(name, value)
                values[name] = value
        return SamplingOptions(**values)


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_TYPES = typing.get_type_hints(Settings)
_LIST_ITEMS: dict[str, type] = {"extra_model_dirs": str, "custom_actions": dict,
                                "recent_files": str, "model_sources_off": str,
                                "allowed_servers": str}


class SettingsError(WriterError, ValueError):
    pass


def choices_of(name: str) -> tuple[str, ...]:
    """The values a choice setting takes (empty for other settings)."""
    hint = _TYPES[name]
    return choices(hint) if typing.get_origin(hint) is typing.Literal else ()


def bounds_of(name: str) -> tuple[float, float] | None:
    bounds: tuple[float, float] | None = _FIELDS[name].metadata.get("bounds")
    return bounds


def check(name: str, value: Any) -> Any:
    """`value` as setting `name` holds it, or SettingsError saying what is wrong."""
    default: Any = _FIELDS[name].default
    allowed = choices_of(name)
    if allowed:
        if value not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        return value
    if name in _LIST_ITEMS:
        if name == "custom_actions" and isinstance(value, list):
            _, problems = _split_actions(value)  # names the entry at fault
            if problems:
                raise SettingsError(problems[0])
        if not isinstance(value, list) or not all(isinstance(v, _LIST_ITEMS[name])
                                                  for v in value):
            raise SettingsError(f"{name} must be a list of {_LIST_ITEMS[name].__name__}, "
                                f"not {_short(value)}")
        return value
    if isinstance(default, bool) or isinstance(value, bool):
        if type(value) is not type(default):
            raise SettingsError(f"{name} must be {type(default).__name__}, not {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int):
        try:
            value = float(value)
        except OverflowError:
            raise SettingsError(f"{name} must be a number from {bounds_of(name)}, "
                                f"not {value}") from None
    if not isinstance(value, type(default)):
        raise SettingsError(f"{name} must be {type(default).__name__}, not {value!r}")
    bounds = bounds_of(name)
    if bounds is not None:
        low, high = bounds
        if (isinstance(value, float) and not math.isfinite(value)) \
                or not low <= value <= high:
            raise SettingsError(f"{name} must be from {low:g} to {high:g}, not {value!r}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _split_actions(entries: list[Any]) -> tuple[list[Any], list[str]]:
    """The custom action entries that can be used, and why each other one cannot
    (tasks.actions decides)."""
    good, problems = [], []
    for entry in entries:
        try:
            custom_action(entry)
        except ActionError as exc:
            problems.append(f"custom_actions: {exc}")
        else:
            good.append(entry)
    return good, problems


# --- the file -------------------------------------------------------------------------------
def _migrate_1_to_2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 bounds the numbers; version 1 took any: a number out of bounds is brought
    to the nearest bound (NaN, or a number of the wrong type, is dropped by the checks)."""
    migrated = {**raw, "schema_version": 2}
    for key, value in raw.items():
        bounds = bounds_of(key) if key in _FIELDS else None
        if bounds is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        low, high = bounds
        kind: Any = type(_FIELDS[key].default)
        near = kind(min(max(value, low), high))
        if near != value:
            log.warning("settings: %s was %r; version 2 allows %g to %g, so it is now %r",
                        key, value, low, high, near)
            migrated[key] = near
    return migrated


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _migrate_1_to_2}


def _aside_name(path: Path) -> Path:
    aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        n += 1
    return aside


def _copy_aside(path: Path) -> Path:
    aside = _aside_name(path)
    shutil.copyfile(path, aside)
    return aside


def _set_aside(path: Path, reason: str) -> Path:
    aside = _aside_name(path)
    path.rename(aside)  # not a copy: the file may be huge
    log.warning("settings file %s could not be used (%s); it was moved to %s and the "
                "defaults are in use", path, reason, aside)
    return aside


class _Unusable(Exception):
    """The settings file cannot be used at all."""


def _unusable(path: Path, reason: str) -> None:
    """Set the file aside when it is one; the defaults are used either way."""
    try:
        if path.is_file():
            _set_aside(path, reason)
            return
    except OSError as exc:
        reason = f"{reason}; it could not be moved aside either: {exc}"
    log.warning("settings file %s could not be used (%s); the defaults are in use", path, reason)


def _reason(exc: BaseException) -> str:
    """Why a file could not be used, in a line."""
    if isinstance(exc, RecursionError):
        return "its JSON is nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, MemoryError):
        return "it is too large to read"
    if isinstance(exc, OSError):
        return f"unreadable: {exc}"
    if isinstance(exc, (_Unusable, json.JSONDecodeError)):
        return str(exc)
    return f"{type(exc).__name__}: {_short(str(exc))}"


def _read(path: Path) -> Any:
    """The file's JSON value (FileNotFoundError when there is no file)."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):  # a folder, or a pipe that would block a read
        raise _Unusable("not a regular file")
    with path.open("rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _Unusable(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
    return json.loads(data.decode("utf-8"))


def _kept_values(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """The values of `raw` that are allowed; each one dropped is named in a warning (the
    file is copied aside then). Settings this version does not know are left out with a
    warning only (a newer Writer wrote them; see load())."""
    values: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in raw.items():
        if key == "schema_version":
            continue
        if key not in _FIELDS:
            log.warning("settings file %s: unknown setting %r left out", path, key)
            continue
        if key == "custom_actions" and isinstance(value, list):
            # A bad entry is dropped alone: the user's other actions stay.
            value, problems = _split_actions(value)
            dropped.extend(problems)
        try:
            values[key] = check(key, value)
        except SettingsError as exc:
            dropped.append(str(exc))
    if dropped:
        try:
            kept_in = str(_copy_aside(path))
        except OSError as exc:  # the good values are still worth having
            kept_in = f"nowhere (it could not be copied: {exc})"
        log.warning("settings file %s: %s; the default is used for each, the other settings "
                    "are kept, and the file as it was is in %s", path, "; ".join(dropped),
                    kept_in)
    return values


def load(path: Path | None = None) -> Settings:
    """Read the settings, or the defaults when there is no usable file. Never raises:
    whatever the file holds, the window must open."""
    path = path or paths.settings_file()
    try:
        return _from_raw(_read(path), path)
    except FileNotFoundError:  # none yet
        return Settings()
    except Exception as exc:
        _unusable(path, _reason(exc))
        return Settings()


def _from_raw(raw: Any, path: Path) -> Settings:
    if not isinstance(raw, dict):
        raise _Unusable("not a JSON object")
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Unusable(f"unknown schema version {_short(version)}")
    while version in MIGRATIONS:
        raw = MIGRATIONS[version](raw)
        version = raw["schema_version"]
    if version != SCHEMA_VERSION:  # written by a newer Writer: keep what this one knows
        kept = path.with_name(f"{path.name}.v{version}")
        try:
            if not kept.exists():  # the newer Writer's file, once, before this one saves
                shutil.copyfile(path, kept)
        except OSError as exc:
            log.warning("settings file %s could not be copied to %s: %s", path, kept, exc)
        log.warning("settings file %s is of a newer version (%s); the settings this version "
                    "knows are kept, and the file as it was is in %s", path, version, kept)
    return Settings(**_kept_values(raw, path))


def save(settings: Settings, path: Path | None = None) -> None:
    """Write atomically: a temporary file in the same folder, flushed, then renamed over."""
    data = {**dataclasses.asdict(settings), "schema_version": SCHEMA_VERSION}
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    filecheck.write_atomically(path or paths.settings_file(), text)
