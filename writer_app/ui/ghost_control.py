"""Ghost text on or off: the setting ("auto" turns it on when the model answers fast
enough), the toolbar toggle, and the probe that measures the model after each load."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolBar

from writer_app import settings
from writer_app.engine.engine import Engine
from writer_app.engine.errors import EngineBusy
from writer_app.ui.editor import Editor
from writer_app.ui.ghost_text import FAST_ENOUGH_S, GhostText, probe
from writer_app.ui.jobs import JobContext, JobRunner
from writer_app.ui.model_host import ModelHost

PROBE_RETRY_MS = 5000  # the model was busy when it loaded: measure it a little later


class GhostControl(QObject):
    def __init__(self, editor: Editor, runner: JobRunner, host: ModelHost,
                 prefs: Callable[[], settings.Settings],
                 apply: Callable[[settings.Settings], None], toolbar: QToolBar,
                 say: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.host = host
        self.prefs = prefs
        self.apply = apply
        self.say = say
        self.latency: float | None = None  # the last probe's first token, in seconds
        self.ghost = GhostText(editor, runner, host.take, lambda: host.engine is not None,
                               self)
        self.ghost.sig_status.connect(lambda m: say(m) if m else None)
        self.action = QAction("Ghost text", self)
        self.action.setCheckable(True)
        self.action.toggled.connect(self._toggled)
        toolbar.addAction(self.action)
        host.sig_model_loaded.connect(self._measure)
        # Owned here, so a retry never outlives the window.
        self.retry = QTimer(self)
        self.retry.setSingleShot(True)
        self.retry.timeout.connect(
            lambda: self._measure(self.host.engine) if self.host.engine else None)
        self.follow_settings()

    def follow_settings(self) -> None:
        """On, off, or (auto) on when the last probe found the model fast enough."""
        choice = self.prefs().ghost_text
        if choice == "auto" and self.latency is None and self.host.engine is not None:
            self._measure(self.host.engine)  # "auto" chosen after the model loaded
        on = choice == "on" or (choice == "auto" and self.latency is not None
                                and self.latency <= FAST_ENOUGH_S)
        self.ghost.set_enabled(on)
        self.action.blockSignals(True)
        self.action.setChecked(on)
        self.action.blockSignals(False)
        measured = ("" if self.latency is None
                    else f" The model's first word comes in {self.latency * 1000:.0f} ms.")
        self.action.setToolTip(
            "The next words in grey as you type: Tab takes them, Ctrl+Right one word, Esc "
            f"dismisses them.{measured}"
            + (" On by itself when that is 300 ms or less." if choice == "auto" else ""))

    def _toggled(self, on: bool) -> None:
        self.apply(dataclasses.replace(self.prefs(), ghost_text="on" if on else "off"))
        self.follow_settings()

    def _measure(self, engine: Engine) -> None:
        """Time the model's first token for a ghost (on the background lane), when the
        setting leaves it to that; a probe a user's request stopped is tried again."""
        if self.prefs().ghost_text != "auto":
            return

        def work(ctx: JobContext) -> float | None:
            return probe(engine, ctx.cancel)

        def again() -> None:
            if engine is self.host.engine:  # not when another model came meanwhile
                self.retry.start(PROBE_RETRY_MS)

        def done(seconds: float | None) -> None:
            if seconds is None:
                again()
                return
            self.latency = seconds
            self.follow_settings()
            if self.prefs().ghost_text == "auto" and seconds > FAST_ENOUGH_S:
                self.say(f"Ghost text is off: this model's first word takes "
                         f"{seconds * 1000:.0f} ms (the toolbar's Ghost text turns it on)")

        self.runner.run(work, lane="background", priority="background", on_done=done,
                        on_failed=lambda message: again() if message == str(EngineBusy())
                        else None, on_cancelled=again)
