"""Languages a user can translate into, and offline detection of a text's language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from writer_app.errors import WriterError

# The common languages, by ISO 639-1 code: English name and the name in the language.
COMMON: dict[str, tuple[str, str]] = {
    "en": ("English", "English"), "fr": ("French", "Français"), "de": ("German", "Deutsch"),
    "es": ("Spanish", "Español"), "it": ("Italian", "Italiano"),
    "pt": ("Portuguese", "Português"), "nl": ("Dutch", "Nederlands"),
    "pl": ("Polish", "Polski"), "ru": ("Russian", "Русский"),
    "uk": ("Ukrainian", "Українська"), "cs": ("Czech", "Čeština"),
    "sv": ("Swedish", "Svenska"), "da": ("Danish", "Dansk"), "no": ("Norwegian", "Norsk"),
    "fi": ("Finnish", "Suomi"), "el": ("Greek", "Ελληνικά"), "tr": ("Turkish", "Türkçe"),
    "ro": ("Romanian", "Română"), "hu": ("Hungarian", "Magyar"), "ar": ("Arabic", "العربية"),
    "he": ("Hebrew", "עברית"), "hi": ("Hindi", "हिन्दी"), "id": ("Indonesian", "Bahasa Indonesia"),
    "vi": ("Vietnamese", "Tiếng Việt"), "th": ("Thai", "ไทย"), "zh": ("Chinese", "中文"),
    "ja": ("Japanese", "日本語"), "ko": ("Korean", "한국어"),
}
# Below this, detection is reported as unsure and the user is asked to set the source.
CONFIDENT = 0.80
_TYPED = re.compile(r"^[^\W\d_][^\W\d_ '()-]*(?:[ '()-]+[^\W\d_]+)*\)?$")


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1 for the common ones; "" for a language the user typed
    name: str

    def __str__(self) -> str:
        return self.name


def language(value: str) -> Language:
    """A language from its code, English or native name, or a typed language name."""
    wanted = value.strip()
    lowered = wanted.lower()
    for code, (name, native) in COMMON.items():
        if lowered in (code, name.lower(), native.lower()):
            return Language(code, name)
    if len(wanted) > 3 and len(wanted) <= 40 and _TYPED.match(wanted):
        return Language("", wanted[0].upper() + wanted[1:])  # e.g. "Esperanto", "Swiss German"
    raise WriterError(f"unknown language {value!r}: use a code or name such as "
                      f"{', '.join(list(COMMON)[:6])}, or type a language's full name")


@dataclass(frozen=True)
class Detection:
    language: Language
    confidence: float

    @property
    def sure(self) -> bool:
        return self.confidence >= CONFIDENT


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # Choosing among the languages a user can pick makes short texts far more reliable.
    ident.set_languages(list(COMMON))
    return ident


def detect_language(text: str) -> Detection:
    """The language of `text`, offline (py3langid), with a probability."""
    sample = " ".join(text.split())[:2000]
    if not sample:
        raise WriterError("there is no text to detect the language of")
    code, confidence = _identifier().classify(sample)
    name = COMMON.get(code, (code, code))[0]
    return Detection(Language(code, name), float(confidence))
