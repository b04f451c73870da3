"""Downloading a model from a link, from a server on this machine (loopback), with the real
default model as the file served."""

import subprocess
import sys
import threading

import pytest

from writer_app.engine.discovery import discover
from writer_app.engine.model_download import (
    DownloadError,
    ModelDownloadCancelled,
    direct_link,
    download_model,
    model_file_name,
)

NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_links():
    assert direct_link("https://huggingface.co/org/repo/blob/main/m.Q4_K_M.gguf") == \
        "https://huggingface.co/org/repo/resolve/main/m.Q4_K_M.gguf"
    assert direct_link(" https://example.org/blob/m.gguf ") == "https://example.org/blob/m.gguf"
    assert model_file_name("https://x.org/a/My%20Model.Q4.gguf?download=true") == \
        "My_Model.Q4.gguf"
    with pytest.raises(DownloadError, match=r"does not end with a \.gguf file name"):
        model_file_name("https://huggingface.co/org/repo")
    with pytest.raises(DownloadError, match=r"does not end with a \.gguf file name"):
        model_file_name("https://x.org/../.gguf")


def test_download_checks_the_model_and_discovery_finds_it(web_server, default_model_path,
                                                            tmp_path):
    seen = []
    path, info = download_model(web_server + "models/" + NAME, tmp_path / "models",
                                lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "models" / NAME
    assert path.read_bytes() == default_model_path.read_bytes()
    assert info.path == path and info.architecture == "llama"
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert [f.path for f in discover([tmp_path / "models"])] == [path]
    with pytest.raises(DownloadError, match="is already there"):
        download_model(web_server + "models/" + NAME, tmp_path / "models")


def test_a_stopped_download_starts_over_when_the_server_names_no_version(
        web_server, default_model_path, tmp_path):
    """This server sends no ETag or Last-Modified: nothing tells whether the file changed
    since the part was fetched, so the part is fetched again rather than continued
    (tests/test_download_resume.py resumes from servers that name a version)."""
    stop = threading.Event()

    def progress(done, _total):
        if done > 10 * 2**20:
            stop.set()

    with pytest.raises(ModelDownloadCancelled, match="download it again to start over"):
        download_model(web_server + "models/" + NAME, tmp_path, progress, stop.is_set)
    part = tmp_path / (NAME + ".part")
    kept = part.stat().st_size
    assert 10 * 2**20 < kept < default_model_path.stat().st_size
    assert discover([tmp_path]) == []  # half a model is never listed
    first, notes = [], []
    path, _ = download_model(web_server + "models/" + NAME, tmp_path,
                             lambda done, total: first.append(done), notice=notes.append)
    assert first[0] == 0 and len(notes) == 1 and "starting over" in notes[0]
    assert path.read_bytes() == default_model_path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]


def test_a_broken_connection_keeps_the_part_and_says_so(web_server, tmp_path):
    with pytest.raises(DownloadError, match=r"the connection ended at 47 of 94 MiB; download "
                                            r"it again to start over \(the server names no "
                                            r"version of the file"):
        download_model(web_server + "cut/" + NAME, tmp_path)
    assert (tmp_path / (NAME + ".part")).stat().st_size > 0
    assert not (tmp_path / NAME).exists()


def test_a_web_page_instead_of_a_model_is_refused(web_server, tmp_path):
    with pytest.raises(DownloadError, match="answered with a web page, not a model file"):
        download_model(web_server + "login/model.gguf", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_model_is_not_kept(web_server, tmp_path):
    with pytest.raises(DownloadError, match=r"harbour\.gguf: is not a usable GGUF model "
                                            r"\(is not a GGUF model file.*%PDF.*nothing was kept"):
        download_model(web_server + "models/harbour.gguf", tmp_path)  # a PDF, in fact
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_names_the_servers_answer(web_server, tmp_path):
    with pytest.raises(DownloadError, match=r"missing\.gguf: the server answered 404"):
        download_model(web_server + "missing.gguf", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_cli_downloads_into_the_users_models_folder(web_server, writer_home):
    out = subprocess.run([sys.executable, "-m", "writer_app", "download",
                          web_server + "models/" + NAME], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    from writer_app import paths

    assert (paths.user_models_dir() / NAME).is_file()
    assert NAME in out.stdout
    again = subprocess.run([sys.executable, "-m", "writer_app", "download",
                            web_server + "models/" + NAME], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 1
    assert "is already there" in again.stderr
