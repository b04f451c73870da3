"""The loaded model, as the window sees it: loads in the background, keeps the previous
model when a load fails, and says which model and device are in use."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from writer_app.engine.engine import Engine
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.types import EngineConfig
from writer_app.ui.jobs import JobContext, JobRunner


class ModelHost(QObject):
    sig_loading = Signal(str)
    sig_loaded = Signal(object)  # the Engine
    sig_failed = Signal(str)

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.engine: Engine | None = None
        self.loading = False

    def load(self, info: ModelInfo, config: EngineConfig) -> None:
        """Load on the inference lane; the old engine is closed only once the new one works."""
        self.loading = True
        self.sig_loading.emit(info.path.name)

        def work(_ctx: JobContext) -> Engine:
            return Engine.load(info, config)  # resolve() has read and checked the file

        def done(engine: Engine) -> None:
            old, self.engine = self.engine, engine
            self.loading = False
            if old is not None:
                old.close()
            self.sig_loaded.emit(engine)

        def failed(message: str) -> None:
            self.loading = False
            self.sig_failed.emit(message)

        self.runner.run(work, lane="inference", on_done=done, on_failed=failed)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None
