"""How often does Check tone's sentiment agree with a person's?

The sentences and their labels are in benchmarks/data/tone_labels.json (62 real
sentences from texts on this machine, labelled by hand and committed before this code
and before tasks/tone.py's prompt was written). Each sentence is rated as one paragraph
by tasks/tone.py with the default model, grammar-constrained as in the app. It prints
each disagreement, the accuracy, the majority-class baseline, a confusion table, and
how often the answer parsed.

    .venv/bin/python benchmarks/tone_agreement.py [--model NAME_OR_PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app import paths  # noqa: E402
from writer_app.engine.engine import Engine  # noqa: E402
from writer_app.engine.types import CancelToken  # noqa: E402
from writer_app.tasks.tone import SENTIMENTS, TONES, Calibration, paragraphs_of, rate  # noqa: E402

LABELS = ROOT / "benchmarks" / "data" / "tone_labels.json"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", help="a model name or path (default: the default model)")
    args = parser.parse_args()
    sentences = json.loads(LABELS.read_text(encoding="utf-8"))["sentences"]
    engine = Engine.load_named(args.model, paths.model_search_dirs())
    print(f"model: {engine.info.path.name}; {len(sentences)} sentences")
    right = unrated = 0
    confusion: Counter[tuple[str, str]] = Counter()
    tones: Counter[str] = Counter()
    start = time.perf_counter()
    calibration = Calibration()
    try:
        for s in sentences:
            (paragraph,) = paragraphs_of(s["text"])
            rating = rate(paragraph, engine, CancelToken(), calibration)
            said = rating.sentiment or "unrated"
            unrated += not rating.rated
            right += said == s["sentiment"]
            confusion[(s["sentiment"], said)] += 1
            tones[rating.tone or "unrated"] += 1
            if said != s["sentiment"]:
                print(f"  {s['sentiment']:>8} -> {said:<8} {s['text'][:70]}")
    finally:
        engine.close()
    seconds = time.perf_counter() - start
    n = len(sentences)
    majority, count = Counter(s["sentiment"] for s in sentences).most_common(1)[0]
    print(f"accuracy {right}/{n} = {right / n:.2f}; majority class ({majority}) "
          f"{count}/{n} = {count / n:.2f}; unrated {unrated}; "
          f"{seconds / n:.2f} s per sentence")
    print("labelled \\ said  " + "  ".join(f"{s:>8}" for s in (*SENTIMENTS, "unrated")))
    for label in SENTIMENTS:
        print(f"{label:>15}  " + "  ".join(f"{confusion[(label, s)]:>8}"
                                           for s in (*SENTIMENTS, "unrated")))
    print("tones said: " + ", ".join(f"{t} {tones[t]}" for t in (*TONES, "unrated")
                                     if tones[t]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
