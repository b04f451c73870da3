"""Does decoding several summaries in one batch pay on this CPU?

A summary's parts are independent. llama.cpp can hold several sequences in one context
(n_seq_max, one KV cache, a sequence id per token) and decode one token of each in a
single llama_decode: the weights are read once per step for all of them, which is what
makes decoding memory-bound work cheaper per token. This measures it through
llama-cpp-python's low-level API with the default model: N part prompts (real text from
the Python reference), each read, then G tokens generated greedily, one sequence after
another against all N in one batch. It prints both times, the ratio, and how many of
the generated tokens agree before they part ways (batched arithmetic may tip near ties).

    .venv/bin/python benchmarks/batched_decode.py [--parts 4] [--prompt-tokens 400]
        [--generate 128]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from pydoc_data.topics import topics

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from writer_app import paths  # noqa: E402
from writer_app.engine import hardware, llama_runtime  # noqa: E402
from writer_app.engine.discovery import resolve  # noqa: E402

llama_runtime.ensure_loaded()
import llama_cpp as L  # noqa: E402

BATCH = 512


class Context:
    def __init__(self, path: Path, sequences: int, n_ctx: int) -> None:
        L.llama_backend_init()
        self.model = L.llama_model_load_from_file(str(path).encode(),
                                                  L.llama_model_default_params())
        self.vocab = L.llama_model_get_vocab(self.model)
        self.n_vocab = L.llama_vocab_n_tokens(self.vocab)
        params = L.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = BATCH
        params.n_ubatch = BATCH
        params.n_seq_max = sequences
        params.n_threads = params.n_threads_batch = hardware.default_threads()
        self.ctx = L.llama_init_from_model(self.model, params)
        self.batch = L.llama_batch_init(BATCH, 0, sequences)

    def tokenize(self, text: str) -> list[int]:
        data = text.encode()
        buffer = (L.llama_token * (len(data) + 8))()
        n = L.llama_tokenize(self.vocab, data, len(data), buffer, len(buffer), True, False)
        return list(buffer[:n])

    def clear(self) -> None:
        L.llama_memory_clear(L.llama_get_memory(self.ctx), True)

    def decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        """(token, position, sequence, wants logits) each, in one llama_decode."""
        b = self.batch
        for i, (token, pos, seq, logits) in enumerate(items):
            b.token[i] = token
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        b.n_tokens = len(items)
        if L.llama_decode(self.ctx, b) != 0:
            raise RuntimeError("llama_decode failed")

    def argmax(self, i: int) -> int:
        logits = np.ctypeslib.as_array(L.llama_get_logits_ith(self.ctx, i),
                                       shape=(self.n_vocab,))
        return int(logits.argmax())

    def read(self, prompt: list[int], seq: int) -> int:
        """Decode a prompt into sequence `seq`; its first answer token."""
        for start in range(0, len(prompt), BATCH):
            chunk = prompt[start:start + BATCH]
            self.decode([(t, start + k, seq, start + k == len(prompt) - 1)
                         for k, t in enumerate(chunk)])
        return self.argmax(len(prompt) - 1 - (len(prompt) - 1) // BATCH * BATCH)


def prompts(parts: int, tokens: int, ctx: Context) -> list[list[int]]:
    texts = [text for _, text in sorted(topics.items())[20:]]
    out = []
    for text in texts:
        ids = ctx.tokenize("Summarize this part of a document:\n\n" + text)
        if len(ids) >= tokens:
            out.append(ids[:tokens])
        if len(out) == parts:
            return out
    raise SystemExit("not enough text for the prompts")


def one_after_another(ctx: Context, inputs: list[list[int]], generate: int
                      ) -> tuple[list[list[int]], float, float]:
    answers, reading, writing = [], 0.0, 0.0
    for prompt in inputs:
        ctx.clear()
        start = time.perf_counter()
        token = ctx.read(prompt, 0)
        reading += time.perf_counter() - start
        start = time.perf_counter()
        answer = [token]
        for step in range(generate - 1):
            ctx.decode([(answer[-1], len(prompt) + step, 0, True)])
            answer.append(ctx.argmax(0))
        writing += time.perf_counter() - start
        answers.append(answer)
    return answers, reading, writing


def all_at_once(ctx: Context, inputs: list[list[int]], generate: int
                ) -> tuple[list[list[int]], float, float]:
    ctx.clear()
    start = time.perf_counter()
    answers = [[ctx.read(prompt, seq)] for seq, prompt in enumerate(inputs)]
    reading = time.perf_counter() - start
    start = time.perf_counter()
    for step in range(generate - 1):
        ctx.decode([(answers[seq][-1], len(prompt) + step, seq, True)
                    for seq, prompt in enumerate(inputs)])
        for seq in range(len(inputs)):
            answers[seq].append(ctx.argmax(seq))
    return answers, reading, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--prompt-tokens", type=int, default=400)
    parser.add_argument("--generate", type=int, default=128)
    args = parser.parse_args()
    path = resolve(None, paths.model_search_dirs()).path
    n_ctx = args.parts * (args.prompt_tokens + args.generate + 64)
    ctx = Context(path, args.parts, n_ctx)
    inputs = prompts(args.parts, args.prompt_tokens, ctx)
    one_after_another(ctx, inputs[:1], 8)  # warm up
    serial, s_read, s_write = one_after_another(ctx, inputs, args.generate)
    batched, b_read, b_write = all_at_once(ctx, inputs, args.generate)
    # Tokens alike until the first difference, per part: after one, the texts part ways.
    same = [next((i for i, (a, b) in enumerate(zip(x, y, strict=True)) if a != b), len(x))
            for x, y in zip(serial, batched, strict=True)]
    total = args.parts * args.generate
    print(f"{path.name}, {hardware.default_threads()} threads, {args.parts} parts of "
          f"{args.prompt_tokens} tokens, {args.generate} tokens generated each")
    print(f"one after another: reading {s_read:.2f} s, generating {s_write:.2f} s "
          f"({total / s_write:.0f} tokens/s)")
    print(f"all at once:       reading {b_read:.2f} s, generating {b_write:.2f} s "
          f"({total / b_write:.0f} tokens/s)")
    print(f"generating, all at once / one after another: {s_write / b_write:.2f}x as fast; "
          f"whole: {(s_read + s_write) / (b_read + b_write):.2f}x")
    print(f"tokens alike before the first difference, per part: {same} of {args.generate}")
    L.llama_batch_free(ctx.batch)
    L.llama_free(ctx.ctx)
    L.llama_model_free(ctx.model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
