"""GUI start-up."""

from __future__ import annotations

import sys
from pathlib import Path

from writer_app import settings


def run_gui(prefs: settings.Settings, folders: list[Path]) -> int:
    from PySide6.QtWidgets import QApplication

    from writer_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Writer")
    window = MainWindow(prefs, folders)
    window.show()
    window.offer_recovery()
    return app.exec()
