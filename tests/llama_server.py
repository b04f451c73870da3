"""llama-cpp-python's own OpenAI-compatible server (its `server` extra) with the default
model, on a free loopback port: the real server the remote engine is tested against.
Started through Writer's llama.cpp loader (the portable build's CPU variant)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from .loopback import free_port

LAUNCH = """
import sys
from writer_app.engine import llama_runtime
llama_runtime.ensure_loaded()
from llama_cpp.server.__main__ import main
sys.argv = ["llama_cpp.server", *sys.argv[1:]]
main()
"""


@contextlib.contextmanager
def serving(command: list[str], ready: Callable[[], bool],
            name: str) -> Iterator[subprocess.Popen[bytes]]:
    """A server started from `command`, yielded once `ready()` (at most 120 s), killed
    after."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not ready():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} ended: {proc.stderr.read()[-2000:]!r}"
                                   if proc.stderr else f"{name} ended")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not come up in 120 s")
            time.sleep(0.2)
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()


@contextlib.contextmanager
def llama_server(model: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(its base URL, its process); `args` go to the server (--n_ctx 1024, --api_key K)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as r:
                json.load(r)
            return True
        except urllib.error.HTTPError:
            return True  # it answers (401 without the key it wants)
        except OSError:
            return False

    with serving([sys.executable, "-c", LAUNCH, "--model", str(model), "--host",
                  "127.0.0.1", "--port", str(port), *args], answers,
                 "the server") as proc:
        yield url, proc
