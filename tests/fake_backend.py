"""A backend on the Backend protocol that needs no model: for tests where the words do not
matter (the window's flow, the engine's lanes). What depends on a model uses the real one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

from writer_app.engine.errors import PromptTooLongError
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.types import Capabilities, DeviceInfo, GenerationRequest, GenerationStats


class FakeBackend:
    name = "fake"

    def __init__(self, answer: str = "A fine answer.", delay: float = 0.0,
                 parallel: int = 1, context_length: int = 4096) -> None:
        self.answer = answer
        self.delay = delay  # seconds per word
        self.context_length = context_length
        self.capabilities = Capabilities(token_count="estimated", parallel_requests=parallel)
        self.device = DeviceInfo("cpu", 0, "a fake backend for tests")
        self.info = ModelInfo(path=Path("fake.gguf"), name="fake", architecture="fake",
                              parameters=0, quantization="none",
                              context_length=context_length, has_chat_template=False,
                              chat_template=None, file_size=0)
        self.running = 0  # requests streaming now
        self.most_at_once = 0
        self.closed = False
        self._count_lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prompt_tokens(self, request: GenerationRequest) -> int:
        if request.messages is not None:
            return sum(self.count_tokens(m.content) + 4 for m in request.messages)
        return self.count_tokens(request.prompt or "")

    def stream(self, request: GenerationRequest, stats: GenerationStats) -> Iterator[str]:
        stats.prompt_tokens = self.prompt_tokens(request)
        if stats.prompt_tokens >= self.context_length:
            raise PromptTooLongError(stats.prompt_tokens, self.context_length)
        with self._count_lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            stats.finish_reason = "stop"
            for word in self.answer.split(" "):
                if request.cancel.cancelled:
                    stats.finish_reason = "cancelled"
                    return
                if stats.completion_tokens >= request.options.max_tokens:
                    stats.finish_reason = "length"
                    return
                time.sleep(self.delay)
                stats.completion_tokens += 1
                yield word if stats.completion_tokens == 1 else " " + word
        finally:
            with self._count_lock:
                self.running -= 1

    def close(self) -> None:
        self.closed = True
