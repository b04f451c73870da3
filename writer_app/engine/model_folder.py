"""Checks on a Hugging Face model folder before transformers touches it.

Weights load only from safetensors (pickled .bin/.pt files can run code when loaded),
and a model that needs `trust_remote_code` is refused: Writer never runs a model's code.
config.json is read as untrusted input: bounded in size, parsed without letting a deep
nesting or a wrong type escape as anything but a ModelFileError naming the folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from writer_app.engine.errors import ModelFileError
from writer_app.engine.model_info import ModelInfo
from writer_app.filecheck import regular_file_problem

PICKLED = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
# A model's config.json is a few KiB; a tokenizer_config.json with its added tokens a few
# MiB. Larger files are not what they claim to be.
MAX_CONFIG_BYTES = 4 << 20
MAX_TOKENIZER_CONFIG_BYTES = 8 << 20
# Entries of the folder looked at for weights (a model has a few dozen files).
MAX_FOLDER_ENTRIES = 10_000
_BYTES_PER_PARAMETER = {"float32": 4, "float16": 2, "bfloat16": 2, "float8_e4m3fn": 1}


@dataclass(frozen=True)
class FolderInfo:
    path: Path
    name: str
    architecture: str
    context_length: int


def read_json_file(folder: Path, name: str, limit: int) -> Any:
    """The JSON value in folder/name; ModelFileError(folder, "NAME ...") if it is not one."""
    path = folder / name
    problem, size = regular_file_problem(path, "a JSON file")
    if problem:
        raise ModelFileError(folder, f"{name} {problem}")
    if size > limit:
        raise ModelFileError(folder, f"{name} is {size} bytes, more than the {limit} a "
                                     "model's file of that name ever needs")
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)  # the file may have grown since the check
    except OSError as exc:
        raise ModelFileError(folder, f"{name} cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ModelFileError(folder, f"{name} is larger than {limit} bytes")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ModelFileError(folder, f"{name} is not UTF-8 text (byte {exc.start})") from None
    except RecursionError:  # [[[[... 100,000 levels deep
        raise ModelFileError(folder, f"{name} is nested too deeply to be a model's "
                                     "configuration") from None
    except ValueError as exc:  # bad JSON, or a number of more than 4,300 digits
        raise ModelFileError(folder, f"{name} is not valid JSON ({exc})") from None


def read_config(folder: Path) -> dict[str, Any]:
    """config.json as a JSON object; ModelFileError naming the folder and what is wrong."""
    if not os.path.lexists(folder / "config.json"):
        raise ModelFileError(folder, "has no config.json; a Hugging Face model folder needs one")
    config = read_json_file(folder, "config.json", MAX_CONFIG_BYTES)
    if not isinstance(config, dict):
        raise ModelFileError(folder, f"config.json holds {_kind(config)}, not a JSON object")
    return config


def _kind(value: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "true or false", int: "a number",
             float: "a number", type(None): "null", dict: "an object"}
    return kinds.get(type(value), type(value).__name__)


def _shown(value: object) -> str:
    """A wrong value as the message shows it: short scalars as written, the rest by kind."""
    if isinstance(value, str | int | float | bool):
        return repr(value)[:60]
    return _kind(value)


def _whole_number(config: dict[str, Any], key: str) -> int:
    value = config.get(key)
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**40:
        raise ModelFileError("", f"config.json: {key} is {_shown(value)}, not a length")
    return value


def _context_length(config: dict[str, Any]) -> int:
    context = _whole_number(config, "max_position_embeddings")
    text = config.get("text_config")  # a multimodal model keeps it with its text part
    if not context and isinstance(text, dict):
        context = _whole_number(text, "max_position_embeddings")
    return context


def _architecture(config: dict[str, Any]) -> tuple[str, str]:
    """(model_type, the class transformers builds)."""
    model_type = config.get("model_type", "")
    if not isinstance(model_type, str):
        raise ModelFileError("", f"config.json: model_type is {_shown(model_type)}, not a "
                                 "name")
    archs = config.get("architectures")
    if archs is None or archs == []:
        return model_type, model_type
    if not isinstance(archs, list) or not all(isinstance(a, str) for a in archs):
        raise ModelFileError("", f"config.json: architectures is {_shown(archs)}, not a "
                                 "list of names")
    return model_type, archs[0]


def _file_names(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [e.name for e in islice(entries, MAX_FOLDER_ENTRIES) if _is_file(e)]
    except OSError as exc:
        raise ModelFileError(folder, f"cannot be read: {exc.strerror or exc}") from None


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:  # a link loop, or a file gone since the listing
        return False


def inspect_folder(path: Path) -> tuple[FolderInfo, dict[str, Any], list[str]]:
    """Every check that needs no transformers: config.json, weights, remote code.
    (The folder, its config, its file names); ModelFileError naming the folder."""
    try:
        if not path.is_dir():
            raise ModelFileError(path, "is not a model folder")
    except OSError as exc:
        raise ModelFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    config = read_config(path)
    try:
        model_type, arch = _architecture(config)
        context = _context_length(config)
    except ModelFileError as exc:
        raise ModelFileError(path, exc.reason) from None
    files = _file_names(path)
    if not any(name.endswith(".safetensors") for name in files):
        pickled = [n for n in files if n.endswith(PICKLED)]
        if pickled:
            raise ModelFileError(path, f"has only pickled weights ({', '.join(sorted(pickled))});"
                                       " Writer loads safetensors only, since pickled files can "
                                       "run code when loaded")
        raise ModelFileError(path, "has no .safetensors weights")
    if config.get("auto_map"):
        raise ModelFileError(path, "needs its own Python code to run (trust_remote_code, "
                                   "auto_map in config.json); Writer never runs a model's code")
    return FolderInfo(path, path.name, arch or model_type, context), config, files


def check_model_folder(path: Path) -> FolderInfo:
    """The folder's config, or a ModelFileError naming the folder and what is wrong."""
    folder, config, _files = inspect_folder(path)
    model_type = config.get("model_type", "")
    from transformers import CONFIG_MAPPING

    if model_type not in CONFIG_MAPPING:
        raise ModelFileError(path, f"has an architecture ({model_type or 'none given'}) this "
                                   "version of transformers does not know")
    return folder


def folder_model_info(path: Path) -> ModelInfo:
    """What the model menu shows for a model folder, without importing transformers (a
    second of start-up): the size and parameters are estimated from the weight files."""
    folder, config, files = inspect_folder(path)
    weights = 0
    for name in files:
        if name.endswith(".safetensors"):
            with contextlib.suppress(OSError):  # gone since the listing: not counted
                weights += (path / name).stat().st_size
    dtype = config.get("torch_dtype") or config.get("dtype")
    dtype = dtype if isinstance(dtype, str) else ""
    per_parameter = _BYTES_PER_PARAMETER.get(dtype, 0)
    return ModelInfo(
        path=path, name=folder.name, architecture=folder.architecture,
        parameters=weights // per_parameter if per_parameter else 0,
        quantization=dtype or "safetensors", context_length=folder.context_length,
        has_chat_template=_has_chat_template(path, files), chat_template=None,
        file_size=weights)


def _has_chat_template(path: Path, files: list[str]) -> bool:
    if "chat_template.jinja" in files or "chat_template.json" in files:
        return True
    if "tokenizer_config.json" not in files:
        return False
    try:
        tok = read_json_file(path, "tokenizer_config.json", MAX_TOKENIZER_CONFIG_BYTES)
    except ModelFileError:
        return False  # transformers says what is wrong with it when the model loads
    return isinstance(tok, dict) and bool(tok.get("chat_template"))
