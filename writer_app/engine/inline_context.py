"""A second llama.cpp context on the loaded model, for inline completion (ghost text).

Successive completions as the user types share almost all of their prompt, and
llama.cpp reads only the tokens after what its context already holds. But a suggestion,
a translation or a summary on the main context throws that away. So ghost text has a
context of its own: the weights are shared (one model, memory-mapped); this costs its
KV cache and buffers only, and its size is capped (the caller's `n_ctx`).

It remembers the tokens it holds and, for the next prompt, drops what follows the
longest common prefix and reads the rest. Decoding is greedy: the same text gives the
same ghost, which typing through it relies on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import llama_cpp as L
import numpy as np

from writer_app.engine.errors import EngineError
from writer_app.engine.types import CancelToken, InlineStats

BATCH = 512


class InlineContext:
    def __init__(self, model: object, vocab: object, n_ctx: int, threads: int,
                 batch_threads: int) -> None:
        params = L.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = params.n_ubatch = min(BATCH, n_ctx)
        params.n_seq_max = 1
        params.n_threads = threads
        params.n_threads_batch = batch_threads
        self.ctx = L.llama_init_from_model(model, params)
        if not self.ctx:
            raise EngineError("llama.cpp could not make a second context for ghost text "
                              "(out of memory?)")
        self.n_ctx = n_ctx
        self.vocab = vocab
        self.n_vocab = L.llama_vocab_n_tokens(vocab)
        self.batch = L.llama_batch_init(BATCH, 0, 1)
        self.held: list[int] = []  # the tokens the context holds, in order
        self._cancel: CancelToken | None = None
        # A Python call per graph node: installed only while a prompt is read (a cancel
        # must stop that at once); between generated tokens the loop checks instead.
        self._abort = L.ggml_abort_callback(self._should_abort)
        self._no_abort = L.ggml_abort_callback()

    def _should_abort(self, _data: object) -> bool:
        return self._cancel is not None and self._cancel.cancelled

    def complete(self, prompt: list[int], max_tokens: int, cancel: CancelToken,
                 on_token: Callable[[int], bool], fresh: bool = False) -> InlineStats:
        """Greedy tokens after `prompt`, each handed to `on_token` (False: stop there),
        until the end of generation, `max_tokens` or a cancel. `fresh` forgets what the
        context holds first (to measure what reuse saves)."""
        started = time.perf_counter()
        stats = InlineStats(prompt_tokens=len(prompt))
        max_tokens = min(max_tokens, self.n_ctx // 4)
        if not prompt or len(prompt) > self.n_ctx - max_tokens - 1:
            raise EngineError(f"a ghost text prompt of {len(prompt)} tokens does not fit its "
                              f"context ({self.n_ctx} tokens)")
        if fresh:
            self.held = []
            L.llama_memory_clear(L.llama_get_memory(self.ctx), True)
        # The last prompt token is read again when all is held: its logits start the answer.
        keep = min(common_prefix(self.held, prompt), len(prompt) - 1)
        if not L.llama_memory_seq_rm(L.llama_get_memory(self.ctx), 0, keep, -1):
            keep = 0
            L.llama_memory_clear(L.llama_get_memory(self.ctx), True)
        self.held = self.held[:keep]
        stats.reused_tokens = keep
        self._cancel = cancel
        try:
            L.llama_set_abort_callback(self.ctx, self._abort, None)
            for start in range(keep, len(prompt), BATCH):
                if cancel.cancelled:
                    stats.cancelled = True
                    return stats
                self._decode(prompt[start:start + BATCH])
            L.llama_set_abort_callback(self.ctx, self._no_abort, None)
            while stats.completion_tokens < max_tokens and not cancel.cancelled:
                token = self._likeliest()
                if L.llama_vocab_is_eog(self.vocab, token):
                    break
                if stats.completion_tokens == 0:
                    stats.first_token_seconds = time.perf_counter() - started
                stats.completion_tokens += 1
                if not on_token(token) or stats.completion_tokens >= max_tokens:
                    break
                self._decode([token])
        except RuntimeError:
            if not cancel.cancelled:
                raise
        finally:
            L.llama_set_abort_callback(self.ctx, self._no_abort, None)
            self._cancel = None
        stats.cancelled = cancel.cancelled
        return stats

    def _decode(self, tokens: list[int]) -> None:
        """Read `tokens` after those held, with logits for the last one only."""
        b = self.batch
        at = len(self.held)
        for i, token in enumerate(tokens):
            b.token[i] = token
            b.pos[i] = at + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = 0
            b.logits[i] = i == len(tokens) - 1
        b.n_tokens = len(tokens)
        result = L.llama_decode(self.ctx, b)
        if result != 0:
            # Aborted (a keystroke cancelled it) or failed: take back whatever part of
            # this batch went in, so what is held stays known and serves the next request.
            if not L.llama_memory_seq_rm(L.llama_get_memory(self.ctx), 0, at, -1):
                self.held = []
                L.llama_memory_clear(L.llama_get_memory(self.ctx), True)
            raise RuntimeError(f"llama_decode returned {result}")
        self.held.extend(tokens)
        self._last = len(tokens) - 1

    def _likeliest(self) -> int:
        logits = np.ctypeslib.as_array(L.llama_get_logits_ith(self.ctx, self._last),
                                       shape=(self.n_vocab,))
        return int(logits.argmax())

    def close(self) -> None:
        if self.ctx:
            L.llama_batch_free(self.batch)
            L.llama_free(self.ctx)
            self.ctx = None


def common_prefix(a: list[int], b: list[int]) -> int:
    """How many tokens, from the first, the two lists share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
