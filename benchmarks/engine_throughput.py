"""Engine against plain llama-cpp-python: same model, prompt, settings and seed.

Each run is a fresh process (so each peak memory is its own), alternating engine and
raw, several rounds. Prints tokens/s and peak RSS of both and their ratios; the goal is
engine >= 0.97x raw in speed and no more than 5% above raw in peak memory.

    .venv/bin/python benchmarks/engine_throughput.py [--rounds 5] [--max-tokens 256]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = "Write a long story about a lighthouse keeper and a storm."
TEMPERATURE, TOP_P, TOP_K, MIN_P, REPEAT_PENALTY, SEED = 0.7, 0.95, 40, 0.05, 1.1, 42


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _chat_prompt() -> tuple[str, int, int]:
    """The prompt text and the engine's context and thread settings, for the raw run."""
    from writer_app.engine import hardware
    from writer_app.engine.chat_template import render_chat
    from writer_app.engine.model_info import read_model_info
    from writer_app.engine.types import ChatMessage

    info = read_model_info(MODEL)
    prompt = render_chat(info.chat_template, [ChatMessage("user", QUESTION)])
    return prompt, min(info.context_length, 8192), hardware.default_threads()


def run_engine(max_tokens: int) -> dict[str, Any]:
    from writer_app.engine.engine import Engine
    from writer_app.engine.model_info import read_model_info
    from writer_app.engine.types import ChatMessage, GenerationRequest, SamplingOptions

    engine = Engine.load(read_model_info(MODEL))
    options = SamplingOptions(temperature=TEMPERATURE, top_p=TOP_P, top_k=TOP_K, min_p=MIN_P,
                              repeat_penalty=REPEAT_PENALTY, seed=SEED, max_tokens=max_tokens)
    request = GenerationRequest(messages=[ChatMessage("user", QUESTION)], options=options)
    pieces: list[str] = []
    start = time.perf_counter()
    result = engine.generate(request, pieces.append)
    seconds = time.perf_counter() - start
    return {"text": result.text, "tokens": result.completion_tokens, "seconds": seconds,
            "n_ctx": engine.context_length}


def run_raw(max_tokens: int) -> dict[str, Any]:
    import os

    import llama_cpp

    from writer_app.engine import llama_runtime

    # The portable build's CPU code is a separate library that any user of the raw
    # library loads first, as the app does.
    llama_runtime.ensure_loaded()
    prompt, n_ctx, threads = _chat_prompt()
    llm = llama_cpp.Llama(model_path=str(MODEL), n_ctx=n_ctx, n_threads=threads,
                          n_threads_batch=max(threads, os.cpu_count() or 1), n_gpu_layers=0,
                          verbose=False)
    pieces: list[str] = []
    start = time.perf_counter()
    for chunk in llm.create_completion(prompt, max_tokens=max_tokens, temperature=TEMPERATURE,
                                       top_p=TOP_P, top_k=TOP_K, min_p=MIN_P,
                                       repeat_penalty=REPEAT_PENALTY, seed=SEED, stream=True):
        text = chunk["choices"][0]["text"]  # type: ignore[index]
        if text:
            pieces.append(text)
    seconds = time.perf_counter() - start
    text = "".join(pieces)
    tokens = len(llm.tokenize(text.encode(), add_bos=False))
    return {"text": text, "tokens": tokens, "seconds": seconds, "n_ctx": n_ctx}


def tps(run: dict[str, Any]) -> float:
    return float(run["tokens"]) / float(run["seconds"])


def child(kind: str, max_tokens: int) -> None:
    result = run_engine(max_tokens) if kind == "engine" else run_raw(max_tokens)
    text = result.pop("text")
    result["sha"] = hashlib.sha256(text.encode()).hexdigest()[:12]
    result["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(result))


def spawn(kind: str, max_tokens: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--max-tokens",
                          str(max_tokens)], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--child", choices=["engine", "raw"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.max_tokens)
        return 0
    if not MODEL.exists():
        print(f"{MODEL} is missing: run `make setup` first")
        return 1
    runs: dict[str, list[dict[str, Any]]] = {"engine": [], "raw": []}
    print(f"model {MODEL.name}, {args.max_tokens} tokens max, {args.rounds} rounds, "
          "alternating order")
    for r in range(args.rounds):
        order = ["engine", "raw"] if r % 2 == 0 else ["raw", "engine"]
        for kind in order:
            data = spawn(kind, args.max_tokens)
            runs[kind].append(data)
            print(f"round {r + 1} {kind:6s} {data['tokens']:4d} tokens in {data['seconds']:.3f}s"
                  f" = {tps(data):6.1f} tok/s, peak RSS {data['peak_rss_mib']:.1f} MiB,"
                  f" text {data['sha']}")
    # With the same seed both must sample the same tokens; otherwise the runs did not
    # do the same work and the ratio would mean little.
    same_text = {d["sha"] for d in runs["engine"]} == {d["sha"] for d in runs["raw"]}
    e_tps = statistics.median(tps(d) for d in runs["engine"])
    r_tps = statistics.median(tps(d) for d in runs["raw"])
    e_mem = statistics.median(d["peak_rss_mib"] for d in runs["engine"])
    r_mem = statistics.median(d["peak_rss_mib"] for d in runs["raw"])
    print(f"same generated text in every run: {'yes' if same_text else 'NO'}")
    print(f"median tokens/s: engine {e_tps:.1f}, raw {r_tps:.1f}, "
          f"ratio {e_tps / r_tps:.3f} (goal >= 0.97)")
    print(f"median peak RSS: engine {e_mem:.1f} MiB, raw {r_mem:.1f} MiB, "
          f"ratio {e_mem / r_mem:.3f} (goal <= 1.05)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
