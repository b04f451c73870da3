"""Background jobs: an inference lane of one thread and a pool for I/O (DESIGN.md).

A job is a plain function that takes a JobContext; it never touches a widget. Its
signals object is created on the GUI thread, so the callbacks run there. Streamed text
is gathered in a buffer and handed to the GUI about 30 times a second, not per token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from writer_app.engine.types import CancelToken
from writer_app.errors import WriterError

log = logging.getLogger(__name__)
FLUSH_MS = 33


class JobSignals(QObject):
    sig_progress = Signal(object)
    sig_done = Signal(object)
    sig_failed = Signal(str)
    sig_cancelled = Signal()


@dataclass
class JobContext:
    """What a job function may use: its cancel token, progress and streamed text."""

    cancel: CancelToken
    _signals: JobSignals
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: list[str] = field(default_factory=list)

    def progress(self, payload: object) -> None:
        self._signals.sig_progress.emit(payload)

    def text(self, piece: str) -> None:
        with self._lock:
            self._pending.append(piece)

    def take_text(self) -> str:
        with self._lock:
            text = "".join(self._pending)
            self._pending.clear()
        return text


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[JobContext], object], ctx: JobContext) -> None:
        super().__init__()
        self.fn = fn
        self.ctx = ctx

    def run(self) -> None:
        signals = self.ctx._signals
        try:
            result = self.fn(self.ctx)
        except WriterError as exc:
            # A job that stops by raising once cancelled (a download) was cancelled, not failed.
            if self.ctx.cancel.cancelled:
                signals.sig_cancelled.emit()
            else:
                signals.sig_failed.emit(str(exc))
            return
        except Exception as exc:  # a bug must reach the user as a message, not kill the app
            log.exception("background job failed")
            signals.sig_failed.emit(f"unexpected error: {type(exc).__name__}: {exc}")
            return
        if self.ctx.cancel.cancelled:
            signals.sig_cancelled.emit()
        else:
            signals.sig_done.emit(result)


class Job(QObject):
    """A running job, as the GUI sees it."""

    sig_finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_token = CancelToken()
        self.signals = JobSignals(self)
        self.context = JobContext(self.cancel_token, self.signals)
        self.running = True
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)

    def cancel(self) -> None:
        self.cancel_token.cancel()


class JobRunner(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.inference = QThreadPool(self)
        self.inference.setMaxThreadCount(1)  # one lane: a model is used by one thread
        self.io = QThreadPool(self)
        self.io.setMaxThreadCount(4)
        self.jobs: list[Job] = []

    def run(
        self,
        fn: Callable[[JobContext], Any],
        *,
        lane: str = "io",
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Job:
        job = Job(self)
        self.jobs.append(job)

        def flush() -> None:
            text = job.context.take_text()
            if text and on_text is not None:
                on_text(text)

        def finish() -> None:
            flush()  # the last pieces arrive before the end is announced
            job._timer.stop()
            job.running = False
            if job in self.jobs:
                self.jobs.remove(job)
            job.sig_finished.emit()

        job._timer.timeout.connect(flush)
        if on_progress is not None:
            job.signals.sig_progress.connect(on_progress)

        def done(result: object) -> None:
            finish()
            if on_done is not None:
                on_done(result)

        def failed(message: str) -> None:
            finish()
            if on_failed is not None:
                on_failed(message)

        def cancelled() -> None:
            finish()
            if on_cancelled is not None:
                on_cancelled()

        job.signals.sig_done.connect(done)
        job.signals.sig_failed.connect(failed)
        job.signals.sig_cancelled.connect(cancelled)
        job._timer.start()
        pool = self.inference if lane == "inference" else self.io
        pool.start(_Runnable(fn, job.context))
        return job

    def cancel_all(self) -> None:
        for job in list(self.jobs):
            job.cancel()

    def wait(self, msecs: int = 30000) -> bool:
        """Wait for running jobs (at shutdown, after cancel_all)."""
        return self.inference.waitForDone(msecs) and self.io.waitForDone(msecs)
