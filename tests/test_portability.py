"""llama.cpp as users run it: the project's portable build, on every x86-64 processor.

Older processors are emulated with qemu-user (`qemu-x86_64 -cpu MODEL`), which refuses
instructions the emulated model lacks, as the real processor would.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.cpu_features import BASELINE, host_flags
from writer_app.engine import cpu_variants, llama_runtime

from .emulation import on_cpu, own_lines
from .isa import needs

ROOT = Path(__file__).resolve().parent.parent
LIB = llama_runtime.lib_dir()
PROBE = Path(__file__).parent / "cpu_probe.py"
AMX = {"amx_tile", "amx_int8", "amx_bf16"}
# Emulated processors and the variant llama.cpp must pick on each.
MODELS = {"Nehalem": "sse42", "SandyBridge": "sandybridge", "IvyBridge": "ivybridge",
          "Opteron_G5": "piledriver", "Haswell": "haswell"}

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64",
                                reason="the CPU variants checked here are x86-64's")


def variants() -> dict[str, Path]:
    return {p.name.removeprefix("libggml-cpu-").removesuffix(".so"): p
            for p in LIB.glob("libggml-cpu-*.so")}


@pytest.fixture(scope="module")
def avx2_program(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the AVX2 probe")
    folder = tmp_path_factory.mktemp("avx2")
    # Inline assembly, so no compiler can fold the AVX2 instruction away.
    (folder / "avx2.c").write_text(
        "#include <stdio.h>\n"
        "int main(void) {\n"
        "  __asm__ volatile(\"vpaddd %%ymm0, %%ymm0, %%ymm0\" ::: \"xmm0\");\n"
        "  puts(\"ran\");\n  return 0;\n}\n")
    subprocess.run([cc, "-O0", "-o", str(folder / "avx2"), str(folder / "avx2.c")],
                   check=True)
    return folder / "avx2"


@pytest.mark.parametrize(("model", "runs"), [("Nehalem", False), ("Haswell", True)])
def test_the_emulator_refuses_what_the_model_lacks(avx2_program, model, runs):
    # Without this, a qemu that ran every instruction would let the checks below pass.
    proc = on_cpu(model, str(avx2_program))
    assert (proc.returncode == 0 and proc.stdout.strip() == "ran") == runs, proc.stderr
    if not runs:
        assert proc.returncode == -4  # SIGILL, as on a real Nehalem


def test_the_installed_llama_cpp_is_the_projects_portable_build():
    record = llama_runtime.build_record()
    assert record is not None, f"{LIB} holds no writer-build.json: not the project's build"
    assert record["build"] == "portable"
    assert "-DGGML_NATIVE=OFF" in record["cmake_args"]
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "llama_build.py"), "check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert record["key"] in proc.stdout


def test_every_variant_is_there_and_amx_is_left_out():
    found = set(variants())
    assert {"x64", "sse42", "sandybridge", "haswell", "alderlake", "skylakex", "icelake",
            "cooperlake", "zen4"} <= found
    assert "sapphirerapids" not in found
    for path in LIB.glob("*.so*"):
        assert not needs(path) & AMX, f"{path.name} uses AMX"


def test_libraries_every_machine_loads_stay_within_the_baseline():
    # libllama and what it links to are loaded on every machine, before any choice.
    for name in ("libllama.so", "libggml.so.0", "libggml-base.so.0"):
        beyond = needs(LIB / name) - set(BASELINE)
        assert not beyond, f"{name} uses {sorted(beyond)}, beyond x86-64-v2"


def test_the_scan_sees_avx_and_avx2_code_not_only_wide_registers():
    found = variants()
    assert "avx" in needs(found["sandybridge"]) and "avx2" not in needs(found["sandybridge"])
    assert {"avx2", "fma", "f16c", "bmi2"} <= needs(found["haswell"])
    assert {"avx512f", "avx512_vnni", "avx512_bf16"} <= needs(found["zen4"])


def test_each_variants_score_names_everything_its_code_needs():
    # Writer reads a variant's requirements from its score to keep to what the OS allows.
    llama_runtime.ensure_loaded()  # loads libggml-base, which the variants link to
    checked = 0
    for name, path in variants().items():
        score = cpu_variants.score_of(path)
        if score:  # the others are checked on emulated processors
            beyond = needs(path) - set(BASELINE) - cpu_variants.required(score)
            assert not beyond, f"{name} uses {sorted(beyond)}, which its score does not check"
            checked += 1
    assert checked >= 2


def test_the_baseline_variant_runs_on_plain_x86_64():
    assert needs(variants()["x64"]) == frozenset()
    assert needs(variants()["sse42"]) <= set(BASELINE)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["host", *MODELS])
def test_each_variant_is_chosen_only_where_its_instructions_run(model):
    proc = on_cpu(model, sys.executable, str(PROBE))
    assert proc.returncode == 0, proc.stderr[-2000:]  # no variant faulted on load
    probe = json.loads(proc.stdout)
    flags = set(probe["flags"])
    assert set(BASELINE) <= flags
    usable = {name.removeprefix("libggml-cpu-").removesuffix(".so"): score
              for name, score in probe["scores"].items() if score > 0}
    for name in usable:
        missing = needs(variants()[name]) - flags
        assert not missing, f"{name} scores on {model} but needs {sorted(missing)}"
    best = max(usable, key=usable.__getitem__)
    if model in MODELS:
        assert best == MODELS[model]


@pytest.mark.slow
@pytest.mark.parametrize("model", ["Haswell", "Nehalem"])
def test_generation_runs_on_older_processors(model, default_model_path, tmp_path):
    proc = on_cpu(model, sys.executable, "-m", "writer_app", "generate",
                  "The capital of France is", "--raw", "--max-tokens", "4",
                  "--temperature", "0", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert "Paris" in data["text"]
    assert data["cpu_variant"].endswith(f"variant ({MODELS[model]})")


@pytest.mark.slow
# qemu's Conroe model also leaves out CMPXCHG16B.
@pytest.mark.parametrize(("model", "lacking"), [
    ("Penryn", "SSE4.2, POPCNT"), ("Conroe", "SSE4.1, SSE4.2, POPCNT, CMPXCHG16B")])
def test_a_processor_below_the_baseline_is_told_so(model, lacking, tmp_path):
    proc = on_cpu(model, sys.executable, "-m", "writer_app", "models", cwd=tmp_path)
    assert proc.returncode == 1
    assert own_lines(proc.stderr) == [
        f"writer-app: error: this processor lacks {lacking}, which Writer needs (x86-64-v2: "
        "Intel Core i processors since 2008, AMD since 2011); Writer cannot run on it"]


def disabled_cases():
    flags = host_flags() or frozenset()
    cases = []
    if {"avx512f", "avx2"} <= flags:
        cases.append(("avx512f", "alderlake" if "avx_vnni" in flags else "haswell"))
    if {"avx2", "avx", "f16c", "fma"} <= flags:
        cases.append(("avx2", "piledriver"))
    return cases or [pytest.param("", "", marks=pytest.mark.skip(
        reason="this processor has neither AVX2 nor AVX-512 to turn off"))]


@pytest.mark.slow
@pytest.mark.parametrize(("disabled", "expected"), disabled_cases())
def test_features_the_system_does_not_offer_are_kept_out(disabled, expected, tmp_path,
                                                          default_model_path):
    # As on a machine whose OS leaves those registers off: llama.cpp's own pick (by CPUID)
    # is swapped for the best variant that needs none of them, and generation works.
    env = {**os.environ, cpu_variants.DISABLE_ENV: disabled}
    proc = subprocess.run([sys.executable, "-m", "writer_app", "generate",
                           "The capital of France is", "--raw", "--max-tokens", "4",
                           "--temperature", "0", "--json"], env=env, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert "Paris" in data["text"]
    assert data["cpu_variant"].endswith(f"variant ({expected})")
