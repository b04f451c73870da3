"""Fill-in-the-middle: the text after the cursor goes into the prompt too, for the models
trained on it (code models mostly: Qwen2.5-Coder, CodeLlama, StarCoder, CodeGemma).

llama.cpp finds a model's FIM tokens itself (`llama_vocab_fim_pre/suf/mid`): from the
`tokenizer.ggml.fim_*_token_id` keys, the older `prefix/suffix/middle_token_id` ones,
and known token texts (`<|fim_prefix|>`, `<fim-prefix>`, `<PRE>`…). The prompt is
prefix-suffix-middle, as llama-server's /infill builds it:

    [BOS] <FIM_PRE> text before <FIM_SUF> text after <FIM_MID>

and the model writes what goes in between.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FimTokens:
    prefix: int
    suffix: int
    middle: int


def fim_tokens(pre: int, suf: int, mid: int) -> FimTokens | None:
    """The model's FIM tokens from what llama.cpp reports (-1: none), or None when it
    lacks any of the three."""
    if min(pre, suf, mid) < 0:
        return None
    return FimTokens(pre, suf, mid)


def fim_prompt(before: list[int], after: list[int], fim: FimTokens,
               bos: int | None = None) -> list[int]:
    """The token ids of a prefix-suffix-middle prompt (text before and after as ids)."""
    start = [bos] if bos is not None else []
    return [*start, fim.prefix, *before, fim.suffix, *after, fim.middle]
