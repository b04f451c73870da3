"""Mutated fixtures through every loader: seeded, so that a failure reproduces.

`run(seed, count, folder)` makes `count` mutants of the fixtures (byte flips, cuts,
repeated slices, and, inside zip containers, edits to the XML itself: repeated elements,
deep nesting, huge numbers) and loads each one, timing it. Anything but a DocumentError is
a failure. tests/test_fuzz.py runs it in a bounded child process; `make fuzz` runs more:

    python -m tests.fuzz --seed 7 --count 50000
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import time
import traceback
import zipfile
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
_MARKDOWN = (b"# Title\n\nSome *text* with a [link](http://a.b) and `code`.\n\n"
             b"- one\n  - two\n    1. three\n\n> quote\n> > deeper\n\n| a | b |\n|---|---|\n"
             b"| 1 | 2 |\n\n```\ncode\n```\n")
# Text that parsers treat specially, spliced in at random.
_TOKENS = [b"<", b">", b"</", b"<p>", b"<li>", b"<table><tr><td>", b"&", b"&#x10FFFF;",
           b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"*", b"_", b"[", b"](", b"> ", b"|",
           b"```", b"    ", b"\n\n", b"{\\rtf1", b"\\u-32768?", b"\\bin999999 ", b"{", b"}",
           b"%PDF-", b"obj", b"endobj", b"<<", b">>", b"stream\n", b"9999999999"]
_NUMBER = re.compile(rb'(="|val=")(\d+)(")')


def seeds() -> list[tuple[str, bytes]]:
    """(suffix, bytes) of every fixture the mutants start from."""
    found = [(p.suffix, p.read_bytes()) for p in sorted(FIXTURES.iterdir()) if p.is_file()
             and p.suffix in (".docx", ".odt", ".epub", ".pdf", ".rtf", ".html")]
    found += [(".txt", p.read_bytes()) for p in sorted((FIXTURES / "legacy").iterdir())]
    found.append((".md", _MARKDOWN))
    return found


def _bytes_mutation(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    choice = rng.randrange(5)
    if choice == 0:  # flip some bytes
        for _ in range(rng.randint(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif choice == 1:  # cut
        del out[rng.randrange(1, len(out)):]
    elif choice == 2:  # repeat a slice
        start = rng.randrange(len(out))
        piece = out[start:start + rng.randint(1, 64)]
        out[start:start] = piece * rng.randint(2, 2000)
    elif choice == 3:  # splice in special tokens
        for _ in range(rng.randint(1, 50)):
            at = rng.randrange(len(out) + 1)
            out[at:at] = rng.choice(_TOKENS) * rng.randint(1, 200)
    else:  # drop a slice
        start = rng.randrange(len(out))
        del out[start:start + rng.randint(1, 4096)]
    return bytes(out)


def _xml_mutation(rng: random.Random, xml: bytes) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:  # repeat one element many times
        tags = re.findall(rb"<[a-zA-Z:]+[^<>]*>[^<>]*</[a-zA-Z:]+>", xml)
        if tags:
            element = rng.choice(tags)
            return xml.replace(element, element * rng.randint(2, 5000), 1)
    elif choice == 1:  # nest an element very deeply
        opening = re.findall(rb"<([a-zA-Z]+:[a-zA-Z]+)[ >]", xml)
        if opening:
            name = rng.choice(opening)
            depth = rng.randint(10, 5000)
            at = xml.rfind(b"</")
            return xml[:at] + (b"<" + name + b">") * depth + b"x" + \
                (b"</" + name + b">") * depth + xml[at:]
    elif choice == 2:  # huge numbers in attributes (levels, spans, repeats)
        return _NUMBER.sub(lambda m: m.group(1) + str(rng.choice(
            [2**31, 2**63, 10**12, -1, 99999999])).encode() + m.group(3), xml)
    return _bytes_mutation(rng, xml)


def _zip_mutation(rng: random.Random, data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        items = [(i, zin.read(i)) for i in zin.infolist()]
    xml = [n for n, (i, body) in enumerate(items)
           if i.filename.endswith((".xml", ".xhtml", ".opf", ".html"))]
    if not xml:
        return _bytes_mutation(rng, data)
    target = rng.choice(xml)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for n, (info, body) in enumerate(items):
            zout.writestr(info, _xml_mutation(rng, body) if n == target else body)
    return out.getvalue()


def mutant(rng: random.Random, sources: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    suffix, data = rng.choice(sources)
    if suffix in (".docx", ".odt", ".epub") and rng.random() < 0.7:
        return suffix, _zip_mutation(rng, data)
    if suffix == ".html" and rng.random() < 0.5:
        return suffix, _xml_mutation(rng, data)
    return suffix, _bytes_mutation(rng, data)


def run(seed: int, count: int, folder: str) -> dict[str, object]:
    from writer_app.documents.loader import load_document
    from writer_app.documents.model import DocumentError

    rng = random.Random(seed)
    sources = seeds()
    worst = (0.0, -1, "")
    failures: list[str] = []
    refused = 0
    for n in range(count):
        suffix, data = mutant(rng, sources)
        path = Path(folder) / f"mutant-{n}{suffix}"
        path.write_bytes(data)
        start = time.perf_counter()
        try:
            load_document(path)
        except DocumentError as exc:
            refused += 1
            if "\n" in str(exc) or not str(exc).startswith(f"{path}: "):
                failures.append(f"#{n} ({suffix}): message not one line naming the file: "
                                f"{exc!r}")
        except Exception:  # anything else is a defect
            failures.append(f"#{n} ({suffix}): {traceback.format_exc()[-600:]}")
        seconds = time.perf_counter() - start
        if seconds > worst[0]:
            worst = (seconds, n, suffix)
        path.unlink()
    return {"seed": seed, "count": count, "refused": refused, "failures": failures,
            "worst_seconds": worst[0], "worst_case": f"#{worst[1]} ({worst[2]})"}


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="writer-fuzz-") as folder:
        result = run(args.seed, args.count, folder)
    print(json.dumps(result, indent=2))
    raise SystemExit(1 if result["failures"] else 0)


if __name__ == "__main__":
    main()
