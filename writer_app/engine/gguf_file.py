"""Read a GGUF file's header and check the file, without loading weights.

gguf's GGUFReader maps every tokenizer entry to a numpy view (3 s for a 98 MB model),
so the header is parsed here from the gguf package's constants, skipping the large
arrays. Every length and count is bounds-checked before anything is read or allocated:
a malformed file must give an error within milliseconds, never reach llama.cpp (which
aborts the whole process on some broken files), and never make us loop over a count
a hostile header declares.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf import GGML_QUANT_SIZES, GGUF_DEFAULT_ALIGNMENT, GGMLQuantizationType, GGUFValueType

from writer_app.engine.errors import ModelFileError
from writer_app.filecheck import regular_file_problem

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
# Large enough for any real model's header, small enough that a corrupt count fails fast.
MAX_HEADER_BYTES = 512 * 1024 * 1024
# Real models have at most a few thousand tensors and a few dozen metadata entries.
MAX_TENSORS = 65_536
MAX_KV = 65_536
# The largest vocabularies hold 262,144 entries; an array 16 times longer is not a model.
MAX_ARRAY_ITEMS = 2**22
# Skipped strings are walked one by one (~0.1 us each): this bounds the walk to about 1 s.
MAX_STRINGS = 2**23
# ggml refuses tensor names of 64 bytes or more; keys are as short.
MAX_NAME_BYTES = 256
# String values kept in memory (a chat template is a few KiB); longer ones are skipped.
MAX_KEPT_STRING = 1 << 20
MAX_KEPT_TOTAL = 16 << 20
# Arrays of strings are kept only when short; long ones (the vocabulary) are skipped.
KEEP_ARRAY_ITEMS = 64
MAX_DIMS = 8

_SCALARS: dict[GGUFValueType, str] = {
    GGUFValueType.UINT8: "<B",
    GGUFValueType.INT8: "<b",
    GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I",
    GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f",
    GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q",
    GGUFValueType.FLOAT64: "<d",
}
_U64 = struct.Struct("<Q")
_REFILL = 1 << 20


class _Truncated(Exception):
    pass


class _Malformed(Exception):
    pass


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    type: GGMLQuantizationType
    offset: int

    @property
    def n_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def n_bytes(self) -> int:
        block, size = GGML_QUANT_SIZES[self.type]
        return self.n_elements // block * size


@dataclass
class GGUFHeader:
    version: int
    metadata: dict[str, Any]
    # Lengths of the arrays that were skipped, by key.
    array_lengths: dict[str, int]
    tensors: list[TensorInfo] = field(default_factory=list)
    data_offset: int = 0


class _Cursor:
    """Reads little-endian values from the front of a file, refusing to run past its end
    or past MAX_HEADER_BYTES. Skipping moves the position without reading."""

    def __init__(self, f: Any, size: int) -> None:
        self.f = f
        self.size = size
        self.pos = 0
        self.buf = b""
        self.buf_start = 0
        self.strings_left = MAX_STRINGS
        self.kept_left = MAX_KEPT_TOTAL

    def _check(self, end: int) -> None:
        if end > self.size:
            raise _Truncated(f"the header ends early (needs byte {end}, the file has "
                             f"{self.size})")
        if end > MAX_HEADER_BYTES:
            raise _Malformed(f"the header is larger than {MAX_HEADER_BYTES} bytes")

    def _fill(self, n: int) -> None:
        """Make bytes pos..pos+n available in the buffer."""
        self._check(self.pos + n)
        if self.pos < self.buf_start or self.pos + n > self.buf_start + len(self.buf):
            # Refill from pos with at least 1 MiB, so small reads stay in memory.
            self.f.seek(self.pos)
            self.buf = self.f.read(max(n, _REFILL))
            self.buf_start = self.pos
            if len(self.buf) < n:
                raise _Truncated("the header ends early")

    def read(self, n: int) -> bytes:
        self._fill(n)
        lo = self.pos - self.buf_start
        self.pos += n
        return self.buf[lo : lo + n]

    def skip(self, n: int) -> None:
        self._check(self.pos + n)
        self.pos += n

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def count(self, what: str, limit: int) -> int:
        n = int(self.unpack("<Q"))
        if n > limit:
            raise _Malformed(f"it claims {n} {what}; Writer reads at most {limit}, far "
                             "more than any real model has")
        return n

    def _length(self, what: str) -> int:
        n = int(self.unpack("<Q"))
        if self.pos + n > self.size:
            raise _Truncated(f"{what} of {n} bytes runs past the end of the file")
        return n

    def name(self, what: str) -> str:
        """A key or a tensor name: short, or the file is not a model."""
        n = self._length(what)
        if n > MAX_NAME_BYTES:
            raise _Malformed(f"{what} is {n} bytes long (at most {MAX_NAME_BYTES})")
        return self.read(n).decode("utf-8", errors="replace")

    def value_string(self) -> str | None:
        """A string value; None when too long to keep (it is skipped, not read)."""
        self._spend_strings(1)
        n = self._length("a string")
        if n > MAX_KEPT_STRING or n > self.kept_left:
            self.skip(n)
            return None
        self.kept_left -= n
        return self.read(n).decode("utf-8", errors="replace")

    def _spend_strings(self, n: int) -> None:
        self.strings_left -= n
        if self.strings_left < 0:
            raise _Malformed(f"it holds more than {MAX_STRINGS} strings, far more than any "
                             "real model has")

    def skip_strings(self, n: int) -> None:
        """Skip `n` strings, walking the buffer in place (a vocabulary is ~10^5 of them)."""
        self._spend_strings(n)
        unpack = _U64.unpack_from
        length = 0
        while n:
            self._fill(8)
            buf, base = self.buf, self.buf_start
            off, end = self.pos - base, len(self.buf)
            while n and off + 8 <= end:
                (length,) = unpack(buf, off)
                off += 8 + length
                n -= 1
                if off > end:  # this string runs past the buffer: check, then refill
                    break
            self.pos = base + off
            if self.pos > self.size:
                raise _Truncated(f"a string of {length} bytes runs past the end of the "
                                 "file")
            self._check(self.pos)

    def value_type(self) -> GGUFValueType:
        raw = int(self.unpack("<I"))
        try:
            return GGUFValueType(raw)
        except ValueError as exc:
            raise _Malformed(f"unknown metadata value type {raw}") from exc


def _read_value(cur: _Cursor, vtype: GGUFValueType, key: str, lengths: dict[str, int]) -> Any:
    if vtype == GGUFValueType.STRING:
        return cur.value_string()
    if vtype in _SCALARS:
        return cur.unpack(_SCALARS[vtype])
    if vtype == GGUFValueType.ARRAY:
        item_type = cur.value_type()
        if item_type == GGUFValueType.ARRAY:
            raise _Malformed(f"nested array in {key}")
        n = cur.count(f"items in the array {key}", MAX_ARRAY_ITEMS)
        lengths[key] = n
        if n > KEEP_ARRAY_ITEMS:
            if item_type == GGUFValueType.STRING:
                cur.skip_strings(n)
            else:
                cur.skip(n * struct.calcsize(_SCALARS[item_type]))
            return None
        return [_read_value(cur, item_type, key, lengths) for _ in range(n)]
    raise _Malformed(f"unknown metadata value type {vtype}")


def _tensor_info(cur: _Cursor) -> TensorInfo:
    name = cur.name("a tensor name")
    n_dims = int(cur.unpack("<I"))
    if n_dims > MAX_DIMS:
        raise _Malformed(f"tensor {name} claims {n_dims} dimensions")
    shape = tuple(int(cur.unpack("<Q")) for _ in range(n_dims))
    raw_type = int(cur.unpack("<I"))
    try:
        ttype = GGMLQuantizationType(raw_type)
    except ValueError as exc:
        raise _Malformed(f"tensor {name} has unknown type {raw_type}") from exc
    if ttype not in GGML_QUANT_SIZES:
        raise _Malformed(f"tensor {name} has unsupported type {ttype.name}")
    return TensorInfo(name, shape, ttype, int(cur.unpack("<Q")))


def _parse(cur: _Cursor) -> GGUFHeader:
    magic = cur.read(4)
    if magic != MAGIC:
        raise ModelFileError("", _describe_wrong_magic(magic))
    version = int(cur.unpack("<I"))
    if version not in SUPPORTED_VERSIONS:
        raise ModelFileError("", f"GGUF version {version} is not supported "
                                 f"(supported: {', '.join(map(str, SUPPORTED_VERSIONS))})")
    n_tensors = cur.count("tensors", MAX_TENSORS)
    n_kv = cur.count("metadata entries", MAX_KV)
    metadata: dict[str, Any] = {}
    lengths: dict[str, int] = {}
    for _ in range(n_kv):
        key = cur.name("a metadata key")
        metadata[key] = _read_value(cur, cur.value_type(), key, lengths)
    tensors = [_tensor_info(cur) for _ in range(n_tensors)]
    alignment = metadata.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise _Malformed(f"general.alignment is {alignment!r}, not a power of two")
    data_offset = (cur.pos + alignment - 1) // alignment * alignment
    return GGUFHeader(version, metadata, lengths, tensors, data_offset)


def _describe_wrong_magic(magic: bytes) -> str:
    if magic in (b"lmgg", b"fmgg", b"tjgg", b"ggml", b"ggmf", b"ggjt"):
        return "is an old GGML model file; only GGUF is supported (convert it with llama.cpp)"
    if magic.startswith(b"PK"):
        return "is not a GGUF model file (it is a zip archive, such as a PyTorch checkpoint)"
    return f"is not a GGUF model file (it starts with {magic!r}, not {MAGIC!r})"


def read_header(path: Path) -> GGUFHeader:
    """Parse and check a GGUF file; raise ModelFileError naming the file and the reason."""
    problem, size = regular_file_problem(path, "a model file")
    if problem:
        raise ModelFileError(path, problem)
    try:
        with open(path, "rb") as f:
            cur = _Cursor(f, size)
            try:
                header = _parse(cur)
            except ModelFileError as exc:
                raise ModelFileError(path, exc.reason) from None
    except OSError as exc:
        raise ModelFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    except _Truncated as exc:
        raise ModelFileError(path, f"is truncated: {exc}") from None
    except _Malformed as exc:
        raise ModelFileError(path, f"is malformed: {exc}") from None
    data_end = max((header.data_offset + t.offset + t.n_bytes for t in header.tensors),
                   default=header.data_offset)
    if data_end > size:
        raise ModelFileError(path, f"is truncated: its tensors need {data_end} bytes, "
                                 f"the file has {size}")
    if not header.tensors:
        raise ModelFileError(path, "is malformed: it holds no tensors")
    return header
