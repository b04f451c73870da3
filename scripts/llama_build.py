"""Build llama-cpp-python the project's way, once per policy, and keep that build installed.

The policy lives in pyproject.toml (`[tool.writer.llama-cpp]`): the version, the sdist's
sha256, the CMake arguments and the CPU variants left out. Nothing is left to the
compiling machine: no `-march=native`; every CPU variant is built and llama.cpp picks
one at run time.

pip caches a wheel it compiled under a key without CMAKE_ARGS, so a machine that once
built a native wheel keeps getting it back. This script never uses that cache: it builds
with `--no-cache-dir` into a folder of its own keyed by everything that shapes the build
(policy, sdist, compiler, machine), stamps the wheel with a local version
(`0.3.36+writer.<key>`) and a record file, and installs it. pyproject.toml pins
`llama-cpp-python==0.3.36`, which the stamped version satisfies and outranks (a local
version sorts above the public one), so a later `pip install '.[extra]'`, even with
`--upgrade`, keeps it; `make` runs `check` after every install to prove it.

    python scripts/llama_build.py install   # build if needed, install into this Python
    python scripts/llama_build.py check     # exit 1 unless the installed build is the policy's
    python scripts/llama_build.py wheel --native-reference   # -march=native, for benchmarks
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from fetch_default_model import sha256_of  # this folder is on sys.path when run

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "llama-cpp-python"
RECORD_NAME = "llama_cpp/lib/writer-build.json"
# Bump when the way a wheel is made here changes, so old cached wheels are not reused.
RECIPE = 1
# The reference build for benchmarks: what a native compile gives, AMX left out (it
# faults on some machines, see README), one CPU library instead of variants.
NATIVE_REFERENCE_ARGS = [
    "-DGGML_NATIVE=ON", "-DGGML_BACKEND_DL=OFF", "-DLLAVA_BUILD=OFF",
    "-DCMAKE_C_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16",
    "-DCMAKE_CXX_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16",
]


def load_policy() -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: pip carries a TOML reader
        from pip._vendor import tomli as tomllib
    with (ROOT / "pyproject.toml").open("rb") as f:
        policy: dict[str, Any] = tomllib.load(f)["tool"]["writer"]["llama-cpp"]
    return policy


def compiler_identity() -> list[str]:
    """The first line of each compiler's --version: a new compiler means a new build."""
    found = []
    for env, default in (("CC", "cc"), ("CXX", "c++")):
        cmd = os.environ.get(env, default)
        try:
            out = subprocess.run([cmd, "--version"], capture_output=True, text=True).stdout
        except OSError:
            out = ""
        found.append(f"{cmd}: {out.splitlines()[0] if out else 'missing'}")
    return found


def build_key(version: str, sdist_sha256: str, cmake_args: list[str],
              drop: list[str]) -> str:
    parts = {"recipe": RECIPE, "version": version, "sdist": sdist_sha256,
             "cmake_args": cmake_args, "drop": sorted(drop), "compilers": compiler_identity(),
             "machine": platform.machine(), "system": sys.platform}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def cache_root() -> Path:
    if os.environ.get("WRITER_BUILD_CACHE"):
        return Path(os.environ["WRITER_BUILD_CACHE"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "writer-build" / "llama-cpp"


def fetch_sdist(version: str, expected_sha256: str, into: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--no-binary", ":all:", "--no-cache-dir", "-d", str(into),
                    f"{PACKAGE}=={version}"], check=True)
    sdist = next(into.glob("*.tar.gz"))
    actual = sha256_of(sdist)
    if actual != expected_sha256:
        raise SystemExit(f"error: {sdist.name} has sha256 {actual}, the policy pins "
                         f"{expected_sha256}; refusing to build it")
    return sdist


def compile_wheel(sdist: Path, cmake_args: list[str], into: Path) -> Path:
    env = {**os.environ, "CMAKE_ARGS": shlex.join(cmake_args),
           "CMAKE_BUILD_PARALLEL_LEVEL": os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL",
                                                        str(os.cpu_count() or 2))}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-cache-dir", "-w", str(into), str(sdist)], check=True, env=env)
    return next(into.glob("*.whl"))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def stamp_wheel(wheel: Path, out_dir: Path, local: str, drop: list[str],
                record: dict[str, Any]) -> Path:
    """Copy `wheel` with a local version, without the dropped variants, with a record."""
    name, version, rest = wheel.name.split("-", 2)
    new_version = f"{version}+{local}"
    old_info, new_info = f"{name}-{version}.dist-info", f"{name}-{new_version}.dist-info"
    dropped = {f"llama_cpp/lib/libggml-cpu-{v}{ext}" for v in drop
               for ext in (".so", ".dll", ".dylib")}
    target = out_dir / f"{name}-{new_version}-{rest}"
    rows: list[list[str]] = []
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(target, "w",
                                                        zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename in dropped or item.filename == f"{old_info}/RECORD":
                continue
            data = src.read(item.filename)
            path = item.filename.replace(old_info + "/", new_info + "/", 1)
            if path == f"{new_info}/METADATA":
                data = data.replace(f"\nVersion: {version}\n".encode(),
                                    f"\nVersion: {new_version}\n".encode(), 1)
            info = zipfile.ZipInfo(path, item.date_time)
            info.external_attr = item.external_attr
            dst.writestr(info, data, zipfile.ZIP_DEFLATED)
            rows.append([path, _record_hash(data), str(len(data))])
        data = json.dumps(record, indent=2).encode()
        dst.writestr(RECORD_NAME, data, zipfile.ZIP_DEFLATED)
        rows.append([RECORD_NAME, _record_hash(data), str(len(data))])
        rows.append([f"{new_info}/RECORD", "", ""])
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        dst.writestr(f"{new_info}/RECORD", text.getvalue(), zipfile.ZIP_DEFLATED)
    return target


def ensure_wheel(cmake_args: list[str], drop: list[str], label: str) -> tuple[Path, str]:
    """The cached wheel for this build, compiled first when missing."""
    policy = load_policy()
    key = build_key(policy["version"], policy["sdist-sha256"], cmake_args, drop)
    folder = cache_root() / key
    found = sorted(folder.glob("*.whl"))
    if found:
        return found[0], key
    folder.parent.mkdir(parents=True, exist_ok=True)
    print(f"compiling llama.cpp ({label} build {key}); this takes a few minutes ...",
          flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        work = Path(tmp)
        sdist = fetch_sdist(policy["version"], policy["sdist-sha256"], work / "sdist")
        raw = compile_wheel(sdist, cmake_args, work / "raw")
        minutes = (time.monotonic() - started) / 60
        record = {"key": key, "build": label, "version": policy["version"],
                  "cmake_args": cmake_args, "dropped_variants": drop,
                  "compilers": compiler_identity(), "compile_minutes": round(minutes, 1)}
        (work / "out").mkdir()
        stamp_wheel(raw, work / "out", f"writer.{key}", drop, record)
        try:
            (work / "out").rename(folder)
        except OSError:  # another set-up finished the same build first
            if not any(folder.glob("*.whl")):
                raise
    print(f"compiled llama.cpp in {minutes:.1f} min", flush=True)
    return next(folder.glob("*.whl")), key


def installed_record() -> dict[str, Any] | None:
    """The record of the llama_cpp this Python imports, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "lib" / "writer-build.json"
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record


def policy_build() -> tuple[list[str], list[str]]:
    policy = load_policy()
    return list(policy["cmake-args"]), list(policy.get("drop-variants", []))


def cmd_install() -> int:
    cmake_args, drop = policy_build()
    wheel, key = ensure_wheel(cmake_args, drop, "portable")
    current = installed_record()
    if current is None or current.get("key") != key:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--force-reinstall", str(wheel)], check=True)
    return cmd_check()


def cmd_check() -> int:
    cmake_args, drop = policy_build()
    policy = load_policy()
    key = build_key(policy["version"], policy["sdist-sha256"], cmake_args, drop)
    current = installed_record()
    if current is None:
        print("error: the installed llama-cpp-python is not the project's build (no "
              f"{RECORD_NAME}); run `make setup`", file=sys.stderr)
        return 1
    if current.get("key") != key:
        print(f"error: the installed llama-cpp-python is build {current.get('key')}, the "
              f"policy's is {key}; run `make setup`", file=sys.stderr)
        return 1
    print(f"llama-cpp-python {policy['version']}: the project's {current.get('build')} "
          f"build {key} is installed")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="build if needed and install the policy's build")
    sub.add_parser("check", help="exit 1 unless the installed build is the policy's")
    wheel = sub.add_parser("wheel", help="print the path of a cached wheel, built if needed")
    wheel.add_argument("--native-reference", action="store_true",
                       help="the -march=native build (AMX off) that benchmarks compare with")
    args = parser.parse_args()
    if args.command == "install":
        return cmd_install()
    if args.command == "check":
        return cmd_check()
    if args.native_reference:
        path, _ = ensure_wheel(NATIVE_REFERENCE_ARGS, [], "native-reference")
    else:
        path, _ = ensure_wheel(*policy_build(), "portable")
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
