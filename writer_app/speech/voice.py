"""Speech from the platform's own voice, with where each sentence and word falls in it.

On Linux the voice is eSpeak NG, reached through pyttsx3's binding of its C library
(`pyttsx3.drivers._espeak`). pyttsx3's own engine is not used: on Linux it synthesizes
the whole text, then hands it to `aplay`, so its word events come before the sound and
Stop cannot cut it. Here the samples come back to Writer (synchronous mode), sentence by
sentence, with each word's sample offset from eSpeak's word events; the player
(speech/player.py) plays them and knows which sentence is heard from the samples the
sound card has played. No Qt here.
"""

from __future__ import annotations

import array
import bisect
import ctypes
import re
import sys
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from writer_app.errors import WriterError
from writer_app.tasks import sentences

INSTALL = {
    "linux": "install espeak-ng (Debian, Ubuntu: sudo apt install espeak-ng; Fedora: "
             "sudo dnf install espeak-ng; Arch: sudo pacman -S espeak-ng)",
}
DEFAULT_RATE = 175  # words a minute: eSpeak's own default
MIN_RATE, MAX_RATE = 80, 450
_lock = threading.Lock()  # eSpeak NG keeps one global state
_library: ModuleType | None = None
_sample_rate = 0


class NoVoice(WriterError):
    """No speech engine on this machine: the message says what to install."""


@dataclass(frozen=True)
class Voice:
    name: str
    identifier: str  # what eSpeak selects it by ("gmw/en-GB-x-rp")
    languages: str


@dataclass(frozen=True)
class Word:
    start: int  # character offsets in the text read
    end: int
    sample: int  # where it starts in the speech's samples


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    first_sample: int
    end_sample: int


@dataclass
class Speech:
    """The samples (16-bit mono) of a text read aloud, and where its parts fall in them.
    Positions count from the first sample made; a player lets go of the samples heard
    (`release_before`): a book read aloud holds minutes of sound, not hours."""

    sample_rate: int
    samples: array.array[int] = field(default_factory=lambda: array.array("h"))
    sentences: list[Sentence] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    released: int = 0  # the samples let go of, before samples[0]
    # One thread adds samples while another reads and releases them.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def seconds(self) -> float:
        return self.made() / self.sample_rate if self.sample_rate else 0.0

    def made(self) -> int:
        """How many samples were made (released ones included)."""
        with self._lock:
            return self.released + len(self.samples)

    def add(self, data: bytes) -> None:
        with self._lock:
            self.samples.frombytes(data)

    def piece(self, start: int, end: int) -> array.array[int]:
        """The samples from `start` to `end` (not released yet)."""
        with self._lock:
            return self.samples[start - self.released:end - self.released]

    def release_before(self, sample: int) -> None:
        with self._lock:
            count = sample - self.released
            if count > 0:
                del self.samples[:count]
                self.released = sample

    def sentence_at(self, sample: int) -> int | None:
        """The index of the sentence heard at `sample` (the last one once it is over)."""
        if not self.sentences:
            return None
        # Polled by the window many times a second: a book has thousands of sentences.
        i = bisect.bisect_right(self.sentences, sample, key=lambda s: s.end_sample)
        return min(i, len(self.sentences) - 1)

    def write_wav(self, path: Path) -> None:
        """The samples held as a WAV file: the whole speech when nothing was released
        (`writer-app speak --to`; a player releases what was heard)."""
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.sample_rate)
            samples = self.samples
            if sys.byteorder == "big":
                samples = array.array("h", samples)
                samples.byteswap()
            out.writeframes(samples.tobytes())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence with a letter or digit in it, in order (the
    outline's rule: not after "Dr." or an initial; a line break ends one too)."""
    return [(a, b) for a, b in sentences.sentence_spans(text) if re.search(r"\w", text[a:b])]


def _espeak() -> ModuleType:
    """pyttsx3's binding of libespeak-ng, initialized once for synchronous synthesis."""
    global _library, _sample_rate
    if _library is not None:
        return _library
    hint = INSTALL.get(sys.platform, "")
    if not hint:
        system = {"win32": "Windows", "darwin": "macOS"}.get(sys.platform, sys.platform)
        raise NoVoice(f"Read aloud is not available on {system} yet")
    try:
        from pyttsx3.drivers import _espeak as library
    except (ImportError, RuntimeError, OSError, AttributeError) as exc:
        raise NoVoice(f"Read aloud needs a voice: {hint} ({exc})") from None
    rate = library.Initialize(library.AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0)
    if rate <= 0:
        raise NoVoice(f"Read aloud needs a voice: eSpeak NG is there but cannot start "
                      f"(its voice data is missing?): {hint}")
    _library, _sample_rate = library, rate
    return library


def voices() -> list[Voice]:
    """The voices eSpeak NG offers, by name."""
    with _lock:
        library = _espeak()
        found = [Voice(_text(v.name), _text(v.identifier), _text(v.languages)[1:])
                 for v in library.ListVoices()]
    return sorted(found, key=lambda v: v.name.lower())


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace")


def sample_rate() -> int:
    """The voice's samples a second (raises NoVoice without one)."""
    with _lock:
        _espeak()
        return _sample_rate


def synthesize(text: str, voice: str = "", rate: int = DEFAULT_RATE,
               go_on: Callable[[], bool] = lambda: True,
               into: Speech | None = None) -> Speech:
    """`text` read aloud by `voice` (a name or identifier from voices(); "" for English)
    at `rate` words a minute, one sentence at a time, appended to `into` (the player plays
    it while the rest is made). `go_on` is asked before each sentence (it may wait); False
    stops. eSpeak is held for one sentence at a time, so listing the voices never waits
    for a long text."""
    speech = into if into is not None else Speech(sample_rate())
    for start, end in sentence_spans(text):
        if not go_on():
            break
        with _lock:
            library = _espeak()
            if library.SetVoiceByName((voice or "en").encode("utf-8")) != library.EE_OK:
                raise NoVoice(f"Read aloud: eSpeak NG has no voice {voice!r} (Settings → "
                              "Read aloud lists the voices it has)")
            library.SetParameter(library.RATE, max(MIN_RATE, min(MAX_RATE, rate)), 0)
            _read_sentence(library, text, start, end, speech)
    return speech


def _read_sentence(library: Any, text: str, start: int, end: int, speech: Speech) -> None:
    """One sentence's samples appended to `speech`, with its words (eSpeak counts the
    characters of what it is given from 1)."""
    first = speech.made()
    sentence = text[start:end]

    def collect(wav: Any, count: int, events: Any) -> int:
        if count > 0:
            speech.add(ctypes.string_at(wav, count * 2))
        i = 0
        while events[i].type != library.EVENT_LIST_TERMINATED:
            e = events[i]
            if e.type == library.EVENT_WORD and e.length > 0:
                at = start + max(0, e.text_position - 1)
                speech.words.append(Word(at, min(end, at + e.length), first + e.sample))
            i += 1
        return 0

    library.SetSynthCallback(collect)
    # ENDPAUSE: the pause a reader makes after a sentence, in its own samples.
    library.Synth(sentence, flags=library.CHARS_UTF8 | library.ENDPAUSE)
    speech.sentences.append(Sentence(start, end, first, speech.made()))
