"""Tokens that are not words of a language: code spans, addresses, paths, identifiers,
version numbers and acronyms.

One detector for everything that reads prose: the spell checker skips these spans (a
file name is not a misspelling), and translation keeps them out of the model's reach.
"""

from __future__ import annotations

import re

# Each alternative is one kind of token; the order matters where two could match.
_TOKEN = re.compile(
    r"""
      `[^`\n]+`                                   # an inline code span
    | \b(?:https?|ftp|file)://[^\s<>()"']*[^\s<>()"'.,;:!?]   # a web address, not the
    | \bwww\.[^\s<>()"']*[^\s<>()"'.,;:!?]                 # sentence's full stop
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                  # an e-mail address
    | (?:~|\.{1,2})?(?:[\w.-]+)?(?:/[\w.-]+)+/?     # a path: a/b, ./x, ~/x, /usr/bin
    | [A-Za-z]:\\[^\s]+                             # a Windows path
    | \b\w*_\w*\b                                   # snake_case (any underscore)
    | \b[a-z]+[A-Z]\w*\b                            # camelCase
    | \b[A-Z][a-z]+[A-Z]\w*\b                       # CamelCase
    | \bv?\d+(?:\.\d+)+\w*\b                        # a version number: 3.11, v1.2.3
    | \b\w*\d\w*\b                                  # any word with a digit: gguf2, H200
    | \b[A-Z]{2,}s?\b                               # an acronym: GGUF, CPUs
    | \b[\w-]+\.(?:py|js|ts|md|txt|json|toml|yaml|yml|cfg|ini|gguf|sh|c|h|cpp|rs|go
                  |html|css|pdf|docx|odt|epub|exe|dll|so|zip)\b   # a file name
    """,
    re.VERBOSE,
)


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each code-like token in `text`, in order, not overlapping."""
    return [m.span() for m in _TOKEN.finditer(text)]


def is_code_like(token: str) -> bool:
    """True when the whole token is code-like (one word or span, as it stands)."""
    match = _TOKEN.fullmatch(token)
    return match is not None
