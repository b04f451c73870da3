"""What the window does in the background, as typed operations (compare Anki's
aqt/operations): each queues one job and returns it.

The work never touches a widget; the callbacks a caller gives (`Callbacks`) run on the
GUI thread. Operations that use the model run on the inference lane and take the engine
when they start (`EngineSource`), so a model swap queued before them is complete by then.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from writer_app import settings
from writer_app.documents.model import Decoded, Document
from writer_app.engine.discovery import FoundModel, discover
from writer_app.engine.engine import Engine
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.types import SamplingOptions, SummaryBudget
from writer_app.tasks.actions import Action
from writer_app.tasks.languages import Language
from writer_app.tasks.outline import Outline
from writer_app.tasks.proofread import run_writing_action
from writer_app.tasks.rewrite import RewriteResult, expected_length
from writer_app.tasks.spelling import SpellSession
from writer_app.tasks.summarize import Length, SummaryResult
from writer_app.tasks.tone import ToneReport
from writer_app.tasks.translate import Translation
from writer_app.ui import file_ops
from writer_app.ui.jobs import Job, JobContext, JobRunner, Lane

if TYPE_CHECKING:
    from writer_app.tasks.ask import Answer

T = TypeVar("T")
# Called on the inference lane when a job starts: the engine to use (raises when none).
EngineSource = Callable[[], Engine]


@dataclass(frozen=True)
class Callbacks(Generic[T]):
    """Where a job's outcome goes, on the GUI thread."""

    done: Callable[[T], None]
    failed: Callable[[str], None]
    cancelled: Callable[[], None] | None = None
    progress: Callable[[Any], None] | None = None
    text: Callable[[str], None] | None = None


def _run(runner: JobRunner, work: Callable[[JobContext], T], callbacks: Callbacks[T],
         lane: Lane = "io", cancellable: bool = True) -> Job[T]:
    return runner.run(work, lane=lane, cancellable=cancellable, on_done=callbacks.done,
                      on_failed=callbacks.failed, on_cancelled=callbacks.cancelled,
                      on_progress=callbacks.progress, on_text=callbacks.text)


# --- the model -------------------------------------------------------------------------
def suggest(runner: JobRunner, engine: EngineSource, action: Action, original: str,
            instruction: str | None, options: SamplingOptions,
            callbacks: Callbacks[RewriteResult],
            spell: Callable[[], SpellSession] | None = None) -> Job[RewriteResult]:
    """A writing action on `original` (a proofread checks spelling first, with `spell`'s
    session); progress reports ("speed", tokens per second) and ("written", characters
    so far, about how many the answer will have)."""
    expected = expected_length(action, original)

    def work(ctx: JobContext) -> RewriteResult:
        started, count, written = time.perf_counter(), 0, 0

        def piece(text: str) -> None:
            nonlocal count, written
            count += 1
            written += len(text)
            ctx.text(text)
            if count % 8 == 0:
                ctx.progress(("speed", count / (time.perf_counter() - started)))
                if expected:
                    ctx.progress(("written", written, expected))

        return run_writing_action(engine(), action, original, spell() if spell else None,
                                  instruction=instruction, options=options,
                                  cancel=ctx.cancel, on_piece=piece)

    return _run(runner, work, callbacks, lane="inference")


def translate(runner: JobRunner, engine: EngineSource, text: str, target: Language,
              callbacks: Callbacks[Translation]) -> Job[Translation]:
    """`text` into `target`, block by block; progress reports (block, blocks)."""
    from writer_app.tasks.translate import translate as translate_text

    def work(ctx: JobContext) -> Translation:
        def block(i: int, n: int) -> None:
            ctx.progress((i, n))
            if i > 1:
                ctx.text("\n")

        return translate_text(engine(), text, target, cancel=ctx.cancel, progress=block,
                              on_piece=ctx.text)

    return _run(runner, work, callbacks, lane="inference")


def summarize(runner: JobRunner, engine: EngineSource, doc: Document, length: Length,
              callbacks: Callbacks[SummaryResult],
              budget: SummaryBudget = "thorough",
              map_engine: Callable[[], Engine | None] = lambda: None) -> Job[SummaryResult]:
    """The whole document; progress reports (stage, part, parts) as parts start,
    ("plan", Plan) before the model starts, ("part done", index, summary) as each
    part's summary is done, and ("read", tokens read, of about how many) as it reads.
    `map_engine` gives the model that reads a long document's parts, if not the engine
    (asked only for a document in parts)."""
    from writer_app.tasks.summarize import summarize as summarize_document

    def work(ctx: JobContext) -> SummaryResult:
        return summarize_document(doc, engine(), length, cancel=ctx.cancel,
                                  progress=lambda stage, i, n: ctx.progress((stage, i, n)),
                                  on_piece=ctx.text,
                                  on_plan=lambda plan: ctx.progress(("plan", plan)),
                                  on_part=lambda i, text: ctx.progress(("part done", i, text)),
                                  on_reading=lambda read, of: ctx.progress(("read", read, of)),
                                  budget=budget, map_engine=map_engine)

    return _run(runner, work, callbacks, lane="inference")


def ask(runner: JobRunner, engine: EngineSource, doc: Document, question: str,
        callbacks: Callbacks[Answer]) -> Job[Answer]:
    """`question` put to `doc` (tasks/ask.py); the answer streams as text."""
    from writer_app.tasks.ask import ask as ask_document

    def work(ctx: JobContext) -> Answer:
        return ask_document(doc, engine(), question, cancel=ctx.cancel, on_piece=ctx.text)

    return _run(runner, work, callbacks, lane="inference")


def check_tone(runner: JobRunner, engine: EngineSource, text: str,
               callbacks: Callbacks[ToneReport]) -> Job[ToneReport]:
    """Each paragraph of `text` rated (tasks/tone.py); progress reports each Rating as it
    is done, and (done, of how many) before each paragraph."""
    from writer_app.tasks.tone import check_tone as rate_paragraphs

    def work(ctx: JobContext) -> ToneReport:
        return rate_paragraphs(text, engine(), cancel=ctx.cancel, on_rating=ctx.progress,
                               progress=lambda i, n: ctx.progress((i, n)))

    return _run(runner, work, callbacks, lane="inference")


def outline(runner: JobRunner, doc: Document, callbacks: Callbacks[Outline]) -> Job[Outline]:
    """Each section's most central sentences, without the model (the I/O pool: the
    model's lane stays free for the summary)."""
    from writer_app.tasks.outline import outline as outline_of

    return _run(runner, lambda ctx: outline_of(doc, cancel=ctx.cancel), callbacks)


def find_models(runner: JobRunner, folders: list[Path], stores: list[str],
                callbacks: Callbacks[list[FoundModel]]) -> Job[list[FoundModel]]:
    """Every model file in the folders and the other apps' stores, headers read off the
    GUI thread (and cached)."""
    return _run(runner, lambda _ctx: discover(folders, stores), callbacks)


def download_model(runner: JobRunner, url: str, folder: Path,
                   callbacks: Callbacks[tuple[Path, ModelInfo]], sha256: str | None = None,
                   size: int | None = None) -> Job[tuple[Path, ModelInfo]]:
    """A GGUF file from a link into `folder`, checked against the sha256 and size given
    (a catalog's) or announced; progress reports (bytes, total or None)."""
    from writer_app.engine.model_download import download_model as fetch

    def work(ctx: JobContext) -> tuple[Path, ModelInfo]:
        last = 0.0

        def progress(done: int, total: int | None) -> None:
            nonlocal last
            now = time.monotonic()  # ten updates a second are plenty for a progress bar
            if now - last >= 0.1 or done == total:
                last = now
                ctx.progress((done, total))

        return fetch(url, folder, progress, lambda: ctx.cancel.cancelled, sha256=sha256,
                     size=size)

    return _run(runner, work, callbacks)


# --- documents and files -----------------------------------------------------------------
def read_document(runner: JobRunner, source: Path | str,
                  callbacks: Callbacks[Document]) -> Job[Document]:
    """A file, or a web page's address (downloaded once)."""

    def work(ctx: JobContext) -> Document:
        if isinstance(source, Path):
            from writer_app.documents.loader import load_document

            return load_document(source)
        from writer_app.documents.web import load_web_page

        return load_web_page(source, lambda: ctx.cancel.cancelled)

    return _run(runner, work, callbacks)


def writers_text(runner: JobRunner, text: str, title: str,
                 callbacks: Callbacks[Document]) -> Job[Document]:
    """The editor's text as a document (Markdown, like everything Writer writes)."""
    from writer_app.documents.text import markdown_blocks

    return _run(runner, lambda _ctx: Document(title, "markdown", title, markdown_blocks(text)),
                callbacks)


def open_text(runner: JobRunner, path: Path, callbacks: Callbacks[Decoded],
              encoding: str | None = None) -> Job[Decoded]:
    """A text or Markdown file, read and decoded (in `encoding` when the user chose one)."""
    from writer_app.documents.text import read_text_file

    return _run(runner, lambda _ctx: read_text_file(path, encoding), callbacks)


def import_document(runner: JobRunner, path: Path, callbacks: Callbacks[str]) -> Job[str]:
    """The text of any supported document."""

    def work(_ctx: JobContext) -> str:
        from writer_app.documents.loader import load_document

        return load_document(path).text()

    return _run(runner, work, callbacks)


def save_text(runner: JobRunner, path: Path, text: str, writes: file_ops.Writes,
              callbacks: Callbacks[Path], encoding: str = "utf-8") -> Job[Path]:
    """Write atomically (and synced), in the encoding the file came in; not cancellable:
    closing waits for it."""

    def work(_ctx: JobContext) -> Path:
        with writes.writing():
            file_ops.write_atomically(path, text, encoding)
        return path

    writes.queued()
    return _run(runner, work, callbacks, cancellable=False)


def autosave(runner: JobRunner, slot: file_ops.AutosaveSlot, text: str, path: Path | None,
             edit: int, writes: file_ops.Writes, callbacks: Callbacks[bool]) -> Job[bool]:
    """The text as of edit number `edit`, unless a newer one (or a clear) came first."""

    def work(_ctx: JobContext) -> bool:
        with writes.writing():
            return slot.write(text, path, edit)

    writes.queued()
    return _run(runner, work, callbacks, cancellable=False)


def clear_autosave(runner: JobRunner, slot: file_ops.AutosaveSlot, through: int,
                   callbacks: Callbacks[None]) -> Job[None]:
    """The text up to edit `through` is saved: its autosave is no longer needed."""
    return _run(runner, lambda _ctx: slot.clear(through), callbacks, cancellable=False)


# The newest settings waiting to be written (the GUI thread only holds this lock for a
# moment), and one writer at a time, so an older copy never lands after a newer one.
_newest_lock = threading.Lock()
_newest_settings: list[settings.Settings] = []
_write_lock = threading.Lock()


def save_settings(runner: JobRunner, prefs: settings.Settings,
                  say: Callable[[str], None]) -> Job[None]:
    """Write a copy of `prefs`; saves never interleave, and the newest copy wins. A save
    that fails is told to `say` ("Settings not saved: why")."""
    with _newest_lock:
        _newest_settings[:] = [copy.deepcopy(prefs)]

    def work(_ctx: JobContext) -> None:
        with _write_lock:
            with _newest_lock:
                newest = _newest_settings.pop() if _newest_settings else None
            if newest is not None:
                settings.save(newest)

    return _run(runner, work, Callbacks(done=lambda _none: None,
                                        failed=lambda m: say(f"Settings not saved: {m}")),
                cancellable=False)

