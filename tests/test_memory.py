"""The memory arithmetic (engine/memory.py) against what llama.cpp itself reports when it
loads the default model and Gemma 3 270M (sliding-window layers), at two context sizes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from writer_app.engine import memory
from writer_app.engine.model_info import read_model_info

REPORT = """
import ctypes, sys
from writer_app.engine import llama_runtime
llama_runtime.ensure_loaded()
import llama_cpp

@llama_cpp.llama_log_callback
def log(_level, text, _data):
    sys.stdout.write(text.decode(errors="replace"))

llama_cpp.llama_log_set(log, ctypes.c_void_p(0))
llama_cpp.Llama(model_path=sys.argv[1], n_ctx=int(sys.argv[2]), verbose=True).close()
"""


def reported(path, n_ctx: int) -> dict[str, float]:
    """The buffers llama.cpp allocates (MiB), as it logs them while loading."""
    proc = subprocess.run([sys.executable, "-c", REPORT, str(path), str(n_ctx)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    sizes = {"model": 0.0, "KV": 0.0, "compute": 0.0}
    for kind, mib in re.findall(r"(model|KV|compute) buffer size =\s*([\d.]+) MiB",
                                proc.stdout):
        sizes[kind] += float(mib)
    assert all(sizes.values()), proc.stdout[-2000:]
    return sizes


@pytest.mark.parametrize("n_ctx", [2048, 8192])
@pytest.mark.parametrize("which", ["default", "gemma"])
def test_the_arithmetic_agrees_with_llama_cpp(which, n_ctx, default_model_path,
                                              test_model_path):
    path = default_model_path if which == "default" else test_model_path
    shape = memory.Shape.of(read_model_info(path))
    got = reported(path, n_ctx)
    mib = 2**20
    assert memory.kv_cache_bytes(shape, n_ctx) / mib == pytest.approx(got["KV"], rel=0.01)
    assert shape.weight_bytes / mib == pytest.approx(got["model"], rel=0.15)
    assert memory.compute_bytes(shape, n_ctx) / mib == pytest.approx(got["compute"], rel=0.15)
    assert memory.needed_bytes(shape, n_ctx) / mib == pytest.approx(sum(got.values()),
                                                                     rel=0.15)


def test_sliding_window_layers_need_only_their_window_when_caches_are_not_full(
        test_model_path):
    shape = memory.Shape.of(read_model_info(test_model_path))
    assert (shape.sliding_window, shape.swa_layers, shape.layers) == (512, 15, 18)
    per_cell = shape.kv_heads * (shape.key_length + shape.value_length) * 2
    # 3 full layers at 8192 cells; 15 at 512 + a micro-batch of 512 = 1024 cells.
    assert memory.kv_cache_bytes(shape, 8192, swa_full=False) == \
        (3 * 8192 + 15 * 1024) * per_cell


def test_fits_tight_and_too_big():
    assert memory.fit(79, 100) == "fits"
    assert memory.fit(95, 100) == "tight"
    assert memory.fit(101, 100) == "too big"


def test_the_largest_context_that_fits(default_model_path):
    shape = memory.Shape.of(read_model_info(default_model_path))
    available = int(memory.needed_bytes(shape, 2048) / memory.FITS) + 1
    assert memory.largest_context(shape, available, 8192) == 2048
    assert memory.largest_context(shape, 10 * 2**20, 8192) is None
