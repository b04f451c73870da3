"""The prompt a local backend sends: chat messages rendered with the model's own template
(or the raw prompt), tokenized with its tokenizer, and checked against its context."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from writer_app.engine.errors import PromptTooLongError
from writer_app.engine.types import ChatMessage, GenerationRequest


class LocalPrompts(ABC):
    context_length: int

    @abstractmethod
    def render_chat(self, messages: list[ChatMessage],
                    cancelled: Callable[[], bool] | None = None) -> str: ...

    @abstractmethod
    def tokenize_prompt(self, prompt: str) -> list[int]: ...

    def render_prompt(self, request: GenerationRequest) -> str:
        """The exact text the model reads."""
        if request.messages is not None:
            # A model's template runs within limits and stops when the request is.
            return self.render_chat(request.messages, lambda: request.cancel.cancelled)
        assert request.prompt is not None
        return request.prompt

    def prompt_tokens(self, request: GenerationRequest) -> int:
        return len(self.tokenize_prompt(self.render_prompt(request)))

    def prompt_token_ids(self, request: GenerationRequest) -> list[int]:
        """The prompt's tokens; PromptTooLongError when no room is left for an answer."""
        tokens = self.tokenize_prompt(self.render_prompt(request))
        if len(tokens) >= self.context_length:
            raise PromptTooLongError(len(tokens), self.context_length)
        return tokens
