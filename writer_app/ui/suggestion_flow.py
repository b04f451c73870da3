"""Suggestions: the selection (or the paragraph) rewritten by an action, streamed into the
suggestion pane, then shown as a word diff; accepted as one undo step, rejected,
regenerated or stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from writer_app import settings
from writer_app.tasks.actions import Action
from writer_app.tasks.rewrite import RewriteResult, expected_length
from writer_app.tasks.spelling import SpellSession
from writer_app.ui import operations
from writer_app.ui.editor import Editor
from writer_app.ui.jobs import Job, JobRunner
from writer_app.ui.model_host import ModelHost
from writer_app.ui.suggestion_pane import SuggestionPane

# A text this long (characters) takes a while to rewrite: a bar shows how far it got.
LONG_TEXT = 1200


@dataclass
class Pending:
    """A suggestion in flight or waiting: where it came from and what the text was."""

    action: Action
    instruction: str
    start: int
    end: int
    original: str
    result: RewriteResult | None = None
    job: Job[RewriteResult] | None = None


class SuggestionFlow(QObject):
    sig_suggestion_ready = Signal(object)  # the RewriteResult, now shown as a diff
    sig_suggestion_ended = Signal(str)  # why it ended without one: the pane's message
    sig_speed = Signal(str)  # "42 tokens/s" while a suggestion streams, "" after

    def __init__(self, editor: Editor, pane: SuggestionPane, runner: JobRunner,
                 host: ModelHost, prefs: Callable[[], settings.Settings],
                 show_pane: Callable[[], None], parent: QObject | None = None,
                 spell: Callable[[], SpellSession] | None = None) -> None:
        super().__init__(parent)
        self.spell = spell
        self.editor = editor
        self.pane = pane
        self.runner = runner
        self.host = host
        self.prefs = prefs
        self.show_pane = show_pane
        self.pending: Pending | None = None

    @property
    def running(self) -> bool:
        return self.pending is not None and self.pending.job is not None \
            and self.pending.job.running

    def suggest(self, name: str, instruction: str = "") -> None:
        action = next((a for a in self.pane.writing_actions if a.name == name), None)
        if action is None:
            return
        if self.running:
            self.pane.show_message("A suggestion is being written; stop it first.")
            return
        start, end, text = self.editor.target()
        if not text.strip():
            self.pane.show_message("There is no text here: select some, or put the cursor "
                                   "in a paragraph.")
            return
        self.pending = Pending(action, instruction, start, end, text)
        self._run()

    def _run(self) -> None:
        pending = self.pending
        assert pending is not None
        if self.host.engine is None and not self.host.loading:
            self.pane.show_message("No model is loaded.")
            return
        self.pane.start(pending.action.label, long=len(pending.original) >= LONG_TEXT
                        and expected_length(pending.action, pending.original) > 0)
        self.show_pane()
        prefs = self.prefs()
        # Regenerating asks for another wording: not below the user's temperature.
        options = prefs.sampling(temperature=max(prefs.temperature, 0.2)
                                 if pending.result else 0.2)
        # Each outcome is for this suggestion only: one rejected meanwhile, or followed by
        # another, is past.
        def current() -> bool:
            return self.pending is pending

        pending.job = operations.suggest(
            self.runner, self.host.take, pending.action, pending.original,
            pending.instruction or None, options,
            operations.Callbacks(
                done=lambda result: self._done(pending, result) if current() else None,
                failed=lambda message: self._ended(message) if current() else None,
                cancelled=lambda: self._ended("Stopped.") if current() else None,
                progress=lambda report: self._progress(report) if current() else None,
                text=lambda piece: self.pane.append(piece) if current() else None),
            self.spell)

    def _progress(self, report: tuple[Any, ...]) -> None:
        if report[0] == "speed":
            self.sig_speed.emit(f"{report[1]:.0f} tokens/s")
        elif not self.pane.bar.isHidden():  # a long text's (see start)
            self.pane.bar.advance(report[1], report[2], f"Written {report[1]:,} of about "
                                  f"{report[2]:,} characters")

    def _done(self, pending: Pending, result: RewriteResult) -> None:
        self.sig_speed.emit("")
        pending.result = result
        if result.text == pending.original:
            note = "No change suggested."
        else:
            where = "after the text" if pending.action.use == "insert" else "in its place"
            note = f"Accept puts the suggestion {where}."
        if result.warnings:
            note += " " + " ".join(result.warnings)
        self.pane.show_result(result.changes, note)
        self.sig_suggestion_ready.emit(result)

    def _ended(self, message: str) -> None:
        self.sig_speed.emit("")
        self.pane.show_message(message)
        self.sig_suggestion_ended.emit(message)

    def stop(self) -> None:
        if self.pending is not None and self.pending.job is not None:
            self.pending.job.cancel()

    def regenerate(self) -> None:
        if self.pending is not None and not self.running:
            self._run()

    def reject(self) -> None:
        self.stop()
        self.pending = None
        self.sig_speed.emit("")
        self.pane.view.clear()
        self.pane.show_message("Suggestion rejected.")

    def accept(self) -> bool:
        """Put the suggestion in the text as one undo step; refuse if the text changed."""
        pending = self.pending
        if pending is None or pending.result is None:
            return False
        if self.editor.text_between(pending.start, pending.end) != pending.original:
            self.pane.show_message(
                "The original text changed while the suggestion was written, so it was not "
                "applied. Select the text again and ask for a new suggestion.")
            self.pending = None
            return False
        if pending.action.use == "insert":
            self.editor.append_after(pending.end, pending.result.text)
        else:
            self.editor.replace((pending.start, pending.end), pending.result.text)
        self.pending = None
        self.pane.show_message("Suggestion accepted (Undo takes it back).")
        return True
