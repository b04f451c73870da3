"""Model ▸ Download a model…: a GGUF link in, a checked model in the user's models folder out.

The download runs on the I/O pool with progress; Stop keeps the part already fetched, and
downloading the same link again resumes it.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.engine.model_info import ModelInfo
from writer_app.ui import operations
from writer_app.ui.jobs import Job, JobRunner

HINT = ("Paste the link of a GGUF model file, for example from huggingface.co (the file's "
        "own link, ending in .gguf). A larger model, such as 1 to 3 billion parameters in "
        "Q4_K_M (1 to 2 GB), writes much better than the small built-in one.")


class DownloadDialog(QDialog):
    sig_downloaded = Signal(str)  # the model's path

    def __init__(self, runner: JobRunner, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Download a model")
        self.runner = runner
        self.folder = folder
        self.job: Job[tuple[Path, ModelInfo]] | None = None
        self._started = 0.0
        self._expected: tuple[str, str | None, int | None] = ("", None, None)

        hint = QLabel(HINT, self)
        hint.setWordWrap(True)
        self.link = QLineEdit(self)
        self.link.setPlaceholderText("https://huggingface.co/…/resolve/main/model.Q4_K_M.gguf")
        self.where = QLabel(f"Saved in {folder}", self)
        self.where.setWordWrap(True)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.download_button = QPushButton("Download", self)
        self.download_button.setDefault(True)
        self.stop_button = QPushButton("Stop", self)
        self.close_button = QPushButton("Close", self)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.download_button, self.stop_button, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        for w in (hint, self.link, self.where, self.bar, self.status):
            layout.addWidget(w)
        layout.addLayout(buttons)
        # Return in the link field presses Download (the default button); Stop and Close
        # must never take Return, or one key could start a download and close the dialog.
        for b in (self.stop_button, self.close_button):
            b.setAutoDefault(False)
        self.download_button.clicked.connect(lambda: self.start())
        self.stop_button.clicked.connect(self.stop)
        self.close_button.clicked.connect(self.close)
        self._set_running(False)
        self.resize(560, self.sizeHint().height())

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def _set_running(self, running: bool) -> None:
        self.download_button.setEnabled(not running)
        self.link.setReadOnly(running)  # not disabled: focus would jump to another button
        self.stop_button.setEnabled(running)

    def start(self, sha256: str | None = None, size: int | None = None) -> None:
        """Download the link in the field; a catalog's model with its sha256 and size,
        which a later start of the same link (after Stop) checks too."""
        url = self.link.text().strip()
        if not url or self.running:
            return
        if sha256 is not None or size is not None:
            self._expected = (url, sha256, size)
        elif self._expected[0] == url:
            _, sha256, size = self._expected
        self._set_running(True)
        self.bar.setRange(0, 0)  # busy until the size is known
        self.status.setText("Connecting…")
        self._started = time.monotonic()
        self.job = operations.download_model(
            self.runner, url, self.folder, operations.Callbacks(
                done=self._done, failed=self._failed, cancelled=self._stopped,
                progress=self._progress), sha256, size)

    def _progress(self, payload: tuple[int, int | None]) -> None:
        done, total = payload
        seconds = max(time.monotonic() - self._started, 1e-3)
        speed = f", {done / seconds / 2**20:.1f} MiB/s" if done else ""
        if total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(done * 1000 / total))
            self.status.setText(f"{done / 2**20:,.0f} of {total / 2**20:,.0f} MiB{speed}")
        else:
            self.status.setText(f"{done / 2**20:,.0f} MiB{speed}")

    def _done(self, result: tuple[Path, ModelInfo]) -> None:
        path, info = result
        self._set_running(False)
        self.bar.setRange(0, 100)
        self.bar.setValue(100)
        self.status.setText(f"Downloaded {path.name}: {info.architecture}, "
                            f"{info.parameters_label} parameters, {info.quantization}. "
                            "It is in the Model menu now.")
        self.link.clear()
        self.sig_downloaded.emit(str(path))

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.bar.setRange(0, 100)
        self.status.setText(message)

    def _stopped(self) -> None:
        self._set_running(False)
        self.bar.setRange(0, 100)
        self.status.setText("Stopped. Download the same link again to go on from here.")

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()  # a closed dialog leaves no download running behind it
        super().closeEvent(event)
