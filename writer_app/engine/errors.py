"""Engine errors. Messages name the file or the numbers at fault."""

from writer_app.errors import WriterError


class EngineError(WriterError):
    """A model could not be loaded or run."""


class ModelFileError(EngineError):
    """A model file was refused before llama.cpp saw it."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class PromptTooLongError(EngineError):
    def __init__(self, prompt_tokens: int, context_length: int) -> None:
        super().__init__(
            f"the prompt is {prompt_tokens} tokens long, but the model's context holds "
            f"{context_length} tokens (and needs room for the answer); shorten the text"
        )
        self.prompt_tokens = prompt_tokens
        self.context_length = context_length


class EngineBusy(EngineError):
    """Background work found the model busy; it is not queued (Priority "background")."""

    def __init__(self) -> None:
        super().__init__("the model is busy with another request")
