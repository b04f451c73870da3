"""The portable llama.cpp build against a native one: same machine, same engine, same work.

The native reference is llama-cpp-python compiled with -march=native and AMX turned off
(scripts/llama_build.py wheel --native-reference, cached like the portable build). It is
installed beside the project into build/native-llama and put first on PYTHONPATH for its
runs; the portable runs use the venv's build. Each run is a fresh process running the
app's Engine on the default model, alternating builds, several rounds:

- prompt evaluation: a prompt of about 1,000 tokens, tokens per second up to the first
  token;
- decoding: 256 tokens at temperature 0 after a short prompt, tokens per second.

Prints the medians and the ratios portable / native; the goal is >= 0.95 for each.

    .venv/bin/python benchmarks/portable_build.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
NATIVE_SITE = ROOT / "build" / "native-llama"
LONG_PROMPT = ("The harbour master counted the boats that came in before the storm, and "
               "wrote each name in the ledger by the window. ") * 40


def measure() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from writer_app.engine.engine import Engine
    from writer_app.engine.model_info import read_model_info
    from writer_app.engine.types import GenerationRequest, SamplingOptions

    engine = Engine.load(read_model_info(MODEL))
    prompt = engine.generate(GenerationRequest(
        prompt=LONG_PROMPT, options=SamplingOptions(temperature=0.0, max_tokens=1)))
    decode = engine.generate(GenerationRequest(
        prompt="Once upon a time, in a village by the sea,",
        options=SamplingOptions(temperature=0.0, max_tokens=256)))
    engine.close()
    return {"variant": engine.device.cpu,
            "prompt_tokens": prompt.prompt_tokens,
            "prompt_tps": prompt.prompt_tokens / prompt.first_token_seconds,
            "decode_tokens": decode.completion_tokens,
            "decode_tps": decode.tokens_per_second}


def native_site() -> Path:
    """The native reference build, installed once into build/native-llama."""
    wheel = subprocess.run([sys.executable, str(ROOT / "scripts" / "llama_build.py"), "wheel",
                            "--native-reference"], capture_output=True, text=True, check=True
                           ).stdout.strip().splitlines()[-1]
    marker = NATIVE_SITE / ".wheel"
    if not marker.exists() or marker.read_text() != wheel:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--upgrade", "--target", str(NATIVE_SITE), wheel], check=True)
        marker.write_text(wheel)
    return NATIVE_SITE


def run(build: str, site: Path) -> dict[str, Any]:
    env = dict(os.environ)
    if build == "native":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True,
                         text=True, check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure()))
        return 0
    site = native_site()
    results: dict[str, list[dict[str, Any]]] = {"portable": [], "native": []}
    for i in range(args.rounds):
        order = ("portable", "native") if i % 2 == 0 else ("native", "portable")
        for build in order:
            results[build].append(run(build, site))
    print(f"portable: {results['portable'][0]['variant']}; native: "
          f"{results['native'][0]['variant']}; {args.rounds} rounds, medians")
    ratios = {}
    for what, label in (("prompt_tps", "prompt evaluation"), ("decode_tps", "decoding")):
        medians = {b: statistics.median(r[what] for r in results[b]) for b in results}
        ratios[what] = medians["portable"] / medians["native"]
        print(f"{label:18s} portable {medians['portable']:8.1f} tok/s   native "
              f"{medians['native']:8.1f} tok/s   ratio {ratios[what]:.3f}")
    tokens = {b: {r["decode_tokens"] for r in results[b]} for b in results}
    print(f"prompt {results['portable'][0]['prompt_tokens']} tokens; decoded tokens per "
          f"run: portable {sorted(tokens['portable'])}, native {sorted(tokens['native'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
