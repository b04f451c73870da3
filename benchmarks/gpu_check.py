"""One check for a CUDA machine: load a model through the transformers backend in bf16,
stream 256 tokens, print tokens/s, time to first token and peak GPU memory.

    .venv/bin/python benchmarks/gpu_check.py [MODEL]   # a model folder or a GGUF file;
                                                       # default: the default GGUF model

Without CUDA it says so and exits 0. Meant to finish in well under 5 minutes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app.engine import default_model  # noqa: E402
from writer_app.engine.engine import Engine  # noqa: E402
from writer_app.engine.llama_backend import EngineConfig  # noqa: E402
from writer_app.engine.types import ChatMessage, GenerationRequest, SamplingOptions  # noqa: E402
from writer_app.errors import WriterError  # noqa: E402


def main() -> int:
    try:
        import torch
    except ImportError:
        print("torch is not installed (pip install 'writer-app[cuda]'); nothing to check")
        return 0
    if not torch.cuda.is_available():
        print("no CUDA device here; the GPU check needs one. Nothing to do.")
        return 0
    model = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / default_model.FILE_NAME)
    config = EngineConfig(backend="transformers", device="cuda")
    start = time.perf_counter()
    try:
        engine = Engine.load_named(model, [ROOT / "models"], config)
    except WriterError as exc:
        print(f"could not load {model}: {exc}")
        return 1
    load_s = time.perf_counter() - start
    print(f"model {Path(model).name}: loaded in {load_s:.1f} s on {engine.device.reason}")
    torch.cuda.reset_peak_memory_stats()
    request = GenerationRequest(
        messages=[ChatMessage("user", "Write a long story about a lighthouse keeper.")],
        options=SamplingOptions(temperature=0.7, seed=1, max_tokens=256))
    engine.generate(GenerationRequest(prompt="Warm up", options=SamplingOptions(max_tokens=8)))
    result = engine.generate(request)
    peak = torch.cuda.max_memory_allocated() / 2**20
    print(f"{result.completion_tokens} tokens in {result.seconds:.2f} s: "
          f"{result.tokens_per_second:.1f} tokens/s after the first; "
          f"time to first token {result.first_token_seconds * 1000:.0f} ms; "
          f"peak GPU memory {peak:.0f} MiB")
    engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
