"""Where the sentences of a text are: one rule for the outline and for read aloud."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (and closing quotes or brackets) before a space and a capital,
# digit or opening quote; not after a single capital (initials) or a common abbreviation.
_SENTENCE_END = re.compile("(?<=[.!?])[\"'\u201d\u2019)\\]]*\\s+"
                           "(?=[\"'\u201c\u2018(\\[]?[A-Z0-9\u00c0-\u00d6\u00d8-\u00de"
                           "\u0410-\u042f\u0391-\u03a9])")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|Prof|St|vs|etc|e\.g|i\.e|cf|"
                           r"Fig|No|Vol|pp|al))\.$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, without the space around it, in order.
    A line break ends a sentence too (a heading, a list item)."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        start = 0
        for match in _SENTENCE_END.finditer(line):
            if _ABBREVIATION.search(line[start:match.start()].strip()):
                continue
            _add(spans, line, offset, start, match.start())
            start = match.end()
        _add(spans, line, offset, start, len(line))
        offset += len(line) + 1
    return spans


def _add(spans: list[tuple[int, int]], line: str, offset: int, start: int, end: int) -> None:
    piece = line[start:end]
    if piece.strip():
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        spans.append((offset + start + lead, offset + end - trail))
