"""The loaded model, as the window sees it: loads in the background, keeps the previous
model when a load fails, and says which model and device are in use.

The swap runs on the inference lane: the new engine replaces the old one there, and the
old one is closed there (after the user's job before it; background work using it is
stopped), so the GUI thread never waits on an engine, and a job queued during a load
takes the new engine when it starts (jobs take the engine when they start, not when they
are queued).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from writer_app.engine.discovery import resolve
from writer_app.engine.engine import Engine
from writer_app.engine.types import EngineConfig
from writer_app.errors import WriterError
from writer_app.ui.jobs import JobContext, JobRunner


class ModelHost(QObject):
    sig_loading = Signal(str)  # the model asked for (a file name): a load has started
    sig_model_loaded = Signal(object)  # the Engine now in use
    sig_load_failed = Signal(str)  # why; the previous model, if any, stays in use

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._engine: Engine | None = None
        self._lock = threading.Lock()  # the swap (inference lane) against close (GUI)
        self._closed = False
        self._loads = 0  # loads queued or running
        # The smaller model that reads a long document's parts (by the name it was asked
        # by), loaded the first time a summary wants it: used and closed on the lane.
        self._map: tuple[str, Engine] | None = None

    @property
    def loading(self) -> bool:
        return self._loads > 0

    @property
    def engine(self) -> Engine | None:
        """The engine in use now (read it on the GUI thread to show it, not to use it)."""
        return self._engine

    def take(self) -> Engine:
        """The engine for a job that is starting on the inference lane."""
        engine = self._engine
        if engine is None:
            raise WriterError("No model is loaded.")
        return engine

    def load(self, name_or_path: str | None, folders: list[Path],
             config: EngineConfig, stores: list[str] | None = None) -> None:
        """Find the model (a path, part of a name, an Ollama name, or the default) and
        load it, on the inference lane; the old engine is closed only once the new one
        works."""
        folders = list(folders)
        self._swap_in(Path(name_or_path).name if name_or_path else "the default model",
                      lambda: Engine.load_named(name_or_path, folders, config, stores))

    def take_map(self, name: str, folders: list[Path], config: EngineConfig,
                 stores: list[str]) -> Engine | None:
        """The model named to summarize a long document's parts, for a summary starting
        on the inference lane: loaded the first time, kept while it is asked for. None
        when no model is named, or it is the model in use. A model that cannot be loaded
        raises a WriterError that names it and says where to change it."""
        if not name:
            self.drop_map_now()
            return None
        if self._map is not None and self._map[0] == name:
            return self._map[1]
        self.drop_map_now()
        try:
            info = resolve(name, folders, stores)
            current = self._engine
            if current is not None and current.info.path.resolve() == info.path.resolve():
                return None
            engine = Engine.load(info, config)
        except WriterError as exc:
            raise WriterError(f"The model for the parts of long documents ({name}): {exc}. "
                              "Choose another one, or none, in Settings.") from None
        with self._lock:
            if self._closed:
                engine.close()
                raise WriterError("closed during the load")
            self._map = (name, engine)
        return engine

    def drop_map(self) -> None:
        """Close the parts' model (the settings no longer name it), on the inference lane."""
        self.runner.run(lambda _ctx: self.drop_map_now(), lane="inference", cancellable=False)

    def drop_map_now(self) -> None:
        """Close the parts' model; on the inference lane only."""
        with self._lock:
            held, self._map = self._map, None
        if held is not None:
            held[1].close()

    def use_server(self, url: str, api_key: str | None, model: str | None,
                requests: int = 0) -> None:
        """Use a model on a server as the engine, from the inference lane like a load
        (the server is asked what it is and has there)."""
        self._swap_in(f"{model or 'a model'} on {url}",
                      lambda: Engine.connect(url, api_key, model, requests))

    def use(self, engine: Engine) -> None:
        """Use an engine made elsewhere (a server's, say), swapped in on the inference lane."""
        self._swap_in(engine.info.path.name, lambda: engine)

    def _swap_in(self, name: str, make: Callable[[], Engine]) -> None:
        self._loads += 1
        self.sig_loading.emit(name)

        def work(_ctx: JobContext) -> Engine:
            engine = make()
            with self._lock:
                closed = self._closed
                if not closed:
                    old, self._engine = self._engine, engine
            if closed:  # the window closed during the load: this engine is not wanted
                engine.close()
                raise WriterError("closed during the load")
            if old is not None:
                # The user's jobs run on this lane, so none is using it; background work
                # using it is stopped by the close.
                old.close()
            return engine

        self.runner.run(work, lane="inference", on_done=self._loaded, on_failed=self._failed)

    def _loaded(self, engine: Engine) -> None:
        self._loads -= 1
        self.sig_model_loaded.emit(engine)

    def _failed(self, message: str) -> None:
        self._loads -= 1
        if not self._closed:
            self.sig_load_failed.emit(message)

    def close(self) -> None:
        """Close the engine after whatever runs on the inference lane now (cancel it first);
        a load still running closes what it loads."""
        with self._lock:
            self._closed = True
            engine, self._engine = self._engine, None
        if engine is not None:
            self.runner.run(lambda _ctx: engine.close(), lane="inference", cancellable=False)
        self.drop_map()
