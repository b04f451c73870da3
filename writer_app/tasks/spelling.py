"""Spell checking with Hunspell dictionaries (the LibreOffice ones, in
resources/dictionaries), read by spylls, a pure-Python port of Hunspell: the same word
lists and affix rules as LibreOffice, Firefox and Chrome, on every platform, with no
native library to ship.

Hunspell decides what is a word; it ranks its suggestions by letters only, so they are
ranked again here by how common each word is (pyspellchecker's frequency lists) and how
far it is from the typo. A fix is "sure" when its suggestion is far ahead of the rest
(see `sure_fix`): those a proofread applies without asking the model.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import json
import locale
import math
import os
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from writer_app import paths
from writer_app.tasks.code_tokens import code_spans

# Dictionary ids (the files' names) and what the user sees.
DICTIONARIES = {
    "en_GB": "English (UK)", "en_US": "English (US)", "de_DE": "German", "fr": "French",
    "es_ES": "Spanish", "it_IT": "Italian", "pt_PT": "Portuguese", "nl": "Dutch",
    "ru_RU": "Russian",
}
# The language detector's codes to dictionaries; English follows the system's variant.
_BY_LANGUAGE = {"de": "de_DE", "fr": "fr", "es": "es_ES", "it": "it_IT", "pt": "pt_PT",
                "nl": "nl", "ru": "ru_RU"}
# Where English is spelled the British way (harbour, colour, organise).
_BRITISH = {"GB", "IE", "AU", "NZ", "ZA", "IN", "PK", "NG", "KE", "SG", "MY", "HK", "MT"}
# A suggestion is sure when it scores as if this many times more common than the next
# one at the same distance from the typo (see Speller.sure_fix).
SURE_MARGIN = 20.0
MAX_SUGGESTIONS = 5

# English verbs given a regular ending they do not take ("spended"): Hunspell offers
# words near the letters ("speeded", "spender"), never the irregular form meant.
_IRREGULAR_EN = {
    "arised": "arose", "beared": "bore", "beated": "beat", "becomed": "became",
    "begined": "began", "bended": "bent", "bited": "bit", "bleeded": "bled", "blowed": "blew",
    "breaked": "broke", "breeded": "bred", "bringed": "brought", "builded": "built",
    "buyed": "bought", "catched": "caught", "choosed": "chose", "comed": "came",
    "creeped": "crept", "cutted": "cut", "digged": "dug", "drawed": "drew", "drinked": "drank",
    "drived": "drove", "eated": "ate", "falled": "fell", "feeded": "fed", "feeled": "felt",
    "fighted": "fought", "finded": "found", "forgived": "forgave", "forgetted": "forgot",
    "freezed": "froze", "gived": "gave", "goed": "went", "growed": "grew", "heared": "heard",
    "hided": "hid", "hitted": "hit", "holded": "held", "hurted": "hurt", "keeped": "kept",
    "knowed": "knew", "layed": "laid", "leaded": "led", "lended": "lent", "letted": "let",
    "losed": "lost", "maked": "made", "meaned": "meant", "meeted": "met", "payed": "paid",
    "quitted": "quit", "readed": "read", "rided": "rode", "ringed": "rang", "rised": "rose",
    "runned": "ran", "sayed": "said", "seeked": "sought", "selled": "sold", "sended": "sent",
    "setted": "set", "shaked": "shook", "shooted": "shot", "shutted": "shut", "sinked": "sank",
    "sitted": "sat", "sleeped": "slept", "speaked": "spoke", "spended": "spent",
    "standed": "stood", "stealed": "stole", "sticked": "stuck", "stinged": "stung",
    "striked": "struck", "swimmed": "swam", "taked": "took", "teached": "taught",
    "teared": "tore", "telled": "told", "thinked": "thought", "throwed": "threw",
    "understanded": "understood", "waked": "woke", "weared": "wore", "winned": "won",
    "writed": "wrote",
}
# A paragraph: from a non-space to the next blank line.
_PARAGRAPH = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")
_APOSTROPHE = "\u2019"  # the typographic one: "don\u2019t"
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_load_lock = threading.Lock()
_dictionaries: dict[str, object] = {}
_frequencies: dict[str, dict[str, int]] = {}


def system_english() -> str:
    """en_GB or en_US, from the system's locale (LC_ALL, LC_MESSAGES, LANG)."""
    name = ""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        name = os.environ.get(var, "")
        if name:
            break
    if not name:
        name = locale.getlocale()[0] or ""
    country = re.split(r"[_.@-]", name + "__")[1].upper()
    return "en_GB" if country in _BRITISH else "en_US"


def dictionary_for(language: str, english: str | None = None) -> str | None:
    """The dictionary for a detected language code ("en", "de"), or None."""
    if language == "en":
        return english or system_english()
    return _BY_LANGUAGE.get(language)


@contextlib.contextmanager
def _long_lived() -> Iterator[None]:
    """Build objects that live as long as the app (a dictionary is some 700,000 of them)
    with the garbage collector paused, then keep them out of its full passes: each pass
    holds the interpreter, so the window froze for 130 ms while a dictionary loaded."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.freeze()


def _dictionary(name: str) -> object:
    from spylls.hunspell import Dictionary

    with _load_lock:
        if name not in _dictionaries:
            if name not in DICTIONARIES:
                raise ValueError(f"no dictionary for {name!r}; Writer has "
                                 f"{', '.join(DICTIONARIES)}")
            with _long_lived():
                _dictionaries[name] = Dictionary.from_files(str(_dictionary_files(name)))
        return _dictionaries[name]


def _dictionary_files(name: str) -> Path:
    """Where NAME.dic and NAME.aff are: the resources folder in a checkout; in the bundle,
    where they come gzipped, the cache folder once unpacked there."""
    source = paths.resources_dir() / "dictionaries" / name
    if source.with_suffix(".dic").exists():
        return source
    unpacked = paths.cache_dir() / "dictionaries" / name
    unpacked.parent.mkdir(parents=True, exist_ok=True)
    for suffix in (".aff", ".dic"):
        target = unpacked.with_name(name + suffix)
        packed = source.with_name(name + suffix + ".gz")
        if not target.exists() or target.stat().st_mtime < packed.stat().st_mtime:
            temporary = target.with_name(target.name + ".part")
            with gzip.open(packed, "rb") as f, temporary.open("wb") as out:
                while chunk := f.read(2**20):
                    out.write(chunk)
            temporary.replace(target)
    return unpacked


# "word": count pairs of pyspellchecker's flat JSON lists.
_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*(\d+)')


def _frequency(name: str) -> dict[str, int]:
    """How common each word is (the two-letter language's list; English's is American,
    so a British spelling is looked up the American way too)."""
    language = name[:2]
    with _load_lock:
        if language not in _frequencies:
            with _long_lived():
                _frequencies[language] = _read_frequencies(language)
        return _frequencies[language]


def _read_frequencies(language: str) -> dict[str, int]:
    """The list, read a megabyte at a time: json.load would parse its 10 MB in one call
    that holds the interpreter, and the window would freeze for a third of a second."""
    import spellchecker

    data = Path(spellchecker.__file__).parent / "resources" / f"{language}.json.gz"
    counts: dict[str, int] = {}
    if not data.exists():
        return counts
    tail = ""
    with gzip.open(data, "rt", encoding="utf-8") as f:
        while chunk := f.read(2**20):
            text = tail + chunk
            end = 0
            for m in _PAIR.finditer(text):
                word = m.group(1)
                counts[json.loads(f'"{word}"') if "\\" in word else word] = int(m.group(2))
                end = m.end()
            tail = text[end:]
    return counts


def _american(word: str) -> str:
    return re.sub(r"our$", "or", re.sub(r"is(e|ed|es|ing|ation)$", r"iz\1", word))


_VOWELS = set("aeiouy")


def typing_distance(a: str, b: str) -> float:
    """Edit distance weighted by how people mistype: swapping two letters, doubling or
    dropping a doubled letter cost 0.5, one vowel for another 0.75, anything else 1."""
    a, b = a.lower(), b.lower()
    prev2: list[float] = []
    prev = [float(j) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [float(i)] + [0.0] * len(b)
        for j in range(1, len(b) + 1):
            x, y = a[i - 1], b[j - 1]
            sub = 0.0 if x == y else 0.75 if x in _VOWELS and y in _VOWELS else 1.0
            delete = 0.5 if i > 1 and a[i - 2] == x else 1.0  # a doubled letter in a
            insert = 0.5 if j > 1 and b[j - 2] == y else 1.0  # a doubled letter in b
            cur[j] = min(prev[j] + delete, cur[j - 1] + insert, prev[j - 1] + sub)
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cur[j] = min(cur[j], prev2[j - 2] + 0.5)
        prev2, prev = prev, cur
    return prev[len(b)]


def _same_case(suggestion: str, word: str) -> str:
    if word.isupper() and len(word) > 1:
        return suggestion.upper()
    if word[:1].isupper():
        return suggestion[:1].upper() + suggestion[1:]
    return suggestion


@dataclass(frozen=True)
class Misspelling:
    start: int
    end: int
    word: str


class Speller:
    """One dictionary, the user's own words, and the words ignored in this document."""

    def __init__(self, dictionary: str, user_words: Iterable[str] = (),
                 ignored: Iterable[str] = ()) -> None:
        self.name = dictionary
        self._dict = _dictionary(dictionary)
        self.user_words = set(user_words)
        self.ignored = set(ignored)
        self._known: dict[str, bool] = {}
        self._suggested: dict[str, list[str]] = {}

    def correct(self, word: str) -> bool:
        if word in self.user_words or word in self.ignored:
            return True
        known = self._known.get(word)
        if known is None:
            lookup = self._dict.lookup  # type: ignore[attr-defined]
            known = bool(lookup(word))
            if not known and _APOSTROPHE in word:
                known = bool(lookup(word.replace(_APOSTROPHE, "'")))
            self._known[word] = known
        return known

    def misspellings(self, text: str) -> list[Misspelling]:
        return [m for m in words(text) if not self.correct(m.word)]

    def _score(self, suggestion: str, word: str) -> float:
        """How likely `suggestion` is what was meant: log10 of how common it is, less
        3 for each (weighted) edit away from the typo."""
        freq = _frequency(self.name)
        # "a lot" for "alot": as common as its rarest word.
        common = min(max(freq.get(part, 0), freq.get(_american(part), 0))
                     for part in suggestion.lower().split())
        return math.log10(1 + common) - 3 * typing_distance(suggestion, word)

    def _irregular(self, word: str) -> str | None:
        if not self.name.startswith("en"):
            return None
        form = _IRREGULAR_EN.get(word.lower())
        return _same_case(form, word) if form else None

    def suggestions(self, word: str) -> list[str]:
        """Hunspell's candidates, the most likely first (an irregular verb's real form
        before them all)."""
        if word not in self._suggested:
            candidates: list[str] = []
            for s in self._dict.suggest(word):  # type: ignore[attr-defined]
                if s not in candidates:
                    candidates.append(s)
                if len(candidates) >= 12:
                    break
            ranked = [_same_case(s, word)
                      for s in sorted(candidates, key=lambda s: -self._score(s, word))]
            irregular = self._irregular(word)
            if irregular:
                ranked = [irregular, *(s for s in ranked if s != irregular)]
            self._suggested[word] = ranked[:MAX_SUGGESTIONS]
        return self._suggested[word]

    def sure_fix(self, word: str) -> str | None:
        """The fix to apply without asking: the only candidate within two edits, or one
        whose score beats the next by log10(SURE_MARGIN): as if SURE_MARGIN times as
        common at the same distance (an edit nearer counts as 1000 times), when no other
        candidate as near has another length."""
        irregular = self._irregular(word)
        if irregular:
            return irregular  # not a guess: the verb's past form
        ranked = self.suggestions(word)
        if not ranked or typing_distance(ranked[0], word) > 2:
            return None
        best = ranked[0]
        if len(ranked) == 1:
            return best
        # "dfault": "fault" (a letter too many) or "default" (a letter dropped)? When two
        # readings are as near and differ in length, only the context can tell.
        near = typing_distance(best, word) + 0.25
        if any(len(other) != len(best) and typing_distance(other, word) <= near
               for other in ranked[1:]):
            return None
        margin = self._score(best, word) - self._score(ranked[1], word)
        return best if margin >= math.log10(SURE_MARGIN) else None


def words(text: str) -> Iterator[Misspelling]:
    """The words of `text` with their positions, code-like tokens left out."""
    skip = code_spans(text)
    i = 0
    for m in _WORD.finditer(text):
        while i < len(skip) and skip[i][1] <= m.start():
            i += 1
        if i < len(skip) and skip[i][0] < m.end():
            continue  # inside a path, an address, an identifier…
        yield Misspelling(m.start(), m.end(), m.group())


def user_dictionary_file() -> Path:
    return paths.data_dir() / "dictionary.txt"


def load_user_words() -> set[str]:
    try:
        text = user_dictionary_file().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    return {line.strip() for line in text.splitlines()[:100_000] if line.strip()}


def add_user_word(word: str) -> None:
    """Add `word` to the per-user word list (one word a line, in the data folder)."""
    from writer_app.filecheck import write_atomically

    known = load_user_words()
    known.add(word)
    write_atomically(user_dictionary_file(), "\n".join(sorted(known)) + "\n")


class SpellSession:
    """The spellers one document needs: each paragraph checked in its own language
    (detected, or the one the user chose), English in the user's variant, all sharing
    the user's word list and the words ignored in this document."""

    def __init__(self, choice: str = "auto", english: str = "system") -> None:
        self.choice = choice
        self.english = system_english() if english == "system" else english
        self.user_words = load_user_words()
        self.ignored: set[str] = set()
        self._spellers: dict[str, Speller] = {}
        self._lock = threading.Lock()

    def dictionary_for(self, text: str) -> str | None:
        """The dictionary for a paragraph: the user's choice, else its detected language
        when the detector is sure and Writer has it, else English."""
        if self.choice != "auto":
            return None if self.choice == "off" else self.choice
        if len(text.split()) >= 4:
            from writer_app.tasks.languages import detect_language

            found = detect_language(text)
            if found.sure:
                return dictionary_for(found.language.code, self.english)
        return self.english

    def warm(self) -> SpellSession:
        """Load what the first check needs (the language detector, the English dictionary
        and its word frequencies), so that it is not loaded while the user types."""
        if self.choice != "off":
            self.dictionary_for("The harbour was busy all year long.")
            name = self.english if self.choice == "auto" else self.choice
            self.speller(name).suggestions("harbuor")
        return self

    def speller(self, name: str) -> Speller:
        with self._lock:
            if name not in self._spellers:
                self._spellers[name] = Speller(name)
                # Shared, so that a word added or ignored counts in every language.
                self._spellers[name].user_words = self.user_words
                self._spellers[name].ignored = self.ignored
            return self._spellers[name]

    def paragraphs(self, text: str) -> Iterator[tuple[int, str, str]]:
        """Each paragraph of a text with its offset and its dictionary's name (its
        language detected once); paragraphs with spelling off are left out."""
        for paragraph in _PARAGRAPH.finditer(text):
            name = self.dictionary_for(paragraph.group())
            if name is not None:
                yield paragraph.start(), paragraph.group(), name

    def misspellings_in(self, text: str) -> Iterator[tuple[Speller, int, Misspelling]]:
        """Each misspelling of a text of several paragraphs, with the speller of its
        paragraph's language and the offset of that paragraph."""
        for offset, paragraph, name in self.paragraphs(text):
            speller = self.speller(name)
            for m in speller.misspellings(paragraph):
                yield speller, offset, m

    def check(self, text: str) -> list[Misspelling]:
        name = self.dictionary_for(text)
        return [] if name is None else self.speller(name).misspellings(text)

    def suggestions(self, word: str, context: str) -> list[str]:
        name = self.dictionary_for(context)
        return [] if name is None else self.speller(name).suggestions(word)

    def add(self, word: str) -> None:
        add_user_word(word)
        self.user_words.add(word)

    def ignore(self, word: str) -> None:
        self.ignored.add(word)
