"""How well does proofreading fix what people mistype? Real sentences from texts on this
machine (the licences in /usr/share/common-licenses and the descriptions of installed
Python packages: none written for this test; kept in benchmarks/data once extracted),
with misspellings of the kinds people make injected (a swap of two letters, a doubled
or dropped letter, a common misspelling such as "recieve") and a few agreement errors
("is" for "are"). Three ways of fixing them:

- spelling: the spell checker's sure fixes alone (tasks/spelling.py);
- model: the default model's proofread alone (tasks/rewrite.py);
- scored: the sure fixes, then the model's scores alone (the likeliest candidate for
  each other misspelling, and agreement: tasks/confusables.py), no rewriting;
- both: Writer's proofread (tasks/proofread.py): all of it, then the model's rewrite
  kept where it corrects.

For each it prints the share of injected errors fixed, the share of correct words
changed, and the time per sentence; for the checker, the share of misspellings it flags
and how many of its sure fixes are right.

    .venv/bin/python benchmarks/proofread_quality.py [--sentences 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app.engine.default_model import FILE_NAME  # noqa: E402
from writer_app.tasks.spelling import Speller, SpellSession  # noqa: E402

COMMON_MISSPELLINGS = {
    "receive": "recieve", "definitely": "definately", "separate": "seperate",
    "occurred": "occured", "until": "untill", "believe": "beleive", "their": "thier",
    "because": "becuase", "which": "wich", "government": "goverment", "address": "adress",
    "necessary": "neccessary", "beginning": "begining", "different": "diffrent",
    "environment": "enviroment", "following": "follwing", "license": "lisence",
    "software": "sofware", "include": "inlcude", "whether": "wether", "through": "thru",
    "independent": "independant", "existence": "existance", "successful": "succesful",
}
AGREEMENT = {"is": "are", "are": "is", "has": "have", "have": "has", "was": "were",
             "were": "was", "does": "do", "do": "does"}
_SENTENCE = re.compile(r"[A-Z][^.!?\n]*(?:\n(?!\s*\n)[^.!?\n]*)*[.!?]")


CORPUS = ROOT / "benchmarks" / "data" / "proofread_sentences.txt"


def corpus(speller: Speller, wanted: int, rng: random.Random) -> list[str]:
    """The sentences kept in benchmarks/data (so that every run and every machine reads
    the same ones), extracted from this machine's texts the first time."""
    if CORPUS.exists():
        return CORPUS.read_text(encoding="utf-8").splitlines()[:wanted]
    sentences = real_sentences(speller, wanted, rng)
    CORPUS.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    return sentences


def real_sentences(speller: Speller, wanted: int, rng: random.Random) -> list[str]:
    """Prose sentences of 8 to 30 words, every word known to the dictionary."""
    texts = [p.read_text(errors="ignore") for p in
             sorted(Path("/usr/share/common-licenses").glob("*")) if p.is_file()]
    site = next((ROOT / ".venv" / "lib").glob("python*/site-packages"), None)
    if site:
        for meta in sorted(site.glob("*.dist-info/METADATA")):
            body = meta.read_text(errors="ignore").split("\n\n", 1)[-1]
            texts.append(re.sub(r"```.*?```", " ", body, flags=re.S))
    found: list[str] = []
    seen: set[str] = set()
    for text in texts:
        for m in _SENTENCE.finditer(text):
            sentence = " ".join(m.group().split())
            words = sentence.split()
            if not 8 <= len(words) <= 30 or sentence in seen:
                continue
            if re.search(r"[#*_`<>|\[\]{}/\\=]|https?:|\d", sentence):
                continue  # markup, addresses, code
            if speller.misspellings(sentence):
                continue
            seen.add(sentence)
            found.append(sentence)
    rng.shuffle(found)
    return found[:wanted]


def _typo(word: str, rng: random.Random) -> str:
    lower = word.lower()
    if lower in COMMON_MISSPELLINGS and rng.random() < 0.7:
        typo = COMMON_MISSPELLINGS[lower]
    else:
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(["swap", "double", "drop"])
        if kind == "swap":
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif kind == "double":
            typo = word[:i] + word[i] + word[i:]
        else:
            typo = word[:i] + word[i + 1:]
    return typo[:1].upper() + typo[1:] if word[:1].isupper() else typo


@dataclass
class Case:
    original: str
    damaged: str
    errors: dict[int, str]  # word index -> the right word
    kinds: dict[int, str]  # word index -> "spelling" or "agreement"


def inject(sentence: str, speller: Speller, rng: random.Random, agreement: bool) -> Case:
    words = sentence.split(" ")
    errors: dict[int, str] = {}
    kinds: dict[int, str] = {}
    if agreement:
        spots = [i for i, w in enumerate(words) if w in AGREEMENT]
        if spots:
            i = rng.choice(spots)
            errors[i], kinds[i] = words[i], "agreement"
            words[i] = AGREEMENT[words[i]]
    candidates = [i for i, w in enumerate(words) if i not in errors and w.isalpha()
                  and (len(w) >= 5 or w.lower() in COMMON_MISSPELLINGS)]
    for i in rng.sample(candidates, min(len(candidates), rng.choice([1, 1, 2]))):
        typo = _typo(words[i], rng)
        if typo != words[i] and not speller.correct(typo):  # a real misspelling, not a word
            errors[i], kinds[i] = words[i], "spelling"
            words[i] = typo
    return Case(sentence, " ".join(words), errors, kinds)


def score(case: Case, output: str) -> tuple[int, int, int, int]:
    """(errors fixed, errors, correct words changed, correct words)."""
    before, after = case.damaged.split(" "), output.split()
    aligned: dict[int, str] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after,
                                                       autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                aligned[i1 + k] = after[j1 + k]
    fixed = sum(1 for i, right in case.errors.items()
                if _bare(aligned.get(i, "")) == _bare(right))
    correct = [i for i in range(len(before)) if i not in case.errors]
    changed = sum(1 for i in correct if _bare(aligned.get(i, "")) != _bare(before[i]))
    return fixed, len(case.errors), changed, len(correct)


def _bare(word: str) -> str:
    return word.strip(".,;:!?\"'()").lower()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-model", action="store_true", help="the spell checker only")
    parser.add_argument("--only", choices=["spelling", "model", "scored", "both"], nargs="+",
                        help="measure only these")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    speller = Speller("en_US")
    sentences = corpus(speller, args.sentences, rng)
    rng = random.Random(args.seed)  # the errors depend on the seed only, not on extraction
    cases = [inject(s, speller, rng, agreement=n % 5 == 0) for n, s in enumerate(sentences)]
    spelling_errors = sum(k == "spelling" for c in cases for k in c.kinds.values())
    print(f"{len(cases)} sentences, {spelling_errors} misspellings and "
          f"{sum(k == 'agreement' for c in cases for k in c.kinds.values())} agreement "
          "errors injected")

    flagged = sure = sure_right = 0
    for c in cases:
        marked = {m.word for m in speller.misspellings(c.damaged)}
        words = c.damaged.split(" ")
        for i, kind in c.kinds.items():
            if kind == "spelling" and words[i].strip(".,;:!?\"'()") in marked:
                flagged += 1
            if kind == "spelling":
                fix = speller.sure_fix(words[i].strip(".,;:!?\"'()"))
                if fix is not None:
                    sure += 1
                    sure_right += _bare(fix) == _bare(c.errors[i])
    print(f"spell checker: {flagged / spelling_errors:.1%} of misspellings flagged; "
          f"{sure} sure fixes, {sure_right / max(sure, 1):.1%} of them right")

    session = SpellSession("en_US", "en_US")
    runs = {"spelling": lambda text: _spelling_only(text, session)}
    if not args.no_model:
        from writer_app.engine.engine import Engine
        from writer_app.engine.model_info import read_model_info
        from writer_app.engine.types import SamplingOptions
        from writer_app.tasks.actions import find_action
        from writer_app.tasks.proofread import proofread
        from writer_app.tasks.rewrite import run_action

        engine = Engine.load(read_model_info(ROOT / "models" / FILE_NAME))
        action = find_action("proofread")
        options = SamplingOptions(temperature=0.2, seed=1)
        runs["model"] = lambda text: run_action(engine, action, text, options=options).text
        runs["scored"] = lambda text: _scored(text, session, engine)
        runs["both"] = lambda text: proofread(engine, action, text, session,
                                              options=options).text
    runs = {name: run for name, run in runs.items() if not args.only or name in args.only}
    print(f"{'':9} {'misspellings fixed':>19} {'agreement fixed':>16} "
          f"{'correct words changed':>22} {'s/sentence':>11}")
    for name, run in runs.items():
        totals = {"spelling": [0, 0], "agreement": [0, 0]}
        changed = correct = 0
        start = time.perf_counter()
        for c in cases:
            output = run(c.damaged)
            for kind in totals:
                sub = Case(c.original, c.damaged,
                           {i: r for i, r in c.errors.items() if c.kinds[i] == kind}, {})
                f, n, _, _ = score(sub, output)
                totals[kind][0] += f
                totals[kind][1] += n
            _, _, ch, co = score(c, output)
            changed, correct = changed + ch, correct + co
        seconds = (time.perf_counter() - start) / len(cases)
        sp, ag = totals["spelling"], totals["agreement"]
        print(f"{name:9} {sp[0] / max(sp[1], 1):>19.1%} {ag[0] / max(ag[1], 1):>16.1%} "
              f"{changed / max(correct, 1):>22.2%} {seconds:>11.2f}", flush=True)


def _scored(text: str, session: SpellSession, engine: object) -> str:
    from writer_app.tasks.proofread import agreement_pass, model_choice, spelling_pass

    checked = spelling_pass(text, session, model_choice(engine))  # type: ignore[arg-type]
    return agreement_pass(checked.text, session,
                          engine.likelihoods)[0]  # type: ignore[attr-defined]


def _spelling_only(text: str, session: SpellSession) -> str:
    from writer_app.tasks.proofread import spelling_pass

    return spelling_pass(text, session).text


if __name__ == "__main__":
    main()
