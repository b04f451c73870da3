"""Which llama.cpp runs here: its CPU variant for this processor, loaded before any model.

The project's build (scripts/llama_build.py) compiles llama.cpp's CPU code once per
instruction set, as loadable libraries beside libllama (libggml-cpu-haswell.so, ...).
llama.cpp would look for them only beside the executable (here Python) and in the
working directory, so they are loaded from their real folder here, before any other
llama call; ggml scores each variant against the processor and keeps the best one.
A build without variants (a plain pip install, a Metal build) has its CPU code built
in: nothing is loaded, and the variant is reported as built in.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp._ctypes_extensions import load_shared_library

from writer_app.engine import cpu_variants
from writer_app.engine.errors import EngineError

VARIANT_PREFIX = "ggml-cpu-"
BUILD_RECORD = "writer-build.json"
log = logging.getLogger("writer_app.llama_cpp")


@llama_cpp.llama_log_callback
def _log_to_logging(_level: int, text: bytes, _data: ctypes.c_void_p) -> None:
    # llama.cpp's own messages (which variant it loaded; some printed even with
    # verbose=False, such as after an aborted decode) go to logging, never straight onto
    # the user's terminal.
    log.debug("%s", text.decode("utf-8", errors="replace").rstrip())


llama_cpp.llama_log_set(_log_to_logging, ctypes.c_void_p(0))


@dataclass(frozen=True)
class CpuVariant:
    """The CPU code llama.cpp runs: the variant's name, its instruction sets, its file."""

    name: str
    features: tuple[str, ...]
    path: Path | None

    @property
    def label(self) -> str:
        """The instruction sets in words, e.g. "AVX-512 VNNI, BF16"."""
        f = set(self.features)
        if "AMX_INT8" in f:
            return "AMX"
        if "AVX512" in f:
            extras = [x for x in ("VBMI", "VNNI", "BF16") if f"AVX512_{x}" in f]
            return "AVX-512" + (" " + ", ".join(extras) if extras else "")
        if "AVX2" in f:
            return "AVX2" + (" VNNI" if "AVX_VNNI" in f else "")
        if "AVX" in f:
            return "AVX" + "".join(f", {x}" for x in ("F16C", "FMA") if x in f)
        if "SSSE3" in f:
            return "SSE4.2"
        if {"NEON", "SVE", "DOTPROD"} & f:
            return ", ".join(sorted({"NEON", "SVE", "DOTPROD", "SME"} & f))
        return "SSE2" if self.name == "x64" else "unknown instruction sets"

    def describe(self) -> str:
        """What the status bar and the CLI show, e.g. "CPU: AVX-512 VNNI variant (zen4)"."""
        if self.name == "built in":
            return f"CPU: {self.label} (built into this llama.cpp)"
        return f"CPU: {self.label} variant ({self.name})"


class _Feature(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


_GET_FEATURES = ctypes.CFUNCTYPE(ctypes.POINTER(_Feature), ctypes.c_void_p)
_lock = threading.Lock()
_variant: CpuVariant | None = None


def lib_dir() -> Path:
    """The folder of libllama and its CPU variants (inside the bundle too)."""
    return Path(llama_cpp.__file__).resolve().parent / "lib"


def _ggml() -> ctypes.CDLL:
    # On Linux and macOS, libllama through llama-cpp-python's own loader: the same
    # handle, and a lookup through it finds the ggml of the libggml libllama uses (the
    # wheel holds several copies of libggml under different names, each with its own
    # registry). Windows looks only in the DLL itself, and has one ggml.dll.
    lib = load_shared_library("ggml" if sys.platform == "win32" else "llama", lib_dir())
    try:
        lib.ggml_backend_reg_count.restype = ctypes.c_size_t
        lib.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
        lib.ggml_backend_load.restype = ctypes.c_void_p
        lib.ggml_backend_load.argtypes = [ctypes.c_char_p]
        lib.ggml_backend_unload.argtypes = [ctypes.c_void_p]
        lib.ggml_backend_reg_by_name.restype = ctypes.c_void_p
        lib.ggml_backend_reg_by_name.argtypes = [ctypes.c_char_p]
        lib.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
        lib.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    except AttributeError as exc:
        raise EngineError(f"the llama.cpp in {lib_dir()} lacks ggml's backend loader "
                          f"({exc}); reinstall Writer") from exc
    return lib


def _file_of(address: int) -> Path | None:
    """The shared library holding `address`."""
    if sys.platform == "win32":  # not tried: there is no Windows machine here
        kernel32 = ctypes.WinDLL("kernel32")
        module = ctypes.c_void_p()
        from_address_unchanged_refcount = 0x4 | 0x2
        if not kernel32.GetModuleHandleExW(from_address_unchanged_refcount,
                                           ctypes.c_void_p(address), ctypes.byref(module)):
            return None
        name = ctypes.create_unicode_buffer(32768)
        if not kernel32.GetModuleFileNameW(module, name, len(name)):
            return None
        return Path(name.value)
    info = _DlInfo()
    if not ctypes.CDLL(None).dladdr(ctypes.c_void_p(address), ctypes.byref(info)):
        return None
    return Path(os.fsdecode(info.dli_fname)) if info.dli_fname else None


def _variant_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(f"*{VARIANT_PREFIX}*")
                  if p.suffix in (".so", ".dll", ".dylib"))


def _describe_loaded(lib: ctypes.CDLL, reg: int) -> CpuVariant:
    address = lib.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_get_features")
    features: list[str] = []
    if address:
        table = _GET_FEATURES(address)(reg)
        i = 0
        while table[i].name:
            if table[i].value == b"1":
                features.append(table[i].name.decode())
            i += 1
    path = _file_of(address) if address else None
    stem = path.name.split(".")[0] if path else ""
    if VARIANT_PREFIX in stem:
        name = stem.split(VARIANT_PREFIX, 1)[1]
    else:
        name = "built in" if path else "unknown"
    return CpuVariant(name, tuple(features), path)


def _no_variant_message(folder: Path) -> str:
    files = _variant_files(folder)
    if not files:
        return (f"llama.cpp's CPU code is missing from {folder} (no libggml-cpu-*.so): "
                "reinstall Writer")
    names = ", ".join(f.name for f in files)
    return (f"none of llama.cpp's CPU variants in {folder} ({names}) runs on this "
            "processor")


def _keep_to_usable(lib: ctypes.CDLL, reg: int, variant: CpuVariant) -> CpuVariant:
    """Swap llama.cpp's pick for a lower variant when it needs what the OS does not give."""
    flags = cpu_variants.usable_flags()
    if flags is None or variant.path is None or variant.name in ("built in", "unknown"):
        return variant
    needs = cpu_variants.required(cpu_variants.score_of(variant.path))
    if needs <= flags:
        return variant
    best = cpu_variants.best_variant(_variant_files(lib_dir()), flags)
    if best is None:
        raise EngineError(f"{_no_variant_message(lib_dir())} with the instruction sets "
                          f"this system lets programs use")
    lib.ggml_backend_unload(reg)
    reg = lib.ggml_backend_load(os.fsencode(best))
    if not reg:
        raise EngineError(f"llama.cpp could not load {best}")
    log.info("llama.cpp picked the %s variant, which needs %s that this system does not "
             "offer; using %s", variant.name, ", ".join(sorted(needs - flags)), best.name)
    return _describe_loaded(lib, reg)


def ensure_loaded() -> CpuVariant:
    """Load llama.cpp's backends for this machine once; the CPU variant in use."""
    global _variant
    with _lock:
        if _variant is None:
            lib = _ggml()
            if lib.ggml_backend_reg_count() == 0:
                lib.ggml_backend_load_all_from_path(os.fsencode(lib_dir()))
            reg = lib.ggml_backend_reg_by_name(b"CPU")
            if not reg:
                raise EngineError(_no_variant_message(lib_dir()))
            _variant = _keep_to_usable(lib, reg, _describe_loaded(lib, reg))
        return _variant


def build_record() -> dict[str, Any] | None:
    """How the installed llama.cpp was built, when it is the project's build."""
    try:
        record: dict[str, Any] = json.loads((lib_dir() / BUILD_RECORD).read_text())
    except (OSError, ValueError):
        return None
    return record
