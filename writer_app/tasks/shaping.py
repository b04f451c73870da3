"""Keep a streamed summary to the shape the user asked for, as it streams.

Small models drift: three sentences for "one or two", a preamble before the bullet
list, the prompt's <document> markers echoed back, the same sentences over and over.
The shaper sees each piece, passes on what fits and says when the answer is complete,
so generation can stop there.
"""

from __future__ import annotations

import re

_MARKERS = re.compile(r"</?\s*document\s*>", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?(?=\s)")
_SENTENCE_END_SPLIT = re.compile(r"(?<=[.!?])\s+")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


_WORD = re.compile(r"\w+")
_ENDED = re.compile(r"[.!?][\"')\]]?\s*$")

INTRO_MAX = 160
# A sentence or point sharing this much of its words (and the other's) with one before it
# says it again.
REPEAT_SHARE = 0.8
REPEAT_MIN_WORDS = 4
REPEATS_TO_END = 2


def _without_intro(text: str) -> str:
    """`text` less a first line that only introduces what follows (it ends with ":")."""
    first, newline, rest = text.partition("\n")
    if newline and first.rstrip().endswith(":") and len(first) < INTRO_MAX and rest.strip():
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
            out = self._whole_sentences(2 if self.length == "short" else None)
        if not self._emitted:
            out = out.lstrip()
        self._emitted += out
        return out

    def finish(self, cut_off: bool = False) -> str:
        """What was held back, at the end of the stream; `cut_off`: the stream ended at
        its token limit, so a last sentence without its end is left out (unless it is
        all there is)."""
        if self.complete:
            return ""
        if not self._opened:
            self._buffer = _without_intro(_MARKERS.sub("", self._buffer).lstrip())
            if self.length != "points":  # the held sentences count
                out = self._whole_sentences(2 if self.length == "short" else None)
                if self.complete:
                    self._emitted += out
                    return out.rstrip()
                self._buffer = out + self._buffer
        if self.length == "points":
            out = self._points(final=True)
        else:
            out = _MARKERS.sub("", self._buffer)
            unfinished = cut_off and self._emitted.strip() and not _ENDED.search(out)
            if unfinished or self._repeats(out):  # the last sentence (no space after it)
                out = ""
        self._buffer = ""
        self.complete = True
        self._emitted += out
        return out if self.length == "points" else out.rstrip()

    def _whole_sentences(self, most: int | None) -> str:
        """The buffer's whole sentences, up to `most` in all; the answer is complete at
        `most`, or at a sentence that repeats an earlier one (dropped)."""
        # Hold back a possible "<document" marker until its end arrives.
        text = _MARKERS.sub("", self._buffer)
        if "<" in text[-12:]:
            cut = text.rindex("<")
            text, self._buffer = text[:cut], text[cut:]
        else:
            self._buffer = ""
        out = ""
        start = 0
        # A full stop at the very end may be a decimal point ("1.8"): wait for what follows.
        for m in _SENTENCE_END.finditer(text):
            sentence = text[start : m.end()]
            start = m.end()
            if self._repeats(sentence):
                if self._ends_the_loop():
                    return out
                continue
            self._sentences += 1
            out += sentence
            if self._sentences == most:
                self.complete = True
                return out
        self._buffer = text[start:] + self._buffer
        return out

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
