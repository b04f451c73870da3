"""Summarize a long real document with the default model; how much time is the app's own?

The document is the Python language reference that ships with CPython
(pydoc_data.topics: 65,000 words of real prose), written to a Markdown file and loaded
through the app's loader, as a dropped file would be. Prints the total time, the time
inside the model, and the overhead (extraction plus orchestration: token counting,
splitting, prompts). The goal is overhead <= 5% of the total.

    .venv/bin/python benchmarks/summarize_long.py [--length medium]

With --engine URL the model is a server's, and the summary is made once for each count
of parts in flight (--requests, default 1 and 4): the ratio says what sending a
summary's parts at once gains on that server. --topics N keeps the first N topics of
the reference (a shorter document) for those runs.

    .venv/bin/python benchmarks/summarize_long.py --engine http://127.0.0.1:8080/v1 \
        --topics 12 --requests 1,4
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from pydoc_data.topics import topics

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app import paths  # noqa: E402
from writer_app.documents.loader import load_document  # noqa: E402
from writer_app.engine.discovery import resolve  # noqa: E402
from writer_app.engine.engine import Engine  # noqa: E402
from writer_app.tasks.summarize import summarize  # noqa: E402


def write_reference(folder: Path, count: int | None = None) -> Path:
    path = folder / "python-reference.md"
    sections = [f"# {name}\n\n{text}" for name, text in sorted(topics.items())][:count]
    path.write_text("\n\n".join(sections), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", choices=["short", "medium", "points"], default="medium")
    parser.add_argument("--engine", metavar="URL", help="a server's OpenAI-compatible API")
    parser.add_argument("--requests", default="1,4",
                        help="with --engine: the counts of parts in flight to compare")
    parser.add_argument("--topics", type=int, help="only the first N topics")
    args = parser.parse_args()
    if args.engine:
        return compare_in_flight(args)
    engine = Engine.load(resolve(None, paths.model_search_dirs()))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_reference(Path(tmp))
        start = time.perf_counter()
        doc = load_document(path)
        extracted = time.perf_counter() - start

        def progress(stage: str, i: int, n: int) -> None:
            print(f"  {stage} {i} of {n}  ({time.perf_counter() - start:.0f} s)", flush=True)

        result = summarize(doc, engine, args.length, progress=progress)
        total = time.perf_counter() - start
    overhead = total - result.model_seconds
    print(f"document: {doc.words} words, {len(doc.blocks)} blocks, {result.input_tokens} "
          f"tokens, {result.parts} parts")
    print(f"total {total:.1f} s; inside the model {result.model_seconds:.1f} s; extraction "
          f"{extracted:.2f} s; overhead {overhead:.2f} s = {100 * overhead / total:.2f}% "
          "(goal <= 5%)")
    print(f"summary:\n{result.summary}")
    return 0


def compare_in_flight(args: argparse.Namespace) -> int:
    """The same summary at each count of parts in flight, on the server at --engine."""
    seconds: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        doc = load_document(write_reference(Path(tmp), args.topics))
    for n in (int(x) for x in args.requests.split(",")):
        engine = Engine.connect(args.engine, parallel=n)
        if n == 1:
            print(f"server: {engine.device.reason}; context {engine.context_length}")
        start = time.perf_counter()
        result = summarize(doc, engine, args.length)
        seconds[n] = time.perf_counter() - start
        print(f"{n} in flight: {seconds[n]:.1f} s for {result.parts} parts "
              f"({result.input_tokens} tokens); summary {len(result.summary)} characters",
              flush=True)
        engine.close()
    first = next(iter(seconds))
    for n, s in seconds.items():
        print(f"{n} in flight / {first} in flight: {seconds[first] / s:.2f}x as fast")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
