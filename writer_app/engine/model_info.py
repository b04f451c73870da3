"""What a user needs to know about a model file, read from its GGUF header."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gguf import LlamaFileType

from writer_app.engine.errors import ModelFileError
from writer_app.engine.gguf_file import GGUFHeader, read_header


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    name: str
    architecture: str
    parameters: int
    quantization: str
    context_length: int
    has_chat_template: bool
    chat_template: str | None
    file_size: int
    # Shape of the key/value cache, for the memory estimate.
    layers: int = 0
    kv_width: int = 0
    # The rest of what the memory arithmetic needs (engine/memory.py).
    heads: int = 0
    kv_heads: int = 0
    key_length: int = 0
    value_length: int = 0
    vocab_size: int = 0
    sliding_window: int = 0
    swa_layers: int = 0
    weight_bytes: int = 0

    @property
    def parameters_label(self) -> str:
        n = self.parameters
        for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
            if n >= scale:
                return f"{n / scale:.1f}".rstrip("0").rstrip(".") + unit
        return str(n)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data.pop("chat_template")
        data["parameters_label"] = self.parameters_label
        return data


def _quantization(header: GGUFHeader) -> str:
    file_type = header.metadata.get("general.file_type")
    if isinstance(file_type, int):
        try:
            return LlamaFileType(file_type).name.removeprefix("MOSTLY_").removeprefix("ALL_")
        except ValueError:
            pass
    # No file type recorded: name the type that holds most of the weights.
    by_bytes: Counter[str] = Counter()
    for t in header.tensors:
        by_bytes[t.type.name] += t.n_bytes
    return by_bytes.most_common(1)[0][0]


def read_model_info(path: Path) -> ModelInfo:
    """Check a GGUF file and describe it; raises ModelFileError for a bad file."""
    header = read_header(path)
    try:
        size = path.stat().st_size
    except OSError as exc:  # removed or replaced since its header was read
        raise ModelFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    meta = header.metadata
    arch = str(meta.get("general.architecture") or "unknown")  # None: too long to keep
    template = meta.get("tokenizer.chat_template")
    ctx = meta.get(f"{arch}.context_length")
    width = meta.get(f"{arch}.embedding_length")
    heads = _int(meta.get(f"{arch}.attention.head_count"))
    kv_heads = _int(meta.get(f"{arch}.attention.head_count_kv", heads))
    head = _int(width) // heads if heads else 0
    window = _int(meta.get(f"{arch}.attention.sliding_window"))
    n_layers = _int(meta.get(f"{arch}.block_count"))
    return ModelInfo(
        path=path,
        name=str(meta.get("general.name") or path.stem),
        architecture=arch,
        parameters=sum(t.n_elements for t in header.tensors),
        quantization=_quantization(header),
        context_length=int(ctx) if isinstance(ctx, int) else 0,
        has_chat_template=isinstance(template, str) and bool(template.strip()),
        chat_template=template if isinstance(template, str) else None,
        file_size=size,
        layers=n_layers,
        kv_width=head * kv_heads,
        heads=heads,
        kv_heads=kv_heads,
        key_length=_int(meta.get(f"{arch}.attention.key_length")) or head,
        value_length=_int(meta.get(f"{arch}.attention.value_length")) or head,
        vocab_size=_int(meta.get(f"{arch}.vocab_size")) or _vocabulary(header, width),
        sliding_window=window,
        swa_layers=_swa_layers(arch, n_layers) if window else 0,
        weight_bytes=sum(t.n_bytes for t in header.tensors),
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _vocabulary(header: GGUFHeader, width: object) -> int:
    """Rows of the token embedding: the vocabulary's size when no key records it."""
    for t in header.tensors:
        if t.name == "token_embd.weight" and isinstance(width, int) and width:
            return t.n_elements // width
    return 0


# Layers that attend within the sliding window, as llama.cpp lays them out: Gemma 2
# alternates, Gemma 3 has five in every six.
_SWA_PATTERN = {"gemma2": 2, "gemma3": 6, "gemma3n": 5, "cohere2": 4}


def _swa_layers(arch: str, layers: int) -> int:
    pattern = _SWA_PATTERN.get(arch)
    return layers - layers // pattern if pattern else 0
