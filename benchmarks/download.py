"""Model download speed: writer's download_model against a plain urllib copy of the same
file from the same server (loopback, so the disk and the code are what is measured).

    .venv/bin/python benchmarks/download.py [--rounds 3] [--mib 1024]

The file served is the default model padded with zeros to --mib (a real model download is
1-4 GiB; the GGUF check after it costs ~0.07 s whatever the size). Prints MiB/s for each and
the ratio (goal: at least 0.9; the app reads in 64 KiB chunks, checks for cancel and
reports progress between them, then checks the GGUF header).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app.engine import default_model  # noqa: E402
from writer_app.engine.model_download import download_model  # noqa: E402


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    served = tempfile.TemporaryDirectory()
    model = Path(served.name) / default_model.FILE_NAME
    shutil.copyfile(ROOT / "models" / default_model.FILE_NAME, model)
    with open(model, "ab") as f:  # zeros after the tensors: still a valid GGUF file
        f.write(bytes(max(0, args.mib * 2**20 - model.stat().st_size)))
    handler = partial(_Quiet, directory=str(model.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{model.name}"
    size = model.stat().st_size / 2**20
    raw_times: list[float] = []
    app_times: list[float] = []
    def raw_copy(folder: Path) -> None:
        with urllib.request.urlopen(url) as response, open(folder / "raw.gguf", "wb") as out:
            shutil.copyfileobj(response, out, 64 * 1024)

    def app_copy(folder: Path) -> None:
        download_model(url, folder / "app", lambda _d, _t: None)

    for i in range(args.rounds):
        # Alternate which goes first: the second one writes while the first one's pages
        # are still being flushed to disk.
        for fn, times in ([(raw_copy, raw_times), (app_copy, app_times)][:: 1 if i % 2 else -1]):
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                fn(Path(tmp))
                times.append(time.perf_counter() - start)
    server.shutdown()
    served.cleanup()
    raw, app = size / min(raw_times), size / min(app_times)
    print(f"{size:.0f} MiB, best of {args.rounds}: urllib copy {raw:.0f} MiB/s, "
          f"download_model {app:.0f} MiB/s, ratio {app / raw:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
