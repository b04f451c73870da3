"""The transformers backend: full Hugging Face models (CUDA, MPS, else CPU) behind the same
interface as llama.cpp, so every task and the window work with it unchanged.

It loads a model folder (safetensors only, no remote code) or a GGUF file through
transformers' `gguf_file=` support. Generation runs in a helper thread; tokens come back
through a streamer, and a stopping criterion reads the cancel token between tokens.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from writer_app.engine.chat_template import render_chat
from writer_app.engine.errors import EngineError
from writer_app.engine.likelihood import NO_BOS_START, log_probability, prepare
from writer_app.engine.local_prompt import LocalPrompts
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.stops import StopMatcher
from writer_app.engine.types import (
    CancelToken,
    Capabilities,
    ChatMessage,
    DeviceChoice,
    DeviceInfo,
    EngineConfig,
    GenerationRequest,
    GenerationStats,
    choices,
)

INSTALL_HINT = "pip install 'writer-app[cuda]'  (inside Writer's environment: .venv/bin/pip)"


def _import_torch() -> Any:
    # Weights come from the user's disk only; never ask a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # transformers' GGUF conversion draws a tqdm bar of its own on stderr.
    os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        import torch
        from transformers.utils import logging as hf_logging
    except ImportError:
        raise EngineError("full Hugging Face models need transformers and torch, which are not "
                          f"installed; add them with: {INSTALL_HINT}") from None
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # no progress bars on the user's terminal
    return torch


def choose_device(requested: str = "auto") -> tuple[str, Any, str]:  # a DeviceChoice
    """(device, dtype, reason): CUDA in bf16 (fp16 without bf16), then MPS, then CPU fp32."""
    torch = _import_torch()
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if requested == "cuda" or (requested == "auto" and cuda):
        if not cuda:
            raise EngineError("--device cuda was asked for, but no CUDA GPU is available "
                              "(or this torch build has no CUDA support)")
        name = torch.cuda.get_device_name(0)
        if torch.cuda.is_bf16_supported():
            return "cuda", torch.bfloat16, f"CUDA GPU {name}, bf16"
        return "cuda", torch.float16, f"CUDA GPU {name}, fp16 (no bf16 support)"
    if requested == "mps" or (requested == "auto" and mps):
        if not mps:
            raise EngineError("--device mps was asked for, but Apple MPS is not available")
        return "mps", torch.float16, "Apple GPU (MPS), fp16"
    if requested not in ("auto", "cpu"):
        raise EngineError(f"unknown device {requested!r}: use "
                          f"{', '.join(choices(DeviceChoice))}")
    why = "asked for" if requested == "cpu" else "no CUDA or MPS device found"
    return "cpu", torch.float32, f"CPU, fp32 ({why})"


class _CountingStreamer:
    """Receives token ids from generate() and hands them to the reading thread."""

    def __init__(self, prompt_length: int) -> None:
        self.queue: queue.Queue[list[int] | None] = queue.Queue()
        self.skip_prompt = True
        self.prompt_length = prompt_length

    def put(self, value: Any) -> None:
        ids = value.reshape(-1).tolist()
        if self.skip_prompt:  # the first call carries the prompt
            self.skip_prompt = False
            return
        self.queue.put(ids)

    def end(self) -> None:
        self.queue.put(None)


class TransformersBackend(LocalPrompts):
    name = "transformers"
    # One request at a time (one model, one generate loop); no grammars here.
    capabilities = Capabilities(token_count="exact", parallel_requests=1, scoring=True)

    def __init__(self, path: Path, *, device: str = EngineConfig.device,
                 context_length_cap: int = EngineConfig.context_length_cap,
                 info: ModelInfo | None = None) -> None:
        torch = _import_torch()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.device_name, dtype, reason = choose_device(device)
        kwargs: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
        if path.is_dir():
            from writer_app.engine.model_folder import check_model_folder

            folder = check_model_folder(path)
            source, extra = str(path), dict[str, Any](use_safetensors=True)
            arch, trained, name = folder.architecture, folder.context_length, folder.name
        else:
            if info is None:
                from writer_app.engine.model_info import read_model_info

                info = read_model_info(path)
            source, extra = str(path.parent), dict[str, Any](gguf_file=path.name)
            arch, trained, name = info.architecture, info.context_length, path.name
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, **kwargs, **extra)
            self.model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **kwargs,
                                                              **extra)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise EngineError(f"{path}: transformers could not load the model ({exc})") from exc
        self.model.to(self.device_name)  # type: ignore[arg-type]
        self.model.eval()
        self._torch = torch
        self.context_length = min(trained or 4096, context_length_cap)
        on_cpu = self.device_name == "cpu"
        # torch picks its CPU kernels at run time too (DEFAULT, AVX2, AVX512...).
        cpu = f"CPU: torch {torch.backends.cpu.get_cpu_capability()} kernels" if on_cpu else ""
        self.device = DeviceInfo(self.device_name, 0 if on_cpu else -1, reason, cpu)
        self.info = info or ModelInfo(
            path=path, name=name, architecture=arch,
            parameters=sum(p.numel() for p in self.model.parameters()),
            quantization=str(dtype).removeprefix("torch."), context_length=trained,
            has_chat_template=bool(self.tokenizer.chat_template),
            chat_template=self.tokenizer.chat_template,
            file_size=sum(p.stat().st_size for p in path.glob("*.safetensors")))
        self._template = self.info.chat_template or self.tokenizer.chat_template

    def render_chat(self, messages: list[ChatMessage],
                    cancelled: Callable[[], bool] | None = None) -> str:
        tok = self.tokenizer
        return render_chat(self._template, messages, tok.bos_token or "", tok.eos_token or "",
                           cancelled=cancelled)

    def tokenize_prompt(self, prompt: str) -> list[int]:
        # The chat template writes the special tokens itself.
        add = bool(self.tokenizer.bos_token) and not prompt.startswith(
            self.tokenizer.bos_token or "\0") and self.info.chat_template is None
        ids: list[int] = self.tokenizer(prompt, add_special_tokens=add)["input_ids"]
        return ids

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def stream(self, request: GenerationRequest, stats: GenerationStats) -> Iterator[str]:
        """Yield the answer's text in pieces as it comes (generation runs in a helper thread)."""
        prompt_tokens = self.prompt_token_ids(request)
        options, cancel = request.options, request.cancel
        torch = self._torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        halt = threading.Event()  # set when the reader is done: a stop string, or cancel

        class _Halt(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                flag = cancel.cancelled or halt.is_set()
                return torch.full((input_ids.shape[0],), flag, dtype=torch.bool,
                                  device=input_ids.device)

        stats.prompt_tokens = len(prompt_tokens)
        max_new = min(options.max_tokens, self.context_length - len(prompt_tokens))
        if options.seed >= 0:
            torch.manual_seed(options.seed)
        sample = options.temperature > 0
        gen_kwargs: dict[str, Any] = {
            "max_new_tokens": max_new, "do_sample": sample,
            "repetition_penalty": options.repeat_penalty,
            "stopping_criteria": StoppingCriteriaList([_Halt()]),
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if sample:
            gen_kwargs.update(temperature=options.temperature, top_p=options.top_p,
                              top_k=options.top_k)
            if options.min_p > 0:
                gen_kwargs["min_p"] = options.min_p
        ids = torch.tensor([prompt_tokens], device=self.device_name)
        streamer = _CountingStreamer(len(prompt_tokens))
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(ids, attention_mask=torch.ones_like(ids),
                                        streamer=streamer, **gen_kwargs)
            except BaseException as exc:  # reported on the reading side
                errors.append(exc)
            finally:
                streamer.end()

        worker = threading.Thread(target=run, name="transformers-generate", daemon=True)
        worker.start()
        stops = StopMatcher(options.stop)
        eos = set(self._eos_ids())
        generated: list[int] = []
        # Decode a window: tokens from `prefix` on, of which those before `read` are shown.
        # The window starts a little before the new tokens so that tokenizers which merge
        # pieces (or drop a leading space at the start) give the same text as a full decode,
        # without decoding the whole answer at every token.
        prefix = read = 0
        stats.finish_reason = "length"
        try:
            while (chunk := streamer.queue.get()) is not None:
                if cancel.cancelled:
                    stats.finish_reason = "cancelled"
                    return
                for token in chunk:
                    if token in eos:
                        stats.finish_reason = "stop"
                    else:
                        generated.append(token)
                        stats.completion_tokens += 1
                before = self._decode(generated[prefix:read])
                text = self._decode(generated[prefix:])
                if len(text) <= len(before) or text.endswith("\ufffd"):
                    continue  # nothing new yet, or half a character: wait for the rest
                prefix, read = read, len(generated)
                out = stops.feed(text[len(before):])
                if out:
                    yield out
                if stops.stopped:
                    stats.finish_reason = "stop"
                    return
            if errors:
                raise EngineError(f"transformers failed while generating: {errors[0]}")
            if cancel.cancelled:
                stats.finish_reason = "cancelled"
                return
            tail = stops.flush()
            if tail:
                yield tail
        finally:
            halt.set()
            worker.join()

    def likelihoods(self, before: str, endings: list[str],
                    cancel: CancelToken) -> list[float]:
        """Each ending's log probability after `before` (see engine/likelihood.py): one
        forward pass over each."""
        torch, tok = self._torch, self.tokenizer
        start = tok("", add_special_tokens=True)["input_ids"] or \
            tok(NO_BOS_START, add_special_tokens=False)["input_ids"]
        lists = [start + tok(before + e, add_special_tokens=False)["input_ids"]
                 for e in endings]
        lists, first = prepare(lists, self.context_length)
        scores: list[float] = []
        with torch.inference_mode():
            for tokens in lists:
                if cancel.cancelled:
                    break
                ids = torch.tensor([tokens], device=self.device_name)
                logits = self.model(input_ids=ids).logits[0, first - 1:-1]
                scores.append(log_probability(logits.float().cpu().numpy(), tokens[first:]))
        return scores

    def _decode(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True)) if ids else ""

    def _eos_ids(self) -> list[int]:
        ids = self.model.generation_config.eos_token_id
        if ids is None:
            ids = self.tokenizer.eos_token_id
        return [ids] if isinstance(ids, int) else list(ids or [])

    def close(self) -> None:
        del self.model
        if self.device_name == "cuda":
            self._torch.cuda.empty_cache()
