"""Ghost text: the next words of the sentence, offered at the cursor as the user types.

What is asked (the text before the cursor, with a start that stays put as the user
types, so the model's cache keeps serving; the lines after it for a model that fills in
the middle), where a ghost is not offered (a selection, text after the cursor on its
line, an empty line, code), and where the offer ends (the end of the sentence, the line, or
MAX_TOKENS).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from writer_app.engine.engine import Engine
from writer_app.engine.types import CancelToken, InlineStats
from writer_app.tasks.code_tokens import is_code_like

MAX_TOKENS = 20
# Text before the cursor: at most this many characters (about 1,500 tokens), starting at
# a multiple of START_STEP, so that the start moves once every START_STEP characters
# typed and the prompts in between share their beginning (the model's cache).
BEFORE_CHARS = 6000
START_STEP = 2000
AFTER_CHARS = 1000
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)
# Numbers, versions and acronyms: code-like to the spell checker, but prose here.
_PROSE_TOKEN = re.compile(r"v?[\d.,:%-]*\d[\d.,:%-]*\w{0,3}|[A-Z]{2,}s?|[A-Z]+\d+\w*")
# A sentence's end: its mark (and closing quotes or brackets) before a space. A mark
# still last in what came so far waits for the next piece (3.5 is not an end).
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*(?=\s)")


@dataclass(frozen=True)
class Context:
    before: str  # the prompt: the text before the cursor, its trailing spaces taken off
    after: str  # the lines after the cursor's (for a model that fills in the middle)
    spaced: bool  # the text before ended with a space: the answer's must be dropped


def window_start(cursor: int) -> int:
    """Where the text the model reads starts: at most BEFORE_CHARS before the cursor, at
    a multiple of START_STEP (in the caller's units: the editor's positions)."""
    if cursor <= BEFORE_CHARS:
        return 0
    return -(-(cursor - BEFORE_CHARS) // START_STEP) * START_STEP


def why_not(before: str, line_rest: str, selected: bool) -> str | None:
    """Why no ghost is offered at a cursor with `before` before it (from window_start)
    and `line_rest` after it on its line (None: one is). A ghost goes where the line
    ends: drawn over text, it would hide it."""
    if selected:
        return "text is selected"
    if line_rest.strip():
        return "text follows the cursor on its line"
    line = before[before.rfind("\n") + 1:]
    if not line.strip():
        return "nothing is written on this line yet"
    if len(_FENCE.findall(before)) % 2 == 1:
        return "the cursor is in a code block"
    word = line.split()[-1] if line.split() else ""
    if _is_code(word.rstrip(".,;:!?)\"'")):
        return "the word at the cursor is code"
    return None


def _is_code(word: str) -> bool:
    """Code by the spell checker's detector, but for numbers and acronyms (1999, USA,
    H200): prose has those."""
    if not word or _PROSE_TOKEN.fullmatch(word):
        return False
    return is_code_like(word) or any(c in word for c in "`_/\\@{}[];=<>")


def context_of(before: str, after: str, cut: bool) -> Context:
    """What is asked: `before` (from window_start; `cut`: it starts past the document's
    start, so its first, maybe partial, word is dropped) and `after` (the lines after)."""
    if cut:
        space = before.find(" ")
        before = before[space + 1:] if 0 <= space < len(before) - 1 else before
    stripped = before.rstrip(" \t")
    return Context(stripped, after[:AFTER_CHARS], len(stripped) < len(before))


class Cut:
    """Where a ghost ends: fed the model's pieces, says when it has enough."""

    def __init__(self, spaced: bool) -> None:
        self.spaced = spaced
        self.text = ""
        self.started = False  # the first piece came (after a typed space)
        self.done = False
        self.refused = False  # the answer went on the word before a typed space

    def feed(self, piece: str) -> bool:
        """Take a piece; False once the ghost is complete."""
        if self.done:
            return False
        if self.spaced and not self.started:
            if not piece:
                return True
            self.started = True
            if not piece[0].isspace():
                self.refused = self.done = True
                return False
            piece = piece[1:]  # the space typed already (it may be the whole piece)
        combined = self.text + piece
        newline = combined.find("\n")
        if newline >= 0:
            combined, self.done = combined[:newline], True
        end = _SENTENCE_END.search(combined)
        if end is not None:
            combined, self.done = combined[:end.end()], True
        self.text = combined
        return not self.done

    @property
    def ghost(self) -> str:
        return "" if self.refused else self.text.rstrip()


def complete(engine: Engine, context: Context, cancel: CancelToken,
             on_ghost: Callable[[str], None], fresh: bool = False) -> tuple[str, InlineStats]:
    """The ghost for `context`, told to `on_ghost` as it grows (the whole ghost so far).
    Raises EngineBusy when the model is serving another request."""
    cut = Cut(context.spaced)

    def piece(p: str) -> bool:
        going = cut.feed(p)
        if cut.ghost and not cancel.cancelled:
            on_ghost(cut.ghost)
        return going

    stats = engine.inline(context.before, context.after or None, MAX_TOKENS, cancel, piece,
                          fresh)
    return cut.ghost, stats


def at_end(text: str) -> Context:
    """The context of a cursor at the end of `text` (the CLI, tests, the probe)."""
    start = window_start(len(text))
    return context_of(text[start:], "", start > 0)
