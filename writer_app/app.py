"""GUI start-up."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from writer_app import settings
from writer_app.errors import WriterError


def settle_heap() -> None:
    """Keep what start-up made (modules, Qt wrappers: ~100,000 objects, alive as long as the
    app) out of the garbage collector's full passes. Each pass holds the GIL, so it stops
    the window too: 60 ms while 1 MB of Markdown was parsed in the background, 11 ms once
    those objects were frozen (benchmarks/ui_stall.py)."""
    gc.freeze()


def run_gui(prefs: settings.Settings, folders: list[Path]) -> int:
    from PySide6.QtCore import QCoreApplication

    from writer_app.ui.platform_check import display_problem, qt_gui_modules

    if QCoreApplication.instance() is None:
        # Before QtGui loads (it needs libGL, libEGL, X11): Qt would abort instead.
        problem = display_problem()
        if problem:
            raise WriterError(problem)
    qt_gui_modules()
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from writer_app import paths
    from writer_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Writer")
    # The desktop file's name lets the desktop match the window to its menu entry.
    QGuiApplication.setDesktopFileName("writer-app")
    QGuiApplication.setWindowIcon(QIcon(str(paths.resources_dir() / "writer.png")))
    window = MainWindow(prefs, folders)
    settle_heap()
    window.show()
    window.offer_recovery()
    window.offer_better_model()
    return app.exec()
