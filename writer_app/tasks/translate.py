"""Translation that keeps a Markdown document's structure by construction.

The text is cut into lines and spans the model never sees (code fences, heading and list
markers, table pipes, inline code, link URLs, emphasis markers, blank lines) and prose it
translates. Each prose unit goes to the model with its markup replaced by numbered
placeholders; if the answer loses or reorders one, the unit is translated piece by
piece instead, so the markup is always put back exactly where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from writer_app.engine.engine import Engine
from writer_app.engine.types import CancelToken, ChatMessage, GenerationRequest, SamplingOptions
from writer_app.errors import WriterError
from writer_app.tasks.cleanup import clean_result
from writer_app.tasks.code_tokens import code_spans
from writer_app.tasks.languages import Detection, Language, detect_language

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(\s{0,3}#{1,6}\s+)(.*?)(\s+#+\s*)?$")
_LIST = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?)(.*)$")
_QUOTE = re.compile(r"^(\s*(?:>\s?)+)(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# Inline spans kept as they are: code, images, link targets, autolinks, bare URLs, and
# emphasis markers (the words inside emphasis are translated).
_PROTECTED = re.compile(
    r"(`+)(?:.+?)\1"                 # inline code
    r"|!\[[^\]]*\]\([^)]*\)"         # image
    r"|\]\([^)]*\)"                  # the "](url)" of a link; its text stays prose
    r"|\["                           # the "[" opening a link
    r"|<https?://[^>]+>"             # autolink
    r"|https?://\S+"                 # bare URL
    r"|\*\*|__|\*|(?<!\w)_|_(?!\w)"  # emphasis markers
)
_PLACEHOLDER = re.compile(r"⟦(\d+)⟧")

SYSTEM = ("You are a translator. Translate the user's text between <text> and </text> "
          "into {target}. Reply with the translation only. Keep every marker such as ⟦1⟧ "
          "exactly as it is, in the same order.")

Progress = Callable[[int, int], None]


@dataclass
class Translation:
    text: str
    source: Detection
    target: Language
    blocks: int
    cancelled: bool = False


@dataclass
class _Unit:
    """One line's prose with its markup: `prefix` + prose (with inline markup) + `suffix`."""
    line: int
    prefix: str
    body: str
    suffix: str


def _units(lines: list[str]) -> list[_Unit]:
    units: list[_Unit] = []
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or not line.strip() or _TABLE_RULE.match(line):
            continue
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            cells = line.split("|")
            for c, cell in enumerate(cells[1:-1], 1):
                if cell.strip():
                    lead = cell[: len(cell) - len(cell.lstrip())]
                    trail = cell[len(cell.rstrip()):]
                    units.append(_Unit(i, f"{c}|{lead}", cell.strip(), trail))
            continue
        for pattern in (_HEADING, _LIST, _QUOTE):
            m = pattern.match(line)
            if m:
                suffix = m.group(3) or "" if pattern is _HEADING else ""
                units.append(_Unit(i, m.group(1), m.group(2), suffix))
                break
        else:
            lead = line[: len(line) - len(line.lstrip())]
            units.append(_Unit(i, lead, line.strip(), line[len(line.rstrip()):]))
    return units


def _protected_spans(body: str) -> list[tuple[int, int]]:
    """Markup, and the code-like tokens the spell checker skips too (paths, identifiers,
    addresses, versions): merged where they overlap."""
    spans = sorted([m.span() for m in _PROTECTED.finditer(body)] + code_spans(body))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _split_inline(body: str) -> list[tuple[bool, str]]:
    """(is_prose, text) pieces of a unit's body."""
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for start, end in _protected_spans(body):
        if start > pos:
            pieces.append((True, body[pos:start]))
        pieces.append((False, body[start:end]))
        pos = end
    if pos < len(body):
        pieces.append((True, body[pos:]))
    return pieces


class _Translator:
    def __init__(self, engine: Engine, source: Language, target: Language,
                 cancel: CancelToken, on_piece: Callable[[str], None] | None) -> None:
        self.engine = engine
        self.source = source
        self.target = target
        self.cancel = cancel
        self.on_piece = on_piece

    def ask(self, text: str) -> str:
        room = 3 * self.engine.count_tokens(text) + 32
        request = GenerationRequest(
            messages=[ChatMessage("system", SYSTEM.format(target=self.target.name)),
                      ChatMessage("user", f"Translate from {self.source.name} into "
                                          f"{self.target.name}:\n\n<text>\n{text}\n</text>")],
            options=SamplingOptions(temperature=0.0, repeat_penalty=1.05, max_tokens=room),
            cancel=self.cancel)
        answer = clean_result(self.engine.generate(request, self.on_piece).text, text)
        return " ".join(answer.split()) if "\n" not in text else answer

    def body(self, body: str) -> str:
        pieces = _split_inline(body)
        prose = [p for is_prose, p in pieces if is_prose and _has_words(p)]
        if not prose:
            return body
        if len(pieces) == 1:
            return _keep_spaces(body, self.ask(body.strip()))
        # With placeholders first: the model sees the sentence whole.
        markup = [p for is_prose, p in pieces if not is_prose]
        n = 0
        parts = []
        for is_prose, text in pieces:
            if is_prose:
                parts.append(text)
            else:
                n += 1
                parts.append(f"⟦{n}⟧")
        answer = self.ask("".join(parts).strip())
        if self.cancel.cancelled:
            return body
        if [int(x) for x in _PLACEHOLDER.findall(answer)] == list(range(1, n + 1)):
            return _keep_spaces(body, _PLACEHOLDER.sub(lambda m: markup[int(m.group(1)) - 1],
                                                        answer))
        # The model lost a marker: translate the prose pieces one by one around the markup.
        return "".join(_keep_spaces(t, self.ask(t.strip())) if is_prose and _has_words(t)
                       else t for is_prose, t in pieces)


def _has_words(text: str) -> bool:
    """Punctuation and numbers alone are not sent to the model."""
    return any(ch.isalpha() for ch in text)


def _keep_spaces(original: str, translated: str) -> str:
    lead = original[: len(original) - len(original.lstrip())]
    trail = original[len(original.rstrip()):]
    return lead + translated.strip() + trail


def translate(
    engine: Engine,
    text: str,
    target: Language,
    *,
    source: Language | None = None,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
    on_piece: Callable[[str], None] | None = None,
) -> Translation:
    """`text` (plain or Markdown) in `target`; every non-prose character is kept as it was."""
    if not text.strip():
        raise WriterError("there is no text to translate")
    detection = detect_language(text)
    src = source or detection.language
    cancel = cancel or CancelToken()
    lines = text.split("\n")
    units = _units(lines)
    worker = _Translator(engine, src, target, cancel, on_piece)
    out = list(lines)
    cells: dict[int, list[str]] = {}
    for n, unit in enumerate(units, 1):
        if progress:
            progress(n, len(units))
        translated = worker.body(unit.body)
        if cancel.cancelled:
            return Translation(text, detection, target, len(units), True)
        if "|" in unit.prefix and unit.prefix.split("|", 1)[0].isdigit():
            index, lead = unit.prefix.split("|", 1)
            row = cells.setdefault(unit.line, lines[unit.line].split("|"))
            row[int(index)] = lead + translated + unit.suffix
            out[unit.line] = "|".join(row)
        else:
            out[unit.line] = unit.prefix + translated + unit.suffix
    return Translation("\n".join(out), detection, target, len(units))
