"""Checks on a Hugging Face model folder before transformers touches it.

Weights load only from safetensors (pickled .bin/.pt files can run code when loaded),
and a model that needs `trust_remote_code` is refused: Writer never runs a model's code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from writer_app.engine.errors import ModelFileError

PICKLED = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


@dataclass(frozen=True)
class FolderInfo:
    path: Path
    name: str
    architecture: str
    context_length: int


def check_model_folder(path: Path) -> FolderInfo:
    """The folder's config, or a ModelFileError naming the folder and what is wrong."""
    if not path.is_dir():
        raise ModelFileError(path, "is not a model folder")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise ModelFileError(path, "has no config.json; a Hugging Face model folder needs one")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFileError(path, f"config.json cannot be read ({exc})") from None
    if not isinstance(config, dict):
        raise ModelFileError(path, "config.json is not a JSON object")
    files = [p.name for p in path.iterdir() if p.is_file()]
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
    model_type = str(config.get("model_type", ""))
    from transformers import CONFIG_MAPPING

    if model_type not in CONFIG_MAPPING:
        raise ModelFileError(path, f"has an architecture ({model_type or 'none given'}) this "
                                   "version of transformers does not know")
    context = int(config.get("max_position_embeddings") or 0)
    archs = config.get("architectures") or [model_type]
    return FolderInfo(path, path.name, str(archs[0]), context)
