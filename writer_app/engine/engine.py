"""The engine: one loaded model, used from any thread through its backend's lanes.

A backend (the Backend protocol below) streams the text of a request: chat messages,
which it renders itself (with the model's template locally, on the server for a remote
one), or a raw prompt. It says what more it can do (`Capabilities`), and how many
requests it serves at once; `Lanes` keeps to that and lets a user's request go first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from writer_app.engine.discovery import resolve
from writer_app.engine.errors import EngineError
from writer_app.engine.lanes import Lanes
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.types import (
    BackendChoice,
    CancelToken,
    Capabilities,
    DeviceInfo,
    EngineConfig,
    GenerationRequest,
    GenerationResult,
    GenerationStats,
    InlineStats,
    Priority,
    SamplingOptions,
    choices,
)

PieceCallback = Callable[[str], None]


class Backend(Protocol):
    """A loaded model that streams text: llama.cpp, transformers, or a server.

    - `stream` yields the answer's text as it comes, for chat messages or a raw prompt,
      honouring the request's sampling options, stop strings and cancel token (checked
      between pieces), and filling `stats`. A prompt that leaves no room for an answer
      raises PromptTooLongError before anything is generated.
    - `count_tokens` counts plain text (exactly, or estimated: see `capabilities`).
    - `prompt_tokens` is the length of a request's prompt as the model will see it.
    - `capabilities` says what else it honours (constrained output, fill-in-the-middle,
      progress while reading a prompt) and how many requests it serves at once.
    - `close` frees the model; the engine calls it once no request runs.
    """

    name: str
    info: ModelInfo
    context_length: int
    device: DeviceInfo
    capabilities: Capabilities

    def count_tokens(self, text: str) -> int: ...

    def prompt_tokens(self, request: GenerationRequest) -> int: ...

    def stream(self, request: GenerationRequest, stats: GenerationStats) -> Iterator[str]: ...

    def close(self) -> None: ...


@runtime_checkable
class ScoresText(Protocol):
    """A backend with `Capabilities.scoring`: the log probability (natural log) of each
    ending after `before` (see engine/likelihood.py), checking `cancel` between them."""

    def likelihoods(self, before: str, endings: list[str],
                    cancel: CancelToken) -> list[float]: ...


@runtime_checkable
class CompletesInline(Protocol):
    """A backend with a context of its own for inline completion (ghost text), which
    keeps what it read for the next request (engine/inline_context.py)."""

    def inline(self, before: str, after: str | None, max_tokens: int, cancel: CancelToken,
               on_piece: Callable[[str], bool], fresh: bool = False) -> InlineStats: ...


@runtime_checkable
class RendersPrompts(Protocol):
    """A local backend can show the exact text it sends to the model."""

    def render_prompt(self, request: GenerationRequest) -> str: ...


class Engine:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.lanes = Lanes(backend.capabilities.parallel_requests)
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
                   config: EngineConfig | None = None, stores: list[str] | None = None
                   ) -> Engine:
        """The model named by path or name; a folder is a Hugging Face model (transformers)."""
        config = config or EngineConfig()
        if name_or_path and Path(name_or_path).expanduser().is_dir():
            if config.backend == "llama.cpp":
                raise EngineError(f"{name_or_path}: a model folder runs on transformers, not "
                                  "llama.cpp")
            return cls.load_transformers(Path(name_or_path).expanduser(), config)
        return cls.load(resolve(name_or_path, folders, stores or ()), config)

    @classmethod
    def connect(cls, url: str, api_key: str | None = None, model: str | None = None,
                parallel: int = 0) -> Engine:
        """A server speaking the OpenAI-compatible API as the engine; `parallel` requests
        at once (0: as many as the server says it serves)."""
        from writer_app.engine.remote_backend import RemoteBackend

        return cls(RemoteBackend(url, api_key, model, parallel))

    @property
    def info(self) -> ModelInfo:
        return self.backend.info

    @property
    def context_length(self) -> int:
        return self.backend.context_length

    @property
    def device(self) -> DeviceInfo:
        return self.backend.device

    @property
    def capabilities(self) -> Capabilities:
        return self.backend.capabilities

    def count_tokens(self, text: str, priority: Priority = "user") -> int:
        """Tokens of plain text. Like a request: a user's count preempts background work
        (a task counts before it generates), a background count never waits."""
        with self.lanes.slot(priority):
            return self.backend.count_tokens(text)

    def prompt_tokens(self, request: GenerationRequest) -> int:
        with self.lanes.slot(request.priority, request.cancel):
            return self.backend.prompt_tokens(request)

    def prompt_text(self, request: GenerationRequest) -> str:
        """The exact text sent to the model (local backends only)."""
        if not isinstance(self.backend, RendersPrompts):
            raise EngineError(f"{self.backend.name} renders its prompts itself")
        return self.backend.render_prompt(request)

    def likelihoods(self, before: str, endings: list[str], priority: Priority = "user",
                    cancel: CancelToken | None = None) -> list[float]:
        """How likely the model finds each ending after `before` (empty: the start of a
        text), as log probabilities that compare with one another: the more, the likelier.
        Raises EngineError on a backend without `Capabilities.scoring`; a cancelled
        request's scores are all minus infinity."""
        if not endings:
            return []
        if not self.capabilities.scoring or not isinstance(self.backend, ScoresText):
            raise EngineError(f"{self.backend.name} cannot score text")
        cancel = cancel or CancelToken()
        with self.lanes.slot(priority, cancel):
            scores = self.backend.likelihoods(before, endings, cancel)
        return [float("-inf")] * len(endings) if cancel.cancelled else scores

    def inline(self, before: str, after: str | None, max_tokens: int, cancel: CancelToken,
               on_piece: Callable[[str], bool], fresh: bool = False) -> InlineStats:
        """The likeliest text after `before` (and, for a model that fills in the middle,
        before `after`), each piece to `on_piece` (False: enough). Background work: it
        never waits (EngineBusy while another request runs) and gives way to the user's.
        A local model keeps what it read for the next request; another backend gets a
        raw completion (a server may cache its prompt)."""
        with self.lanes.slot("background", cancel):
            if isinstance(self.backend, CompletesInline):
                return self.backend.inline(before, after, max_tokens, cancel, on_piece, fresh)
            return self._inline_by_request(before, after, max_tokens, cancel, on_piece)

    def _inline_by_request(self, before: str, after: str | None, max_tokens: int,
                           cancel: CancelToken, on_piece: Callable[[str], bool]
                           ) -> InlineStats:
        enough = CancelToken(parent=cancel)
        fim = after if after and self.capabilities.fill_in_middle else None
        request = GenerationRequest(prompt=before, suffix=fim, cancel=enough,
                                    priority="background", options=SamplingOptions(
                                        temperature=0.0, top_k=1, repeat_penalty=1.0,
                                        max_tokens=max_tokens))  # greedy, as locally
        stats = GenerationStats()
        inline = InlineStats()
        start = time.perf_counter()
        for piece in self.backend.stream(request, stats):
            if inline.completion_tokens == 0:
                inline.first_token_seconds = time.perf_counter() - start
            inline.completion_tokens += 1
            if not on_piece(piece):
                enough.cancel()
                break
        inline.prompt_tokens = stats.prompt_tokens
        inline.reused_tokens = stats.reused_tokens
        inline.cancelled = cancel.cancelled
        return inline

    def _check(self, request: GenerationRequest) -> None:
        caps = self.backend.capabilities
        if request.constraint is not None and not caps.constrained_output:
            raise EngineError(f"{self.backend.name} cannot hold its output to a grammar")
        if request.suffix is not None and not caps.fill_in_middle:
            raise EngineError(f"{self.info.path.name} cannot fill in the middle (its "
                              "vocabulary has no fill-in-the-middle tokens)")

    def generate(self, request: GenerationRequest,
                 on_piece: PieceCallback | None = None) -> GenerationResult:
        """Run one request to its end, calling `on_piece` with each piece of text as it comes.

        A user's request waits for a slot (and cancels background work holding one); a
        background request raises EngineBusy instead of waiting. Raises PromptTooLongError
        when the prompt leaves no room for an answer.
        """
        self._check(request)
        with self.lanes.slot(request.priority, request.cancel):
            start = time.perf_counter()
            stats = GenerationStats()
            pieces: list[str] = []
            first: float | None = None
            if request.cancel.cancelled:
                return GenerationResult("", 0, 0, "cancelled", 0.0, 0.0)
            for piece in self.backend.stream(request, stats):
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
        """Refuse new requests, stop background ones, and close the backend once the
        requests running now end."""
        self.lanes.close()
        if not self._closed:
            self._closed = True
            self.backend.close()
