"""Run one call in a child Python and measure it: the outcome, wall time and peak memory.

Hostile inputs are judged by what they cost, and a regression must not take the test
machine down with it: the child runs under an address-space limit and a timeout, and
reports its own peak resident memory (VmHWM, else `resource.getrusage`), so nothing else the test
process did counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The bounds of issue 13: any input up to the 50 MiB web cap ends within 10 s at a peak
# of 512 MB or less.
TIME_BOUND_S = 10.0
MEMORY_BOUND_MB = 512.0

_CHILD = textwrap.dedent("""
    import importlib, json, resource, sys, time, traceback
    limit = int(sys.argv[3]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    module, _, name = sys.argv[1].partition(":")
    args = json.loads(sys.argv[2])
    func = getattr(importlib.import_module(module), name)
    def peak_mb():
        # This process's own high-water mark: ru_maxrss also carries the parent's
        # across fork and exec.
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base = peak_mb()
    start = time.perf_counter()
    outcome = {"ok": True}
    try:
        value = func(*args)
        blocks = getattr(value, "blocks", None)
        if blocks is not None:  # a Document: its size, not its text
            value = {"blocks": len(blocks), "chars": sum(len(b.text) for b in blocks)}
        elif not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = repr(value)
        text = json.dumps(value)
        outcome["value"] = value if len(text) < 2**20 else text[:2000]
    except BaseException as exc:
        outcome = {"ok": False, "type": type(exc).__name__, "message": str(exc),
                   "traceback": traceback.format_exc()[-2000:]}
    outcome["seconds"] = time.perf_counter() - start
    outcome["peak_mb"] = peak_mb()
    outcome["import_mb"] = base
    sys.stdout.write("\\n@@RESULT@@" + json.dumps(outcome))
""")


@dataclass
class Outcome:
    ok: bool
    seconds: float
    peak_mb: float
    value: object = None
    type: str = ""
    message: str = ""
    traceback: str = ""
    import_mb: float = 0.0

    def within_bounds(self, seconds: float = TIME_BOUND_S,
                      memory_mb: float = MEMORY_BOUND_MB) -> None:
        assert self.seconds <= seconds, f"took {self.seconds:.1f} s (bound {seconds} s)"
        assert self.peak_mb <= memory_mb, \
            f"peak {self.peak_mb:.0f} MB (bound {memory_mb:.0f} MB)"


def run_bounded(target: str, *args: object, timeout: float = 60.0,
                address_space_mb: int = 4096) -> Outcome:
    """Call `module:function(*args)` (JSON-able args) in a child Python.

    A child that runs past `timeout` or dies is reported as a failed outcome, with the
    time it ran, rather than hanging the test run.
    """
    cmd = [sys.executable, "-c", _CHILD, target, json.dumps(args), str(address_space_mb)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return Outcome(False, timeout, 0.0, type="Timeout",
                       message=f"still running after {timeout} s")
    _, marker, result = done.stdout.rpartition("@@RESULT@@")
    if not marker:
        return Outcome(False, 0.0, 0.0, type="Died",
                       message=f"exit {done.returncode}: {done.stderr[-2000:]}")
    return Outcome(**json.loads(result))
