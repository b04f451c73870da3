"""Words people write for one another: agreement (was/were, has/have) and the
homophones every writer mixes up (its/it's, your/you're, then/than). A spell checker
passes them all, since each is a word; the model tells which one its sentence wants.

Each such word is weighed against the others of its set by how likely the model finds
the rest of the sentence with it (Engine.likelihoods), and replaced only when another
is at least e**MARGIN (20) times as likely: a sentence that reads either way is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# English only: the sets are English words.
SETS = [
    ("is", "are"), ("was", "were"), ("has", "have"), ("does", "do"),
    ("isn't", "aren't"), ("wasn't", "weren't"), ("hasn't", "haven't"),
    ("doesn't", "don't"), ("its", "it's"), ("your", "you're"), ("then", "than"),
    ("there", "their", "they're"),
]
MARGIN = math.log(20)
_OTHERS = {w: [o for o in s if o != w] for s in SETS for w in s}
_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n\s*\n")
# The context a word is weighed in: text before it, and after it up to its sentence's end.
CONTEXT_CHARS = 600
AFTER_CHARS = 300

# likelihoods(text before, endings): log probabilities, as Engine.likelihoods gives.
Likelihoods = Callable[[str, list[str]], list[float]]


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int
    word: str
    fix: str


def _candidates(text: str) -> Iterator[re.Match[str]]:
    for m in _WORD.finditer(text):
        if m.group().lower().replace("\u2019", "'") in _OTHERS:
            yield m


def _same_case(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def sentence_end(text: str, at: int) -> int:
    """Where the sentence holding `at` ends (AFTER_CHARS on at most)."""
    m = _SENTENCE_END.search(text, at, min(len(text), at + AFTER_CHARS))
    return m.end() if m else min(len(text), at + AFTER_CHARS)


def confusion_fixes(text: str, likelihoods: Likelihoods) -> list[Replacement]:
    """The words of `text` to replace by another of their set, left to right, each
    weighed with the replacements before it applied."""
    fixes: list[Replacement] = []
    done = ""  # the text up to the last word weighed, with its fixes
    at = 0
    for m in _candidates(text):
        word = m.group()
        apostrophe = "\u2019" if "\u2019" in word else "'"
        others = [_same_case(o.replace("'", apostrophe), word)
                  for o in _OTHERS[word.lower().replace("\u2019", "'")]]
        done += text[at:m.start()]
        at = m.end()
        after = text[at:sentence_end(text, at)]
        before = done[-CONTEXT_CHARS:]
        scores = likelihoods(before, [w + after for w in [word, *others]])
        best = max(range(len(scores)), key=scores.__getitem__)
        if best > 0 and scores[best] - scores[0] >= MARGIN:
            fixes.append(Replacement(m.start(), m.end(), word, others[best - 1]))
            done += others[best - 1]
        else:
            done += word
    return fixes
