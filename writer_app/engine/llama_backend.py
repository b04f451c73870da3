"""The llama.cpp backend: GGUF models on CPU, Metal or CUDA through llama-cpp-python.

Generation runs its own loop over `Llama.generate` rather than `create_completion`:
it decodes text incrementally (create_completion re-detokenizes the whole answer at
every token), counts tokens exactly, and checks the cancel token between tokens.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import json
import random
from collections.abc import Callable, Iterator

import llama_cpp
import numpy as np
from llama_cpp import llama_chat_format

from writer_app.engine import hardware, llama_runtime, memory
from writer_app.engine.chat_template import render_chat
from writer_app.engine.errors import EngineError
from writer_app.engine.fim import fim_prompt, fim_tokens
from writer_app.engine.inline_context import InlineContext, common_prefix
from writer_app.engine.likelihood import NO_BOS_START, log_probability, prepare
from writer_app.engine.local_prompt import LocalPrompts
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.stops import StopMatcher
from writer_app.engine.types import (
    CancelToken,
    Capabilities,
    ChatMessage,
    Constraint,
    EngineConfig,
    GenerationRequest,
    GenerationStats,
    InlineStats,
)

# Ghost text's context (tokens): a few thousand tokens of text before the cursor. Its KV
# cache is counted in the memory check when it is made (an 8B model's 8k cache is 1 GB).
INLINE_CONTEXT = 4096
INLINE_TRIM_STEP = 256


class LlamaCppBackend(LocalPrompts):
    name = "llama.cpp"
    # One request at a time (Llama has no locking); GBNF grammars and JSON schemas.
    capabilities = Capabilities(token_count="exact", parallel_requests=1,
                                constrained_output=True, scoring=True, prompt_progress=True)

    def __init__(self, info: ModelInfo, config: EngineConfig | None = None) -> None:
        config = config or EngineConfig()
        self.info = info
        self.context_length = memory.context_for(info.context_length,
                                                 config.context_length_cap)
        self.threads = config.threads or hardware.default_threads()
        self._threads_batch = max(self.threads, hardware.batch_threads())
        # Before any other llama call: the CPU variant for this processor (and any GPU
        # backend library) must be loaded for llama.cpp to see a device at all.
        self.cpu_variant = llama_runtime.ensure_loaded()
        offload = hardware.choose_offload(llama_cpp.llama_supports_gpu_offload(),
                                          config.gpu_offload)
        self.device = dataclasses.replace(offload, cpu=self.cpu_variant.describe())
        if not self.device.offloaded:
            hardware.check_memory(info, self.context_length)
        try:
            with _no_chat_handlers():
                self._llm = llama_cpp.Llama(
                    model_path=str(info.path),
                    n_ctx=self.context_length,
                    n_threads=self.threads,
                    n_threads_batch=self._threads_batch,
                    n_gpu_layers=self.device.gpu_layers,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(f"{info.path}: llama.cpp could not load the model ({exc}); "
                              f"the file may be for an architecture ({info.architecture}) "
                              "this build does not support") from exc
        if getattr(self._llm, "_is_recurrent", False) or getattr(self._llm, "_is_hybrid", False):
            # Their state cannot be cut back to the head between two endings.
            self.capabilities = dataclasses.replace(self.capabilities, scoring=False)
        self._vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        self._add_bos = bool(llama_cpp.llama_vocab_get_add_bos(self._vocab))
        self._bos_text = self._token_text(self._llm.token_bos())
        self._eos_text = self._token_text(self._llm.token_eos())
        # The abort callback lets a cancel interrupt a long prompt evaluation. It is a
        # Python call per graph node, so it is installed only while the prompt is evaluated.
        self._cancel: CancelToken | None = None
        self._abort_cb = llama_cpp.ggml_abort_callback(self._should_abort)
        self._no_abort = llama_cpp.ggml_abort_callback()  # a NULL function pointer
        self.fim = fim_tokens(llama_cpp.llama_vocab_fim_pre(self._vocab),
                              llama_cpp.llama_vocab_fim_suf(self._vocab),
                              llama_cpp.llama_vocab_fim_mid(self._vocab))
        if self.fim is not None:
            self.capabilities = dataclasses.replace(self.capabilities, fill_in_middle=True)
        # Ghost text's own context, made at its first request (see inline()).
        self._inline: InlineContext | None = None

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def _should_abort(self, _data: object) -> bool:
        cancel = self._cancel
        return cancel is not None and cancel.cancelled

    def _set_abort(self, on: bool) -> None:
        llama_cpp.llama_set_abort_callback(self._llm.ctx,
                                           self._abort_cb if on else self._no_abort, None)

    def render_chat(self, messages: list[ChatMessage],
                    cancelled: Callable[[], bool] | None = None) -> str:
        return render_chat(self.info.chat_template, messages, self._bos_text, self._eos_text,
                           cancelled=cancelled)

    def tokenize_prompt(self, prompt: str) -> list[int]:
        # A template that writes the BOS token itself must not get a second one.
        add_bos = self._add_bos and not (self._bos_text and prompt.startswith(self._bos_text))
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)

    def count_tokens(self, text: str) -> int:
        """Tokens of plain text (special-token markup is counted as text)."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, request: GenerationRequest, stats: GenerationStats) -> Iterator[str]:
        """Yield the answer's text in pieces as it comes."""
        prompt_tokens = self.prompt_token_ids(request)
        options, cancel = request.options, request.cancel
        grammar = _grammar(self._vocab, request.constraint) if request.constraint else None
        llm = self._llm
        stats.prompt_tokens = len(prompt_tokens)
        max_tokens = min(options.max_tokens, self.context_length - len(prompt_tokens))
        llm.set_seed(options.seed if options.seed >= 0 else random.randrange(2**31))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stops = StopMatcher(options.stop)
        stats.finish_reason = "length"
        self._cancel = cancel
        self._set_abort(True)
        if request.on_prompt_progress is not None:
            try:
                self._read_prompt(prompt_tokens, request.on_prompt_progress)
            except RuntimeError:
                if cancel.cancelled:  # llama_decode was aborted by the callback
                    stats.finish_reason = "cancelled"
                    self._set_abort(False)
                    self._cancel = None
                    return
                raise
        tokens = llm.generate(
            prompt_tokens,
            top_k=options.top_k,
            top_p=options.top_p,
            min_p=options.min_p,
            temp=options.temperature,
            repeat_penalty=options.repeat_penalty,
            grammar=grammar,
        )
        try:
            while stats.completion_tokens < max_tokens:
                try:
                    token = next(tokens)
                except RuntimeError:
                    if cancel.cancelled:  # llama_decode was aborted by the callback
                        stats.finish_reason = "cancelled"
                        return
                    raise
                if stats.completion_tokens == 0:
                    self._set_abort(False)
                if cancel.cancelled:
                    stats.finish_reason = "cancelled"
                    return
                if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    stats.finish_reason = "stop"
                    break
                stats.completion_tokens += 1
                text = stops.feed(decoder.decode(llm.detokenize([token])))
                if text:
                    yield text
                if stops.stopped:
                    stats.finish_reason = "stop"
                    return
            tail = stops.feed(decoder.decode(b"", final=True))
            tail += "" if stops.stopped else stops.flush()
            if tail:
                yield tail
        finally:
            tokens.close()
            self._set_abort(False)
            self._cancel = None

    def _read_prompt(self, prompt: list[int], report: Callable[[int, int], None]) -> None:
        """Evaluate the prompt a batch at a time as generate() would (the same batches,
        so the same numbers), saying how far it got after each; generate() then finds it
        all in the cache and samples from the last batch's logits."""
        llm = self._llm
        cached = self._cached(prompt)
        total = len(prompt)
        report(cached, total)
        if total - cached <= llm.n_batch:
            return  # nothing to read, or one batch: generate() reads it as fast
        llm.n_tokens = cached  # eval() drops what the cache holds past this
        for start in range(cached, total, llm.n_batch):
            llm.eval(prompt[start:start + llm.n_batch])
            report(llm.n_tokens, total)

    def likelihoods(self, before: str, endings: list[str],
                    cancel: CancelToken) -> list[float]:
        """Each ending's log probability after `before` (see engine/likelihood.py). The
        shared start is evaluated once, reusing what the context already holds; each
        ending is then decoded with logits for every token (through Llama's own batch
        and context objects, as Llama.eval does), and taken out of the cache again."""
        llm = self._llm
        start = [llm.token_bos()] if self._add_bos else self._llm.tokenize(
            NO_BOS_START.encode(), add_bos=False, special=False)
        lists = [start + llm.tokenize((before + e).encode("utf-8"), add_bos=False,
                                      special=False) for e in endings]
        # One batch holds an ending and the head token before it.
        lists, first = prepare(lists, min(self.context_length, llm.n_batch) - 1)
        # The head but its last token: that one is decoded with each ending, for the
        # logits that predict the ending's first token.
        head = lists[0][:first - 1]
        same = self._cached(head)
        llm.n_tokens = same
        scores: list[float] = []
        self._cancel = cancel
        self._set_abort(True)
        try:
            if len(head) > same:
                llm.eval(head[same:])
            for tokens in lists:
                if cancel.cancelled:
                    break
                scores.append(self._ending_score(tokens[first - 1:], len(head)))
        except RuntimeError:
            if not cancel.cancelled:
                raise
        finally:
            self._set_abort(False)
            self._cancel = None
            llm._ctx.kv_cache_seq_rm(-1, len(head), -1)
            llm.n_tokens = min(llm.n_tokens, len(head))
            llm._requires_eval = True  # the logits held now are an ending's, not the head's
        return scores

    def _ending_score(self, tokens: list[int], position: int) -> float:
        """The log probability of tokens[1:] after tokens[0], decoded at `position`."""
        llm = self._llm
        llm._ctx.kv_cache_seq_rm(-1, position, -1)
        llm._batch.set_batch(batch=tokens, n_past=position, logits_all=True)
        llm._ctx.decode(llm._batch)
        rows = len(tokens) - 1
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(),
                                       shape=(len(tokens), llm.n_vocab()))[:rows]
        return log_probability(logits, tokens[1:])

    def _cached(self, tokens: list[int]) -> int:
        """How many of `tokens`, from the first, the context holds already."""
        return common_prefix(self._llm.input_ids[:self._llm.n_tokens].tolist(), tokens)

    @property
    def cached_tokens(self) -> int:
        """Tokens held in the context now (a cancelled prompt evaluation leaves fewer)."""
        return int(self._llm.n_tokens)

    def inline_prompt(self, before: str, after: str | None) -> list[int]:
        """The prompt of an inline completion: the text before the cursor as a plain
        completion, or, when the model has FIM tokens and there is text after, a
        fill-in-the-middle prompt (engine/fim.py)."""
        bos = self._llm.token_bos() if self._add_bos else None
        head = self._llm.tokenize(before.encode("utf-8"), add_bos=False, special=False)
        tail: list[int] = []
        if self.fim is not None and after:
            tail = self._llm.tokenize(after.encode("utf-8"), add_bos=False, special=False)
            tail = tail[:self._inline_size() // 4]
        # Too long for ghost text's context (a dense script, a small context): the start
        # goes, a step at a time, so it stays put as the user types (the cache serves).
        room = self._inline_size() * 3 // 4 - len(tail) - 4
        if len(head) > room:
            head = head[-(-(len(head) - room) // INLINE_TRIM_STEP) * INLINE_TRIM_STEP:]
        if self.fim is None or not after:
            return ([bos] if bos is not None else []) + head
        return fim_prompt(head, tail, self.fim, bos)

    def _inline_size(self) -> int:
        return min(INLINE_CONTEXT, self.context_length)

    def inline(self, before: str, after: str | None, max_tokens: int, cancel: CancelToken,
               on_piece: Callable[[str], bool], fresh: bool = False) -> InlineStats:
        """Greedy text after `before` (and before `after`, for a FIM model), each piece
        to `on_piece` (False: enough), on ghost text's own context: what it read for the
        last request is reused up to where the prompts differ."""
        if self._inline is None:
            size = self._inline_size()
            if not self.device.offloaded:
                # The weights are shared: the new context needs its cache and buffers only.
                shape = memory.Shape.of(self.info)
                needed = memory.kv_cache_bytes(shape, size) + memory.compute_bytes(shape, size)
                free = hardware.available_memory()
                if needed > free:
                    raise EngineError(f"ghost text needs about {memory.gib(needed)} for its "
                                      f"context, and {memory.gib(free)} is free")
            self._inline = InlineContext(self._llm.model, self._vocab, size, self.threads,
                                         self._threads_batch)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

        def token(t: int) -> bool:
            text = decoder.decode(self._llm.detokenize([t]))
            return on_piece(text) if text else True

        return self._inline.complete(self.inline_prompt(before, after), max_tokens, cancel,
                                     token, fresh)

    def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        self._llm.close()


class _UnusedChatFormatter:
    """Stands in for llama-cpp-python's chat formatter while a model loads (see below)."""

    def __init__(self, **_: object) -> None:
        pass

    def to_chat_handler(self) -> None:
        return None


@contextlib.contextmanager
def _no_chat_handlers() -> Iterator[None]:
    """Llama() compiles every chat template in the file into a chat handler the engine
    never uses (it renders templates itself, within limits: chat_template.py). jinja2
    folds constants as it compiles, so a template holding `{{ 'A'*3000000000 }}` would
    build that string while the model loads."""
    formatter = llama_chat_format.Jinja2ChatFormatter
    llama_chat_format.Jinja2ChatFormatter = _UnusedChatFormatter  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        llama_chat_format.Jinja2ChatFormatter = formatter  # type: ignore[misc]


def _grammar(vocab: object, constraint: Constraint) -> llama_cpp.LlamaGrammar:
    """The constraint as llama.cpp's grammar, checked first: llama-cpp-python hands a
    grammar that does not parse to the sampler unchecked, and the process dies.

    A grammar that parses but can match nothing at all (an empty character class) still
    makes llama.cpp abort: constraints come from Writer's own tasks, not from users.
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    if constraint.kind == "json_schema":
        try:
            schema = json.loads(constraint.text)
            remote = _remote_refs(schema)
            if remote:  # llama-cpp-python would fetch them over the network
                raise ValueError(f"it refers to schemas elsewhere ({', '.join(remote)})")
            gbnf = json_schema_to_gbnf(constraint.text)
        except Exception as exc:  # the converter raises anything from assert to KeyError
            raise EngineError(f"the output constraint (json_schema) is not a usable JSON "
                              f"schema: {exc or type(exc).__name__}") from exc
    else:
        gbnf = constraint.text
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode("utf-8"), b"root") \
        if gbnf.strip() else None
    if not sampler:
        raise EngineError(f"the output constraint ({constraint.kind}) does not parse as a "
                          "grammar with a root rule")
    llama_cpp.llama_sampler_free(sampler)
    return llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False)


def _remote_refs(schema: object) -> list[str]:
    """The "$ref"s of a JSON schema that point outside it (anything but "#...")."""
    found: list[str] = []
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            found.append(ref)
        for value in schema.values():
            found += _remote_refs(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _remote_refs(value)
    return found
