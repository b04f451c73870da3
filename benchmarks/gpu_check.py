"""One check for a CUDA machine: load a model through the transformers backend in bf16,
stream 256 tokens, print tokens/s, time to first token and peak GPU memory, then check
that a cancel stops the stream within one token.

    .venv/bin/python benchmarks/gpu_check.py [MODEL]   # a model folder or a GGUF file;
                                                       # default: the default GGUF model
    python3 benchmarks/gpu_check.py --random-weights smollm2-1.7b

--random-weights builds a model folder of that SmolLM2 shape with random weights, saved as
safetensors with the real SmolLM2 tokenizer from build/devicekit (scripts/make_device_kit.py),
and loads it through the app's own folder path. Speed and memory depend on the shapes, not
on the weights' values; the text is noise. It is for a GPU machine that has no network and
cannot be sent the GGUF. --device cpu runs the same check on a CPU, to try the script.

Without CUDA (and without --device cpu) it says so and exits 0. Meant to finish in well
under 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TQDM_DISABLE", "1")  # save_pretrained's progress bar

from writer_app.engine import default_model  # noqa: E402
from writer_app.engine.engine import Engine  # noqa: E402
from writer_app.engine.types import (  # noqa: E402
    CancelToken,
    ChatMessage,
    DeviceChoice,
    EngineConfig,
    GenerationRequest,
    SamplingOptions,
)
from writer_app.errors import WriterError  # noqa: E402

KIT = ROOT / "build" / "devicekit"
# SmolLM2-1.7B-Instruct's published shape; it shares the 135M model's tokenizer.
SMOLLM2_17B = {"hidden_size": 2048, "intermediate_size": 8192, "num_attention_heads": 32,
               "num_key_value_heads": 32, "num_hidden_layers": 24}


def random_model_folder(shape: str, device: str, dtype: Any, into: Path) -> Path:
    """A LlamaForCausalLM of the shape with random weights, saved like a downloaded model."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    base = json.loads((KIT / "smollm2-135m.json").read_text())
    if shape == "smollm2-1.7b":
        base.update(SMOLLM2_17B)
    base.update(model_type="llama", architectures=["LlamaForCausalLM"])
    base.pop("dtype", None)
    base.pop("torch_dtype", None)
    config = LlamaConfig.from_dict(base)
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(dtype)
    folder = into / shape
    model.save_pretrained(str(folder), safe_serialization=True)
    AutoTokenizer.from_pretrained(str(KIT / "smollm2-tokenizer")).save_pretrained(str(folder))
    params = sum(p.numel() for p in model.parameters())
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    print(f"built {shape}: {params / 1e6:.0f}M parameters, random weights, in {folder}")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="a model folder or GGUF file")
    parser.add_argument("--random-weights", choices=("smollm2-135m", "smollm2-1.7b"))
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--tokens", type=int, default=256)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("torch is not installed (pip install 'writer-app[cuda]'); nothing to check")
        return 0
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print("no CUDA device here; the GPU check needs one. Nothing to do.")
        return 0
    if args.random_weights and not (KIT / "smollm2-tokenizer").is_dir():
        print(f"{KIT} is missing: run scripts/make_device_kit.py where the default model is")
        return 1
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        model = args.model or str(ROOT / "models" / default_model.FILE_NAME)
        if args.random_weights:
            dtype = torch.bfloat16 if cuda else torch.float32
            model = str(random_model_folder(args.random_weights, args.device, dtype, Path(tmp)))
        return check(model, args.device, args.tokens)


def check(model: str, device: DeviceChoice, tokens: int) -> int:
    import torch

    cuda = device == "cuda"
    config = EngineConfig(backend="transformers", device=device)
    start = time.perf_counter()
    try:
        engine = Engine.load_named(model, [ROOT / "models"], config)
    except WriterError as exc:
        print(f"could not load {model}: {exc}")
        return 1
    load_s = time.perf_counter() - start
    print(f"model {Path(model).name}: loaded in {load_s:.1f} s on {engine.device.reason}; "
          f"context {engine.context_length}")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    engine.generate(GenerationRequest(prompt="Warm up", options=SamplingOptions(max_tokens=8)))
    request = GenerationRequest(
        messages=[ChatMessage("user", "Write a long story about a lighthouse keeper.")],
        options=SamplingOptions(temperature=0.7, seed=1, max_tokens=tokens))
    result = engine.generate(request)
    peak = f"{torch.cuda.max_memory_allocated() / 2**20:.0f} MiB" if cuda else "n/a (CPU)"
    print(f"{result.completion_tokens} tokens in {result.seconds:.2f} s: "
          f"{result.tokens_per_second:.1f} tokens/s after the first; "
          f"time to first token {result.first_token_seconds * 1000:.0f} ms; "
          f"peak GPU memory {peak}; finish: {result.finish_reason}")

    cancel = CancelToken()
    pieces: list[str] = []

    def on_piece(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 5:
            cancel.cancel()

    stopped = engine.generate(GenerationRequest(
        prompt="Once upon a time", cancel=cancel,
        options=SamplingOptions(temperature=0.7, seed=2, max_tokens=200)), on_piece)
    print(f"cancel after 5 pieces: {stopped.completion_tokens} tokens generated, "
          f"finish: {stopped.finish_reason}")
    engine.close()
    # Pieces can trail tokens (a character split over tokens), so the bound is loose here;
    # tests/test_transformers_backend.py holds "within one token" exactly.
    ok = result.completion_tokens > 0 and stopped.finish_reason == "cancelled" \
        and stopped.completion_tokens <= 10
    print("gpu check:", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
