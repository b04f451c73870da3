"""Who may use a backend now: as many requests as it serves at once, a user's first.

A local model serves one request at a time (llama-cpp-python's Llama crashes when two
threads enter it); a server may take several. A user's request preempts background work
at once (cancels it; it stops within a token) and waits for a free slot; background work
never waits: when no slot is free, or a user's request is waiting, it is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from writer_app.engine.errors import EngineBusy, EngineError
from writer_app.engine.types import CancelToken, Priority


class Lanes:
    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)
        self._cond = threading.Condition()
        self._active: list[tuple[Priority, CancelToken]] = []
        self._users_waiting = 0
        self._closing = False

    @contextmanager
    def slot(self, priority: Priority = "user",
             cancel: CancelToken | None = None) -> Iterator[None]:
        """Hold a slot for the block: a user's cancels background work and waits for one;
        background work is refused (EngineBusy) unless one is free and no user waits."""
        entry: tuple[Priority, CancelToken] = (priority, cancel or CancelToken())
        with self._cond:
            if self._closing:
                raise EngineError("the model was closed")
            if priority == "background":
                if len(self._active) >= self.slots or self._users_waiting:
                    raise EngineBusy()
            else:
                for held_priority, token in self._active:
                    if held_priority == "background":
                        token.cancel()
                self._users_waiting += 1
                try:
                    while len(self._active) >= self.slots and not self._closing:
                        self._cond.wait()
                finally:
                    self._users_waiting -= 1
                if self._closing:
                    raise EngineError("the model was closed")
            self._active.append(entry)
        try:
            yield
        finally:
            with self._cond:
                self._active.remove(entry)
                self._cond.notify_all()

    def close(self) -> None:
        """Refuse new requests, stop background work, and wait for the rest to end."""
        with self._cond:
            self._closing = True
            for priority, token in self._active:
                if priority == "background":
                    token.cancel()
            self._cond.notify_all()  # users waiting for a slot give up
            while self._active:
                self._cond.wait()
