"""How much memory a model needs at a context length, computed from its shape (the GGUF
header, or a catalog entry for a model not downloaded yet), and whether that fits.

What llama.cpp allocates, checked against what it reports (tests/test_memory.py):
- the weights: the tensors' bytes;
- the key/value cache: for each layer, KV heads x (key length + value length) x 2 bytes
  (f16) per token of context. A sliding-window layer (Gemma 3: five layers in six)
  needs only its window and a micro-batch, but llama-cpp-python keeps full-size
  sliding-window caches (its prompt reuse needs them), so they count at full context
  unless `swa_full` is off;
- the compute buffer: the larger of the logits of one micro-batch (vocabulary x 512 x 4
  bytes) and its attention scores (context x 512 x heads x 4 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from writer_app.engine.model_info import ModelInfo

# Context to use when a model does not record its trained length.
FALLBACK_CONTEXT = 4096
UBATCH = 512  # llama.cpp's default micro-batch, which sizes the compute buffer
CACHE_PAD = 256  # llama.cpp rounds a sliding-window cache up to this many cells
FITS = 0.8  # "fits" below this share of the memory available, "tight" up to all of it
Fit = Literal["fits", "tight", "too big"]


@dataclass(frozen=True)
class Shape:
    """What the arithmetic needs to know about a model."""

    weight_bytes: int
    layers: int
    heads: int
    kv_heads: int
    key_length: int
    value_length: int
    vocab_size: int
    sliding_window: int = 0
    swa_layers: int = 0  # layers that attend within the window only

    @classmethod
    def of(cls, info: ModelInfo) -> Shape:
        return cls(info.weight_bytes or info.file_size, info.layers, info.heads,
                   info.kv_heads, info.key_length, info.value_length, info.vocab_size,
                   info.sliding_window, info.swa_layers)


def kv_cache_bytes(shape: Shape, n_ctx: int, swa_full: bool = True) -> int:
    per_cell = shape.kv_heads * (shape.key_length + shape.value_length) * 2
    if swa_full or not shape.swa_layers:
        return shape.layers * n_ctx * per_cell
    window = min(n_ctx, -(-(shape.sliding_window + UBATCH) // CACHE_PAD) * CACHE_PAD)
    full = shape.layers - shape.swa_layers
    return (full * n_ctx + shape.swa_layers * window) * per_cell


def compute_bytes(shape: Shape, n_ctx: int) -> int:
    return max(shape.vocab_size * UBATCH * 4, n_ctx * UBATCH * shape.heads * 4)


def needed_bytes(shape: Shape, n_ctx: int, swa_full: bool = True) -> int:
    return shape.weight_bytes + kv_cache_bytes(shape, n_ctx, swa_full) + \
        compute_bytes(shape, n_ctx)


def fit(needed: int, available: int) -> Fit:
    if needed <= FITS * available:
        return "fits"
    return "tight" if needed <= available else "too big"


def largest_context(shape: Shape, available: int, most: int) -> int | None:
    """The largest context (a multiple of 256, at most `most`) that fits in `available`
    with room to spare (FITS), or None when not even 256 tokens do."""
    low, high = 1, most // 256  # in steps of 256; the memory needed grows with the context
    if high < 1 or fit(needed_bytes(shape, 256), available) != "fits":
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if fit(needed_bytes(shape, middle * 256), available) == "fits":
            low = middle
        else:
            high = middle - 1
    return low * 256


def context_for(trained: int, cap: int) -> int:
    """The context a model is loaded with: its trained length (FALLBACK_CONTEXT when it
    records none) as the settings cap it, 256 tokens at least."""
    return max(256, min(trained or FALLBACK_CONTEXT, cap))


def model_fit(info: ModelInfo, context_cap: int, available: int) -> tuple[Fit, int, int]:
    """(fit, bytes needed, context) for a model at its context as the settings cap it."""
    n_ctx = context_for(info.context_length, context_cap)
    needed = needed_bytes(Shape.of(info), n_ctx)
    return fit(needed, available), needed, n_ctx


def gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"
