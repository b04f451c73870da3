"""A Hugging Face model folder's config.json is untrusted input: whatever it holds gives a
ModelFileError naming the folder and the reason (never a raw ValueError, TypeError or
RecursionError), within bounds, and discovery lists the folder as unusable with it."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from writer_app.engine.discovery import discover
from writer_app.engine.errors import ModelFileError
from writer_app.engine.model_folder import MAX_CONFIG_BYTES, check_model_folder

from .bounded import run_bounded

GOOD = {"model_type": "llama", "architectures": ["LlamaForCausalLM"],
        "max_position_embeddings": 512, "torch_dtype": "float32"}


def make_folder(folder: Path, config: bytes | None) -> Path:
    folder.mkdir(parents=True)
    save_file({"w": np.zeros((32, 32), dtype=np.float32)}, str(folder / "model.safetensors"))
    if config is not None:
        (folder / "config.json").write_bytes(config)
    return folder


def reasons(folder: str) -> list:
    """[check_model_folder's reason, discovery's [name, usable, error]]; run in a child."""
    try:
        check_model_folder(Path(folder))
        checked = "accepted"
    except ModelFileError as exc:
        assert exc.path == Path(folder) and str(exc).startswith(f"{folder}: ")
        checked = exc.reason
    listed = [[m.path.name, m.usable, m.error] for m in discover([Path(folder).parent])]
    return [checked, listed]


def config_with(**fields) -> bytes:
    return json.dumps({**GOOD, **fields}).encode()


CASES = {
    "invalid JSON": (b'{"model_type": "llama",', "config.json is not valid JSON (Expecting "
                                                 "property name enclosed in double quotes"),
    "a list": (b"[]", "config.json holds a list, not a JSON object"),
    "null": (b"null", "config.json holds null, not a JSON object"),
    "100,000 levels of nesting": (b"[" * 100_000 + b"]" * 100_000,
                                  "config.json is nested too deeply"),
    "deep nesting inside an object": (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                                      "config.json is nested too deeply"),
    "a context length in words": (config_with(max_position_embeddings="lots"),
                                  "config.json: max_position_embeddings is 'lots', not a "
                                  "length"),
    "an infinite context length": (config_with(max_position_embeddings=1e999),
                                   "config.json: max_position_embeddings is inf, not a length"),
    "a negative context length": (config_with(max_position_embeddings=-1),
                                  "config.json: max_position_embeddings is -1, not a length"),
    "a number of 5,000 digits": (b'{"model_type": "llama", "n": ' + b"9" * 5000 + b"}",
                                 "config.json is not valid JSON (Exceeds the limit"),
    "architectures as a number": (config_with(architectures=5),
                                  "config.json: architectures is 5, not a list of names"),
    "architectures of lists": (config_with(architectures=[[1]]),
                               "config.json: architectures is a list, not a list of names"),
    "model_type as an object": (config_with(model_type={"a": 1}),
                                "config.json: model_type is an object, not a name"),
    "not UTF-8": (b'{"model_type": "\xff\xfe"}', "config.json is not UTF-8 text (byte 16)"),
    "huge": (b'{"pad": "' + b"x" * MAX_CONFIG_BYTES + b'"}',
             f"config.json is {MAX_CONFIG_BYTES + 11} bytes, more than the "
             f"{MAX_CONFIG_BYTES} a model's file of that name ever needs"),
    "empty": (b"", "config.json is empty (0 bytes)"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_bad_config_is_a_clear_error(tmp_path, name):
    content, reason = CASES[name]
    folder = make_folder(tmp_path / "models" / "bad-model", content)
    outcome = run_bounded("tests.test_model_folder_config:reasons", str(folder))
    assert outcome.ok, outcome.traceback
    outcome.within_bounds(seconds=2, memory_mb=256)
    assert isinstance(outcome.value, list)
    checked, listed = outcome.value
    assert checked.startswith(reason), checked
    assert listed == [["bad-model", False, checked]]


@pytest.mark.parametrize("kind", ["fifo", "folder", "loop", "dangling"])
def test_a_config_that_is_not_a_file_is_not_opened(tmp_path, kind):
    """A pipe would block the reader forever; a link loop used to escape as OSError."""
    folder = make_folder(tmp_path / "models" / "odd-model", None)
    config = folder / "config.json"
    if kind == "fifo":
        os.mkfifo(config)
    elif kind == "folder":
        config.mkdir()
    elif kind == "loop":
        config.symlink_to("config.json")
    else:
        config.symlink_to("gone.json")
    outcome = run_bounded("tests.test_model_folder_config:reasons", str(folder), timeout=20)
    assert outcome.ok, outcome.traceback or outcome.message
    assert isinstance(outcome.value, list)
    checked, listed = outcome.value
    assert checked == {"fifo": "config.json is not a regular file",
                       "folder": "config.json is a folder, not a JSON file",
                       "loop": "config.json cannot be read: Too many levels of symbolic links",
                       "dangling": "config.json no such file"}[kind]
    assert listed == [["odd-model", False, checked]]
    outcome.within_bounds(seconds=2, memory_mb=256)


def test_a_good_folder_is_listed_with_what_its_config_says(tmp_path):
    folder = make_folder(tmp_path / "models" / "tiny-llama", json.dumps(GOOD).encode())
    (folder / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ x }}"}))
    [found] = discover([tmp_path / "models"])
    assert found.path == folder and found.usable and found.error is None
    info = found.info
    assert info is not None
    assert info.architecture == "LlamaForCausalLM" and info.context_length == 512
    assert info.quantization == "float32" and info.has_chat_template
    assert info.file_size == (folder / "model.safetensors").stat().st_size
    assert 1024 <= info.parameters < 1024 + 64  # 32 x 32 weights, plus the file's header


def test_a_folder_without_weights_is_not_a_model_folder(tmp_path):
    """A config.json alone (a project folder, not a model) is not listed at all."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "config.json").write_text("{}")
    assert discover([tmp_path]) == []
