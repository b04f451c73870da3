"""Where things live: per-user folders (platformdirs), the bundle, and model folders.

Setting WRITER_HOME moves the config, data and cache folders under one directory
(tests and portable installs use it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Writer"
HOME_ENV = "WRITER_HOME"


def _home_override() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home_override()
    if home is not None:
        return home / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    home = _home_override()
    if home is not None:
        return home / "data"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    home = _home_override()
    if home is not None:
        return home / "cache"
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def settings_file() -> Path:
    return config_dir() / "settings.json"


def bundle_dir() -> Path | None:
    """The folder of a PyInstaller bundle, or None when running from source."""
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass) if meipass else None


def app_models_dir() -> Path:
    """models/ shipped with the app: inside the bundle, or at the source checkout's root."""
    bundle = bundle_dir()
    if bundle is not None:
        return bundle / "models"
    return Path(__file__).resolve().parent.parent / "models"


def resources_dir() -> Path:
    bundle = bundle_dir()
    if bundle is not None:
        return bundle / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def user_models_dir() -> Path:
    return data_dir() / "models"


def model_search_dirs(extra: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """Folders searched for models, in order: the app's, the user's, then those the user added."""
    dirs = [app_models_dir(), user_models_dir()]
    dirs.extend(Path(p).expanduser() for p in extra)
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique
