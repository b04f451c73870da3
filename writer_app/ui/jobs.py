"""Background jobs: an inference lane of one thread and a pool for I/O (DESIGN.md).

A job is a typed function of a JobContext that never touches a widget (compare Anki's
`QueryOp(...).run_in_background()`). Its signals live on the GUI thread, so its callbacks
run there. Streamed text is gathered in a buffer and handed to the GUI about 30 times a
second, not per token.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, SignalInstance

from writer_app.engine.types import CancelToken, Priority
from writer_app.errors import WriterError

log = logging.getLogger(__name__)
FLUSH_MS = 33
EXIT_WAIT_S = 10  # at most, for all lanes together, at exit
# "inference": the thread for what the user asked the model for; "background": the thread
# for model work nobody waits on (it asks the engine with priority "background", which
# refuses rather than queue behind the inference lane's job, and gives way to it);
# "io": files, documents, downloads.
Lane = Literal["inference", "background", "io"]
T = TypeVar("T")


class _JobSignals(QObject):
    sig_progress = Signal(object)
    sig_done = Signal(object)
    sig_failed = Signal(str)
    sig_cancelled = Signal()


class JobContext:
    """What a job function may use: its cancel token, progress and streamed text."""

    def __init__(self, cancel: CancelToken, progress: Callable[[object], None]) -> None:
        self.cancel = cancel
        self._progress = progress
        self._lock = threading.Lock()
        self._pending: list[str] = []

    def progress(self, payload: object) -> None:
        self._progress(payload)

    def text(self, piece: str) -> None:
        with self._lock:
            self._pending.append(piece)

    def take_text(self) -> str:
        """The text streamed since the last call (the GUI side calls this)."""
        with self._lock:
            text = "".join(self._pending)
            self._pending.clear()
        return text


class _Runnable:
    def __init__(self, fn: Callable[[JobContext], object], ctx: JobContext,
                 signals: _JobSignals) -> None:
        self.fn = fn
        self.ctx = ctx
        self.signals = signals

    def run(self) -> None:
        try:
            result = self.fn(self.ctx)
        except WriterError as exc:
            # A job that stops by raising once cancelled (a download) was cancelled, not failed.
            if self.ctx.cancel.cancelled:
                self._emit(self.signals.sig_cancelled)
            else:
                self._emit(self.signals.sig_failed, str(exc))
            return
        except Exception as exc:  # a bug must reach the user as a message, not kill the app
            if self._gone():
                return
            log.exception("background job failed")
            self._emit(self.signals.sig_failed, f"unexpected error: {type(exc).__name__}: {exc}")
            return
        if self.ctx.cancel.cancelled:
            self._emit(self.signals.sig_cancelled)
        else:
            self._emit(self.signals.sig_done, result)

    def _gone(self) -> bool:
        """The window (and this job's signals) went away while the job ran."""
        try:
            self.signals.objectName()
        except RuntimeError:
            return True
        return False

    def _emit(self, signal: SignalInstance, *args: object) -> None:
        """Tell the GUI, unless the window went away meanwhile (closed mid-job): nobody
        is left to tell."""
        try:
            signal.emit(*args)
        except RuntimeError:
            if not self._gone():
                raise


class _LaneQueue:
    """A lane's waiting jobs, best first: a user's before background work, and in the
    order asked within each. QThreadPool's own queue can't keep that order: a job handed
    to an idle thread goes in at priority 0, so a job a user asks for a moment later, at
    priority 1, overtakes it while that thread wakes (seen under load: a model swap ran
    before the suggestion asked for first, which then ran on the new model)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[tuple[int, int, _Runnable]] = []
        self._order = itertools.count()

    def put(self, job: _Runnable, priority: Priority) -> None:
        with self._lock:
            heapq.heappush(self._waiting,
                           (0 if priority == "user" else 1, next(self._order), job))

    def take(self) -> _Runnable:
        with self._lock:
            return heapq.heappop(self._waiting)[2]


class _Turn(QRunnable):
    """One turn on a lane's threads (one per job put in its queue): it runs the best job
    waiting when a thread gets to it."""

    def __init__(self, queue: _LaneQueue) -> None:
        super().__init__()
        self.queue = queue

    def run(self) -> None:
        self.queue.take().run()


class Job(Generic[T]):
    """A job as the GUI sees it: running or not, and a way to stop it."""

    def __init__(self, parent: QObject, lane: Lane, cancellable: bool = True) -> None:
        self.lane = lane
        # A write in progress (a save) is not cancellable: closing waits for it instead.
        self.cancellable = cancellable
        self.cancel_token = CancelToken()
        self.signals = _JobSignals(parent)
        self.context = JobContext(self.cancel_token, self.signals.sig_progress.emit)
        self.running = True
        self.flush_timer = QTimer(self.signals)
        self.flush_timer.setInterval(FLUSH_MS)

    def cancel(self) -> None:
        self.cancel_token.cancel()


class JobRunner(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.inference = QThreadPool(self)
        self.inference.setMaxThreadCount(1)  # what the user asked for, in order
        self.background = QThreadPool(self)
        self.background.setMaxThreadCount(1)
        self.io = QThreadPool(self)
        self.io.setMaxThreadCount(4)
        self.pools: dict[Lane, QThreadPool] = {"inference": self.inference,
                                               "background": self.background, "io": self.io}
        self.queues: dict[Lane, _LaneQueue] = {lane: _LaneQueue() for lane in self.pools}
        self.jobs: list[Job[Any]] = []
        _runners.add(self)

    def run(
        self,
        fn: Callable[[JobContext], T],
        *,
        lane: Lane = "io",
        on_done: Callable[[T], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_progress: Callable[[object], None] | None = None,
        on_text: Callable[[str], None] | None = None,
        priority: Priority = "user",
        cancellable: bool = True,
    ) -> Job[T]:
        job: Job[T] = Job(self, lane, cancellable)
        self.jobs.append(job)

        def flush() -> None:
            text = job.context.take_text()
            if text and on_text is not None:
                on_text(text)

        def finish() -> None:
            flush()  # the last pieces arrive before the end is announced
            job.flush_timer.stop()
            job.running = False
            if job in self.jobs:
                self.jobs.remove(job)
            job.signals.deleteLater()

        def done(result: T) -> None:
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

        job.flush_timer.timeout.connect(flush)
        if on_progress is not None:
            job.signals.sig_progress.connect(on_progress)
        job.signals.sig_done.connect(done)
        job.signals.sig_failed.connect(failed)
        job.signals.sig_cancelled.connect(cancelled)
        job.flush_timer.start()
        # Among queued jobs, one a user waits for starts before background work.
        self.queues[lane].put(_Runnable(fn, job.context, job.signals), priority)
        self.pools[lane].start(_Turn(self.queues[lane]))
        return job

    def busy(self, lane: Lane) -> bool:
        """A job on `lane` runs or waits to."""
        return any(job.lane == lane for job in self.jobs)

    def cancel_all(self) -> list[Job[Any]]:
        """Cancel the running jobs but writes; the ones cancelled."""
        stopped = [j for j in self.jobs if j.cancellable]
        for job in stopped:
            job.cancel()
        return stopped


_runners: weakref.WeakSet[JobRunner] = weakref.WeakSet()


@atexit.register
def _wait_for_lanes() -> None:
    """Let the lanes finish what they still run (the engine closed after the window, a
    job winding down) before Python ends: a thread that calls into Python after that is
    killed mid-call, which Qt reports as "Qt Concurrent has caught an exception"."""
    deadline = time.monotonic() + EXIT_WAIT_S
    for runner in list(_runners):
        try:
            for pool in runner.pools.values():
                pool.waitForDone(max(0, int((deadline - time.monotonic()) * 1000)))
        except RuntimeError:  # its C++ side is gone, and its threads with it
            pass
