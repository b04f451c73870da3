"""The bar every long job shows: how far it got, and about how long is left, from the
speed measured so far (a summary's tokens read, a translation's blocks)."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QProgressBar, QWidget

# Before this share, or this many seconds, the speed says too little to estimate from.
ESTIMATE_FROM_SHARE = 0.05
ESTIMATE_FROM_SECONDS = 3.0


def duration(seconds: float) -> str:
    """"40 s", "3 min 10 s", rounded as a person would say it."""
    if seconds < 60:
        return f"{max(5, round(seconds / 5) * 5)} s"
    minutes, rest = divmod(round(seconds / 10) * 10, 60)
    return f"{minutes} min {rest} s" if rest and minutes < 10 else f"{minutes} min"


class JobProgress(QProgressBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 1000)
        self._since = 0.0
        self.hide()

    def start(self, text: str) -> None:
        self._since = time.monotonic()
        self.setValue(0)
        self.setFormat(text)
        self.show()

    def advance(self, done: float, total: float, what: str) -> None:
        """`done` of `total`; `what` says it in words ("Read 43%", "Block 3 of 12")."""
        share = min(1.0, done / total) if total > 0 else 0.0
        self.setValue(round(1000 * share))
        elapsed = time.monotonic() - self._since
        if share >= ESTIMATE_FROM_SHARE and elapsed >= ESTIMATE_FROM_SECONDS and share < 1:
            what += f" · about {duration(elapsed * (1 - share) / share)} left"
        self.setFormat(what)

    def finish(self) -> None:
        self.hide()
