"""What a small model adds around the answer, taken off: preambles, quotes, commentary."""

from __future__ import annotations

import re

_PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|okay|ok|absolutely)[!,.]?\s*)?"
    r"(?:here(?:'s| is| are)|below is|this is)\b[^\n:]{0,80}:[ \t]*\n*",
    re.IGNORECASE)
_SURE = re.compile(r"^\s*(?:sure|certainly|of course|okay|absolutely)[!,.]\s+", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?:corrected|revised|rewritten|improved|edited|translated|"
                    r"translation|result|output|answer|text)(?: text| version)?\s*:\s*",
                    re.IGNORECASE)
_COMMENTARY = re.compile(
    r"\n\s*(?:note|notes|explanation|changes made|i (?:hope|have|changed|made|corrected)|"
    r"let me know|this (?:version|revision|rewrite)|the (?:changes|revised))\b.*\Z",
    re.IGNORECASE | re.DOTALL)
_QUOTES = [('"', '"'), ("\u201c", "\u201d"), ("'", "'"), ("\u2018", "\u2019"), ("`", "`"),
           ("\u00ab", "\u00bb")]
_MARKERS = re.compile(r"</?\s*(?:text|document)\s*>", re.IGNORECASE)


def _drop_colon_lines(text: str, original: str) -> str:
    """Lines such as "Rewrite with a formal tone:" or "A:" introduce an answer; an original
    without such lines did not ask for them."""
    if any(line.rstrip().endswith(":") for line in original.splitlines()):
        return text
    lines = text.split("\n")
    kept = [line for line in lines if not (line.rstrip().endswith(":") and len(line) < 160)]
    return "\n".join(kept) if any(line.strip() for line in kept) else text


def clean_result(text: str, original: str = "") -> str:
    """The answer alone. Quotes are taken off only when the original was not quoted."""
    out = _MARKERS.sub("", text).strip()
    out = _PREAMBLE.sub("", out, count=1)
    out = _SURE.sub("", out, count=1)
    out = _LABEL.sub("", out, count=1)
    out = _COMMENTARY.sub("", out).strip()
    out = _drop_colon_lines(out, original).strip()
    # One paragraph in, one paragraph out: the rest is the model talking.
    if "\n\n" not in original.strip() and "\n\n" in out:
        out = out.split("\n\n", 1)[0].strip()
    stripped_original = original.strip()
    for left, right in _QUOTES:
        if (len(out) > 1 and out.startswith(left) and out.endswith(right)
                and out.count(left) + (out.count(right) if left != right else 0) <= 2
                and not stripped_original.startswith(left)):
            out = out[len(left):-len(right)].strip()
            break
    return out
