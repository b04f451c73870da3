"""Model files are read and checked before llama.cpp sees them."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from gguf import GGUFReader

from writer_app.engine.errors import EngineError, ModelFileError
from writer_app.engine.gguf_file import read_header
from writer_app.engine.model_info import read_model_info

from .helpers import error_as_unprivileged_user, write_tiny_gguf


def test_default_model_metadata(default_model_path):
    info = read_model_info(default_model_path)
    assert info.architecture == "llama"
    assert info.parameters == 134_515_008 and info.parameters_label == "134.5M"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert info.has_chat_template and "<|im_start|>" in (info.chat_template or "")
    assert info.file_size == default_model_path.stat().st_size == 98_362_432
    assert info.layers == 30 and info.kv_width == 192


def test_header_agrees_with_the_gguf_packages_reader(default_model_path):
    ours = read_header(default_model_path)
    theirs = GGUFReader(default_model_path)
    assert len(ours.tensors) == len(theirs.tensors)
    for a, b in zip(ours.tensors, theirs.tensors, strict=True):
        assert a.name == b.name
        assert ours.data_offset + a.offset == b.data_offset
        assert a.n_bytes == b.n_bytes
    for key in ("general.architecture", "llama.context_length", "tokenizer.chat_template"):
        assert ours.metadata[key] == theirs.fields[key].contents()
    assert ours.array_lengths["tokenizer.ggml.tokens"] == len(
        theirs.fields["tokenizer.ggml.tokens"].contents())


def _refused(path, reason_part):
    with pytest.raises(ModelFileError) as err:
        read_model_info(path)
    assert str(path) in str(err.value)
    assert reason_part in err.value.reason
    return err.value


def test_empty_file(tmp_path):
    path = tmp_path / "empty.gguf"
    path.touch()
    _refused(path, "is empty")


def test_not_a_gguf(tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("these are my notes, not a model")
    _refused(path, "is not a GGUF model file")


def test_zip_named_gguf(tmp_path):
    path = tmp_path / "pytorch.gguf"
    shutil.make_archive(str(tmp_path / "a"), "zip", tmp_path)
    (tmp_path / "a.zip").rename(path)
    _refused(path, "zip archive")


def test_old_ggml_file(tmp_path):
    path = tmp_path / "old.gguf"
    path.write_bytes(b"tjgg" + b"\0" * 100)
    _refused(path, "old GGML")


def test_unsupported_version(tmp_path, default_model_path):
    data = bytearray(default_model_path.read_bytes()[:4096])
    data[4:8] = struct.pack("<I", 99)
    path = tmp_path / "future.gguf"
    path.write_bytes(bytes(data))
    _refused(path, "GGUF version 99 is not supported")


def test_truncated_in_the_header(tmp_path, default_model_path):
    path = tmp_path / "cut.gguf"
    with default_model_path.open("rb") as f:
        path.write_bytes(f.read(100_000))
    _refused(path, "is truncated")


def test_truncated_in_the_weights(tmp_path, default_model_path):
    path = tmp_path / "half.gguf"
    with default_model_path.open("rb") as f:
        path.write_bytes(f.read(default_model_path.stat().st_size - 1000))
    err = _refused(path, "is truncated")
    assert "98362432 bytes" in err.reason


def test_absurd_counts_are_malformed(tmp_path, default_model_path):
    data = bytearray(default_model_path.read_bytes()[:4096])
    data[8:16] = struct.pack("<Q", 2**62)
    path = tmp_path / "absurd.gguf"
    path.write_bytes(bytes(data))
    _refused(path, "is malformed")


def test_missing_file(tmp_path):
    _refused(tmp_path / "nowhere.gguf", "no such file")


def test_folder_named_like_a_model(tmp_path):
    path = tmp_path / "folder.gguf"
    path.mkdir()
    _refused(path, "is a folder")


def test_fifo_is_not_opened(tmp_path):
    path = tmp_path / "pipe.gguf"
    os.mkfifo(path)
    _refused(path, "not a regular file")


def test_dangling_link(tmp_path):
    path = tmp_path / "link.gguf"
    path.symlink_to(tmp_path / "gone.gguf")
    _refused(path, "no such file")


def test_unreadable_file(tmp_path):
    """Without read permission (root reads anything, so root checks as user nobody)."""
    folder = Path(tempfile.mkdtemp(prefix="writer-unreadable-"))
    try:
        folder.chmod(0o755)
        path = folder / "locked.gguf"
        path.write_bytes(b"GGUF" + b"\0" * 64)
        path.chmod(0)
        if os.geteuid() != 0:
            _refused(path, "cannot be read")
        else:
            assert error_as_unprivileged_user(read_model_info, path) == (
                f"{path}: cannot be read: Permission denied")
    finally:
        shutil.rmtree(folder)


def test_valid_gguf_that_is_not_a_usable_model(tmp_path):
    """Passes the header check, then llama.cpp refuses it: an error, and the process lives on."""
    from writer_app.engine.engine import Engine

    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    info = read_model_info(path)
    assert info.parameters == 128 and info.context_length == 128
    with pytest.raises(EngineError, match=r"llama\.cpp could not load the model"):
        Engine.load(info)


@pytest.mark.parametrize(
    "content", [b"", b"GGUF", b"hello world" * 10, b"GGUF\x03\0\0\0" + b"\xff" * 40])
def test_cli_survives_bad_files(tmp_path, content):
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "writer_app", "generate", "hi", "--model",
                           str(path)], capture_output=True, text=True)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"writer-app: error: {path}: ")
    assert "Traceback" not in proc.stderr
