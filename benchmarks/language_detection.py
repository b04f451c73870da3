"""Accuracy of the offline language detector on short sentences (5-15 words).

    .venv/bin/python benchmarks/language_detection.py

Prints the accuracy per language and overall, and how many were flagged unsure
(the app then asks the user to set the source language).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(__file__).parent / "data" / "short_sentences.tsv"

from writer_app.tasks.languages import detect_language  # noqa: E402


def load() -> list[tuple[str, str]]:
    with DATA.open(encoding="utf-8") as f:
        return [(row["lang"], row["sentence"]) for row in csv.DictReader(f, delimiter="\t")]


def evaluate() -> tuple[float, dict[str, float], int, list[str]]:
    rows = load()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    unsure = 0
    misses = []
    for lang, sentence in rows:
        d = detect_language(sentence)
        total[lang] += 1
        unsure += not d.sure
        if d.language.code == lang:
            right[lang] += 1
        else:
            misses.append(f"{lang} -> {d.language.code} ({d.confidence:.2f}): {sentence}")
    per = {lang: right[lang] / total[lang] for lang in total}
    return sum(right.values()) / len(rows), per, unsure, misses


def main() -> int:
    overall, per, unsure, misses = evaluate()
    n = len(load())
    for lang, acc in per.items():
        print(f"{lang}: {acc:.0%}")
    print(f"overall: {overall:.1%} of {n} sentences in {len(per)} languages; "
          f"{unsure} flagged unsure")
    for miss in misses:
        print("miss:", miss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
