"""The main window. For now an editor and a status bar naming the model that was found;
the suggestion, translation and summary panes come with the window issue."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QMainWindow, QPlainTextEdit

from writer_app import settings
from writer_app.engine.discovery import resolve
from writer_app.errors import WriterError


def describe_model(prefs: settings.Settings, folders: list[Path]) -> str:
    try:
        info = resolve(prefs.model_path or None, folders)
    except WriterError as exc:
        return f"No model: {exc}"
    return (f"Model: {info.path.name} ({info.architecture}, {info.parameters_label}, "
            f"{info.quantization}, context {info.context_length})")


class MainWindow(QMainWindow):
    def __init__(self, prefs: settings.Settings, folders: list[Path]) -> None:
        super().__init__()
        self.setWindowTitle("Writer")
        self.resize(900, 640)
        self.editor = QPlainTextEdit(self)
        self.editor.setPlaceholderText("Start writing…")
        self.setCentralWidget(self.editor)
        self.model_label = QLabel(describe_model(prefs, folders), self)
        self.statusBar().addPermanentWidget(self.model_label, 1)
