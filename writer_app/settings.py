"""One typed settings object: defaults declared once, a schema version, atomic saves.

A file that cannot be read back (bad JSON, unknown schema, wrong types) is set aside
next to itself and the defaults are used, with a warning; it never stops the app.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writer_app import filecheck, paths
from writer_app.engine.types import EngineConfig, SamplingOptions

SCHEMA_VERSION = 1
log = logging.getLogger(__name__)


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    # Model: a path, or empty for the default model.
    model_path: str = ""
    extra_model_dirs: list[str] = field(default_factory=list)
    # Most recent first.
    recent_files: list[str] = field(default_factory=list)
    # Writing actions of the user's own: {"name", "label", "instruction", "use"?} each.
    custom_actions: list[dict[str, str]] = field(default_factory=list)
    # The context is the model's trained length, capped by this (memory grows with it).
    context_length_cap: int = 8192
    # 0 means: choose from the CPU count.
    threads: int = 0
    # "auto" offloads every layer when the llama.cpp build supports a GPU; "off" never does.
    gpu_offload: str = "auto"
    # auto: GGUF on llama.cpp, folders on transformers; "transformers" forces it for GGUF.
    backend: str = "auto"
    # transformers' device: auto (CUDA, then MPS, then CPU), cpu, cuda or mps.
    device: str = "auto"
    # Sampling: the defaults are the engine's own.
    temperature: float = SamplingOptions.temperature
    top_p: float = SamplingOptions.top_p
    top_k: int = SamplingOptions.top_k
    min_p: float = SamplingOptions.min_p
    repeat_penalty: float = SamplingOptions.repeat_penalty
    max_tokens: int = SamplingOptions.max_tokens
    seed: int = SamplingOptions.seed

    def engine_config(self) -> EngineConfig:
        """How to load a model, from these settings."""
        return EngineConfig(self.context_length_cap, self.threads, self.gpu_offload,
                            self.backend, self.device)

    def sampling(self, **overrides: Any) -> SamplingOptions:
        """The sampling options these settings give, with `overrides` that are not None."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(SamplingOptions)
                  if f.name != "stop"}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return SamplingOptions(**values)


_LIST_ITEMS: dict[str, type] = {"extra_model_dirs": str, "custom_actions": dict,
                                "recent_files": str}


class SettingsError(ValueError):
    pass


def _check_types(raw: dict[str, Any]) -> dict[str, Any]:
    defaults = Settings()
    known = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            log.warning("settings: ignoring unknown key %r", key)
            continue
        expected = getattr(defaults, key)
        if isinstance(expected, bool) or isinstance(value, bool):
            ok = type(value) is type(expected)
        elif isinstance(expected, float):
            ok = isinstance(value, (int, float))
            value = float(value) if ok else value
        elif isinstance(expected, list):
            item = _LIST_ITEMS[key]
            ok = isinstance(value, list) and all(isinstance(v, item) for v in value)
        else:
            ok = isinstance(value, type(expected))
        if not ok:
            raise SettingsError(f"{key!r} should be {type(expected).__name__}, got {value!r}")
        values[key] = value
    for key, allowed in (("backend", ("auto", "llama.cpp", "transformers")),
                         ("device", ("auto", "cpu", "cuda", "mps"))):
        if values.get(key, "auto") not in allowed:
            raise SettingsError(f"{key!r} should be one of {', '.join(allowed)}")
    if values.get("gpu_offload", "auto") not in ("auto", "off"):
        raise SettingsError(
            f"'gpu_offload' should be 'auto' or 'off', got {values['gpu_offload']!r}")
    return values


def _set_aside(path: Path, reason: str) -> Path:
    aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        n += 1
    path.replace(aside)
    log.warning("settings file %s could not be used (%s); it was moved to %s and the "
                "defaults are in use", path, reason, aside)
    return aside


def load(path: Path | None = None) -> Settings:
    """Read the settings, or the defaults when there is no usable file."""
    path = path or paths.settings_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        if path.is_file():
            _set_aside(path, f"unreadable: {exc}")
        else:
            log.warning("settings file %s is unreadable (%s); using the defaults", path, exc)
        return Settings()
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise SettingsError("not a JSON object")
        version = raw.get("schema_version")
        if version != SCHEMA_VERSION:
            raise SettingsError(f"unknown schema version {version!r}")
        return Settings(**_check_types(raw))
    except (json.JSONDecodeError, SettingsError) as exc:
        _set_aside(path, str(exc))
        return Settings()


def save(settings: Settings, path: Path | None = None) -> None:
    """Write atomically: a temporary file in the same folder, flushed, then renamed over."""
    text = json.dumps(dataclasses.asdict(settings), indent=2, sort_keys=True) + "\n"
    filecheck.write_atomically(path or paths.settings_file(), text)
