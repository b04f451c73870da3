"""The engine: one loaded model, one lane. Requests from any thread are served one at a time.

llama-cpp-python's Llama has no locking and crashes when two threads enter it, so every
call that touches the model holds the lane's lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from writer_app.engine.discovery import resolve
from writer_app.engine.errors import EngineError, PromptTooLongError
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.types import (
    BackendChoice,
    CancelToken,
    ChatMessage,
    DeviceInfo,
    EngineConfig,
    GenerationRequest,
    GenerationResult,
    GenerationStats,
    SamplingOptions,
    choices,
)

PieceCallback = Callable[[str], None]


class Backend(Protocol):
    """What a backend offers; see DESIGN.md, Engine."""

    name: str
    info: ModelInfo
    context_length: int
    device: DeviceInfo

    def render_chat(self, messages: list[ChatMessage]) -> str: ...

    def tokenize_prompt(self, prompt: str) -> list[int]: ...

    def count_tokens(self, text: str) -> int: ...

    def stream(
        self,
        prompt_tokens: list[int],
        options: SamplingOptions,
        cancel: CancelToken,
        stats: GenerationStats,
    ) -> Iterator[str]: ...

    def close(self) -> None: ...


class Engine:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._lane = threading.Lock()
        self._closed = False

    @classmethod
    def load(cls, info: ModelInfo, config: EngineConfig | None = None) -> Engine:
        """A GGUF model on llama.cpp, or on transformers when the config asks for it."""
        config = config or EngineConfig()
        if config.backend == "transformers":
            return cls.load_transformers(info.path, config, info)
        if config.backend not in choices(BackendChoice):
            raise EngineError(f"unknown backend {config.backend!r}: use "
                              f"{', '.join(choices(BackendChoice))}")
        # Imported here so a transformers-only setup (a GPU server) needs no llama.cpp.
        from writer_app.engine.llama_backend import LlamaCppBackend

        return cls(LlamaCppBackend(info, config))

    @classmethod
    def load_transformers(cls, path: Path, config: EngineConfig,
                          info: ModelInfo | None = None) -> Engine:
        from writer_app.engine.transformers_backend import TransformersBackend

        return cls(TransformersBackend(path, device=config.device,
                                       context_length_cap=config.context_length_cap, info=info))

    @classmethod
    def load_named(cls, name_or_path: str | None, folders: list[Path],
                   config: EngineConfig | None = None) -> Engine:
        """The model named by path or name; a folder is a Hugging Face model (transformers)."""
        config = config or EngineConfig()
        if name_or_path and Path(name_or_path).expanduser().is_dir():
            if config.backend == "llama.cpp":
                raise EngineError(f"{name_or_path}: a model folder runs on transformers, not "
                                  "llama.cpp")
            return cls.load_transformers(Path(name_or_path).expanduser(), config)
        return cls.load(resolve(name_or_path, folders), config)

    @property
    def info(self) -> ModelInfo:
        return self.backend.info

    @property
    def context_length(self) -> int:
        return self.backend.context_length

    @property
    def device(self) -> DeviceInfo:
        return self.backend.device

    def count_tokens(self, text: str) -> int:
        with self._lane:
            return self.backend.count_tokens(text)

    def prompt_text(self, request: GenerationRequest) -> str:
        """The exact text sent to the model: the rendered chat, or the raw prompt."""
        if request.messages is not None:
            return self.backend.render_chat(request.messages)
        assert request.prompt is not None
        return request.prompt

    def generate(self, request: GenerationRequest,
                 on_piece: PieceCallback | None = None) -> GenerationResult:
        """Run one request to its end, calling `on_piece` with each piece of text as it comes.

        Blocks while another request holds the lane. Raises PromptTooLongError when the
        prompt leaves no room for an answer.
        """
        with self._lane:
            if self._closed:
                raise RuntimeError("the engine is closed")
            start = time.perf_counter()
            tokens = self.backend.tokenize_prompt(self.prompt_text(request))
            if len(tokens) >= self.backend.context_length:
                raise PromptTooLongError(len(tokens), self.backend.context_length)
            stats = GenerationStats()
            pieces: list[str] = []
            first: float | None = None
            if request.cancel.cancelled:
                return GenerationResult("", len(tokens), 0, "cancelled", 0.0, 0.0)
            for piece in self.backend.stream(tokens, request.options, request.cancel, stats):
                if first is None:
                    first = time.perf_counter() - start
                pieces.append(piece)
                if on_piece is not None:
                    on_piece(piece)
            seconds = time.perf_counter() - start
            return GenerationResult(
                text="".join(pieces),
                prompt_tokens=stats.prompt_tokens,
                completion_tokens=stats.completion_tokens,
                finish_reason=stats.finish_reason,
                seconds=seconds,
                first_token_seconds=first if first is not None else seconds,
            )

    def close(self) -> None:
        with self._lane:
            if not self._closed:
                self._closed = True
                self.backend.close()
