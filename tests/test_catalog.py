"""The catalog of recommended models: what it holds and cites, whether each fits this
machine, and a download by name checked against its sha256 (a catalog served from the
loopback test server, the default model standing in for its files)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from writer_app.engine import memory
from writer_app.engine.catalog import catalog_file, find_entry, load_catalog
from writer_app.engine.errors import EngineError

from .range_server import range_server


def test_the_catalog_holds_eight_models_with_their_sources():
    entries = load_catalog()
    assert len(entries) >= 8
    sizes = [e.size for e in entries]
    assert min(sizes) < 2**30 and max(sizes) > 4 * 2**30  # from about 0.5B to 8B
    assert len({e.family.split()[0] for e in entries}) >= 3
    raw = {m["id"]: m for m in json.loads(catalog_file().read_text())["models"]}
    for e in entries:
        sources = raw[e.id]["sources"]
        assert e.url.startswith("https://huggingface.co/") and e.file_name in e.url
        assert all(sources[k] for k in ("size", "licence", "shape", "vocab_size"))
        if e.sha256:  # seen on a Hugging Face page
            assert sources["sha256"].startswith("https://huggingface.co/")
        else:  # the value found elsewhere is kept, marked unverified
            assert sources["unverified_sha256"]
        assert e.shape.layers and e.shape.kv_heads and e.shape.vocab_size


def test_a_broken_catalog_names_the_file_and_the_fault(tmp_path):
    bad = tmp_path / "catalog.json"
    bad.write_text("{")
    with pytest.raises(EngineError, match=f"{bad}: the model catalog cannot be read"):
        load_catalog(bad)
    model = json.loads(catalog_file().read_text())["models"][0]
    bad.write_text(json.dumps({"models": [{**model, "sha256": "beef"}]}))
    with pytest.raises(EngineError, match=r"model 1 .*sha256 must be 64 hex digits"):
        load_catalog(bad)


def test_the_fit_follows_the_memory_available():
    entry = find_entry("llama-3.1-8b-instruct", load_catalog())
    assert entry is not None
    needed, n_ctx = entry.needed_bytes(8192)
    assert n_ctx == 8192 and 5 * 2**30 < needed < 7 * 2**30
    assert memory.fit(needed, 16 * 2**30) == "fits"
    assert memory.fit(needed, int(needed * 1.1)) == "tight"
    assert memory.fit(needed, 4 * 2**30) == "too big"


def served_catalog(tmp_path, server, data: bytes, sha256: str | None, mode: str = "hf"):
    entry = json.loads(catalog_file().read_text())["models"][0]
    entry.update(id="stand-in", name="Stand-in", file_name="stand-in.gguf",
                 url=f"{server.url}{mode}/stand-in.gguf", size=len(data),
                 size_verified=True, sha256=sha256)
    server.put("stand-in.gguf", data)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"version": 1, "models": [entry]}))
    return path


def download(catalog, to):
    return subprocess.run([sys.executable, "-m", "writer_app", "download", "stand-in",
                           "--catalog", str(catalog), "--to", str(to)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def model_bytes(default_model_path):
    data = default_model_path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def test_a_catalog_model_is_downloaded_by_name_and_its_hash_checked(tmp_path, model_bytes):
    data, digest = model_bytes
    with range_server() as server:
        proc = download(served_catalog(tmp_path, server, data, digest), tmp_path / "m")
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / "m" / "stand-in.gguf").read_bytes() == data
        # Hugging Face's way: a redirect naming the sha256, then the file.
        assert [r["path"] for r in server.requests] == ["/hf/stand-in.gguf",
                                                        "/etag/stand-in.gguf"]


def test_a_catalog_download_with_the_wrong_hash_is_deleted(tmp_path, model_bytes):
    data, _ = model_bytes
    with range_server() as server:
        proc = download(served_catalog(tmp_path, server, data, "0" * 64), tmp_path / "m")
    assert proc.returncode == 1
    assert "not the file expected: its sha256 is" in proc.stderr
    assert "as the catalog says; the download was deleted" in proc.stderr
    assert list((tmp_path / "m").iterdir()) == []


def test_an_unverified_entry_is_checked_by_the_hash_the_server_announces(tmp_path,
                                                                        model_bytes):
    data, _ = model_bytes
    with range_server() as server:
        proc = download(served_catalog(tmp_path, server, data, None, "hf-wrong"),
                        tmp_path / "m")
    assert proc.returncode == 1 and "as the server says" in proc.stderr


def test_the_cli_catalog_says_what_fits_and_what_is_on_disk(tmp_path, default_model_path):
    import shutil

    entry = load_catalog()[0]
    store = tmp_path / "user" / ".lmstudio" / "models" / "pub" / "repo"
    store.mkdir(parents=True)
    shutil.copyfile(default_model_path, store / entry.file_name)  # a stand-in, by name
    env = {**os.environ, "HOME": str(tmp_path / "user")}
    proc = subprocess.run([sys.executable, "-m", "writer_app", "catalog", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    assert rows[entry.id]["on_disk"] == str(store / entry.file_name)
    assert all(r["fit"] in ("fits", "tight", "too big") for r in rows.values())
    assert all(r["memory_needed"] > r["size"] for r in rows.values())
