"""Downloading a GGUF model the user asked for, from a link (Hugging Face or any server).

The file grows as NAME.gguf.part beside its final place, so a stopped or broken download
resumes where it was (an HTTP Range request) and discovery never lists half a model. The
finished file is checked as a GGUF model before it takes its name; a web page served
instead of a model (a login wall, a wrong link) is refused with that reason.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import urllib.error
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from writer_app.engine.errors import EngineError, ModelFileError
from writer_app.engine.model_info import ModelInfo, read_model_info
from writer_app.net import (
    DOWNLOAD_ERRORS,
    chunks,
    declared_length,
    failure_reason,
    is_web_address,
    open_url,
)

# Room left on the disk after the model, so that saving the user's text still works.
DISK_MARGIN = 200 * 2**20

Progress = Callable[[int, int | None], None]  # bytes so far, total when known


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


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def download_model(url: str, folder: Path, progress: Progress = lambda _d, _t: None,
                   cancelled: Callable[[], bool] = lambda: False) -> tuple[Path, ModelInfo]:
    """Download the model at `url` into `folder`; the checked file and what it holds."""
    url = direct_link(url)
    if not is_web_address(url):
        raise DownloadError(url, "is not a web address (http:// or https://)")
    name = model_file_name(url)
    target = folder / name
    if target.exists():
        raise DownloadError(url, f"{target} is already there; remove it first to download "
                                 "it again")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(url, f"cannot create {folder}: {exc.strerror or exc}") from None
    part = folder / (name + ".part")
    done = part.stat().st_size if part.exists() else 0
    total: int | None = None
    try:
        headers = {"Range": f"bytes={done}-"} if done else {}
        with open_url(url, headers) as response:
            if response.headers.get_content_type() in ("text/html", "application/xhtml+xml"):
                raise DownloadError(url, "answered with a web page, not a model file (a "
                                         "wrong link, or a page that asks you to log in?)")
            if done and response.status != 206:
                done = 0  # the server sends the whole file again: start over
            length = declared_length(response)
            total = done + length if length else None
            free = shutil.disk_usage(folder).free
            if length and length + DISK_MARGIN > free:
                raise DownloadError(url, f"needs {_gib(length)} more, and {folder} has "
                                         f"{_gib(free)} free")
            with open(part, "ab" if done else "wb") as out:
                progress(done, total)
                for chunk in chunks(response, cancelled):
                    out.write(chunk)
                    done += len(chunk)
                    progress(done, total)
            if cancelled():
                raise ModelDownloadCancelled(url, "stopped; download it again to resume")
    except DownloadError:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not done:  # 416: nothing left to send, the .part is whole
            raise DownloadError(url, failure_reason(exc)) from None
    except DOWNLOAD_ERRORS as exc:
        raise DownloadError(url, f"{failure_reason(exc)}; download it again to resume"
                            ) from None
    if total is not None and done < total:
        raise DownloadError(url, f"the connection ended at {done / 2**20:.0f} of "
                                 f"{total / 2**20:.0f} MiB; download it again to resume")
    try:
        info = read_model_info(part)
    except ModelFileError as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(url, f"is not a usable GGUF model ({exc.reason}); nothing was "
                                 "kept") from None
    os.replace(part, target)
    name = target.stem if info.name == part.stem else info.name  # no general.name inside
    return target, dataclasses.replace(info, path=target, name=name)
