"""What this x86-64 processor can run, read before anything compiled is imported.

Standard library only: the start-up check runs it before numpy, Qt or llama.cpp load,
because each of those dies with an illegal instruction on a processor below its baseline.

On Linux the bits come from glibc's `__x86_get_cpuid_feature_leaf` (glibc 2.33+, the
function behind <sys/platform/x86.h>), which reads CPUID and knows whether the OS saves
the wider registers. /proc/cpuinfo is only the fallback: under an emulator (qemu-user)
it shows the host's processor, not the emulated one.
"""

from __future__ import annotations

import ctypes
import platform
import sys

# name -> (glibc leaf index, register: 0=eax 1=ebx 2=ecx 3=edx, bit)
_BITS: dict[str, tuple[int, int, int]] = {
    "sse3": (0, 2, 0), "ssse3": (0, 2, 9), "fma": (0, 2, 12), "cx16": (0, 2, 13),
    "sse4_1": (0, 2, 19), "sse4_2": (0, 2, 20), "popcnt": (0, 2, 23), "avx": (0, 2, 28),
    "f16c": (0, 2, 29),
    "bmi1": (1, 1, 3), "avx2": (1, 1, 5), "bmi2": (1, 1, 8), "avx512f": (1, 1, 16),
    "avx512dq": (1, 1, 17), "avx512cd": (1, 1, 28), "avx512bw": (1, 1, 30),
    "avx512vl": (1, 1, 31),
    "avx512_vbmi": (1, 2, 1), "avx512_vnni": (1, 2, 11),
    "amx_bf16": (1, 3, 22), "amx_tile": (1, 3, 24), "amx_int8": (1, 3, 25),
    "avx_vnni": (6, 0, 4), "avx512_bf16": (6, 0, 5),
}
# /proc/cpuinfo spells a few of them differently.
_CPUINFO_NAMES = {"sse3": "pni", "avx512_vbmi": "avx512vbmi"}

# What Writer's own dependencies need: numpy 2.4 and Qt 6 are built for x86-64-v2 and
# stop (numpy) or die (Qt, and numpy on a Core 2) below it.
BASELINE = ("sse3", "ssse3", "sse4_1", "sse4_2", "popcnt", "cx16")
BASELINE_NAME = "x86-64-v2"
LABELS = {"sse3": "SSE3", "ssse3": "SSSE3", "sse4_1": "SSE4.1", "sse4_2": "SSE4.2",
          "popcnt": "POPCNT", "cx16": "CMPXCHG16B"}


class _Leaf(ctypes.Structure):
    _fields_ = [("cpuid", ctypes.c_uint * 4), ("active", ctypes.c_uint * 4)]


def _from_glibc() -> frozenset[str] | None:
    try:
        libc = ctypes.CDLL(None)
        get_leaf = libc.__x86_get_cpuid_feature_leaf
    except (OSError, AttributeError):
        return None
    get_leaf.restype = ctypes.POINTER(_Leaf)
    get_leaf.argtypes = [ctypes.c_uint]
    leaves = {index: get_leaf(index).contents for index in {b[0] for b in _BITS.values()}}
    # "active" = present and usable (glibc checked the OS saves the registers).
    return frozenset(name for name, (index, reg, bit) in _BITS.items()
                     if leaves[index].active[reg] >> bit & 1)


def _from_cpuinfo() -> frozenset[str] | None:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            line = next((ln for ln in f if ln.startswith("flags")), "")
    except OSError:
        return None
    flags = set(line.partition(":")[2].split())
    if not flags:
        return None
    return frozenset(name for name in _BITS if _CPUINFO_NAMES.get(name, name) in flags)


def host_flags() -> frozenset[str] | None:
    """This processor's usable features by the names above; None where they can't be read."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    if sys.platform.startswith("linux"):
        flags = _from_glibc()
        return flags if flags is not None else _from_cpuinfo()
    return None


def missing_baseline(flags: frozenset[str] | None = None) -> list[str]:
    """The baseline features this processor lacks (empty when fine or unknown)."""
    flags = host_flags() if flags is None else flags
    if flags is None:
        return []
    return [name for name in BASELINE if name not in flags]


def baseline_problem() -> str | None:
    """One line for a user whose processor is too old for Writer, or None."""
    missing = missing_baseline()
    if not missing:
        return None
    names = ", ".join(LABELS[m] for m in missing)
    return (f"this processor lacks {names}, which Writer needs ({BASELINE_NAME}: Intel "
            "Core i processors since 2008, AMD since 2011); Writer cannot run on it")
