"""An outline of a document without the model, in a moment: its sections, each with its
most central sentences (LexRank, from sumy), shown while the model reads.

Sections follow the document's headings (the shallowest level that divides it); a
document without headings is cut into parts of about SECTION_WORDS words. sumy is given
a tokenizer of our own (its default one needs NLTK data that is downloaded at run time)
and the stop words and Snowball stemmer of the text's language where it has them.
LexRank compares every pair of sentences, so a long section is ranked in windows of
WINDOW sentences, and the windows' best are ranked again.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from writer_app.documents.model import Block, Document, block_pages, pages_label
from writer_app.engine.types import CancelToken
from writer_app.tasks.languages import COMMON, detect_language
from writer_app.tasks.sentences import sentence_spans

SENTENCES_PER_SECTION = 2
SECTION_WORDS = 1500  # a part of a document without headings
WINDOW = 300  # sentences ranked together (LexRank's time grows with their square)
# Short sections are ranked all alike by LexRank (every sentence central): their first
# sentences are taken instead.
MIN_RANKED = 7
MAX_SENTENCE_CHARS = 400
_WORD = re.compile("[^\\W\\d_]+(?:['\u2019][^\\W\\d_]+)?")
# sumy's stop word lists and nltk's Snowball stemmers, by ISO 639-1 code.
SUMY_LANGUAGES = {"en": "english", "fr": "french", "de": "german", "es": "spanish",
                  "it": "italian", "pt": "portuguese", "nl": "dutch", "ru": "russian",
                  "cs": "czech", "sv": "swedish", "da": "danish", "fi": "finnish",
                  "el": "greek", "hu": "hungarian", "ro": "romanian", "uk": "ukrainian",
                  "pl": "polish", "no": "norwegian", "tr": "turkish", "ar": "arabic"}


@dataclass
class Section:
    heading: str  # "" for the text before a document's first heading
    level: int
    first_block: int  # the section's blocks: doc.blocks[first_block:end_block]
    end_block: int
    sentences: list[str] = field(default_factory=list)  # the central ones, in order
    total_sentences: int = 0


@dataclass
class Outline:
    title: str
    sections: list[Section]
    language: str
    seconds: float
    cancelled: bool = False

    def markdown(self) -> str:
        out = []
        for s in self.sections:
            if s.heading:
                out.append(f"## {s.heading}")
            out.extend(f"- {sentence}" for sentence in s.sentences)
            out.append("")
        return "\n".join(out).strip()

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "language": self.language, "seconds": self.seconds,
                "sections": [{"heading": s.heading, "level": s.level,
                              "sentences": s.sentences, "of": s.total_sentences}
                             for s in self.sections]}


def sentences_of(text: str) -> list[str]:
    """The sentences of a paragraph (a long one without stops is cut at a word)."""
    out = [text[a:b] for a, b in sentence_spans(text)]
    cut: list[str] = []
    for sentence in filter(None, out):
        while len(sentence) > MAX_SENTENCE_CHARS:
            at = sentence.rfind(" ", 0, MAX_SENTENCE_CHARS)
            at = at if at > 0 else MAX_SENTENCE_CHARS
            cut.append(sentence[:at].strip())
            sentence = sentence[at:].strip()
        if sentence:
            cut.append(sentence)
    return cut


def words_of(sentence: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(sentence))


def split_sections(doc: Document) -> list[Section]:
    """The document's sections: at the shallowest heading level that occurs twice (a
    lone top heading is a title), or parts of about SECTION_WORDS words."""
    levels = [b.level for b in doc.blocks if b.kind == "heading" and b.text.strip()]
    level = min((lv for lv in set(levels) if levels.count(lv) >= 2), default=None)
    sections: list[Section] = []
    if level is not None:
        current = Section("", 0, 0, 0)
        for i, block in enumerate(doc.blocks):
            if block.kind == "heading" and block.level <= level and block.text.strip():
                current.end_block = i
                sections.append(current)
                current = Section(block.text.strip(), block.level, i, i)
        current.end_block = len(doc.blocks)
        sections.append(current)
        # A title above the sections, with no text of its own, is not a section.
        return [s for s in sections if s.level == level
                or _has_text(doc.blocks[s.first_block:s.end_block])]
    words, start = 0, 0
    for i, block in enumerate(doc.blocks):
        words += len(block.text.split())
        if words >= SECTION_WORDS:
            sections.append(Section("", 0, start, i + 1))
            words, start = 0, i + 1
    if start < len(doc.blocks) and _has_text(doc.blocks[start:]):
        sections.append(Section("", 0, start, len(doc.blocks)))
    if len(sections) > 1:
        # Named by their pages where the document has several (a PDF), else by number.
        pages = block_pages(doc.blocks) if (doc.pages or 0) > 1 else None
        for n, s in enumerate(sections, 1):
            s.heading = ((pages and pages_label(doc.blocks, pages,
                                                range(s.first_block, s.end_block)))
                         or f"Part {n} of {len(sections)}")
    return sections


def _has_text(blocks: list[Block]) -> bool:
    return any(b.text.strip() and b.kind != "heading" for b in blocks)


class _Tokenizer:
    """What sumy asks of a tokenizer; ours needs no downloaded data."""

    language = "any"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(sentences_of(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return words_of(sentence)


@functools.lru_cache(maxsize=8)
def _summarizer(language: str) -> Any:
    """sumy's LexRank with the language's stemmer and stop words (none when sumy has
    none for it)."""
    from sumy.nlp.stemmers import Stemmer, null_stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    name = SUMY_LANGUAGES.get(language)
    try:
        stemmer = Stemmer(name) if name else null_stemmer
    except LookupError:
        stemmer = null_stemmer
    summarizer = LexRankSummarizer(stemmer)
    try:
        summarizer.stop_words = get_stop_words(name) if name else frozenset()
    except LookupError:
        summarizer.stop_words = frozenset()
    return summarizer


def central(sentences: list[str], count: int, language: str,
            ordered: bool = True) -> list[int]:
    """Indexes of the `count` most central sentences: in the document's order, or, not
    `ordered`, the most central first."""
    if len(sentences) <= count and ordered:
        return list(range(len(sentences)))
    if len(sentences) < MIN_RANKED:
        return list(range(min(count, len(sentences))))
    if len(sentences) > WINDOW:
        # Each window's best, then the best of those (the rest after them, in order).
        per_window = max(1, min(count, WINDOW) * WINDOW // len(sentences) + 1)
        picked = [start + i for start in range(0, len(sentences), WINDOW)
                  for i in central(sentences[start:start + WINDOW], per_window, language,
                                   ordered)]
        best = [picked[i] for i in central([sentences[i] for i in picked],
                                           min(count, len(picked)), language, ordered)]
        if not ordered:
            chosen = set(best)
            best += [i for i in range(len(sentences)) if i not in chosen][:count - len(best)]
        return best
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    tokenizer = _Tokenizer()
    # sumy takes identical sentences for one: each gets a mark of its position.
    objects = [Sentence(f"{s}\u2063{i}", tokenizer) for i, s in enumerate(sentences)]
    summarizer = _summarizer(language)
    document = ObjectDocumentModel([Paragraph(objects)])
    at = {id(o): i for i, o in enumerate(objects)}
    if ordered:
        return sorted(at[id(s)] for s in summarizer(document, count) if id(s) in at)
    # sumy hands a callable count its sentences best first, then puts its choice back in
    # the document's order: the ranking is taken on the way.
    ranking: list[Any] = []

    def best_first(infos: list[Any]) -> list[Any]:
        ranking.extend(infos)
        return infos

    summarizer(document, best_first)
    return [at[id(info.sentence)] for info in ranking if id(info.sentence) in at][:count]


def outline(doc: Document, per_section: int = SENTENCES_PER_SECTION,
            cancel: CancelToken | None = None,
            on_section: Callable[[Section], None] | None = None) -> Outline:
    """Each section's most central sentences; `on_section` hears each as it is done."""
    start = time.perf_counter()
    cancel = cancel or CancelToken()
    sections = split_sections(doc)
    language = _language(doc)
    for section in sections:
        if cancel.cancelled:
            break
        blocks = doc.blocks[section.first_block:section.end_block]
        sentences = list(_sentences(blocks))
        section.total_sentences = len(sentences)
        section.sentences = [sentences[i] for i in central(sentences, per_section, language)]
        if on_section is not None:
            on_section(section)
    return Outline(doc.title, sections, language, time.perf_counter() - start,
                   cancel.cancelled)


def _sentences(blocks: list[Block]) -> Iterator[str]:
    for block in blocks:
        if block.kind in ("paragraph", "list_item", "table") and block.text.strip():
            yield from sentences_of(" ".join(block.text.split()))


def _language(doc: Document) -> str:
    """The document's language (ISO 639-1), from its opening text."""
    sample = " ".join(b.text for b in doc.blocks[:200] if b.kind == "paragraph")[:5000]
    if not sample.strip():
        return ""
    detected = detect_language(sample)
    return detected.language.code if detected.language.code in COMMON else ""


def compressed(doc: Document, keep_chars: int) -> Document:
    """The document cut to about `keep_chars` characters of its most central sentences,
    block for block (doc.blocks[i] becomes the result's blocks[i], emptied when none of
    its sentences is kept): every section keeps at least its most central sentence, and
    each keeps a share of its length. Headings stay; so does a section's code or table
    when it has no sentences. The whole document when it is that short already."""
    total = sum(len(b.text) for b in doc.blocks if b.kind != "heading")
    if total <= keep_chars:
        return doc
    share = keep_chars / total
    language = _language(doc)
    blocks = list(doc.blocks)
    for section in split_sections(doc) or [Section("", 0, 0, len(doc.blocks))]:
        span = range(section.first_block, section.end_block)
        # Each sentence with the block it came from.
        found = [(i, s) for i in span if doc.blocks[i].kind in ("paragraph", "list_item")
                 for s in sentences_of(" ".join(doc.blocks[i].text.split()))]
        if not found:
            continue
        wanted = share * sum(len(s) for _, s in found)
        ranked = central([s for _, s in found], len(found), language, ordered=False)
        kept: set[int] = set()
        size = 0
        for j in ranked:
            if kept and size + len(found[j][1]) > wanted:
                break
            kept.add(j)
            size += len(found[j][1])
        for i in span:
            if doc.blocks[i].kind in ("paragraph", "list_item"):
                text = " ".join(s for j, (b, s) in enumerate(found) if b == i and j in kept)
                blocks[i] = Block(doc.blocks[i].kind, text, doc.blocks[i].level)
            elif doc.blocks[i].kind in ("code", "table"):
                blocks[i] = Block(doc.blocks[i].kind, "", doc.blocks[i].level)
    return Document(doc.path, doc.type, doc.title, blocks, doc.pages, doc.notes)


def coverage(doc: Document, summary: str) -> float:
    """How much of an English document a summary speaks of: the share of its top-level
    sections with one of their 5 highest TF-IDF terms (or its stem) in the summary; IDF
    over the sections, terms from each section's whole text (not the sentences a budget
    kept)."""
    from nltk.stem.snowball import SnowballStemmer
    from sumy.utils import get_stop_words

    stop = set(get_stop_words("english"))
    stem = SnowballStemmer("english").stem
    words = re.compile(r"[a-z]{3,}")
    sections = split_sections(doc)
    counts = [Counter(w for b in doc.blocks[s.first_block:s.end_block]
                      for w in words.findall(b.text.lower()) if w not in stop)
              for s in sections]
    df = Counter(w for c in counts for w in c)
    said = set(words.findall(summary.lower()))
    said |= {stem(w) for w in said}
    covered = 0
    for c in counts:
        tfidf = {w: n * math.log(len(counts) / df[w]) for w, n in c.items()}
        top = sorted(tfidf, key=lambda w: -tfidf[w])[:5]
        covered += any(w in said or stem(w) in said for w in top)
    return covered / max(1, len(sections))
