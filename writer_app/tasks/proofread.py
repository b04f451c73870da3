"""Proofread: the spell checker first, then the model for what only a model can fix.

1. Every misspelling the spell checker is sure of (tasks/spelling.py, `sure_fix`) is
   fixed without asking the model. For each of the others the model picks among the
   checker's three best candidates: the text before the word is its prompt, and its
   answer is held (by a grammar) to those candidates, so it is a choice in context, not
   a rewrite. Without constrained output the model is told the candidates instead.
2. The model gets the text with those fixes applied, and is asked for grammar,
   agreement and punctuation only.
3. What the model changed is kept edit by edit within each sentence, and only where it
   is a correction (`_is_grammar_edit`: punctuation, another form of the same word,
   agreement, an article): an edit of more than MAX_RUN words in a row (a reworded
   clause) or one that brings in a new content word is left out, and a sentence where it
   changed more than MAX_RUN words or 1 - MIN_SIMILARITY of them stays as it was.
4. The diff marks each change with its source: "spelling" or "model".
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from writer_app.engine.engine import Engine
from writer_app.engine.types import (
    CancelToken,
    Constraint,
    GenerationRequest,
    SamplingOptions,
)
from writer_app.tasks.actions import Action
from writer_app.tasks.diff import TOKENS, Change, word_diff
from writer_app.tasks.rewrite import PARAGRAPH_BREAK, Progress, RewriteResult, run_action
from writer_app.tasks.spelling import SpellSession

INSTRUCTION = ("Correct the grammar, agreement and punctuation of the text. Its spelling has "
               "been checked already. Change nothing else: keep its words, style and meaning.")
MIN_SIMILARITY = 0.7
_CONTEXT_CHARS = 1500
MAX_RUN = 2
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"')\]]*|$)\s*")


Choose = Callable[[str, list[str]], "str | None"]


@dataclass(frozen=True)
class SpellingPass:
    text: str  # with the sure fixes (and the model's choices) applied
    fixes: dict[str, str]  # misspelling -> its fix
    unsure: dict[str, list[str]]  # misspelling -> its best candidates, still open


def spelling_pass(text: str, session: SpellSession,
                  choose: Choose | None = None) -> SpellingPass:
    """The sure fixes; `choose(text before the word, candidates)` picks for the rest."""
    fixes: dict[str, str] = {}
    unsure: dict[str, list[str]] = {}
    edits: list[tuple[int, int, str]] = []
    for speller, offset, m in session.misspellings_in(text):
        fix = speller.sure_fix(m.word)
        candidates = speller.suggestions(m.word)[:3]
        if fix is None and choose is not None and candidates:
            fix = choose(text[:offset + m.start], candidates)
        if fix is None:
            unsure[m.word] = candidates
            continue
        fixes[m.word] = fix
        edits.append((offset + m.start, offset + m.end, fix))
    fixed = text
    for start, end, fix in reversed(edits):
        fixed = fixed[:start] + fix + fixed[end:]
    return SpellingPass(fixed, fixes, unsure)


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


def _is_grammar_edit(old: list[str], new: list[str]) -> bool:
    """An edit a proofread may make: punctuation; one word for another form of it (needs
    -> need, spended -> spent: the same first three letters) or for another function word
    (was -> were); an article or preposition added or dropped. Not a new content word:
    "The" -> "They" changes who acts."""
    old_words = [t.lower() for t in old if t[:1].isalnum()]
    new_words = [t.lower() for t in new if t[:1].isalnum()]
    if not old_words and not new_words:
        return True
    if len(old_words) == 1 and len(new_words) == 1:
        a, b = old_words[0], new_words[0]
        same_word = min(len(a), len(b)) > 3 and a[:3] == b[:3]
        return same_word or (a in _FUNCTION_WORDS and b in _FUNCTION_WORDS)
    return len(old_words) + len(new_words) == 1 and \
        (old_words or new_words)[0] in _FUNCTION_WORDS


def _corrected_sentence(before: str, after: str) -> str:
    """`before` with the model's small edits (MAX_RUN words or fewer each) applied and its
    rewordings left out; `before` itself when those small edits change more than MAX_RUN
    words or 1 - MIN_SIMILARITY of the sentence, whichever is more."""
    a, b = TOKENS.findall(before), TOKENS.findall(after)
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    small = [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in ops if tag != "equal"
             and max(_words(a[i1:i2]), _words(b[j1:j2])) <= MAX_RUN
             and _is_grammar_edit(a[i1:i2], b[j1:j2])]
    changed = sum(max(_words(a[i1:i2]), _words(b[j1:j2])) for i1, i2, j1, j2 in small)
    if changed > max(MAX_RUN, (1 - MIN_SIMILARITY) * _words(a)):
        return before  # small edits all over: a rewrite in pieces
    out, at = [], 0
    for i1, i2, j1, j2 in small:
        out.extend(a[at:i1] + b[j1:j2])
        at = i2
    return "".join(out + a[at:])


def keep_corrections(before: str, after: str) -> str:
    """`after` where it only corrects `before`, edit by edit within each sentence: a
    reworded clause keeps the writer's words. Paragraphs are compared one to one; when
    the model merged or split sentences, the paragraph is judged as one sentence."""
    out = []
    old_paragraphs = PARAGRAPH_BREAK.split(before)
    new_paragraphs = PARAGRAPH_BREAK.split(after)
    if len(old_paragraphs) != len(new_paragraphs):
        return _corrected_sentence(before, after)
    for old, new in zip(old_paragraphs, new_paragraphs, strict=True):
        old_s, new_s = _SENTENCE.findall(old), _SENTENCE.findall(new)
        if len(old_s) != len(new_s):
            out.append(_corrected_sentence(old, new))
            continue
        out.append("".join(_corrected_sentence(o, n)
                           for o, n in zip(old_s, new_s, strict=True)))
    return "".join(out)


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
    """The model's pick among a misspelling's candidates, from the text before it (None
    when the backend cannot hold its answer to a grammar)."""
    if not engine.capabilities.constrained_output:
        return None

    def choose(before: str, candidates: list[str]) -> str | None:
        context = before.rstrip()
        if not context:
            return None  # the text's first word: nothing to choose from
        space = " " if before != context else ""
        grammar = "root ::= " + " | ".join(json.dumps(space + c) for c in candidates)
        request = GenerationRequest(prompt=context[-_CONTEXT_CHARS:],
                                    options=SamplingOptions(temperature=0.0, max_tokens=16),
                                    cancel=cancel or CancelToken(),
                                    constraint=Constraint("gbnf", grammar))
        answer = engine.generate(request).text.strip()
        return answer if answer in candidates else None

    return choose


def proofread(engine: Engine, action: Action, text: str, session: SpellSession, *,
              options: SamplingOptions | None = None, cancel: CancelToken | None = None,
              progress: Progress | None = None,
              on_piece: Callable[[str], None] | None = None) -> RewriteResult:
    checked = spelling_pass(text, session, model_choice(engine, cancel))
    asked = dataclasses.replace(action, instruction=_instruction(checked.unsure))
    answer = run_action(engine, asked, checked.text, options=options, cancel=cancel,
                        progress=progress, on_piece=on_piece)
    if answer.cancelled:
        return RewriteResult(text, text, answer.paragraphs, True)
    result = keep_corrections(checked.text, answer.text)
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
