"""Plain text and Markdown: encodings, then paragraphs or Markdown structure."""

from __future__ import annotations

import bisect
import codecs
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from writer_app.documents.cmark import markdown_to_html
from writer_app.documents.html import read_html
from writer_app.documents.limits import BlockBudget, read_regular_file
from writer_app.documents.model import MAX_FILE_BYTES, Block, Decoded, DocumentError

# (mark, the codec that reads what follows, the codec that writes the mark back)
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
]
_PARAGRAPH = re.compile(r"(?:\r\n|\r|\n)\s*(?:\r\n|\r|\n)")
_WORD = re.compile(r"[^\W\d_]*[^\W\d_\x00-\x7f][^\W\d_]*")  # words with a non-ASCII letter
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class NotText(ValueError):
    pass


# When several code pages fit a text equally well, the one most texts are written in.
_COMMON = ("cp1252", "cp1251", "gb18030", "gbk", "big5", "cp932", "shift_jis", "euc_jp",
           "cp949", "euc_kr", "cp1250", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
           "cp1258", "koi8_r", "cp874", "latin_1")
_SAMPLE = 2**20
_WIDE_SAMPLE = 2**16
_COHERENCE_WEIGHT = 0.3
_RANK_WEIGHT = 0.005


def decode_text(data: bytes, encoding: str | None = None) -> Decoded:
    """The text, in `encoding` when the user chose one (undecodable bytes replaced)."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise NotText(f"{encoding!r} is not an encoding Writer knows") from None
        return _checked(Decoded(data.decode(name, errors="replace"), name))
    for bom, name, keeps_bom in _BOMS:
        if data.startswith(bom):
            # Saved back with its byte order mark, as it came.
            return Decoded(data[len(bom):].decode(name, errors="replace"), keeps_bom)
    if b"\x00" in data[:4096]:
        raise NotText("it holds binary data, not text")
    try:
        return _checked(Decoded(data.decode("utf-8"), "utf-8"))
    except UnicodeDecodeError:
        pass
    name = _legacy_encoding(data)
    note = (f"read as {name}, a guess: if the text looks wrong, reopen it with its "
            "encoding (File > Reopen with Encoding, or --encoding)")
    return _checked(Decoded(data.decode(name, errors="replace"), name, note))


def read_text_file(path: Path, encoding: str | None = None) -> Decoded:
    """A text file for the editor: a regular file under the size cap, decoded (or in the
    encoding the user chose). DocumentError names the file and the reason."""
    try:
        return decode_text(read_regular_file(path, MAX_FILE_BYTES), encoding)
    except NotText as exc:
        raise DocumentError(path, str(exc)) from None


def _checked(decoded: Decoded) -> Decoded:
    sample = decoded.text[:20000]
    if sample and len(_CONTROL.findall(sample)) > len(sample) / 100:
        raise NotText("it holds binary data, not text")
    return decoded


def _legacy_encoding(data: bytes) -> str:
    """The code page that reads `data` with the least noise and the most coherent
    language, common code pages first among near equals.

    charset-normalizer alone refuses or misreads ordinary files whose ASCII rules and
    letter-spaced titles look like noise (a French title spelled "É T É" scores the Baltic
    code page 0.0 and Windows-1252 0.05, and its default threshold drops Windows-1252
    altogether). So a second, wide pass on the start of the file adds every candidate,
    and the choice weighs noise against the coherence of the language it yields.
    """
    candidates = {m.encoding: m for m in from_bytes(data[:_SAMPLE])}
    for m in from_bytes(data[:_WIDE_SAMPLE], threshold=1.0):
        candidates.setdefault(m.encoding, m)
    if not candidates:
        # Nothing fits even loosely: Windows-1252 maps every byte but five, so the
        # user sees the text and can choose another encoding.
        return "cp1252"
    best = min(candidates.values(), key=lambda m: (
        m.chaos - _COHERENCE_WEIGHT * m.coherence + _RANK_WEIGHT * _rank(m.encoding))
    ).encoding
    return "cp1252" if best != "cp1252" and _western_reads_better(data, best) else best


def _western_reads_better(data: bytes, best: str) -> bool:
    """True when `best` puts foreign letters inside Latin words (French read as Cyrillic:
    "ma" + CYRILLIC SMALL LETTER O + "tre") and Windows-1252 reads the same words as Latin
    ones ("maître").

    charset-normalizer scores a French title spelled "É T É" as noise in Windows-1252 and
    drops it even at the widest threshold; a real Cyrillic or Greek text has no such mixed
    words in its own code page.
    """
    sample = data[:_WIDE_SAMPLE]
    try:
        western = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return _mixed_words(sample.decode(best, errors="replace")) > 0 and \
        _mixed_words(western) == 0


def _mixed_words(text: str) -> int:
    """Words that hold both ASCII letters and letters of a script other than Latin."""
    return sum(1 for word in _WORD.findall(text)
               if any(c.isascii() for c in word)
               and any(not c.isascii() and c.isalpha()
                       and not unicodedata.name(c, "").startswith("LATIN") for c in word))


def _rank(encoding: str) -> int:
    return _COMMON.index(encoding) if encoding in _COMMON else len(_COMMON)


def text_blocks(text: str, budget: BlockBudget | None = None) -> list[Block]:
    """Paragraphs at blank lines, each one line of cleaned text."""
    budget = budget or BlockBudget("text")
    for paragraph in _PARAGRAPH.split(text):
        if paragraph.strip():
            budget.add("paragraph", " ".join(paragraph.split()))
    return budget.blocks


# cmark holds the whole tree of what it parses (about 50 times the text), and parses in
# one call that holds the interpreter (a window waiting on it freezes), so a long file
# goes through in pieces of about 64 KiB, cut where a new top-level block starts.
MARKDOWN_PIECE = 2**16
# A blank line, then a line at the margin that continues no list, quote, table or fence.
_TOP_LEVEL = re.compile(r"\n[ \t]*\n(?=[^\s>*+\-|0-9`~:])")
_FENCE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})", re.MULTILINE)


def markdown_pieces(text: str, size: int = MARKDOWN_PIECE) -> Iterator[str]:
    """`text` in pieces of `size` to 2 x `size` characters, each cut before a top-level
    block outside any code fence when there is one in that span, else at a blank line,
    else at a line's end: a piece never grows past that, whatever the text holds (a
    list of a million items has no top-level block in it)."""
    start = 0
    while len(text) - start > 2 * size:
        low, high = start + size, start + 2 * size
        cut = -1
        fences = [m.start() for m in _FENCE.finditer(text, start, high)]
        for match in _TOP_LEVEL.finditer(text, low, high):
            if bisect.bisect(fences, match.start()) % 2 == 0:  # outside any fence
                cut = match.start() + 1
                break
        if cut < 0:
            for mark in ("\n\n", "\n"):
                at = text.rfind(mark, low, high)
                if at >= 0:
                    cut = at + len(mark)
                    break
            else:
                cut = high  # one line of megabytes: cut inside it
        yield text[start:cut]
        start = cut
    yield text[start:]


def markdown_blocks(text: str, budget: BlockBudget | None = None) -> list[Block]:
    """Markdown through cmark-gfm, then its HTML through the HTML reader.

    cmark is C, runs in linear time on the pathological inputs of its test suite and
    keeps every line however deep the nesting (markdown-it dropped the rest of a file
    after 20 levels, and read about 2 MB a second).
    """
    budget = budget or BlockBudget("text")
    for piece in markdown_pieces(text):
        read_html(markdown_to_html(piece), budget, marks=True, encoding="utf-8")
    return budget.blocks
