"""A word-level diff of an original against a suggestion, for the UI and the CLI."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

# Words, runs of space and single marks: what a word diff compares.
TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Change:
    op: Literal["equal", "delete", "insert"]
    text: str
    # Who made it, where that matters (a proofread): "spelling" or "model".
    source: str = ""


def word_diff(original: str, suggestion: str) -> list[Change]:
    """Runs of kept, deleted and inserted text; joining the kept+deleted gives the original,
    kept+inserted the suggestion."""
    a = TOKENS.findall(original)
    b = TOKENS.findall(suggestion)
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes.append(Change("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            changes.append(Change("delete", "".join(a[i1:i2])))
        if j2 > j1:
            changes.append(Change("insert", "".join(b[j1:j2])))
    return changes


def render_diff(changes: list[Change]) -> str:
    """The diff as text: [-deleted-]{+inserted+} (as git diff --word-diff=plain); a fix
    the spell checker made is {~inserted~}."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(("{{~{}~}}" if c.op == "insert" and c.source == "spelling"
                    else marks[c.op]).format(c.text) for c in changes)
