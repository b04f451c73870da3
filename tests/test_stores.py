"""Models other apps downloaded (LM Studio, GPT4All, Ollama, Jan, the Hugging Face cache),
each store's layout built in a temporary home with the real default model placed as that
app places it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.engine import stores
from writer_app.engine.discovery import discover, resolve
from writer_app.engine.stores import Place
from writer_app.settings import Settings

MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def place_model(source: Path, target: Path) -> Path:
    """A copy of the model at `target` (not a link: a file found twice, by its device
    and inode, is listed once, where it was found first)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def ollama_store(models: Path, model: Path, name: str = "smollm2", tag: str = "135m",
                 namespace: str = "library", registry: str = "registry.ollama.ai") -> Path:
    """An Ollama models folder holding `model` as `ollama pull` leaves it."""
    blob = place_model(model, models / "blobs" / f"sha256-{MODEL_SHA256}")
    template = models / "blobs" / f"sha256-{hashlib.sha256(b'{{ .Prompt }}').hexdigest()}"
    template.write_text("{{ .Prompt }}")
    manifest = models / "manifests" / registry / namespace / name / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "digest": "sha256:" + "0" * 64, "size": 485},
        "layers": [
            {"mediaType": "application/vnd.ollama.image.model",
             "digest": f"sha256:{MODEL_SHA256}", "size": blob.stat().st_size},
            {"mediaType": "application/vnd.ollama.image.template",
             "digest": "sha256:" + template.name.removeprefix("sha256-"), "size": 12},
        ]}))
    return blob


def hf_cache(hub: Path, model: Path, repo: str = "HuggingFaceTB--SmolLM2-135M-Instruct-GGUF"
             ) -> Path:
    """A hub cache holding `model` as huggingface_hub downloads it: the file in blobs/,
    a link to it in snapshots/<revision>/."""
    folder = hub / f"models--{repo}"
    place_model(model, folder / "blobs" / MODEL_SHA256)
    revision = "a" * 40
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(revision)
    link = folder / "snapshots" / revision / model.name
    link.parent.mkdir(parents=True)
    link.symlink_to(Path("..") / ".." / "blobs" / MODEL_SHA256)
    return link


def found_in(home: Path, store: str, env: dict[str, str] | None = None,
             system: str = "linux"):
    return discover([], [store], Place(env or {}, home, system))


def snapshot(folder: Path) -> list[tuple[str, int, int]]:
    """What a folder holds, to check nothing was written there."""
    return sorted((str(p), p.lstat().st_size, p.lstat().st_mtime_ns)
                  for p in folder.rglob("*"))


def test_lm_studio_models_by_publisher_and_repository(tmp_path, default_model_path):
    place_model(default_model_path, tmp_path / ".lmstudio" / "models" / "HuggingFaceTB" /
                "SmolLM2-135M-Instruct-GGUF" / default_model_path.name)
    place_model(default_model_path, tmp_path / ".cache" / "lm-studio" / "models" / "old" /
                "repo" / "older.gguf")
    before = snapshot(tmp_path)
    found = found_in(tmp_path, "lmstudio")
    assert [(m.label, m.source, m.usable) for m in found] == [
        (default_model_path.name, "LM Studio", True), ("older.gguf", "LM Studio", True)]
    assert snapshot(tmp_path) == before  # nothing written there
    # The same file in two places (a hard link) is one model.
    os.link(found[0].path, tmp_path / ".cache" / "lm-studio" / "models" / "old" / "link.gguf")
    assert len(found_in(tmp_path, "lmstudio")) == 2


def test_lm_studio_folder_moved_in_its_settings(tmp_path, default_model_path):
    elsewhere = tmp_path / "big-disk" / "lms"
    place_model(default_model_path, elsewhere / "pub" / "repo" / "moved.gguf")
    (tmp_path / ".lmstudio").mkdir()
    (tmp_path / ".lmstudio" / "settings.json").write_text(
        json.dumps({"downloadsFolder": str(elsewhere)}))
    assert [m.label for m in found_in(tmp_path, "lmstudio")] == ["moved.gguf"]
    # Its whole home moved: ~/.lmstudio-home-pointer names it.
    home = tmp_path / "other-home"
    place_model(default_model_path, home / "models" / "pub" / "repo" / "home.gguf")
    (tmp_path / ".lmstudio-home-pointer").write_text(f"{home}\n")
    assert [m.label for m in found_in(tmp_path, "lmstudio")] == ["home.gguf", "moved.gguf"]


def test_gpt4all_data_folder_and_its_model_path_setting(tmp_path, default_model_path):
    place_model(default_model_path, tmp_path / ".local" / "share" / "nomic.ai" / "GPT4All" /
                "smollm2.gguf")
    found = found_in(tmp_path, "gpt4all")
    assert [(m.label, m.source, m.usable) for m in found] == [("smollm2.gguf", "GPT4All", True)]
    moved = tmp_path / "elsewhere"
    place_model(default_model_path, moved / "copy.gguf")
    (tmp_path / ".config" / "nomic.ai").mkdir(parents=True)
    (tmp_path / ".config" / "nomic.ai" / "GPT4All.ini").write_text(
        f"[General]\nmodelPath={moved}\n")
    assert [m.label for m in found_in(tmp_path, "gpt4all")] == ["copy.gguf", "smollm2.gguf"]


def test_jan_models(tmp_path, default_model_path):
    place_model(default_model_path, tmp_path / ".local" / "share" / "Jan" / "data" /
                "llamacpp" / "models" / "smollm2-135m" / "model.gguf")
    place_model(default_model_path, tmp_path / ".config" / "Jan" / "data" / "models" /
                "older" / "model.gguf")  # the versions before
    place_model(default_model_path, tmp_path / "jan" / "models" / "oldest" / "x.gguf")
    found = found_in(tmp_path, "jan")
    assert [(m.path.parent.name, m.source, m.usable) for m in found] == [
        ("smollm2-135m", "Jan", True), ("older", "Jan", True), ("oldest", "Jan", True)]
    moved = tmp_path / "jan-elsewhere"
    place_model(default_model_path, moved / "llamacpp" / "models" / "m" / "model.gguf")
    first = found_in(tmp_path, "jan", {"JAN_DATA_FOLDER": str(moved)})[0]
    assert first.path.parent.name == "m"


def test_a_download_under_way_is_not_a_model(tmp_path, default_model_path):
    folder = tmp_path / ".local" / "share" / "nomic.ai" / "GPT4All"
    place_model(default_model_path, folder / "incomplete-smollm2.gguf")
    assert found_in(tmp_path, "gpt4all") == []


def test_ollama_models_by_their_ollama_names(tmp_path, default_model_path):
    models = tmp_path / ".ollama" / "models"
    blob = ollama_store(models, default_model_path)
    ollama_store(models, default_model_path, name="writer", tag="latest",
                 namespace="someone")
    before = snapshot(tmp_path)
    found = found_in(tmp_path, "ollama")
    assert [(m.label, m.source, m.path) for m in found] == [
        ("smollm2:135m", "Ollama", blob)]  # the second manifest names the same blob
    assert found[0].info is not None and found[0].info.has_chat_template  # the GGUF's own
    assert snapshot(tmp_path) == before


def test_a_broken_manifest_is_listed_with_its_reason_and_the_rest_found(tmp_path,
                                                                       default_model_path):
    models = tmp_path / "ollama-models"
    ollama_store(models, default_model_path)
    manifests = models / "manifests" / "registry.ollama.ai" / "library"
    (manifests / "broken").mkdir()
    (manifests / "broken" / "latest").write_text("{not json")
    (manifests / "gone").mkdir()
    (manifests / "gone" / "7b").write_text(json.dumps({"layers": [
        {"mediaType": stores.OLLAMA_MODEL_LAYER, "digest": "sha256:" + "1" * 64}]}))
    (manifests / "other").mkdir()
    (manifests / "other" / "x").write_text(json.dumps({"layers": []}))
    found = {m.label: m for m in found_in(tmp_path, "ollama", {"OLLAMA_MODELS": str(models)})}
    assert found["smollm2:135m"].usable
    assert "is not valid JSON" in found["broken:latest"].error
    assert "its model blob sha256-1111" in found["gone:7b"].error
    assert "has no model layer" in found["other:x"].error


def test_the_hugging_face_cache_and_a_dangling_link(tmp_path, default_model_path):
    hub = tmp_path / ".cache" / "huggingface" / "hub"
    link = hf_cache(hub, default_model_path)
    dangling = link.parent / "gone.gguf"
    dangling.symlink_to(Path("..") / ".." / "blobs" / ("2" * 64))
    (hub / "datasets--someone--data" / "snapshots").mkdir(parents=True)
    before = snapshot(tmp_path)
    found = {m.label: m for m in found_in(tmp_path, "huggingface")}
    assert found[default_model_path.name].usable
    assert found[default_model_path.name].path == link
    assert found[default_model_path.name].source == "Hugging Face cache"
    assert "cannot be read" in found["gone.gguf"].error
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("variables", [
    lambda root: {"HF_HUB_CACHE": str(root)},
    lambda root: {"HUGGINGFACE_HUB_CACHE": str(root)},
    lambda root: {"HF_HOME": str(root.parent)},
    lambda root: {"XDG_CACHE_HOME": str(root.parent.parent)},
])
def test_the_variables_that_move_the_hugging_face_cache(tmp_path, default_model_path,
                                                        variables):
    hub = tmp_path / "moved" / "huggingface" / "hub"
    hf_cache(hub, default_model_path)
    env = variables(hub)
    found = found_in(tmp_path, "huggingface", env)
    assert [m.source for m in found if m.usable] == ["Hugging Face cache"]


def test_each_store_in_its_place_on_macos_and_windows(tmp_path):
    mac = Place({}, tmp_path, "darwin")
    support = tmp_path / "Library" / "Application Support"
    assert support / "nomic.ai" / "GPT4All" in stores.gpt4all_folders(mac)
    (tmp_path / ".config" / "gpt4all.io").mkdir(parents=True)
    (tmp_path / ".config" / "gpt4all.io" / "GPT4All.ini").write_text("modelPath=/Volumes/m\n")
    assert stores.gpt4all_folders(mac)[0] == Path("/Volumes/m")
    assert support / "Jan" / "data" / "llamacpp" / "models" in stores.jan_folders(mac)
    assert stores.ollama_folders(mac) == [tmp_path / ".ollama" / "models"]
    windows = Place({"LOCALAPPDATA": r"C:\Users\a\AppData\Local",
                     "APPDATA": r"C:\Users\a\AppData\Roaming"}, tmp_path, "win32")
    assert Path(r"C:\Users\a\AppData\Local") / "nomic.ai" / "GPT4All" in \
        stores.gpt4all_folders(windows)
    assert Path(r"C:\Users\a\AppData\Roaming") / "Jan" / "data" / "llamacpp" / "models" in \
        stores.jan_folders(windows)
    assert tmp_path / ".lmstudio" / "models" in stores.lmstudio_folders(windows)
    linux = Place({}, tmp_path, "linux")
    assert Path("/usr/share/ollama/.ollama/models") in stores.ollama_folders(linux)


def test_a_store_turned_off_in_the_settings_is_not_searched():
    prefs = Settings(model_sources_off=["ollama", "jan"])
    assert prefs.model_stores() == ["lmstudio", "gpt4all", "huggingface"]


def test_a_model_is_loaded_by_its_ollama_name(tmp_path, default_model_path, monkeypatch):
    ollama_store(tmp_path / "ollama", default_model_path)
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "ollama"))
    info = resolve("smollm2:135m", [], ["ollama"])
    assert info.path.name == f"sha256-{MODEL_SHA256}" and info.architecture == "llama"


def test_the_cli_lists_each_models_source(tmp_path, default_model_path):
    ollama_store(tmp_path / "ollama", default_model_path)
    home = Path(os.environ["HOME"])
    place_model(default_model_path, home / ".lmstudio" / "models" / "a" / "b" / "lms.gguf")
    env = {**os.environ, "OLLAMA_MODELS": str(tmp_path / "ollama")}
    proc = subprocess.run([sys.executable, "-m", "writer_app", "--model-dir",
                           str(tmp_path / "none"), "models", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = {(r["name"], r["source"]): r for r in json.loads(proc.stdout)}
    assert ("smollm2:135m", "Ollama") in rows and ("lms.gguf", "LM Studio") in rows
    row = rows[("lms.gguf", "LM Studio")]
    assert row["fit"] == "fits" and 0.3 * 2**30 < row["memory_needed"] < 0.5 * 2**30


def test_the_settings_dialog_turns_each_store_off(qtbot):
    from writer_app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(model_sources_off=["ollama"]))
    qtbot.addWidget(dialog)
    assert not dialog.stores["ollama"].isChecked() and dialog.stores["jan"].isChecked()
    dialog.stores["jan"].setChecked(False)
    dialog.stores["ollama"].setChecked(True)
    assert dialog.values().model_sources_off == ["jan"]
