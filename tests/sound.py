"""What the read-aloud tests need from the system: eSpeak NG's library (Debian's
espeak-ng) and a sound output. The output is a real PulseAudio server with a null sink,
reached through ALSA's PulseAudio plugin (Debian's pulseaudio and libasound2-plugins):
it plays at the pace of real time, as a sound card does, into nothing. A skip where they
are missing, a failure in CI."""

from __future__ import annotations

import contextlib
import ctypes.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _missing(what: str, package: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing: install Debian's {package} (.ci/run does)")
    pytest.skip(f"{what} is missing (Debian package {package})")


def need_espeak() -> None:
    if ctypes.util.find_library("espeak-ng") is None:
        _missing("libespeak-ng", "espeak-ng")


def _pulse_plugin() -> bool:
    return any(Path(d, "alsa-lib", "libasound_module_pcm_pulse.so").exists()
               for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                         "/usr/lib"))


@contextlib.contextmanager
def sound_server() -> Iterator[str]:
    """A PulseAudio server with a null sink, on a socket of its own; yields the value for
    PULSE_SERVER."""
    need_espeak()
    pulseaudio = shutil.which("pulseaudio")
    if pulseaudio is None:
        _missing("pulseaudio", "pulseaudio")
    if not _pulse_plugin():
        _missing("ALSA's PulseAudio plugin", "libasound2-plugins")
    home = Path(tempfile.mkdtemp(prefix="writer-pulse-"))
    socket = home / "native"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(home), "HOME": str(home)}
    proc = subprocess.Popen(
        [pulseaudio, "--daemonize=no", "-n", "--exit-idle-time=-1", "--disallow-exit",
         "--use-pid-file=no", "--system=no", "--log-target=stderr",
         "--load=module-null-sink sink_name=writer_test",
         f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
                pytest.fail(f"pulseaudio did not start: {err}")
            time.sleep(0.05)
        yield f"unix:{socket}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.stderr:
            proc.stderr.close()
        shutil.rmtree(home, ignore_errors=True)
