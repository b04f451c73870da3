"""What a loader may produce and read, counted as it goes.

A file of a few kilobytes can describe gigabytes: a run of three billion spaces, a spine
that lists one chapter thousands of times, a zip member that inflates 1000:1. So every
loader adds its blocks through a `BlockBudget`, and every zip member is read through a
`BoundedZip`, both of which stop with a clear message before the memory is spent.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from writer_app.documents.model import (
    MAX_BLOCKS,
    MAX_COMPRESSION_RATIO,
    MAX_LEVEL,
    MAX_TEXT_CHARS,
    MAX_UNZIPPED_BYTES,
    Block,
    BlockKind,
    DocumentError,
)

_CHUNK = 2**16
# Small members (styles, a mimetype) legitimately compress far better than 200:1.
_RATIO_FLOOR = 10 * 2**20


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


class BlockBudget:
    """The blocks of one document, with the characters and blocks counted as they come."""

    def __init__(self, path: object, max_chars: int = MAX_TEXT_CHARS,
                 max_blocks: int = MAX_BLOCKS) -> None:
        self.path = path
        self.max_chars = max_chars
        self.max_blocks = max_blocks
        self.blocks: list[Block] = []
        self.chars = 0
        self.notes: list[str] = []

    def check(self, chars: int) -> None:
        """Refuse a text of `chars` characters before any block of it is built."""
        if chars > self.max_chars:
            raise DocumentError(self.path, f"holds more than {self.max_chars:,} characters "
                                           "of text, over the cap for one document")

    def spend(self, chars: int) -> None:
        """Count text still being gathered (a paragraph can be megabytes long)."""
        self.chars += chars
        self.check(self.chars)

    def add(self, kind: BlockKind, text: str = "", level: int = 0,
            counted: bool = False) -> None:
        """Add a block; `counted` when its text already went through spend()."""
        if not counted:
            self.spend(len(text))
        if len(self.blocks) >= self.max_blocks:
            raise DocumentError(self.path, f"holds more than {self.max_blocks:,} paragraphs, "
                                           "over the cap for one document")
        self.blocks.append(Block(kind, text, max(0, min(level, MAX_LEVEL))))


class _CountingReader:
    """A zip member's stream that charges every inflated byte to its BoundedZip."""

    def __init__(self, owner: BoundedZip, name: str, stream: IO[bytes]) -> None:
        self._owner = owner
        self._name = name
        self._stream = stream

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(_CHUNK if n is None or n < 0 or n > _CHUNK else n)
        self._owner.charge(self._name, len(data))
        return data

    def close(self) -> None:
        self._stream.close()


class BoundedZip:
    """A zip container whose members are read only through counted streams.

    The declared sizes are checked first (cheap, and catches honest bombs), but they are
    only claims: the real guard counts the bytes as they inflate, against the total cap
    and against the bytes each member really spans in the file (from its header to the
    next one), which no field of the zip can misstate.
    """

    def __init__(self, path: Path, max_bytes: int = MAX_UNZIPPED_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.inflated = 0
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                NotImplementedError) as exc:
            raise DocumentError(path, f"is a damaged zip container ({exc})") from None
        self._names = {i.filename for i in infos}
        self._span = _spans(infos, self._zip.start_dir)
        self._member_inflated: dict[str, int] = {}
        declared = sum(i.file_size for i in infos)
        if declared > max_bytes:
            self._zip.close()
            raise DocumentError(path, f"would expand to {mib(declared)} when unzipped, over "
                                      f"the {mib(max_bytes)} cap (a zip bomb?)")
        for i in infos:
            if i.file_size > _RATIO_FLOOR and i.file_size > MAX_COMPRESSION_RATIO * max(
                    i.compress_size, 1):
                self._zip.close()
                raise DocumentError(path, f"{i.filename} is compressed more than "
                                          f"{MAX_COMPRESSION_RATIO}:1 (a zip bomb?); refused")

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(self, *_: object) -> None:
        self._zip.close()

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def charge(self, name: str, n: int) -> None:
        self.inflated += n
        if self.inflated > self.max_bytes:
            raise DocumentError(self.path, f"expands past the {mib(self.max_bytes)} cap when "
                                           "unzipped (a zip bomb?); refused")
        member = self._member_inflated.get(name, 0) + n
        self._member_inflated[name] = member
        if member > _RATIO_FLOOR and member > MAX_COMPRESSION_RATIO * self._span.get(name, 1):
            raise DocumentError(self.path, f"{name} is compressed more than "
                                           f"{MAX_COMPRESSION_RATIO}:1 (a zip bomb?); refused")

    def open(self, name: str) -> _CountingReader:
        """A counted stream of the member; KeyError when it is missing."""
        try:
            return _CountingReader(self, name, self._zip.open(name))
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
            raise DocumentError(self.path, f"is a damaged zip container ({name}: {exc})"
                                ) from None

    def chunks(self, name: str) -> Iterator[bytes]:
        stream = self.open(name)
        try:
            while chunk := stream.read(_CHUNK):
                yield chunk
        finally:
            stream.close()

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The member's bytes, or its first `limit` bytes."""
        out = bytearray()
        for chunk in self.chunks(name):
            out += chunk
            if limit is not None and len(out) >= limit:
                return bytes(out[:limit])
        return bytes(out)


def _spans(infos: list[zipfile.ZipInfo], end: int) -> dict[str, int]:
    """The bytes from each member's local header to the next header (or the central
    directory): all its compressed data can occupy, whatever the zip declares."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    spans: dict[str, int] = {}
    for info, after in zip(ordered, [*(i.header_offset for i in ordered[1:]), end],
                           strict=True):
        spans[info.filename] = max(after - info.header_offset, 1)
    return spans


def read_regular_file(path: Path, cap: int) -> bytes:
    """The bytes of a regular file of at most `cap` bytes.

    Opened without blocking and checked again once open: a name that turned into a
    pipe would wait for a writer forever, and a device would never end.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise DocumentError(path, "no such file") from None
    except OSError as exc:
        raise DocumentError(path, f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DocumentError(path, "is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise DocumentError(path, "is not a regular file")
        if st.st_size > cap:
            raise DocumentError(path, f"is {mib(st.st_size)}, over the {mib(cap)} size cap")
        try:
            data = f.read(cap + 1)
        except OSError as exc:
            raise DocumentError(path, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > cap:  # it grew while it was read
        raise DocumentError(path, f"is over the {mib(cap)} size cap")
    return data
