"""CPU threads, memory and GPU offload decisions for llama.cpp."""

from __future__ import annotations

import os

import psutil

from writer_app.engine import memory
from writer_app.engine.errors import EngineError
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.types import DeviceInfo


def default_threads() -> int:
    """Threads for token generation: the physical cores (hyper-threads slow llama.cpp down)."""
    physical = psutil.cpu_count(logical=False)
    return max(1, physical or os.cpu_count() or 1)


def batch_threads() -> int:
    """Threads for prompt evaluation, which does scale onto logical cores."""
    return max(1, os.cpu_count() or 1)


def choose_offload(build_supports_gpu: bool, setting: str) -> DeviceInfo:
    """Offload every layer when the build can and the setting allows; say why otherwise."""
    if setting == "off":
        return DeviceInfo("cpu", 0, "GPU offload is turned off in the settings")
    if not build_supports_gpu:
        return DeviceInfo("cpu", 0, "the installed llama.cpp build has no GPU support "
                                    "(no CUDA or Metal)")
    return DeviceInfo("gpu", -1, "the llama.cpp build supports GPU offload: all layers "
                                 "are on the GPU")


def available_memory() -> int:
    return int(psutil.virtual_memory().available)


def check_memory(info: ModelInfo, n_ctx: int, available: int | None = None) -> None:
    """Refuse a model that cannot fit in free memory at this context (engine/memory.py),
    before llama.cpp tries and the system's out-of-memory killer ends the app; say which
    smaller context would fit."""
    if available is None:
        available = available_memory()
    shape = memory.Shape.of(info)
    needed = memory.needed_bytes(shape, n_ctx)
    if needed > available:
        smaller = memory.largest_context(shape, available, n_ctx)
        hint = (f"a context of {smaller} tokens would fit (Edit → Settings → Context "
                "length), or close other programs" if smaller
                else "close other programs, or pick a smaller model")
        raise EngineError(
            f"{info.path}: the model needs about {memory.gib(needed)} of memory at a "
            f"context of {n_ctx} tokens but only {memory.gib(available)} is free; {hint}")
