"""Progress while the model reads a long prompt: a report after each batch, the same
answer as without the reports, and a cancel that stops the reading."""

from __future__ import annotations

import threading
import time

from writer_app.engine.types import CancelToken, ChatMessage, GenerationRequest, SamplingOptions

from .helpers import fresh_context

LONG = " ".join(f"Line {i}: the harbour was busy and the boats came in with fish." for i in
                range(100))


def request(**kw) -> GenerationRequest:
    return GenerationRequest(messages=[ChatMessage("user", f"{LONG}\n\nSummarize this.")],
                             options=SamplingOptions(temperature=0.0, max_tokens=16), **kw)


def test_a_long_prompt_is_reported_batch_by_batch_and_answered_the_same(engine):
    assert engine.capabilities.prompt_progress
    fresh_context(engine)
    plain = engine.generate(request())
    fresh_context(engine)
    reports: list[tuple[int, int]] = []
    reported = engine.generate(request(on_prompt_progress=lambda done, of: reports.append(
        (done, of))))
    assert reported.text == plain.text and reported.prompt_tokens == plain.prompt_tokens
    total = plain.prompt_tokens
    assert total > 2 * engine.backend._llm.n_batch
    assert reports[0] == (0, total) and all(of == total for _, of in reports)
    steps = [done for done, _ in reports]
    assert steps == sorted(steps) and len(steps) >= 3 and steps[-1] == total
    # Asked again: the prompt is in the cache, and the first report says so.
    again: list[tuple[int, int]] = []
    engine.generate(request(on_prompt_progress=lambda done, of: again.append((done, of))))
    assert again == [(total, total)]


def test_a_cancel_stops_the_reading(engine):
    fresh_context(engine)
    cancel = CancelToken()
    reports: list[int] = []

    def report(done: int, of: int) -> None:
        reports.append(done)
        if len(reports) == 2:
            threading.Timer(0.05, cancel.cancel).start()

    start = time.monotonic()
    result = engine.generate(request(on_prompt_progress=report, cancel=cancel))
    assert result.finish_reason == "cancelled" and result.text == ""
    assert reports[-1] < result.prompt_tokens - 1  # stopped before the prompt's end
    assert time.monotonic() - start < 10
    # The model still answers afterwards.
    fresh_context(engine)
    assert engine.generate(request()).text
