"""Size of the built bundle and its cold start time to the window.

    make package && DISPLAY=:99 .venv/bin/python benchmarks/bundle.py

Start time needs an X display (Xvfb) and xdotool: it drops the page cache when allowed
(root), starts dist/Writer/Writer and waits for its window to be mapped. Goals: 350 MB or
less including the model, and a window within 2 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "Writer"


def size_mb(folder: Path) -> float:
    # Symlinks point inside the bundle: count each file once.
    return sum(p.lstat().st_size for p in folder.rglob("*")
               if p.is_file() and not p.is_symlink()) / 1e6


def start_seconds() -> float | None:
    if not os.environ.get("DISPLAY") or not shutil.which("xdotool"):
        return None
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3")
    except OSError:
        print("(could not drop the page cache: this is a warm start)")
    with tempfile.TemporaryDirectory() as home:
        start = time.perf_counter()
        proc = subprocess.Popen([str(BUNDLE / "Writer")], env={**os.environ, "WRITER_HOME": home},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", "Writer"],
                       capture_output=True, timeout=60)
        elapsed = time.perf_counter() - start
        proc.kill()
        proc.wait()
    return elapsed


def main() -> int:
    if not (BUNDLE / "Writer").exists():
        print(f"{BUNDLE} is missing: run `make package` first")
        return 1
    model = sum(p.stat().st_size for p in (BUNDLE / "_internal" / "models").glob("*")) / 1e6
    print(f"bundle: {size_mb(BUNDLE):.1f} MB, of which the model {model:.1f} MB "
          "(goal <= 350 MB)")
    seconds = start_seconds()
    if seconds is None:
        print("start time: needs DISPLAY (Xvfb) and xdotool")
    else:
        print(f"cold start to the window: {seconds:.2f} s (goal < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
