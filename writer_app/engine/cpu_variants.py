"""What each of llama.cpp's x86 CPU variants needs, read from its own score.

ggml scores a variant against the processor's CPUID bits only (its source says so: "this
does not check for OS support"), so a virtual machine or kernel that leaves the AVX-512
registers off, on a processor that has them, would get an AVX-512 variant and die. The
features read here (writer_app.cpu_features) are the ones the OS lets programs use, so
Writer can keep to a variant that runs. WRITER_CPU_DISABLE (e.g. "avx512f,avx_vnni")
takes features off that list, for a processor where llama.cpp's pick still faults.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from writer_app.cpu_features import host_flags

# ggml's x86 score (ggml-cpu/arch/x86/cpu-feats.cpp in the pinned llama.cpp): 1, plus one
# bit per feature the variant was compiled for, in this order; 0 when one is missing.
SCORE_BITS: tuple[tuple[str, ...], ...] = (
    ("fma",), ("f16c",), ("sse4_2",), ("bmi2",), ("avx",), ("avx2",), ("avx_vnni",),
    ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"), ("avx512_vbmi",),
    ("avx512_bf16",), ("avx512_vnni",), ("amx_int8",),
)
DISABLE_ENV = "WRITER_CPU_DISABLE"


def required(score: int) -> frozenset[str]:
    """The features a variant with this (non-zero) score was compiled for."""
    bits = score - 1
    return frozenset(name for i, names in enumerate(SCORE_BITS) if bits >> i & 1
                     for name in names)


def score_of(path: Path) -> int:
    """The variant's own score for this processor (its library is loaded to ask)."""
    library = ctypes.CDLL(os.fspath(path))
    return int(library.ggml_backend_score())


def usable_flags() -> frozenset[str] | None:
    """Features the OS lets programs use, less those the user turned off; None: unknown."""
    flags = host_flags()
    if flags is None:
        return None
    disabled = {f.strip().lower() for f in os.environ.get(DISABLE_ENV, "").split(",")}
    return flags - disabled


def best_variant(files: list[Path], flags: frozenset[str]) -> Path | None:
    """The highest-scoring variant whose features are all usable."""
    best: tuple[int, Path] | None = None
    for path in files:
        score = score_of(path)
        if score > 0 and required(score) <= flags and (best is None or score > best[0]):
            best = (score, path)
    return best[1] if best else None
