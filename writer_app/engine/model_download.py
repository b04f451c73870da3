"""Downloading a GGUF model the user asked for, from a link (Hugging Face or any server).

The file grows as NAME.gguf.part beside its final place, so discovery never lists half a
model, and a stopped or broken download resumes where it was. Resuming must never splice
two versions of a file (the head of the old one, the tail of the new one: a "valid" GGUF
of garbage). So the version the server named at the start (its strong ETag, else its
Last-Modified date) is kept beside the part, in NAME.gguf.part.json, with the address and
the length; a resume asks for the rest only if the file is still that version (If-Range)
and takes the answer only when its Content-Range continues the part exactly. Anything
else starts over. The finished file is checked as a GGUF model before it takes its name;
a web page served instead of a model (a login wall, a wrong link) is refused.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPResponse
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit, urlunsplit

from writer_app.engine.errors import EngineError, ModelFileError
from writer_app.engine.memory import gib
from writer_app.engine.model_info import ModelInfo, read_model_info
from writer_app.net import (
    DOWNLOAD_ERRORS,
    LINKED_ETAG,
    chunks,
    declared_length,
    failure_reason,
    is_web_address,
    open_url,
)

# Room left on the disk after the model, so that saving the user's text still works.
DISK_MARGIN = 200 * 2**20
# Free space is checked again after each this many bytes: a server that names no length,
# or another program filling the disk, still stops the download before the margin.
SPACE_CHECK_EVERY = 8 * 2**20
# The sidecar is a few hundred bytes; anything larger is not ours.
MAX_SIDECAR_BYTES = 64 * 1024
# Refuse links (open fails with ELOOP) and never block on a pipe named like the part.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_SHA256 = re.compile(r"[0-9a-f]{64}")

Progress = Callable[[int, int | None], None]  # bytes so far, total when known
Notice = Callable[[str], None]  # a sentence for the status line ("starting over: ...")


class DownloadError(EngineError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class ModelDownloadCancelled(DownloadError):
    pass


def direct_link(url: str) -> str:
    """A Hugging Face page link (…/blob/main/x.gguf) becomes its file link (…/resolve/…)."""
    parts = urlsplit(url.strip())
    if parts.netloc.endswith("huggingface.co") and "/blob/" in parts.path:
        return urlunsplit(parts._replace(path=parts.path.replace("/blob/", "/resolve/", 1)))
    return url.strip()


def model_file_name(url: str) -> str:
    """The file name the link ends with; it must be a .gguf file."""
    last = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    name = re.sub(r"[^\w.+-]+", "_", last).strip("._")[:200]
    if not name.lower().endswith(".gguf") or name.lower() == ".gguf":
        raise DownloadError(url, "does not end with a .gguf file name; Writer downloads GGUF "
                                 "model files (on Hugging Face: the link of the file itself)")
    return name


# --- the version of the file a part holds --------------------------------------------------
@dataclass(frozen=True)
class _Version:
    """What the server said of the file when the part was started."""

    url: str
    etag: str | None
    last_modified: str | None
    total: int | None
    sha256: str | None = None  # what the server announced (Hugging Face: X-Linked-Etag)

    @property
    def validator(self) -> str | None:
        """What If-Range sends: a strong ETag, else the Last-Modified date."""
        return self.etag or self.last_modified

    @classmethod
    def of(cls, url: str, response: HTTPResponse, total: int | None) -> _Version:
        etag = (response.headers.get("ETag") or "").strip()
        modified = (response.headers.get("Last-Modified") or "").strip()
        strong = etag if etag and not etag.startswith("W/") else None  # weak: not for ranges
        return cls(url, strong, modified or None, total,
                   sha256_of_header(response.headers.get(LINKED_ETAG)))


def sha256_of_header(value: str | None) -> str | None:
    """The sha256 an X-Linked-Etag header names ("<64 hex digits>", quoted), or None."""
    digest = (value or "").strip().removeprefix("W/").strip('"').lower()
    return digest if _SHA256.fullmatch(digest) else None


def _read_version(sidecar: Path) -> _Version | None:
    """The sidecar's record, or None if there is none we can trust (then: start over)."""
    try:
        fd = os.open(sidecar, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, MAX_SIDECAR_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        record = json.loads(data) if len(data) <= MAX_SIDECAR_BYTES else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    url, etag, modified, total, sha256 = (record.get(k) for k in (
        "url", "etag", "last_modified", "total", "sha256"))
    if not isinstance(url, str) or not all(v is None or isinstance(v, str)
                                           for v in (etag, modified, sha256)):
        return None
    if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
        return None
    if sha256 is not None and not _SHA256.fullmatch(sha256):
        return None
    return _Version(url, etag, modified, total, sha256)


def _write_version(url: str, sidecar: Path, version: _Version) -> None:
    """A new record, never through a link (write_atomically follows links, for the user's
    files). Not atomic, and need not be: a torn record is not JSON, so it starts over."""
    data = json.dumps(dataclasses.asdict(version)).encode()
    try:
        sidecar.unlink(missing_ok=True)
        fd = os.open(sidecar, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        raise DownloadError(url, f"cannot write {sidecar}: {exc.strerror or exc}") from None


# --- the part file ---------------------------------------------------------------------------
def _not_a_plain_file(url: str, path: Path, mode: int | None = None) -> DownloadError:
    if mode is None:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            mode = 0
    what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
    return DownloadError(url, f"{path} is {what}; Writer does not write through it (remove "
                              "it, then download again)")


def _part_size(url: str, part: Path) -> int:
    """Bytes in the part (0 if none); refuses a part that is a link or not a file."""
    try:
        st = os.lstat(part)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise DownloadError(url, f"cannot read {part}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_a_plain_file(url, part, st.st_mode)
    return st.st_size


def _open_part(url: str, part: Path, append: bool) -> BinaryIO:
    """The part for writing, never through a link (a link swapped in since the check)."""
    flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | (os.O_APPEND if append else os.O_TRUNC)
    try:
        fd = os.open(part, flags, 0o644)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):  # a link; a pipe nobody reads
            raise _not_a_plain_file(url, part) from None
        raise DownloadError(url, f"cannot write {part}: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _not_a_plain_file(url, part, mode)
    return os.fdopen(fd, "wb")


# --- the request: resume when safe, else start over ---------------------------------------
@dataclass
class _Start:
    response: HTTPResponse | None  # None: the part already holds the whole file
    done: int
    version: _Version


def _continuation_problem(response: HTTPResponse, done: int, version: _Version) -> str | None:
    """Why a 206 answer does not continue the part exactly, or None when it does."""
    value = (response.headers.get("Content-Range") or "").strip()
    match = _CONTENT_RANGE.fullmatch(value)
    if not match:
        return f"its Content-Range is {value[:80]!r}, not a byte range"
    start, end, total = map(int, match.groups())
    if start != done:
        return f"it starts at byte {start}, not at byte {done}"
    if total != version.total:
        return f"the file is now {total} bytes long, not {version.total}"
    if end != total - 1:
        return f"it ends at byte {end}, not at the end of the file"
    length = declared_length(response)
    if length and length != end - start + 1:
        return f"its Content-Length {length} does not match its Content-Range"
    etag = (response.headers.get("ETag") or "").strip()
    if etag and version.etag and etag != version.etag:
        return f"the file's ETag is now {etag[:80]}, not {version.etag[:80]}"
    return None


def _page_instead_of_model(url: str, response: HTTPResponse) -> None:
    if response.headers.get_content_type() in ("text/html", "application/xhtml+xml"):
        raise DownloadError(url, "answered with a web page, not a model file (a wrong link, "
                                 "or a page that asks you to log in?)")


def _fresh(url: str, response: HTTPResponse, sidecar: Path) -> _Start:
    """Start over with this (whole-file) answer: the old record goes before the part is
    truncated, so a crash in between never pairs an old record with new bytes."""
    if response.status == 206:  # a part of the file when the whole was asked for
        raise DownloadError(url, "answered with a part of the file (206) when Writer asked "
                                 "for all of it")
    _page_instead_of_model(url, response)
    length = declared_length(response)
    version = _Version.of(url, response, length or None)
    sidecar.unlink(missing_ok=True)
    return _Start(response, 0, version)


def _request(url: str, part: Path, sidecar: Path, notice: Notice) -> _Start:
    done = _part_size(url, part)
    version = _read_version(sidecar) if done else None
    if version is None or version.url != url or not version.validator \
            or version.total is None or done > version.total:
        if done:
            notice("The partial download cannot be resumed safely (no record of which "
                   "version of the file it holds); starting over.")
        return _fresh(url, open_url(url), sidecar)
    if done == version.total:
        return _Start(None, done, version)  # stopped after the last byte: only the check
    try:
        response = open_url(url, {"Range": f"bytes={done}-",
                                  "If-Range": version.validator or ""})
    except urllib.error.HTTPError as exc:
        if exc.code != 416:  # 416: the range is past the end of what the server has now
            raise
        exc.close()
        notice("The server cannot continue the partial download; starting over.")
        return _fresh(url, open_url(url), sidecar)
    if response.status != 206:
        # If-Range failed (the file changed) or the server ignores ranges: this answer is
        # the whole file.
        notice("The file on the server changed, or the server cannot resume; starting "
               "over.")
        return _fresh(url, response, sidecar)
    problem = _continuation_problem(response, done, version)
    if problem is None:
        _page_instead_of_model(url, response)
        return _Start(response, done, version)
    response.close()
    notice(f"The server's answer does not continue the partial download ({problem}); "
           "starting over.")
    return _fresh(url, open_url(url), sidecar)


# --- writing ----------------------------------------------------------------------------------
def _check_space(url: str, folder: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(folder).free
    if needed + DISK_MARGIN > free:
        raise DownloadError(url, f"{what}, and {folder} has {gib(free)} free; Writer keeps "
                                 f"{gib(DISK_MARGIN)} free so that your work can be saved")


def _written(url: str, folder: Path, out: BinaryIO, body: Iterator[bytes], done: int,
             total: int | None, progress: Progress) -> int:
    """Write the body after `done` bytes, checking free space as it grows; the new count."""
    checked_at = None
    progress(done, total)
    for chunk in body:
        if checked_at is None or done - checked_at >= SPACE_CHECK_EVERY:
            step = SPACE_CHECK_EVERY if total is None else min(SPACE_CHECK_EVERY,
                                                               total - done)
            _check_space(url, folder, step, f"the disk is nearly full after "
                                            f"{done / 2**20:.0f} MiB")
            checked_at = done
        out.write(chunk)
        done += len(chunk)
        progress(done, total)
    return done


def _again(version: _Version | None) -> str:
    if version is None or not version.validator:
        return ("download it again to start over (the server names no version of the "
                "file, so Writer cannot safely resume)")
    if version.total is None:
        return ("download it again to start over (the server named no length, so Writer "
                "cannot check a resumed download)")
    return "download it again to resume"


def _check_identity(url: str, part: Path, sidecar: Path, size: int | None,
                    sha256: str | None, version: _Version | None,
                    cancelled: Callable[[], bool]) -> None:
    """Delete the part and say why when it is not the file expected: its size, and its
    sha256 (the one given, else the server's). A stop while hashing keeps the part."""
    problem = None
    if size is not None and part.stat().st_size != size:
        problem = f"it is {part.stat().st_size} bytes, not {size} as the catalog says"
    wanted, whose = (sha256.lower(), "the catalog") if sha256 else (
        version.sha256 if version else None, "the server")
    if problem is None and wanted:
        actual = file_sha256(part, cancelled)
        if actual is None:
            raise ModelDownloadCancelled(url, "stopped while checking the file; download "
                                              "it again to check it")
        if actual != wanted:
            problem = f"its sha256 is {actual}, not {wanted} as {whose} says"
    if problem:
        part.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        raise DownloadError(url, f"is not the file expected: {problem}; the download was "
                                 "deleted")


def file_sha256(path: Path, cancelled: Callable[[], bool] = lambda: False) -> str | None:
    """The file's sha256, or None when cancelled (a few GB take some seconds)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(4 << 20):
            if cancelled():
                return None
            digest.update(chunk)
    return digest.hexdigest()


def download_model(url: str, folder: Path, progress: Progress = lambda _d, _t: None,
                   cancelled: Callable[[], bool] = lambda: False,
                   notice: Notice = lambda _m: None, sha256: str | None = None,
                   size: int | None = None) -> tuple[Path, ModelInfo]:
    """Download the model at `url` into `folder`; the checked file and what it holds.
    `notice` hears a sentence when a partial download is thrown away and started over.
    The file must have the `sha256` given (a catalog's), else the one the server
    announced (X-Linked-Etag), and the `size` given: a file that has not is deleted."""
    url = direct_link(url)
    if not is_web_address(url):
        raise DownloadError(url, "is not a web address (http:// or https://)")
    name = model_file_name(url)
    target = folder / name
    if target.is_symlink():
        raise DownloadError(url, f"{target} is a symbolic link; remove it first to download "
                                 "the model")
    if target.exists():
        raise DownloadError(url, f"{target} is already there; remove it first to download "
                                 "it again")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(url, f"cannot create {folder}: {exc.strerror or exc}") from None
    part = folder / (name + ".part")
    sidecar = folder / (name + ".part.json")
    version: _Version | None = None
    done = 0
    try:
        start = _request(url, part, sidecar, notice)
        version, done = start.version, start.done
        if size is not None and version.total is not None and version.total != size:
            if start.response is not None:
                start.response.close()
            part.unlink(missing_ok=True)
            sidecar.unlink(missing_ok=True)
            raise DownloadError(url, f"is not the file expected: the server offers "
                                     f"{version.total} bytes, not {size} as the catalog "
                                     "says; nothing was downloaded")
        if start.response is not None:
            with start.response as response:
                if version.total is not None:  # before the part grows or is truncated
                    _check_space(url, folder, version.total - done,
                                 f"needs {gib(version.total - done)} more")
                with _open_part(url, part, append=done > 0) as out:
                    if done == 0 and version.validator:
                        _write_version(url, sidecar, version)
                    done = _written(url, folder, out, chunks(response, cancelled), done,
                                    version.total, progress)
            if cancelled():
                raise ModelDownloadCancelled(url, f"stopped; {_again(version)}")
    except DownloadError:
        raise
    except urllib.error.HTTPError as exc:
        raise DownloadError(url, failure_reason(exc)) from None
    except DOWNLOAD_ERRORS as exc:
        raise DownloadError(url, f"{failure_reason(exc)}; {_again(version)}") from None
    total = version.total
    if total is not None and done != total:
        raise DownloadError(url, f"the connection ended at {done / 2**20:.0f} of "
                                 f"{total / 2**20:.0f} MiB; {_again(version)}")
    _check_identity(url, part, sidecar, size, sha256, version, cancelled)
    try:
        info = read_model_info(part)
    except ModelFileError as exc:
        part.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        raise DownloadError(url, f"is not a usable GGUF model ({exc.reason}); nothing was "
                                 "kept") from None
    os.replace(part, target)
    sidecar.unlink(missing_ok=True)
    name = target.stem if info.name == part.stem else info.name  # no general.name inside
    return target, dataclasses.replace(info, path=target, name=name)

