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

With --budgets thorough,default it summarizes the reference and a 100-page PDF (made
with fpdf2 from the same reference, topics in reverse order) once per budget, and gives
for each the time to the outline, to the first part's summary and to the final summary;
the coverage (for each top-level section, its 5 highest TF-IDF terms over its whole text:
covered when one of them, or its stem, is in the final summary); and the ROUGE-L F1 of
each budget's final summary against the thorough one's (rouge-score).

    .venv/bin/python benchmarks/summarize_long.py --budgets thorough,default

With --map-model PATH as well, each budget runs twice: the model (--model, default: the
default model) alone, then with the parts summarized by the map model and combined by
the model (the summary_map_model setting).

    .venv/bin/python benchmarks/summarize_long.py --budgets default \
        --model build/test-models/gemma-3-270m-q4_k_m.gguf \
        --map-model models/SmolLM2-135M-Instruct.Q4_1.gguf
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections.abc import Callable
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
    parser.add_argument("--budgets", help="compare these summary budgets (thorough,default)")
    parser.add_argument("--pdf-pages", type=int, default=100)
    parser.add_argument("--model", help="with --budgets: the model (default: the default one)")
    parser.add_argument("--map-model", help="with --budgets: also run each budget with the "
                        "parts summarized by this model")
    args = parser.parse_args()
    if args.engine:
        return compare_in_flight(args)
    if args.budgets:
        return compare_budgets(args)
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


def write_pdf(folder: Path, pages: int) -> Path:
    """A PDF of `pages` pages of the reference's prose, topics in reverse order, each
    topic a heading in bold."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    for name, text in sorted(topics.items(), reverse=True):
        if pdf.page_no() >= pages:
            break
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 8, name.encode("latin-1", "replace").decode("latin-1"),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for paragraph in text.split("\n\n"):
            clean = " ".join(paragraph.split()).encode("latin-1", "replace").decode("latin-1")
            if clean and pdf.page_no() < pages:
                pdf.multi_cell(0, 5, clean, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
    path = folder / "reference-100-pages.pdf"
    pdf.output(str(path))
    return path


def _timer(times: list[float], start: float) -> Callable[[int, str], None]:
    """A part-done callback that notes the seconds since `start`."""
    return lambda _i, _text: times.append(time.perf_counter() - start)


def compare_budgets(args: argparse.Namespace) -> int:
    from rouge_score import rouge_scorer

    from writer_app.tasks.outline import coverage, outline

    engine = Engine.load(resolve(args.model, paths.model_search_dirs()))
    mappers: list[Engine | None] = [None]
    if args.map_model:
        mappers.append(Engine.load(resolve(args.map_model, paths.model_search_dirs())))
    budgets = args.budgets.split(",")
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = [write_reference(Path(tmp), args.topics), write_pdf(Path(tmp), args.pdf_pages)]
        for source in sources:
            finals: dict[str, str] = {}
            for budget, mapper in itertools.product(budgets, mappers):
                start = time.perf_counter()
                doc = load_document(source)
                first_outline = outline(doc)
                outlined = time.perf_counter() - start
                first_part: list[float] = []
                result = summarize(doc, engine, args.length, budget=budget,
                                   on_part=_timer(first_part, start), map_engine=mapper)
                total = time.perf_counter() - start
                if mapper is None:
                    finals[budget] = result.summary
                rouge = (scorer.score(finals[budgets[0]], result.summary)["rougeL"].fmeasure
                         if result.summary != finals[budgets[0]] else 1.0)
                models = engine.info.path.stem + (f" (parts: {mapper.info.path.stem})"
                                                  if mapper is not None else "")
                row = (f"{source.suffix[1:]:4} {doc.words:6d} words {doc.pages or '':>4} "
                       f"{models}  "
                       f"{budget:9} read {100 * result.read_share:5.1f}%  {result.parts:3d} parts "
                       f" outline {outlined:5.1f} s ({len(first_outline.sections)} sections)"
                       f"  first part {min(first_part, default=total):6.1f} s  final "
                       f"{total:6.1f} s  coverage {coverage(doc, result.summary):.2f}  "
                       f"ROUGE-L vs {budgets[0]} {rouge:.2f}")
                rows.append(row)
                print(row, flush=True)
    print("\n".join(["", "summary of the runs:", *rows]))
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
