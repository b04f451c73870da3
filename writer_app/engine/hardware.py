"""CPU threads, memory and GPU offload decisions for llama.cpp."""

from __future__ import annotations

import os

import psutil

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


def kv_cache_bytes(info: ModelInfo, n_ctx: int) -> int:
    """f16 key and value cache for `n_ctx` tokens."""
    return 2 * info.layers * n_ctx * info.kv_width * 2


def check_memory(info: ModelInfo, needed_extra: int, available: int | None = None) -> None:
    """Refuse a model that cannot fit in free memory, before llama.cpp tries and fails badly."""
    if available is None:
        available = psutil.virtual_memory().available
    needed = info.file_size + needed_extra
    if needed > available:
        raise EngineError(
            f"{info.path}: the model needs about {needed / 2**30:.1f} GiB of memory "
            f"but only {available / 2**30:.1f} GiB is free; close other programs, lower "
            "the context length, or pick a smaller model"
        )
