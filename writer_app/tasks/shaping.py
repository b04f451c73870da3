"""Keep a streamed summary to the shape the user asked for, as it streams.

Small models drift: three sentences for "one or two", a preamble before the bullet
list, the prompt's <document> markers echoed back, the same sentences over and over.
The shaper sees each piece, passes on what fits and says when the answer is complete,
so generation can stop there.
"""

from __future__ import annotations

import re

_MARKERS = re.compile(r"</?\s*document\s*>", re.IGNORECASE)
# Where prose is passed on: after a sentence (a full stop at the very end may be a decimal
# point, "1.8": it waits for what follows), after a CJK full stop, at a line's end.
_UNIT_END = re.compile(r"[.!?][\"')\]]?(?=\s)|[\u3002\uff01\uff1f]|\n")
_SENTENCE_END_SPLIT = re.compile(r"(?<=[.!?])\s+")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_WORD = re.compile(r"\w+")
_LIST_NUMBER = re.compile(r"\s*\d+[.)]")
_ENDED = re.compile(r"[.!?\u3002\uff01\uff1f][\"')\]]?\s*$")

INTRO_MAX = 160
# A sentence or point sharing this much of its words (and the other's) with one before it
# says it again.
REPEAT_SHARE = 0.9
REPEAT_MIN_WORDS = 4
REPEATS_TO_END = 2


def _without_intro(text: str) -> str:
    """`text` less a first line that only introduces what follows (it ends with ":")."""
    first, newline, rest = text.partition("\n")
    if newline and first.rstrip().endswith((":", "\uff1a")) and len(first) < INTRO_MAX \
            and rest.strip():
        return rest.lstrip()
    return text


class Shaper:
    def __init__(self, length: str) -> None:
        self.length = length
        self.complete = False
        self._buffer = ""
        self._sentences = 0
        self._bullets = 0
        self._emitted = ""
        self._prose: list[str] = []
        self._said: list[frozenset[str]] = []  # the words of each sentence or point passed
        self._repeated = 0
        self._dropped = False  # a repeat at a line's start was left out
        self._line_start = True  # what was passed on ends a line
        # Prose answers are held until their first line is known: an introduction
        # ("This document is summarized in a paragraph:") is dropped.
        self._opened = length == "points"

    def feed(self, piece: str) -> str:
        """The part of `piece` to show; sets `complete` when nothing more is wanted."""
        if self.complete:
            return ""
        self._buffer += piece
        if not self._opened:
            head = _MARKERS.sub("", self._buffer).lstrip()
            # Wait for the first line and something after it (or a line too long to be an
            # introduction).
            if not head.partition("\n")[2].strip() and len(head) < INTRO_MAX:
                return ""
            self._buffer = _without_intro(head)
            self._opened = True
        if self.length == "points":
            out = self._points(final=False)
        else:
            out = self._whole_units(2 if self.length == "short" else None)
        if not self._emitted:
            out = out.lstrip()
        self._emitted += out
        return out

    def finish(self, cut_off: bool = False) -> str:
        """What was held back, at the end of the stream; `cut_off`: the stream ended at
        its token limit, so a last line without its end is left out (unless nothing came
        before it)."""
        if self.complete:
            return ""
        if not self._opened:
            self._buffer = _without_intro(_MARKERS.sub("", self._buffer).lstrip())
            self._opened = True
        if self.length == "points":
            out = self._points(final=True)
        else:
            most = 2 if self.length == "short" else None
            out = self._whole_units(most)
            rest = "" if self.complete else _MARKERS.sub("", self._buffer)
            unfinished = cut_off and (self._emitted + out).strip() and not _ENDED.search(rest)
            if rest.strip() and not unfinished:
                out += self._take(rest, most)
            if not self._emitted:
                out = out.lstrip()
        self._buffer = ""
        self.complete = True
        self._emitted += out
        return out if self.length == "points" else out.rstrip()

    def _whole_units(self, most: int | None) -> str:
        """What to pass on of the buffer's whole sentences and lines (see _take)."""
        # Hold back a possible "<document" marker until its end arrives.
        text = _MARKERS.sub("", self._buffer)
        if "<" in text[-12:]:
            cut = text.rindex("<")
            text, self._buffer = text[:cut], text[cut:]
        else:
            self._buffer = ""
        out = ""
        start = 0
        for m in _UNIT_END.finditer(text):
            if _LIST_NUMBER.fullmatch(text[start : m.end()].rpartition("\n")[2]):
                continue  # "4. " opens a numbered point; it ends no sentence
            out += self._take(text[start : m.end()], most)
            start = m.end()
            if self.complete:
                return out
        self._buffer = text[start:] + self._buffer
        return out

    def _take(self, unit: str, most: int | None) -> str:
        """What to pass on of one sentence (or line without a sentence's end): all of it,
        or nothing but its paragraph break when it says again what came before. The
        answer is complete at its `most`-th sentence, or at the second repeat."""
        if self._repeats(unit):
            self._ends_the_loop()
            lead = unit[: len(unit) - len(unit.lstrip())]
            # Left out at a line's start: the next sentence starts the line instead.
            self._dropped = self._line_start or "\n" in lead
            unit = lead if "\n" in lead else ""
        elif unit.strip():
            if self._dropped:
                unit, self._dropped = unit.lstrip(" "), False
            if _ENDED.search(unit):
                self._sentences += 1
                self.complete = self._sentences == most
        if unit:
            self._line_start = unit.endswith("\n")
        return unit

    def _ends_the_loop(self) -> bool:
        """A sentence or point said again is left out; the second one ends the answer
        (the model is writing it over again)."""
        self._repeated += 1
        self.complete = self._repeated >= REPEATS_TO_END
        return self.complete

    def _repeats(self, text: str) -> bool:
        """Whether `text` says again what a sentence or point before it said (nearly all
        the same words): a small model caught in a loop writes its answer over and over.
        Short ones ("Yes.") may repeat."""
        words = frozenset(_WORD.findall(text.lower()))
        if len(words) < REPEAT_MIN_WORDS:
            return False
        if any(len(words & seen) >= REPEAT_SHARE * len(words | seen) for seen in self._said):
            return True
        self._said.append(words)
        return False

    def _points(self, final: bool) -> str:
        lines = self._buffer.split("\n")
        self._buffer = "" if final else lines.pop()
        out = []
        for raw in lines:
            line = _MARKERS.sub("", raw).strip()
            if not line:
                continue
            bullet = _BULLET.match(line)
            if bullet and self._repeats(line[bullet.end():]):
                if self._ends_the_loop():
                    break
                continue
            if bullet:
                self._bullets += 1
                out.append("- " + line[bullet.end():])
            elif self._bullets:
                # Commentary after the list ends the answer.
                self.complete = True
                break
            else:
                # Before the first bullet: a preamble ("Here are the key points:"), or
                # prose, kept in case no list ever comes.
                self._prose.append(line)
        if final and not self._bullets:
            prose = " ".join(p for p in self._prose if not p.endswith(":"))
            out = [f"- {s.strip()}" for s in _SENTENCE_END_SPLIT.split(prose) if s.strip()]
        return "".join(f"{line}\n" for line in out)
