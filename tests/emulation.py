"""Older processors, emulated: `qemu-x86_64 -cpu MODEL` refuses what MODEL lacks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def qemu() -> str:
    """qemu-user's x86-64 emulator; a skip here, a failure in CI, when it is missing."""
    path = shutil.which("qemu-x86_64")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("qemu-x86_64 is missing: install Debian's qemu-user (.ci/run does)")
        pytest.skip("qemu-x86_64 is missing (Debian package qemu-user)")
    return path


def on_cpu(model: str, *command: str, env: dict[str, str] | None = None,
           **kwargs) -> subprocess.CompletedProcess:
    """Run `command` on an emulated `model`, or natively for "host"."""
    env = dict(os.environ if env is None else env)
    prefix = []
    if model != "host":
        prefix = [qemu(), "-cpu", model]
        # A kernel choice made for the host (this workplace sets OPENBLAS_CORETYPE=Haswell)
        # would run Haswell code on the emulated processor; let OpenBLAS detect it.
        env.pop("OPENBLAS_CORETYPE", None)
    return subprocess.run([*prefix, *command], capture_output=True, text=True,
                          timeout=600, env=env, **kwargs)


def own_lines(stderr: str) -> list[str]:
    """stderr without qemu's warnings about features it does not emulate."""
    return [line for line in stderr.splitlines() if not line.startswith("qemu-x86_64:")]


def bundle_stage_two(executable: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment a PyInstaller bundle restarts itself with.

    On Linux a one-folder bundle sets LD_LIBRARY_PATH and exec()s itself; qemu-user does
    not follow an exec, so the restart would run on the host's processor. Starting with
    the restart's environment runs the application itself on the emulated one.
    """
    internal = str(executable.parent / "_internal")
    return {**env, "_PYI_ARCHIVE_FILE": str(executable), "_PYI_PARENT_PROCESS_LEVEL": "0",
            "LD_LIBRARY_PATH": os.pathsep.join(filter(None, [internal,
                                                             env.get("LD_LIBRARY_PATH")]))}
