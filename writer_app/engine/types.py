"""What goes into a generation and what comes out of it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, get_args

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "cancelled"]
# The choices of how to load a model, declared once: the settings, the CLI, the settings
# dialog and the engine's checks all derive from these.
# auto: a GGUF file on llama.cpp, a model folder on transformers.
BackendChoice = Literal["auto", "llama.cpp", "transformers"]
# transformers' device; auto: CUDA, then Apple MPS, then the CPU.
DeviceChoice = Literal["auto", "cpu", "cuda", "mps"]
# auto: every layer on the GPU when the llama.cpp build has one; off: never.
OffloadChoice = Literal["auto", "off"]
# Spelling: "auto" checks each paragraph in its detected language (tasks/spelling.py).
# How much of a long document a summary reads: all of it, or its most central sentences
# up to a number of tokens (tasks/summarize.py, READ_TOKENS).
SummaryBudget = Literal["thorough", "default", "quick"]
# Ghost text: on, off, or on when the model's first token comes fast enough ("auto").
GhostChoice = Literal["auto", "on", "off"]
SpellCheckChoice = Literal["auto", "off", "en_GB", "en_US", "de_DE", "fr", "es_ES", "it_IT",
                           "pt_PT", "nl", "ru_RU"]
# English spelling when checking automatically: the system's locale says which.
EnglishSpelling = Literal["system", "en_GB", "en_US"]


def choices(literal: object) -> tuple[str, ...]:
    """The values of a Literal type, in order."""
    return tuple(get_args(literal))


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class SamplingOptions:
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    # -1 picks a random seed.
    seed: int = -1
    max_tokens: int = 512
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngineConfig:
    """How to load a model; the settings' engine fields."""

    context_length_cap: int = 8192
    # 0: from the CPU count.
    threads: int = 0
    gpu_offload: OffloadChoice = "auto"
    backend: BackendChoice = "auto"
    device: DeviceChoice = "auto"


class CancelToken:
    """Set from any thread; the engine checks it between tokens and inside prompt evaluation.

    A child token is cancelled with its parent, and can also be cancelled alone (a task
    ending one request early without cancelling the whole job).
    """

    def __init__(self, parent: CancelToken | None = None) -> None:
        self._event = threading.Event()
        self._parent = parent

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self._parent is not None and self._parent.cancelled)


# "user": someone waits for it; it preempts background work at once. "background": work
# nobody asked for right now (ghost text, a spelling pass); it never waits behind another
# request, and gives way to a user's.
Priority = Literal["user", "background"]


@dataclass(frozen=True)
class Constraint:
    """Output held to a grammar: GBNF text, or a JSON schema (as JSON text)."""

    kind: Literal["gbnf", "json_schema"]
    text: str


@dataclass(frozen=True)
class Capabilities:
    """What a backend offers beyond streaming text; a task asks before relying on one."""

    # "exact": counted with the model's own tokenizer; "estimated": from the text's length.
    token_count: Literal["exact", "estimated"] = "exact"
    # How many requests it serves at once (a local model: one; a server: several).
    parallel_requests: int = 1
    # GenerationRequest.constraint is honoured.
    constrained_output: bool = False
    # It reports progress while it reads a long prompt.
    prompt_progress: bool = False
    # GenerationRequest.suffix is honoured: the answer fills the gap before it.
    fill_in_middle: bool = False
    # Engine.likelihoods: how likely the model finds each of several endings of a text.
    scoring: bool = False


@dataclass
class GenerationRequest:
    """Either chat messages (rendered by the backend: with the model's template locally, by
    the server for a remote one) or a raw prompt."""

    messages: list[ChatMessage] | None = None
    prompt: str | None = None
    options: SamplingOptions = field(default_factory=SamplingOptions)
    cancel: CancelToken = field(default_factory=CancelToken)
    priority: Priority = "user"
    constraint: Constraint | None = None
    # With a raw prompt: text that follows the gap to fill (fill-in-the-middle).
    suffix: str | None = None
    # Called with (prompt tokens read, of how many) after each batch of a long prompt,
    # by a backend with Capabilities.prompt_progress (from the inference thread).
    on_prompt_progress: Callable[[int, int], None] | None = None

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("a request has either messages or a prompt, not both")
        if self.suffix is not None and self.prompt is None:
            raise ValueError("fill-in-the-middle takes a raw prompt, not messages")


@dataclass
class GenerationStats:
    """Filled in by a backend while it streams."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: FinishReason = "stop"
    reused_tokens: int = 0  # of the prompt, found in a cache (a server says so)


@dataclass
class InlineStats:
    """What an inline completion (ghost text) cost."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # of the prompt, found in the context already
    completion_tokens: int = 0
    first_token_seconds: float = 0.0
    cancelled: bool = False


@dataclass(frozen=True)
class GenerationResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason
    # Wall time of the whole request, and of the prompt evaluation up to the first token.
    seconds: float
    first_token_seconds: float

    @property
    def cancelled(self) -> bool:
        return self.finish_reason == "cancelled"

    @property
    def tokens_per_second(self) -> float:
        """Generation speed, after the prompt is evaluated."""
        gen_time = self.seconds - self.first_token_seconds
        if self.completion_tokens <= 1 or gen_time <= 0:
            return 0.0
        return (self.completion_tokens - 1) / gen_time


@dataclass(frozen=True)
class DeviceInfo:
    """Where a model runs, and why: shown to the user as is."""

    device: str
    gpu_layers: int
    reason: str
    # The CPU code in use, e.g. "CPU: AVX2 variant (haswell)"; empty where unknown.
    cpu: str = ""

    @property
    def offloaded(self) -> bool:
        return self.gpu_layers != 0
