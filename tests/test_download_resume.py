"""Resuming a model download never splices two versions of a file, fills the disk, or
writes through a link. A real server on loopback (tests/range_server.py) serves a file,
changes it between tries, and answers ranges as real servers do or fail to."""

import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

from writer_app.engine import model_download
from writer_app.engine.model_download import (
    DownloadError,
    ModelDownloadCancelled,
    download_model,
)

from .bounded import run_bounded
from .helpers import write_tiny_gguf
from .range_server import range_server

NAME = "m.Q8_0.gguf"
MiB = 2**20


def gguf_bytes(tmp: Path, rows: int, seed: int) -> bytes:
    """A valid GGUF of `rows` x 4096 random float32 weights (rows / 64 MiB)."""
    path = tmp / f"v{rows}-{seed}.gguf"
    w = GGUFWriter(str(path), "llama")
    w.add_context_length(128)
    w.add_tensor("token_embd.weight",
                 np.random.default_rng(seed).random((rows, 4096), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """A and B: two versions of 32 MiB; C: 16 MiB; D: a few hundred bytes."""
    tmp = tmp_path_factory.mktemp("versions")
    write_tiny_gguf(tmp / "tiny.gguf")
    return {"A": gguf_bytes(tmp, 2048, 1), "B": gguf_bytes(tmp, 2048, 2),
            "C": gguf_bytes(tmp, 1024, 3), "D": (tmp / "tiny.gguf").read_bytes()}


@pytest.fixture
def server(versions):
    with range_server() as state:
        state.put(NAME, versions["A"])
        yield state


def stopped(url: str, folder: Path, after: int = 8 * MiB) -> tuple[int, str]:
    """Start a download and stop it once `after` bytes are in; (bytes kept, the reason)."""
    stop = threading.Event()

    def progress(done, _total):
        if done > after:
            stop.set()

    with pytest.raises(ModelDownloadCancelled) as err:
        download_model(url, folder, progress, stop.is_set)
    return (folder / (NAME + ".part")).stat().st_size, err.value.reason


def finish(url: str, folder: Path) -> tuple[bytes, list[int], list[str]]:
    """Download to the end: the file's bytes, the progress counts, the notices."""
    counts: list[int] = []
    notes: list[str] = []
    path, info = download_model(url, folder, lambda done, _t: counts.append(done),
                                notice=notes.append)
    assert path == folder / NAME and info.architecture == "llama"
    assert sorted(p.name for p in folder.iterdir()) == [NAME]  # no part, no record left
    return path.read_bytes(), counts, notes


@pytest.mark.parametrize("mode", ["etag", "dated"])
def test_a_stopped_download_resumes_where_it_was(server, versions, tmp_path, mode):
    url = server.url + f"{mode}/{NAME}"
    kept, message = stopped(url, tmp_path)
    assert 8 * MiB < kept < len(versions["A"])
    assert message == "stopped; download it again to resume"
    record = json.loads((tmp_path / (NAME + ".part.json")).read_text())
    version = server.files[NAME]
    validator = version.etag if mode == "etag" else version.last_modified
    assert record == {"url": url, "etag": version.etag if mode == "etag" else None,
                      "last_modified": None if mode == "etag" else version.last_modified,
                      "total": len(versions["A"]), "sha256": None}  # none announced
    data, counts, notes = finish(url, tmp_path)
    assert data == versions["A"]
    assert counts[0] == kept and notes == []
    assert server.requests[-1] == {"path": f"/{mode}/{NAME}", "range": f"bytes={kept}-",
                                   "if_range": validator}


@pytest.mark.parametrize("mode", ["etag", "dated", "no-if-range"])
def test_a_new_version_on_the_server_is_never_spliced(server, versions, tmp_path, mode):
    """Same length, other bytes: If-Range sends the new file whole, and a server that
    ignores If-Range is caught by the ETag of its 206."""
    url = server.url + f"{mode}/{NAME}"
    stopped(url, tmp_path)
    server.put(NAME, versions["B"])
    data, counts, notes = finish(url, tmp_path)
    assert data == versions["B"]
    assert counts[0] == 0 and len(notes) == 1 and notes[0].endswith("starting over.")
    if mode == "no-if-range":
        assert "the file's ETag is now" in notes[0]


@pytest.mark.parametrize("new", ["C", "D"])
def test_a_new_version_of_another_length_is_never_spliced(server, versions, tmp_path, new):
    """C is longer than the part (206 with another total), D shorter (416)."""
    url = server.url + f"no-if-range/{NAME}"
    stopped(url, tmp_path)
    server.put(NAME, versions[new])
    data, counts, notes = finish(url, tmp_path)
    assert data == versions[new] and counts[0] == 0
    assert notes == ([f"The server's answer does not continue the partial download (the "
                      f"file is now {len(versions['C'])} bytes long, not "
                      f"{len(versions['A'])}); starting over."] if new == "C" else
                     ["The server cannot continue the partial download; starting over."])


def test_a_server_that_ignores_ranges_starts_over(server, versions, tmp_path):
    url = server.url + f"ignore-range/{NAME}"
    kept, _message = stopped(url, tmp_path)
    data, counts, notes = finish(url, tmp_path)
    assert data == versions["A"] and counts[0] == 0
    assert server.requests[-1]["range"] == f"bytes={kept}-"  # asked, and got all of it
    assert notes == ["The file on the server changed, or the server cannot resume; starting "
                     "over."]


def test_a_content_range_that_does_not_continue_the_part_starts_over(server, versions,
                                                                      tmp_path):
    url = server.url + f"wrong-start/{NAME}"
    kept, _message = stopped(url, tmp_path)
    data, counts, notes = finish(url, tmp_path)
    assert data == versions["A"] and counts[0] == 0
    assert notes == [f"The server's answer does not continue the partial download (it "
                     f"starts at byte {kept + 4096}, not at byte {kept}); starting over."]


@pytest.mark.parametrize("mode", ["plain", "weak"])
def test_without_a_version_nothing_is_resumed(server, versions, tmp_path, mode):
    url = server.url + f"{mode}/{NAME}"
    _kept, message = stopped(url, tmp_path)
    assert message.startswith("stopped; download it again to start over (the server "
                                      "names no version of the file")
    assert not (tmp_path / (NAME + ".part.json")).exists()
    data, counts, notes = finish(url, tmp_path)
    assert data == versions["A"] and counts[0] == 0
    assert server.requests[-1]["range"] is None
    assert notes == ["The partial download cannot be resumed safely (no record of which "
                     "version of the file it holds); starting over."]


@pytest.mark.parametrize("record", [b"[" * 100_000, b"[]", b'{"url": 5}', b"x" * 100_000,
                                    b"other url"])
def test_a_record_that_cannot_be_trusted_starts_over(server, versions, tmp_path, record):
    url = server.url + f"etag/{NAME}"
    stopped(url, tmp_path)
    sidecar = tmp_path / (NAME + ".part.json")
    if record == b"other url":
        record = sidecar.read_bytes().replace(b"/etag/", b"/dated/")
    sidecar.write_bytes(record)
    data, counts, _notes = finish(url, tmp_path)
    assert data == versions["A"] and counts[0] == 0


def test_a_part_that_is_already_whole_is_only_checked(server, versions, tmp_path):
    """Stopped after the last byte (before the rename): no request, just the check."""
    url = server.url + f"etag/{NAME}"
    (tmp_path / (NAME + ".part")).write_bytes(versions["A"])
    (tmp_path / (NAME + ".part.json")).write_text(json.dumps(
        {"url": url, "etag": server.files[NAME].etag, "last_modified": None,
         "total": len(versions["A"])}))
    data, _counts, _notes = finish(url, tmp_path)
    assert data == versions["A"] and server.requests == []


def test_without_a_length_the_disk_margin_is_kept_while_writing(server, tmp_path,
                                                                monkeypatch):
    """The margin is set to leave 20 MiB of today's free space: the real disk_usage reports
    the disk "nearly full" once about 16 MiB of the 32 MiB file are in (checks every
    8 MiB), and the download stops there."""
    monkeypatch.setattr(model_download, "DISK_MARGIN",
                        shutil.disk_usage(tmp_path).free - 20 * MiB)
    with pytest.raises(DownloadError, match=r"no-length/m\.Q8_0\.gguf: the disk is nearly "
                                            r"full after 1[0-9] MiB, and .* free; Writer "
                                            r"keeps .* free so that your work can be saved"):
        download_model(server.url + f"no-length/{NAME}", tmp_path)
    assert 8 * MiB <= (tmp_path / (NAME + ".part")).stat().st_size <= 20 * MiB
    assert not (tmp_path / NAME).exists()


def test_with_a_length_too_large_nothing_is_written(server, tmp_path, monkeypatch):
    monkeypatch.setattr(model_download, "DISK_MARGIN",
                        shutil.disk_usage(tmp_path).free - 20 * MiB)
    with pytest.raises(DownloadError, match=r"needs 0\.0 GiB more, and .* free"):
        download_model(server.url + f"etag/{NAME}", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_part_linked_outside_the_folder_is_refused(server, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("the user's own file")
    models = tmp_path / "models"
    models.mkdir()
    (models / (NAME + ".part")).symlink_to(outside)
    with pytest.raises(DownloadError, match=r"m\.Q8_0\.gguf\.part is a symbolic link; Writer "
                                            r"does not write through it"):
        download_model(server.url + f"etag/{NAME}", models)
    assert outside.read_text() == "the user's own file"
    assert server.requests == []


def test_a_model_name_that_is_a_link_is_refused(server, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / NAME).symlink_to(tmp_path / "elsewhere.gguf")
    with pytest.raises(DownloadError, match=r"m\.Q8_0\.gguf is a symbolic link"):
        download_model(server.url + f"etag/{NAME}", models)
    assert not (tmp_path / "elsewhere.gguf").exists()


def test_a_record_linked_outside_the_folder_is_not_followed(server, versions, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text("keep me")
    models = tmp_path / "models"
    models.mkdir()
    (models / (NAME + ".part.json")).symlink_to(outside)
    data, _counts, _notes = finish(server.url + f"etag/{NAME}", models)
    assert data == versions["A"] and outside.read_text() == "keep me"


def download_into(url: str, folder: str) -> str:
    """download_model's error, or "downloaded"; run in a child (a hang must not hang us)."""
    try:
        download_model(url, Path(folder))
    except DownloadError as exc:
        return exc.reason
    return "downloaded"


def test_a_part_that_is_a_pipe_is_refused_without_blocking(server, tmp_path):
    os.mkfifo(tmp_path / (NAME + ".part"))
    outcome = run_bounded("tests.test_download_resume:download_into",
                          server.url + f"etag/{NAME}", str(tmp_path), timeout=30)
    assert outcome.value == (f"{tmp_path / (NAME + '.part')} is not a regular file; Writer "
                             "does not write through it (remove it, then download again)")
    outcome.within_bounds(seconds=5, memory_mb=512)


# --- the file's identity: sha256 and size ------------------------------------------------
def test_the_sha256_a_redirect_announces_is_checked_even_after_a_resume(server, versions,
                                                                        tmp_path):
    """As Hugging Face answers /resolve/: the first answer is a redirect naming the sha256
    (X-Linked-Etag), the file comes from the address it points to."""
    url = server.url + "hf/" + NAME
    kept, _ = stopped(url, tmp_path)
    assert 0 < kept < len(versions["A"])
    record = json.loads((tmp_path / (NAME + ".part.json")).read_text())
    assert record["sha256"] == hashlib.sha256(versions["A"]).hexdigest()
    data, _, _ = finish(url, tmp_path)
    assert data == versions["A"]


def test_a_file_whose_sha256_is_not_the_announced_one_is_deleted(server, tmp_path):
    with pytest.raises(DownloadError, match=r"its sha256 is .* as the server says; the "
                                            "download was deleted"):
        download_model(server.url + "hf-wrong/" + NAME, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_catalogs_sha256_and_size_are_checked(server, versions, tmp_path):
    right = hashlib.sha256(versions["A"]).hexdigest()
    path, _ = download_model(server.url + "etag/" + NAME, tmp_path, sha256=right,
                             size=len(versions["A"]))
    assert path.read_bytes() == versions["A"]
    path.unlink()
    with pytest.raises(DownloadError, match="as the catalog says"):
        download_model(server.url + "etag/" + NAME, tmp_path, sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DownloadError, match=f"not {len(versions['A']) + 1} as the catalog"):
        download_model(server.url + "etag/" + NAME, tmp_path, size=len(versions["A"]) + 1)
    assert list(tmp_path.iterdir()) == []
