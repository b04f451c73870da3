"""How often does ask's retrieval find the block that answers a question?

The questions and their expected blocks are in benchmarks/data/ask_questions.json
(committed before this code): over the Python language reference (65,000 words, as
benchmarks/summarize_long.py writes it), each names the heading and a phrase of the
paragraph that answers it, or none for a question the document never answers. For each,
BM25 ranks the document's passages (tasks/ask.py); it prints the rank of the expected
passage, the hit rate in the top 1 and top 5, and the best score of the answered and of
the unanswerable questions, and the share of each question's words in its best
passage: what ask's MIN_COVERAGE is set against. No model.

    .venv/bin/python benchmarks/ask_retrieval.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.summarize_long import write_reference  # noqa: E402
from writer_app.documents.loader import load_document  # noqa: E402
from writer_app.tasks.ask import (  # noqa: E402
    MIN_COVERAGE,
    SUPPORT_RANKS,
    Index,
    coverage,
    passages_of,
)

QUESTIONS = ROOT / "benchmarks" / "data" / "ask_questions.json"


def main() -> int:
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]
    with tempfile.TemporaryDirectory() as tmp:
        doc = load_document(write_reference(Path(tmp)))
    index = Index(passages_of(doc))
    print(f"document: {doc.words} words, {len(index.passages)} passages")
    top1 = top5 = answered = right = 0
    for q in questions:
        ranked = index.ranked(q["question"])
        best = ranked[0][0]
        cover = max(coverage(q["question"], p) for _s, p in ranked[:SUPPORT_RANKS])
        says = any(coverage(q["question"], p) >= MIN_COVERAGE
                   for s, p in ranked[:SUPPORT_RANKS])
        if q["heading"] is None:
            right += not says
            print(f"  not in it  best {best:5.2f} coverage {cover:.2f}  "
                  f"{'answered!' if says else 'does not say'}  {q['question']}")
            continue
        answered += 1
        right += says
        rank = next((r for r, (_s, p) in enumerate(ranked, 1)
                     if p.headings[:1] == (q["heading"],)
                     and q["contains"] in " ".join(p.text.split())), None)
        top1 += rank == 1
        top5 += rank is not None and rank <= 5
        print(f"  rank {rank!s:>5}  best {best:5.2f} coverage {cover:.2f}  "
              f"{'answered' if says else 'does not say!'}  {q['question']}")
    print(f"hit rate: top 1 {top1}/{answered} = {top1 / answered:.2f}, top 5 {top5}/{answered}"
          f" = {top5 / answered:.2f}")
    print(f"answered or not as they should be: {right}/{len(questions)} (MIN_COVERAGE "
          f"{MIN_COVERAGE})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
