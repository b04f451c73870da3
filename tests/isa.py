"""Which instruction sets a shared library's code uses, by disassembling it (iced-x86).

Every instruction in the executable sections is decoded and mapped to the CPUID features
it needs, so AVX or AVX2 code is found as surely as AVX-512 (a scan for zmm registers
would miss those). Names follow writer_app.cpu_features.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from iced_x86 import CpuidFeature, Decoder, Mnemonic

_ICED_NAMES = {value: name for name, value in vars(CpuidFeature).items()
               if not name.startswith("_")}
# What every x86-64 processor runs, and hints that older ones run as NOPs (endbr64,
# multi-byte NOPs).
X86_64 = {"INTEL8086", "INTEL186", "INTEL286", "INTEL386", "INTEL486", "X64", "CMOV",
          "CX8", "FPU", "MMX", "SSE", "SSE2", "FXSR", "SYSCALL", "CPUID", "TSC", "PAUSE",
          "CLFSH", "MULTIBYTENOP", "CET_IBT"}
# iced-x86's names for the features writer_app.cpu_features reads.
_OURS = {"SSE3": "sse3", "SSSE3": "ssse3", "SSE4_1": "sse4_1", "SSE4_2": "sse4_2",
         "POPCNT": "popcnt", "CMPXCHG16B": "cx16", "AVX": "avx", "AVX2": "avx2",
         "FMA": "fma", "F16C": "f16c", "BMI1": "bmi1", "BMI2": "bmi2",
         "AVX512F": "avx512f", "AVX512BW": "avx512bw", "AVX512CD": "avx512cd",
         "AVX512DQ": "avx512dq", "AVX512VL": "avx512vl", "AVX512_VBMI": "avx512_vbmi",
         "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16",
         "AVX_VNNI": "avx_vnni", "AMX_TILE": "amx_tile", "AMX_INT8": "amx_int8",
         "AMX_BF16": "amx_bf16"}


def _features(instruction) -> frozenset[str]:
    names = {_ICED_NAMES[f] for f in instruction.cpuid_features()}
    # tzcnt is encoded as `rep bsf`: a processor without BMI1 runs it as bsf, which GCC
    # relies on where a zero input cannot occur (__builtin_ctz).
    if instruction.mnemonic == Mnemonic.TZCNT:
        names.discard("BMI1")
    return frozenset(_OURS.get(n, n) for n in names - X86_64)


@cache
def needs(path: Path) -> frozenset[str]:
    """The features, beyond plain x86-64, that some instruction in `path` needs."""
    by_code: dict[int, frozenset[str]] = {}
    with path.open("rb") as f:
        elf = ELFFile(f)
        for section in elf.iter_sections():
            if not section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR:
                continue
            for instruction in Decoder(64, section.data(), ip=section["sh_addr"]):
                if instruction.code not in by_code:  # the same code, the same features
                    by_code[instruction.code] = _features(instruction)
    return frozenset().union(*by_code.values())
