"""Render chat messages with a model's own Jinja template, as Hugging Face does.

Both backends use this, so the same messages give the same prompt whichever runs them.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

import jinja2
import jinja2.ext

from writer_app.engine.errors import EngineError
from writer_app.engine.template_sandbox import (
    BoundedEnvironment,
    Budget,
    ChatTemplateCancelled,
    TemplateLimitError,
    describe,
    limited,
    nbytes,
)
from writer_app.engine.types import ChatMessage

__all__ = ["FALLBACK_TEMPLATE", "ChatTemplateCancelled", "render_chat"]

# For models without a template (base models): a plain transcript they can continue.
FALLBACK_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m.role == 'system' %}{{ m.content }}\n\n"
    "{% elif m.role == 'user' %}User: {{ m.content }}\n"
    "{% else %}Assistant: {{ m.content }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)
# The longest real templates (tool calling, several formats) are about 16 KiB; compiling
# cannot be interrupted, so a template far longer than that is refused.
MAX_TEMPLATE_CHARS = 64 * 2**10


def _raise(message: str) -> NoReturn:
    raise jinja2.TemplateError(message)


def _strftime_now(fmt: str) -> str:
    if len(fmt) > 256:  # each directive can write dozens of characters
        raise TemplateLimitError("strftime_now() takes a format of 256 characters at most")
    return datetime.datetime.now().strftime(fmt)


def _tojson(value: Any, indent: int | None = None, **_: Any) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False)


# loopcontrols ({% break %}, {% continue %}) as Hugging Face's renderer has them.
_env = BoundedEnvironment(trim_blocks=True, lstrip_blocks=True,
                          extensions=[jinja2.ext.loopcontrols])
_env.add_filter("tojson", _tojson)
_env.globals["raise_exception"] = _raise
_env.globals["strftime_now"] = _strftime_now


@functools.lru_cache(maxsize=16)
def _compile(template: str) -> jinja2.Template:
    """Templates are compiled once: compiling costs a millisecond, rendering microseconds."""
    if len(template) > MAX_TEMPLATE_CHARS:
        raise TemplateLimitError(f"it is {len(template):,} characters long "
                                 f"(the limit is {MAX_TEMPLATE_CHARS:,})")
    return _env.from_string(template)


def _collect(chunks: Iterable[str], budget: Budget) -> str:
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += nbytes(chunk)
        if size > budget.value_limit:
            raise TemplateLimitError(f"its output passes {budget.value_limit:,} bytes")
        parts.append(chunk)
    return "".join(parts)


def render_chat(
    template: str | None,
    messages: Sequence[ChatMessage],
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
    cancelled: Callable[[], bool] | None = None,
) -> str:
    """The prompt text for `messages`.

    The template is untrusted (it comes in the model file): it renders within a time,
    step and memory budget, and `cancelled` can stop it. Any failure is an EngineError
    (ChatTemplateCancelled when cancelled).
    """
    data = [{"role": m.role, "content": m.content} for m in messages]
    size = sum(nbytes(m.content) for m in messages) + nbytes(bos_token) + nbytes(eos_token)
    budget = Budget(size, cancelled)
    try:
        with limited(budget):
            if cancelled is not None and cancelled():
                raise ChatTemplateCancelled()
            compiled = _compile(template or FALLBACK_TEMPLATE)
            context = compiled.new_context({
                "messages": data,
                "add_generation_prompt": add_generation_prompt,
                "bos_token": bos_token,
                "eos_token": eos_token,
            })
            return _collect(compiled.root_render_func(context), budget)
    except ChatTemplateCancelled:
        raise
    except Exception as exc:  # a template can fail in any way: none of them may escape
        raise EngineError(f"the model's chat template is unusable: {describe(exc)}") from exc
