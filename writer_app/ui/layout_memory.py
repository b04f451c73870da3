"""The window's size, place and pane layout: remembered in the config folder."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from writer_app import paths


def _store() -> QSettings:
    return QSettings(str(paths.config_dir() / "layout.ini"), QSettings.Format.IniFormat)


def fit_to_screen(window: QMainWindow, width: int, height: int) -> None:
    """The default size, but never larger than the screen (small or scaled screens)."""
    screen = window.screen().availableGeometry()
    window.resize(min(width, int(screen.width() * 0.9)), min(height, int(screen.height() * 0.9)))


def restore(window: QMainWindow) -> None:
    store = _store()
    for key, apply in (("geometry", window.restoreGeometry), ("state", window.restoreState)):
        value = store.value(key)
        if value is not None:
            apply(value)


def save(window: QMainWindow) -> None:
    store = _store()
    store.setValue("geometry", window.saveGeometry())
    store.setValue("state", window.saveState())
