"""Build llama-cpp-python the project's way, once per policy, and keep that build installed.

The policy lives in pyproject.toml (`[tool.writer.llama-cpp]`): the version, the sdist's
sha256 and the CMake arguments, plus per machine (x86_64) more arguments and the CPU
variants left out.
Nothing is left to the compiling machine: no `-march=native`, the baseline `-march` named,
and CFLAGS, CXXFLAGS, LDFLAGS and scikit-build's variables from the environment dropped;
every CPU variant is built and llama.cpp picks one at run time.

pip caches a wheel it compiled under a key without CMAKE_ARGS, so a machine that once
built a native wheel keeps getting it back. This script never uses that cache: it builds
with `--no-cache-dir`, from the sdist checked against the pinned sha256, into a folder of
its own (keyed by the build and the compilers), stamps the wheel with a local version
(`0.3.36+writer.<key>`, the key naming the build) and a record file, and installs it.
pyproject.toml pins `llama-cpp-python==0.3.36`, which the stamped version satisfies and
outranks (a local version sorts above the public one), so a later
`pip install '.[extra]'`, even with `--upgrade`, keeps it; `make` runs `check` after
every install to prove it.

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
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "llama-cpp-python"
RECORD_NAME = "llama_cpp/lib/writer-build.json"
# Bump when the way a wheel is made here changes, so old cached wheels are not reused.
RECIPE = 2
# Taken from the environment by CMake or scikit-build-core: they would shape the build.
SCRUBBED = ("CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS")
SCRUBBED_PREFIXES = ("SKBUILD_", "CMAKE_")


class BuildError(Exception):
    pass


@dataclass(frozen=True)
class Build:
    label: str
    cmake_args: tuple[str, ...]
    drop: tuple[str, ...]


def load_policy() -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: pip carries a TOML reader
        from pip._vendor import tomli as tomllib
    with (ROOT / "pyproject.toml").open("rb") as f:
        policy: dict[str, Any] = tomllib.load(f)["tool"]["writer"]["llama-cpp"]
    return policy


def policy_build(policy: dict[str, Any]) -> Build:
    machine = policy.get("machine", {}).get(platform.machine().lower(), {})
    return Build("portable", (*policy["cmake-args"], *machine.get("cmake-args", [])),
                 tuple(machine.get("drop-variants", [])))


def native_reference() -> Build:
    """What a native compile gives, AMX off, for benchmarks: one CPU library, no variants."""
    no_amx = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    return Build("native-reference",
                 ("-DGGML_NATIVE=ON", "-DGGML_BACKEND_DL=OFF", "-DLLAVA_BUILD=OFF",
                  f"-DCMAKE_C_FLAGS={no_amx}", f"-DCMAKE_CXX_FLAGS={no_amx}"), ())


def build_key(policy: dict[str, Any], build: Build) -> str:
    """What the build is made of: the installed build is checked against this."""
    parts = {"recipe": RECIPE, "version": policy["version"], "sdist": policy["sdist-sha256"],
             "cmake_args": build.cmake_args, "drop": sorted(build.drop),
             "machine": platform.machine(), "system": sys.platform}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def compiler_identity() -> list[str]:
    """The first line of each compiler's --version: a new compiler means a new compile."""
    found = []
    for env, default in (("CC", "cc"), ("CXX", "c++")):
        cmd = os.environ.get(env, default)
        try:
            out = subprocess.run([cmd, "--version"], capture_output=True, text=True).stdout
        except OSError:
            out = ""
        found.append(out.splitlines()[0] if out else f"{cmd}: missing")
    return found


def cache_folder(key: str) -> Path:
    if os.environ.get("WRITER_BUILD_CACHE"):
        root = Path(os.environ["WRITER_BUILD_CACHE"])
    elif sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        root = root / "writer-build" / "llama-cpp"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        root = root / "writer-build" / "llama-cpp"
    compilers = hashlib.sha256("\n".join(compiler_identity()).encode()).hexdigest()[:8]
    return root / f"{key}-{compilers}"


def build_environment(build: Build) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUBBED and not k.startswith(SCRUBBED_PREFIXES)}
    env["CMAKE_ARGS"] = shlex.join(build.cmake_args)
    env["CMAKE_BUILD_PARALLEL_LEVEL"] = (os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL")
                                         or str(os.cpu_count() or 2))
    return env


def pinned_requirement(policy: dict[str, Any], work: Path) -> Path:
    """A requirements file naming the policy's sdist and its sha256, checked by pip."""
    requirement = work / "requirement.txt"
    requirement.write_text(f"{PACKAGE}=={policy['version']} "
                           f"--hash=sha256:{policy['sdist-sha256']}\n")
    return requirement


def compile_wheel(policy: dict[str, Any], build: Build, work: Path) -> Path:
    """Download the pinned sdist (pip checks its hash before running anything) and build."""
    requirement = pinned_requirement(policy, work)
    out = work / "raw"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-cache-dir",
         "--no-binary", PACKAGE, "-r", str(requirement), "-w", str(out)],
        "compiling llama-cpp-python", env=build_environment(build))
    return next(out.glob("*.whl"))


# Bump when the way llama-server is built here changes.
SERVER_RECIPE = 1
SERVER_CMAKE_ARGS = ("-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=ON", "-DBUILD_SHARED_LIBS=OFF",
                     "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_SERVER=ON", "-DLLAMA_BUILD_TOOLS=ON",
                     "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF")


def ensure_server(policy: dict[str, Any], cached_only: bool = False) -> Path:
    """llama.cpp's own llama-server, from the same pinned sdist, for the remote engine's
    tests (/infill, cache_prompt): built for this machine (it never ships) and cached.
    `make test` builds it before the tests, which stay offline and only look it up."""
    parts = {"recipe": SERVER_RECIPE, "version": policy["version"],
             "sdist": policy["sdist-sha256"], "cmake_args": SERVER_CMAKE_ARGS,
             "machine": platform.machine(), "system": sys.platform}
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
    folder = cache_folder(f"server-{key}")
    binary = folder / ("llama-server.exe" if sys.platform == "win32" else "llama-server")
    if binary.exists():
        return binary
    if cached_only:
        raise BuildError(f"llama-server is not built yet ({binary}): `make test`, or "
                         "`scripts/llama_build.py server`, builds it")
    cmake = shutil.which("cmake")
    if cmake is None:
        raise BuildError("building llama-server needs cmake (pip install cmake, or the "
                         "system's package)")
    with tempfile.TemporaryDirectory(prefix="writer-llama-server-") as tmp:
        work = Path(tmp)
        requirement = pinned_requirement(policy, work)
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", PACKAGE, "-r", str(requirement), "-d",
             str(work / "sdist")], "downloading llama-cpp-python's sdist")
        (sdist,) = (work / "sdist").glob("*.tar.gz")
        with tarfile.open(sdist) as tar:
            tar.extractall(work / "src", filter="data")
        (source,) = (work / "src").glob("*/vendor/llama.cpp")
        env = build_environment(Build("server", (), ()))
        env.pop("CMAKE_ARGS", None)
        run([cmake, "-S", str(source), "-B", str(work / "build"), *SERVER_CMAKE_ARGS],
            "configuring llama-server", env=env)
        run([cmake, "--build", str(work / "build"), "--target", "llama-server", "--parallel",
             env["CMAKE_BUILD_PARALLEL_LEVEL"]], "compiling llama-server", env=env)
        (built,) = (work / "build").rglob(binary.name)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, binary.with_suffix(".part"))
        binary.with_suffix(".part").replace(binary)
    return binary


def run(command: list[str], what: str, **kwargs: Any) -> None:
    if subprocess.run(command, **kwargs).returncode != 0:
        raise BuildError(f"{what} failed (see pip's messages above)")


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def stamp_wheel(wheel: Path, out_dir: Path, local: str, drop: tuple[str, ...],
                record: dict[str, Any]) -> Path:
    """Copy `wheel` with a local version, without the dropped variants, with a record."""
    name, version, rest = wheel.name.split("-", 2)
    new_version = f"{version}+{local}"
    old_info, new_info = f"{name}-{version}.dist-info", f"{name}-{new_version}.dist-info"
    # libggml-cpu-X.so on Linux and macOS, ggml-cpu-X.dll on Windows
    dropped = {f"llama_cpp/lib/{prefix}ggml-cpu-{v}{ext}" for v in drop
               for prefix, ext in (("lib", ".so"), ("lib", ".dylib"), ("", ".dll"))}
    target = out_dir / f"{name}-{new_version}-{rest}"
    rows: list[list[str]] = []
    seen_dropped, stamped = set(), False
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(target, "w",
                                                        zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename in dropped:
                seen_dropped.add(item.filename)
                continue
            if item.filename == f"{old_info}/RECORD":
                continue
            data = src.read(item.filename)
            path = item.filename.replace(old_info + "/", new_info + "/", 1)
            if path == f"{new_info}/METADATA":
                old, new = f"\nVersion: {version}\n".encode(), f"\nVersion: {new_version}\n"
                stamped = old in data
                data = data.replace(old, new.encode(), 1)
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
    if not stamped:
        raise BuildError(f"{wheel.name}: no `Version: {version}` line in its METADATA")
    if len(seen_dropped) != len(drop):
        raise BuildError(f"{wheel.name}: the variants to leave out ({', '.join(drop)}) are "
                         f"not all there; found {sorted(seen_dropped)}")
    return target


def ensure_wheel(policy: dict[str, Any], build: Build) -> tuple[Path, str]:
    """The cached wheel for this build, compiled first when missing; and its key."""
    key = build_key(policy, build)
    folder = cache_folder(key)
    found = sorted(folder.glob("*.whl"))
    if found:
        return found[0], key
    folder.parent.mkdir(parents=True, exist_ok=True)
    print(f"compiling llama.cpp ({build.label} build {key}); this takes a few minutes ...",
          flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        work = Path(tmp)
        raw = compile_wheel(policy, build, work)
        minutes = (time.monotonic() - started) / 60
        record = {"key": key, "build": build.label, "version": policy["version"],
                  "cmake_args": list(build.cmake_args), "dropped_variants": list(build.drop),
                  "compilers": compiler_identity(), "compile_minutes": round(minutes, 1)}
        (work / "out").mkdir()
        stamp_wheel(raw, work / "out", f"writer.{key}", build.drop, record)
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


def installed_version() -> str | None:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def cmd_install() -> int:
    policy = load_policy()
    wheel, key = ensure_wheel(policy, policy_build(policy))
    record = installed_record()
    if record is None or record.get("key") != key:
        run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
             "--force-reinstall", str(wheel)], "installing the llama-cpp-python build")
    return cmd_check()


def cmd_check() -> int:
    policy = load_policy()
    key = build_key(policy, policy_build(policy))
    expected = f"{policy['version']}+writer.{key}"
    found, record = installed_version(), installed_record()
    if found != expected or record is None or record.get("key") != key:
        python = Path(sys.executable)
        if python.is_relative_to(ROOT):
            python = python.relative_to(ROOT)
        print(f"error: the installed llama-cpp-python is {found or 'missing'}, not the "
              f"project's build {expected}; run `{python} scripts/llama_build.py install`",
              file=sys.stderr)
        return 1
    print(f"llama-cpp-python {expected}: the project's {record['build']} build is installed")
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
    server = sub.add_parser("server", help="print the path of llama.cpp's llama-server for "
                            "the tests, built for this machine if needed")
    server.add_argument("--cached-only", action="store_true",
                        help="never build: exit 1 when it is not built yet")
    args = parser.parse_args()
    try:
        if args.command == "install":
            return cmd_install()
        if args.command == "check":
            return cmd_check()
        policy = load_policy()
        if args.command == "server":
            print(ensure_server(policy, args.cached_only))
            return 0
        build = native_reference() if args.native_reference else policy_build(policy)
        print(ensure_wheel(policy, build)[0])
        return 0
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
