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
from collections.abc import Iterator
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
def llama_server(model: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(its base URL, its process); `args` go to the server (--n_ctx 1024, --api_key K)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, "--model", str(model),
                             "--host", "127.0.0.1", "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server ended: {proc.stderr.read()[-2000:]!r}"
                                   if proc.stderr else "the server ended")
            try:
                with urllib.request.urlopen(url + "/models", timeout=2) as r:
                    json.load(r)
                break
            except urllib.error.HTTPError:
                break  # it answers (401 without the key it wants)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url, proc
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
