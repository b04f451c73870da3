"""Models other apps downloaded: LM Studio, GPT4All, Ollama, Jan and the Hugging Face
cache, each in the folders that app uses on Linux, macOS and Windows, with the
environment variables that move them.

Read only: nothing is written, copied or moved in those folders. Most stores are plain
folders of GGUF files, searched like the user's own (engine/discovery.py). Ollama keeps
a model as a manifest naming a blob (a GGUF without an extension): `ollama_models`
reads the manifests and shows each model by its Ollama name.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

# The stores, by the id a setting turns them off with, and what the user sees.
STORES = {
    "lmstudio": "LM Studio",
    "gpt4all": "GPT4All",
    "ollama": "Ollama",
    "jan": "Jan",
    "huggingface": "Hugging Face cache",
}
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
OLLAMA_REGISTRY = "registry.ollama.ai"
MAX_MANIFEST_BYTES = 1 << 20  # a manifest is a few hundred bytes of JSON
MAX_MANIFESTS = 10_000


@dataclass(frozen=True)
class Place:
    """Where to look, for one platform: `env` (Mapping) and `home` stand in for the real
    ones in tests."""

    env: Mapping[str, str]
    home: Path
    system: str  # sys.platform: "linux", "darwin", "win32"

    @classmethod
    def here(cls) -> Place:
        return cls(os.environ, Path.home(), sys.platform)

    def var(self, name: str) -> Path | None:
        value = self.env.get(name, "").strip()
        return Path(value).expanduser() if value else None

    def data_home(self) -> Path:
        """The per-user data folder: ~/.local/share (XDG_DATA_HOME), Application Support,
        or %LOCALAPPDATA%."""
        if self.system == "darwin":
            return self.home / "Library" / "Application Support"
        if self.system == "win32":
            return self.var("LOCALAPPDATA") or self.home / "AppData" / "Local"
        return self.var("XDG_DATA_HOME") or self.home / ".local" / "share"

    def roaming_home(self) -> Path:
        """Where apps keep per-user settings: ~/.config, Application Support, %APPDATA%."""
        if self.system == "darwin":
            return self.home / "Library" / "Application Support"
        if self.system == "win32":
            return self.var("APPDATA") or self.home / "AppData" / "Roaming"
        return self.var("XDG_CONFIG_HOME") or self.home / ".config"

    def cache_home(self) -> Path:
        return self.var("XDG_CACHE_HOME") or self.home / ".cache"


def lmstudio_folders(place: Place) -> list[Path]:
    """LM Studio: <home>/models/<publisher>/<repo>/*.gguf on every platform, where its
    home is the folder named in ~/.lmstudio-home-pointer, else ~/.lmstudio (older
    versions: ~/.cache/lm-studio); `downloadsFolder` in <home>/settings.json moves the
    models (as its `lms` tool and SDK read them)."""
    homes = [place.home / ".lmstudio", place.home / ".cache" / "lm-studio"]
    pointer = _first_line(place.home / ".lmstudio-home-pointer")
    if pointer:
        homes.insert(0, Path(pointer).expanduser())
    folders = []
    for home in homes:
        moved = _json_value(home / "settings.json", "downloadsFolder")
        if moved:
            folders.append(Path(moved).expanduser())
        folders.append(home / "models")
    return list(dict.fromkeys(folders))


def gpt4all_folders(place: Place) -> list[Path]:
    """GPT4All: its data folder nomic.ai/GPT4All, and the folder set in its settings
    (modelPath in GPT4All.ini: ~/.config/nomic.ai on Linux, ~/.config/gpt4all.io on
    macOS, %APPDATA%\\nomic.ai on Windows, where Qt keeps it)."""
    folders = [place.data_home() / "nomic.ai" / "GPT4All"]
    ini = (place.home / ".config" / "gpt4all.io" if place.system == "darwin"
           else place.roaming_home() / "nomic.ai") / "GPT4All.ini"
    moved = _ini_value(ini, "modelPath")
    if moved:
        folders.insert(0, Path(moved).expanduser())
    return folders


def jan_folders(place: Place) -> list[Path]:
    """Jan: its data folder's llamacpp/models/<id>/model.gguf (and models/ of the
    versions before), and the older ~/jan/models. The data folder is JAN_DATA_FOLDER,
    else `data_folder` in Jan's settings.json, else Jan/data in the per-user data folder
    (~/.local/share on Linux; ~/.config there for the versions before), Application
    Support or %APPDATA% (as Jan's own source sets them)."""
    if place.system in ("darwin", "win32"):
        defaults = [place.roaming_home() / "Jan"]
    else:
        defaults = [place.data_home() / "Jan", place.roaming_home() / "Jan"]
    datas = [place.var("JAN_DATA_FOLDER")]
    for app in defaults:
        moved = _json_value(app / "settings.json", "data_folder")
        datas += [Path(moved).expanduser() if moved else None, app / "data"]
    folders = [f for data in dict.fromkeys(d for d in datas if d is not None)
               for f in (data / "llamacpp" / "models", data / "models")]
    return [*folders, place.home / "jan" / "models"]


def huggingface_folders(place: Place) -> list[Path]:
    """The hub cache's model repositories: models--<org>--<name>, whose
    snapshots/<revision>/*.gguf are links into its blobs/ (the cache is HF_HUB_CACHE, the
    older HUGGINGFACE_HUB_CACHE, HF_HOME/hub, or XDG_CACHE_HOME/huggingface/hub).
    Datasets and spaces are not looked into."""
    cache = place.var("HF_HUB_CACHE") or place.var("HUGGINGFACE_HUB_CACHE")
    if cache is None:
        hf_home = place.var("HF_HOME") or place.cache_home() / "huggingface"
        cache = hf_home / "hub"
    try:
        with os.scandir(cache) as entries:
            names = [e.name for e in itertools.islice(entries, MAX_MANIFESTS)
                     if e.name.startswith("models--")]
    except OSError:
        return []
    return [cache / name for name in sorted(names)]


def ollama_folders(place: Place) -> list[Path]:
    """Ollama's models folder: OLLAMA_MODELS, ~/.ollama/models, and on Linux the system
    service's /usr/share/ollama/.ollama/models."""
    moved = place.var("OLLAMA_MODELS")
    if moved is not None:
        return [moved]
    folders = [place.home / ".ollama" / "models"]
    if place.system.startswith("linux"):
        folders.append(Path("/usr/share/ollama/.ollama/models"))
    return folders


FOLDERS = {
    "lmstudio": lmstudio_folders,
    "gpt4all": gpt4all_folders,
    "jan": jan_folders,
    "huggingface": huggingface_folders,
    "ollama": ollama_folders,
}


@dataclass(frozen=True)
class OllamaModel:
    name: str  # "llama3.2:3b", as `ollama list` shows it
    manifest: Path
    blob: Path | None  # None: `error` says why
    error: str | None = None


def ollama_models(folder: Path) -> Iterator[OllamaModel]:
    """The models of an Ollama models folder, from its manifests
    (manifests/<registry>/<namespace>/<name>/<tag>); a manifest that cannot be read or
    names no model blob is listed with the reason."""
    root = folder / "manifests"
    count = 0
    for manifest in _files_at_depth(root, 4):
        count += 1
        if count > MAX_MANIFESTS:
            return
        registry, namespace, name, tag = manifest.relative_to(root).parts
        label = f"{name}:{tag}"
        if namespace != "library" or registry != OLLAMA_REGISTRY:
            label = f"{namespace}/{label}"
        if registry != OLLAMA_REGISTRY:
            label = f"{registry}/{label}"
        try:
            digest = _model_digest(manifest)
        except ValueError as exc:
            yield OllamaModel(label, manifest, None, f"Ollama manifest {manifest}: {exc}")
            continue
        blob = folder / "blobs" / digest.replace(":", "-")
        if not blob.is_file():
            yield OllamaModel(label, manifest, None,
                              f"its model blob {blob.name} is missing from {blob.parent}")
            continue
        yield OllamaModel(label, manifest, blob)


def _model_digest(manifest: Path) -> str:
    """The digest of the manifest's model layer ("sha256:<hex>"); ValueError says why
    there is none."""
    try:
        with manifest.open("rb") as f:
            raw = f.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ValueError("is too large to be a manifest")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"is not valid JSON ({exc})") from None
    layers = data.get("layers") if isinstance(data, dict) else None
    if not isinstance(layers, list):
        raise ValueError("has no list of layers")
    for layer in layers:
        if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER:
            digest = layer.get("digest")
            algorithm, _, hexdigest = str(digest).partition(":")
            if algorithm != "sha256" or len(hexdigest) != 64 or not all(
                    c in "0123456789abcdef" for c in hexdigest):
                raise ValueError(f"names its model by an odd digest {digest!r}")
            return f"sha256:{hexdigest}"
    raise ValueError(f"has no model layer ({OLLAMA_MODEL_LAYER})")


def _files_at_depth(root: Path, depth: int) -> Iterator[Path]:
    """Files exactly `depth` levels under `root`, in name order (unreadable folders
    skipped; no links followed out of the tree)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries[:MAX_MANIFESTS]:
        try:
            if depth == 1:
                if entry.is_file():
                    yield Path(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                yield from _files_at_depth(Path(entry.path), depth - 1)
        except OSError:
            continue


def _small_text(path: Path) -> str | None:
    """A small settings file's text (None: missing, unreadable or too large)."""
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _json_value(path: Path, key: str) -> str | None:
    try:
        data = json.loads(_small_text(path) or "null")
    except ValueError:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _first_line(path: Path) -> str | None:
    lines = (_small_text(path) or "").splitlines()
    return lines[0].strip() if lines and lines[0].strip() else None


def _ini_value(path: Path, key: str) -> str | None:
    """`key=value` from a Qt settings file, in any section."""
    for line in (_small_text(path) or "").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key and value.strip():
            return value.strip().strip('"')
    return None
