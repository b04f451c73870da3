"""Read a GGUF file's header and check the file, without loading weights.

gguf's GGUFReader maps every tokenizer entry to a numpy view (3 s for a 98 MB model),
so the header is parsed here from the gguf package's constants, skipping the large
arrays. Every length is bounds-checked: a malformed file must give an error, never
reach llama.cpp, which aborts the whole process on some broken files.
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
MAX_COUNT = 10_000_000
# Arrays of strings are kept only when short; long ones (the vocabulary) are skipped.
KEEP_ARRAY_ITEMS = 64

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
    """Reads little-endian values from the front of a file, refusing to run past its end."""

    def __init__(self, f: Any, size: int) -> None:
        self.f = f
        self.size = size
        self.pos = 0
        self.buf = b""
        self.buf_start = 0

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise _Truncated(f"the header ends early (needs byte {self.pos + n}, "
                             f"the file has {self.size})")
        if self.pos + n > MAX_HEADER_BYTES:
            raise _Malformed(f"the header is larger than {MAX_HEADER_BYTES} bytes")
        end = self.pos + n
        if end > self.buf_start + len(self.buf):
            # Refill from pos with at least 1 MiB, so small reads stay in memory.
            self.f.seek(self.pos)
            self.buf = self.f.read(max(n, 1 << 20))
            self.buf_start = self.pos
            if len(self.buf) < n:
                raise _Truncated("the header ends early")
        lo = self.pos - self.buf_start
        self.pos = end
        return self.buf[lo : lo + n]

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def count(self, what: str) -> int:
        n = int(self.unpack("<Q"))
        if n > MAX_COUNT:
            raise _Malformed(f"it claims {n} {what}, which no real model has")
        return n

    def string(self) -> str:
        n = int(self.unpack("<Q"))
        if n > self.size:
            raise _Truncated(f"a string of {n} bytes runs past the end of the file")
        return self.read(n).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        n = int(self.unpack("<Q"))
        self.read(n)

    def value_type(self) -> GGUFValueType:
        raw = int(self.unpack("<I"))
        try:
            return GGUFValueType(raw)
        except ValueError as exc:
            raise _Malformed(f"unknown metadata value type {raw}") from exc


def _read_value(cur: _Cursor, vtype: GGUFValueType, key: str, lengths: dict[str, int]) -> Any:
    if vtype == GGUFValueType.STRING:
        return cur.string()
    if vtype in _SCALARS:
        return cur.unpack(_SCALARS[vtype])
    if vtype == GGUFValueType.ARRAY:
        item_type = cur.value_type()
        n = cur.count("array items")
        lengths[key] = n
        if item_type == GGUFValueType.ARRAY:
            raise _Malformed(f"nested array in {key}")
        if n > KEEP_ARRAY_ITEMS:
            if item_type == GGUFValueType.STRING:
                for _ in range(n):
                    cur.skip_string()
            else:
                cur.read(n * struct.calcsize(_SCALARS[item_type]))
            return None
        return [_read_value(cur, item_type, key, lengths) for _ in range(n)]
    raise _Malformed(f"unknown metadata value type {vtype}")


def _parse(cur: _Cursor) -> GGUFHeader:
    magic = cur.read(4)
    if magic != MAGIC:
        raise ModelFileError("", _describe_wrong_magic(magic))
    version = int(cur.unpack("<I"))
    if version not in SUPPORTED_VERSIONS:
        raise ModelFileError("", f"GGUF version {version} is not supported "
                                 f"(supported: {', '.join(map(str, SUPPORTED_VERSIONS))})")
    n_tensors = cur.count("tensors")
    n_kv = cur.count("metadata entries")
    metadata: dict[str, Any] = {}
    lengths: dict[str, int] = {}
    for _ in range(n_kv):
        key = cur.string()
        metadata[key] = _read_value(cur, cur.value_type(), key, lengths)
    tensors = []
    for _ in range(n_tensors):
        name = cur.string()
        n_dims = int(cur.unpack("<I"))
        if n_dims > 8:
            raise _Malformed(f"tensor {name} claims {n_dims} dimensions")
        shape = tuple(int(cur.unpack("<Q")) for _ in range(n_dims))
        raw_type = int(cur.unpack("<I"))
        try:
            ttype = GGMLQuantizationType(raw_type)
        except ValueError as exc:
            raise _Malformed(f"tensor {name} has unknown type {raw_type}") from exc
        if ttype not in GGML_QUANT_SIZES:
            raise _Malformed(f"tensor {name} has unsupported type {ttype.name}")
        tensors.append(TensorInfo(name, shape, ttype, int(cur.unpack("<Q"))))
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
