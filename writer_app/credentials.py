"""Servers' API keys: in the operating system's keyring (the `keyring` package: macOS
Keychain, Windows Credential Locker, the Secret Service of GNOME or KDE), never in
settings.json. Where no keyring works (a bare desktop, a server without a session bus),
a key goes into a file in Writer's data folder that only the user may read, and the
caller is told so, to warn the user.

Keys are filed by the server's address as the user typed it, normalized (`server_id`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from writer_app import filecheck, paths
from writer_app.engine.remote_backend import api_base
from writer_app.errors import WriterError

SERVICE = "Writer"
KEY_FILE = "server-keys.json"
log = logging.getLogger(__name__)
# The key file is read, changed and written from the I/O pool's threads.
_file_lock = threading.Lock()


class CredentialError(WriterError):
    pass


def server_id(url: str) -> str:
    """One name per server whatever the user typed around it (no http://, a trailing /
    or /v1)."""
    return api_base(url).removesuffix("/v1")


def key_file() -> Path:
    return paths.data_dir() / KEY_FILE


def _keyring() -> Any | None:
    """The keyring module when a keyring that can store works here, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception as exc:  # not installed, or a backend broke on import
        log.info("no keyring: %s", exc)
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def save_key(url: str, key: str) -> str:
    """Keep the key for the server at `url`; "" when it went into the keyring, else a
    warning for the user saying where it went instead. An empty key forgets it."""
    if not key:
        forget_key(url)
        return ""
    ring = _keyring()
    if ring is not None:
        try:
            ring.set_password(SERVICE, server_id(url), key)
            _forget_file_key(url)  # kept there before a keyring was found
            return ""
        except Exception as exc:  # locked, refused, its daemon gone: the file instead
            log.warning("the keyring could not keep the key of %s: %s", server_id(url), exc)
    with _file_lock:
        keys = _file_keys()
        keys[server_id(url)] = key
        _write_file_keys(keys)
    return (f"No system keyring was found, so the API key of {server_id(url)} is kept in "
            f"{key_file()}, a file only you can read (not encrypted).")


def load_key(url: str) -> str | None:
    ring = _keyring()
    if ring is not None:
        try:
            key = ring.get_password(SERVICE, server_id(url))
            if key:
                return str(key)
        except Exception as exc:
            log.warning("the keyring could not be read for %s: %s", server_id(url), exc)
    return _file_keys().get(server_id(url))


def forget_key(url: str) -> None:
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):  # none was kept there
            ring.delete_password(SERVICE, server_id(url))
    _forget_file_key(url)


def _forget_file_key(url: str) -> None:
    with _file_lock:
        keys = _file_keys()
        if keys.pop(server_id(url), None) is not None:
            _write_file_keys(keys)


def _file_keys() -> dict[str, str]:
    path = key_file()
    try:
        with path.open("rb") as f:
            data = json.loads(f.read(1 << 20))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("%s could not be read (%s): its keys are not used", path, exc)
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _write_file_keys(keys: dict[str, str]) -> None:
    path = key_file()
    if not keys and not path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # created private: the rename keeps this mode
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        filecheck.write_atomically(path, json.dumps(keys, indent=1) + "\n")
    except OSError as exc:
        raise CredentialError(f"{path}: the API key could not be kept ({exc})") from None
