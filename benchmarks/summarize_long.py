"""Summarize a long real document with the default model; how much time is the app's own?

The document is the Python language reference that ships with CPython
(pydoc_data.topics: 65,000 words of real prose), written to a Markdown file and loaded
through the app's loader, as a dropped file would be. Prints the total time, the time
inside the model, and the overhead (extraction plus orchestration: token counting,
splitting, prompts). The goal is overhead <= 5% of the total.

    .venv/bin/python benchmarks/summarize_long.py [--length medium]
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


def write_reference(folder: Path) -> Path:
    path = folder / "python-reference.md"
    sections = [f"# {name}\n\n{text}" for name, text in sorted(topics.items())]
    path.write_text("\n\n".join(sections), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", choices=["short", "medium", "points"], default="medium")
    args = parser.parse_args()
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


if __name__ == "__main__":
    raise SystemExit(main())
