"""Proofread: the spell checker first, then the model for what only a model can fix.

1. Every misspelling the spell checker is sure of (tasks/spelling.py, `sure_fix`) is
   fixed without asking the model. For each of the others the model weighs the
   checker's candidates in context: how likely it finds the rest of the sentence with
   each (Engine.likelihoods), less a cost for each edit from the typo. A backend that
   cannot score text is told the candidates in the instruction instead.
2. Agreement and the homophones writers mix up (was/were, its/it's: see
   tasks/confusables.py) are weighed by the model the same way, in English text, and
   fixed where it finds another word far likelier.
3. The model gets the text with those fixes applied, and is asked for grammar,
   agreement and punctuation only.
4. What the model changed is kept edit by edit within each sentence, and only where it
   is a correction (`_is_grammar_edit`: punctuation, another form of the same word,
   agreement, an article added, a repeated word dropped) and where the model, weighing
   the sentence with and without it, finds it likelier by a margin (`model_judge`): an
   edit of more than MAX_RUN words in a row (a reworded clause) or one that brings in a
   new content word is left out, and a sentence where it changed more than MAX_RUN
   words or 1 - MIN_SIMILARITY of them stays as it was.
5. The diff marks each change with its source: "spelling" or "model".
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from writer_app.engine.engine import Engine
from writer_app.engine.types import CancelToken, SamplingOptions
from writer_app.tasks.actions import Action
from writer_app.tasks.confusables import (
    CONTEXT_CHARS,
    MARGIN,
    Likelihoods,
    confusion_fixes,
    sentence_end,
)
from writer_app.tasks.diff import TOKENS, Change, word_diff
from writer_app.tasks.rewrite import PARAGRAPH_BREAK, Progress, RewriteResult, run_action
from writer_app.tasks.spelling import SpellSession, typing_distance

INSTRUCTION = ("Correct the grammar, agreement and punctuation of the text. Its spelling has "
               "been checked already. Change nothing else: keep its words, style and meaning.")
MIN_SIMILARITY = 0.7
# Nats (natural log units of the model's likelihood) a candidate loses for each
# weighted edit between it and the typo (tasks/spelling.py, typing_distance).
DISTANCE_COST = 1.0
PUNCTUATION_MARGIN = math.log(5)
MAX_RUN = 2
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"')\]]*|$)\s*")


# choose(text before the word, the word, its candidates, the text after it): the fix.
Choose = Callable[[str, str, list[str], str], "str | None"]


@dataclass(frozen=True)
class SpellingPass:
    text: str  # with the sure fixes (and the model's choices) applied
    fixes: dict[str, str]  # misspelling -> its fix
    unsure: dict[str, list[str]]  # misspelling -> its best candidates, still open


def spelling_pass(text: str, session: SpellSession,
                  choose: Choose | None = None) -> SpellingPass:
    """The sure fixes first; then, left to right, `choose` picks for each of the others
    in its context: the text before it with the fixes so far, the rest of its sentence
    with the sure ones."""
    fixes: dict[str, str] = {}
    unsure: dict[str, list[str]] = {}
    found = [(speller, offset + m.start, offset + m.end, m.word)
             for speller, offset, m in session.misspellings_in(text)]
    edits: dict[int, tuple[int, str]] = {}  # start -> (end, fix)
    for speller, start, end, word in found:
        fix = speller.sure_fix(word)
        if fix is not None:
            edits[start] = (end, fix)
            fixes[word] = fix
    for speller, start, end, word in found:
        if start in edits:
            continue
        candidates = speller.suggestions(word)
        fix = None
        if choose is not None and candidates:
            lo = _word_start(text, max(0, start - CONTEXT_CHARS))
            hi = sentence_end(text, end)
            fix = choose(_with_edits(text, lo, start, edits), word, candidates,
                         _with_edits(text, end, hi, edits))
        if fix is None:
            unsure[word] = candidates[:3]
            continue
        edits[start] = (end, fix)
        fixes[word] = fix
    return SpellingPass(_with_edits(text, 0, len(text), edits), fixes, unsure)


def _with_edits(text: str, lo: int, hi: int, edits: dict[int, tuple[int, str]]) -> str:
    """text[lo:hi] with the edits that start inside it applied."""
    out, at = [], lo
    for start in sorted(s for s in edits if lo <= s < hi):
        end, fix = edits[start]
        out += [text[at:start], fix]
        at = end
    return "".join(out) + text[at:hi]


def _word_start(text: str, at: int) -> int:
    """`at`, or the start of the next word when `at` falls inside one."""
    while 0 < at < len(text) and not text[at - 1].isspace():
        at += 1
    return at


def agreement_pass(text: str, session: SpellSession,
                   likelihoods: Likelihoods) -> tuple[str, dict[str, str]]:
    """`text` with the agreement and homophone fixes the model is sure of (see
    tasks/confusables.py), in its English paragraphs; and those fixes (word -> fix)."""
    edits: dict[int, tuple[int, str]] = {}
    fixes: dict[str, str] = {}
    for offset, paragraph, name in session.paragraphs(text):
        if name.startswith("en"):
            for r in confusion_fixes(paragraph, likelihoods):
                edits[offset + r.start] = (offset + r.end, r.fix)
                fixes[r.word] = r.fix
    return _with_edits(text, 0, len(text), edits), fixes


def _instruction(unsure: dict[str, list[str]]) -> str:
    if not unsure:
        return INSTRUCTION
    hints = "; ".join(f"{word} (perhaps {' or '.join(c) if c else 'another word'})"
                      for word, c in list(unsure.items())[:10])
    return f"{INSTRUCTION} These words may be misspelled: {hints}."


def _words(tokens: list[str]) -> int:
    return sum(1 for t in tokens if t[:1].isalnum())


# Words a grammar fix may swap for one another, or add: agreement and articles.
_FUNCTION_WORDS = {"is", "are", "was", "were", "am", "be", "been", "has", "have", "had",
                   "do", "does", "did", "a", "an", "the", "this", "these", "that", "those",
                   "to", "of", "in", "on", "at", "for", "it", "its", "it's", "there",
                   "their", "they're", "your", "you're", "then", "than"}


_QUOTES = set("\"'\u2018\u2019\u201c\u201d\u00ab\u00bb")


def _is_grammar_edit(old: list[str], new: list[str], neighbours: list[str]) -> bool:
    """An edit a proofread may make: punctuation (but not quote marks, which are the
    writer's); one word for another form of it (needs -> need, spended -> spent: the same
    first three letters, but not a capital made small: "Covered Code" may be a defined
    term) or for another function word (was -> were); an article or preposition added,
    or a word repeated ("the the") dropped. Not a new content word: "The" -> "They"
    changes who acts; not a dropped word, which a model scoring text always prefers."""
    if _QUOTES & set("".join(old)) != _QUOTES & set("".join(new)):
        return False
    old_words = [t for t in old if t[:1].isalnum()]
    new_words = [t for t in new if t[:1].isalnum()]
    if not old_words and not new_words:
        return True
    if len(old_words) == 1 and len(new_words) == 1:
        x, y = old_words[0], new_words[0]
        if x[:1].isupper() and y[:1].islower():
            return False
        x, y = x.lower(), y.lower()
        same_word = min(len(x), len(y)) > 3 and x[:3] == y[:3]
        return same_word or (x in _FUNCTION_WORDS and y in _FUNCTION_WORDS)
    if len(new_words) == 1 and not old_words:
        return new_words[0].lower() in _FUNCTION_WORDS
    if len(old_words) == 1 and not new_words:
        return old_words[0].lower() in {w.lower() for w in neighbours}
    return False


# judge(text before, the rest of the sentence as it is, as the edit would have it,
# whether the edit is punctuation only): keep the edit?
Judge = Callable[[str, str, str, bool], bool]


def _corrected_sentence(before: str, after: str, judge: Judge | None = None,
                        context: str = "", settled: Collection[str] = ()) -> str:
    """`before` with the model's small edits (MAX_RUN words or fewer each) applied and its
    rewordings left out; `before` itself when those small edits change more than MAX_RUN
    words or 1 - MIN_SIMILARITY of the sentence, whichever is more. With a judge, each
    edit is kept only when it agrees (`context` is the text before the sentence). The
    `settled` words (fixes made before the rewrite) are not edited again."""
    a, b = TOKENS.findall(before), TOKENS.findall(after)
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    small = [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in ops if tag != "equal"
             and max(_words(a[i1:i2]), _words(b[j1:j2])) <= MAX_RUN
             and _is_grammar_edit(a[i1:i2], b[j1:j2], _neighbours(a, i1, i2))
             and not any(t in settled for t in a[i1:i2])]
    changed = sum(max(_words(a[i1:i2]), _words(b[j1:j2])) for i1, i2, j1, j2 in small)
    if changed > max(MAX_RUN, (1 - MIN_SIMILARITY) * _words(a)):
        return before  # small edits all over: a rewrite in pieces
    out: list[str] = []
    at = 0
    for i1, i2, j1, j2 in small:
        head = out + a[at:i1]
        punctuation = not _words(a[i1:i2]) and not _words(b[j1:j2])
        if judge is None or judge(context + "".join(head), "".join(a[i1:]),
                                  "".join(b[j1:j2] + a[i2:]), punctuation):
            out = head + b[j1:j2]
            at = i2
    return "".join(out + a[at:])


def _neighbours(tokens: list[str], i1: int, i2: int) -> list[str]:
    """The words just before and after tokens[i1:i2]."""
    before = [t for t in tokens[:i1] if t[:1].isalnum()][-1:]
    after = [t for t in tokens[i2:] if t[:1].isalnum()][:1]
    return before + after


def keep_corrections(before: str, after: str, judge: Judge | None = None,
                     settled: Collection[str] = ()) -> str:
    """`after` where it only corrects `before`, edit by edit within each sentence: a
    reworded clause keeps the writer's words. Paragraphs are compared one to one; when
    the model merged or split sentences, the paragraph is judged as one sentence."""
    out = []
    old_paragraphs = PARAGRAPH_BREAK.split(before)
    new_paragraphs = PARAGRAPH_BREAK.split(after)
    if len(old_paragraphs) != len(new_paragraphs):
        return _corrected_sentence(before, after, judge, settled=settled)
    for old, new in zip(old_paragraphs, new_paragraphs, strict=True):
        old_s, new_s = _SENTENCE.findall(old), _SENTENCE.findall(new)
        if len(old_s) != len(new_s):
            out.append(_corrected_sentence(old, new, judge, settled=settled))
            continue
        done = ""
        for o, n in zip(old_s, new_s, strict=True):
            done += _corrected_sentence(o, n, judge, done[-CONTEXT_CHARS:], settled)
        out.append(done)
    return "".join(out)


def model_judge(engine: Engine, cancel: CancelToken | None = None) -> Judge | None:
    """Keep an edit of the model's rewrite only when the model, scoring text, finds the
    sentence with it at least e**margin times likelier than without: MARGIN (20 times)
    for words, PUNCTUATION_MARGIN (5 times) for punctuation. A model asked to rewrite
    drops articles and swaps words it would not pick when weighing the two readings."""
    if not engine.capabilities.scoring:
        return None

    def judge(before: str, old: str, new: str, punctuation: bool) -> bool:
        scores = engine.likelihoods(before, [old, new], cancel=cancel)
        margin = PUNCTUATION_MARGIN if punctuation else MARGIN
        return scores[1] - scores[0] >= margin

    return judge


def marked_diff(original: str, result: str, fixes: dict[str, str]) -> list[Change]:
    """The word diff, each change marked "spelling" when it is one of the sure fixes."""
    changes = word_diff(original, result)
    marked: list[Change] = []
    for i, c in enumerate(changes):
        if c.op == "equal":
            marked.append(c)
            continue
        pair = (c, changes[i + 1]) if c.op == "delete" and i + 1 < len(changes) else None
        if c.op == "insert" and i > 0 and changes[i - 1].op == "delete":
            pair = (changes[i - 1], c)
        spelling = pair is not None and pair[1].op == "insert" and \
            fixes.get(pair[0].text.strip()) == pair[1].text.strip()
        marked.append(dataclasses.replace(c, source="spelling" if spelling else "model"))
    return marked


def model_choice(engine: Engine, cancel: CancelToken | None = None) -> Choose | None:
    """The candidate the model finds likeliest in context (None when the backend cannot
    score text): the log probability of the rest of the sentence with it, less
    DISTANCE_COST for each of its (weighted) edits from the typo."""
    if not engine.capabilities.scoring:
        return None

    def choose(before: str, word: str, candidates: list[str], after: str) -> str | None:
        scores = engine.likelihoods(before, [c + after for c in candidates], cancel=cancel)
        if cancel is not None and cancel.cancelled:
            return None
        best = max(range(len(candidates)),
                   key=lambda i: scores[i] - DISTANCE_COST * typing_distance(candidates[i],
                                                                             word))
        return candidates[best]

    return choose


def proofread(engine: Engine, action: Action, text: str, session: SpellSession, *,
              options: SamplingOptions | None = None, cancel: CancelToken | None = None,
              progress: Progress | None = None,
              on_piece: Callable[[str], None] | None = None) -> RewriteResult:
    checked = spelling_pass(text, session, model_choice(engine, cancel))
    agreed, agreement = checked.text, dict[str, str]()
    if engine.capabilities.scoring:
        agreed, agreement = agreement_pass(checked.text, session,
                                           lambda before, endings: engine.likelihoods(
                                               before, endings, cancel=cancel))
    asked = dataclasses.replace(action, instruction=_instruction(checked.unsure))
    answer = run_action(engine, asked, agreed, options=options, cancel=cancel,
                        progress=progress, on_piece=on_piece)
    if answer.cancelled or (cancel is not None and cancel.cancelled):
        return RewriteResult(text, text, answer.paragraphs, True)
    settled = {*checked.fixes.values(), *agreement.values()}
    result = keep_corrections(agreed, answer.text, model_judge(engine, cancel), settled)
    return RewriteResult(text, result, answer.paragraphs, False,
                         marked_diff(text, result, checked.fixes), answer.warnings)


def run_writing_action(engine: Engine, action: Action, text: str,
                       session: SpellSession | None, *, instruction: str | None = None,
                       options: SamplingOptions | None = None,
                       cancel: CancelToken | None = None, progress: Progress | None = None,
                       on_piece: Callable[[str], None] | None = None) -> RewriteResult:
    """What the window and `rewrite` run: a proofread goes through the spell checker
    first (unless spelling is off); any other action straight to the model."""
    if action.name == "proofread" and session is not None and session.choice != "off":
        return proofread(engine, action, text, session, options=options, cancel=cancel,
                         progress=progress, on_piece=on_piece)
    return run_action(engine, action, text, instruction=instruction, options=options,
                      cancel=cancel, progress=progress, on_piece=on_piece)
