"""The Backend protocol as both backends implement it: messages or a raw prompt in,
capabilities, constrained output, priorities and the per-backend lane policy."""

from __future__ import annotations

import json
import threading
import time

import pytest

from writer_app.engine.engine import Engine, RendersPrompts
from writer_app.engine.errors import EngineBusy, EngineError
from writer_app.engine.types import (
    CancelToken,
    ChatMessage,
    Constraint,
    GenerationRequest,
    SamplingOptions,
)

from .fake_backend import FakeBackend

SCHEMA = {"type": "object", "properties": {"colour": {"type": "string"},
                                            "count": {"type": "integer"}},
          "required": ["colour", "count"]}


def test_both_backends_state_what_they_offer(engine, hf_engine):
    for eng in (engine, hf_engine):
        caps = eng.capabilities
        assert caps.token_count == "exact" and caps.parallel_requests == 1
        assert isinstance(eng.backend, RendersPrompts)
    assert engine.capabilities.constrained_output
    assert not hf_engine.capabilities.constrained_output


def test_a_request_takes_messages_or_a_raw_prompt_on_both_backends(engine, hf_engine):
    for eng in (engine, hf_engine):
        chat = GenerationRequest(messages=[ChatMessage("user", "Say hello.")],
                                 options=SamplingOptions(temperature=0.0, max_tokens=6))
        raw = GenerationRequest(prompt="Once upon a time",
                                options=SamplingOptions(temperature=0.0, max_tokens=6))
        assert eng.prompt_tokens(chat) == eng.generate(chat).prompt_tokens
        assert eng.prompt_tokens(raw) == eng.generate(raw).prompt_tokens
        assert eng.prompt_text(chat).endswith("Say hello.<|im_end|>\n<|im_start|>assistant\n")


def test_llama_cpp_holds_its_output_to_a_json_schema(engine):
    request = GenerationRequest(
        messages=[ChatMessage("user", "Name a colour and a number, as JSON.")],
        options=SamplingOptions(temperature=0.7, seed=3, max_tokens=60),
        constraint=Constraint("json_schema", json.dumps(SCHEMA)))
    data = json.loads(engine.generate(request).text)
    assert isinstance(data["colour"], str) and isinstance(data["count"], int)


def test_a_bad_grammar_and_missing_capabilities_are_named(engine, hf_engine):
    # A grammar that does not parse would crash llama.cpp's sampler: it is refused first.
    for bad in (Constraint("gbnf", "root ::= ("), Constraint("gbnf", "start ::= \"a\""),
                Constraint("json_schema", "{not json")):
        with pytest.raises(EngineError, match=bad.kind):
            engine.generate(GenerationRequest(prompt="x", constraint=bad))
    with pytest.raises(EngineError, match="transformers cannot hold its output to a grammar"):
        hf_engine.generate(GenerationRequest(prompt="x", constraint=Constraint("gbnf",
                                                                               'root ::= "a"')))
    with pytest.raises(EngineError, match="cannot fill in the middle"):
        engine.generate(GenerationRequest(prompt="def f(", suffix="):\n    pass"))


def test_a_users_request_preempts_background_work_at_once(engine):
    background = GenerationRequest(prompt="Tell a very long story about the sea:",
                                   options=SamplingOptions(seed=1, max_tokens=400),
                                   priority="background")
    pieces: list[str] = []
    results = {}
    worker = threading.Thread(target=lambda: results.update(
        bg=engine.generate(background, pieces.append)))
    worker.start()
    deadline = time.time() + 30
    while not pieces and time.time() < deadline:
        time.sleep(0.01)
    assert pieces, "the background request never started"
    user = engine.generate(GenerationRequest(prompt="The capital of France is",
                                             options=SamplingOptions(temperature=0.0,
                                                                     max_tokens=4)))
    worker.join(30)
    assert results["bg"].finish_reason == "cancelled"
    assert results["bg"].completion_tokens < 400
    assert "Paris" in user.text


def test_background_work_never_queues_behind_a_long_request():
    eng = Engine(FakeBackend("word " * 50, delay=0.1))  # about 5 s unless cancelled
    done, long_cancel = threading.Event(), CancelToken()
    worker = threading.Thread(target=lambda: (eng.generate(GenerationRequest(
        prompt="long", cancel=long_cancel)), done.set()))
    worker.start()
    while eng.backend.running == 0:  # type: ignore[attr-defined]
        time.sleep(0.001)
    start = time.perf_counter()
    with pytest.raises(EngineBusy):
        eng.generate(GenerationRequest(prompt="ghost", priority="background"))
    assert time.perf_counter() - start < 1.0  # refused, not waited for the 5 s
    long_cancel.cancel()
    worker.join()
    assert done.is_set()
    assert eng.generate(GenerationRequest(prompt="now free", priority="background")).text


def test_the_lane_policy_is_the_backends():
    def overlap(parallel):
        backend = FakeBackend("a b c d e f", delay=0.1, parallel=parallel)
        eng = Engine(backend)
        threads = [threading.Thread(target=eng.generate,
                                    args=(GenerationRequest(prompt=f"request {i}"),))
                   for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return backend.most_at_once

    assert overlap(1) == 1  # a local model: one at a time
    assert overlap(3) >= 2  # a server: several at once


def test_closing_waits_for_the_request_running_now():
    backend = FakeBackend("a b c d e f g h", delay=0.02)
    eng = Engine(backend)
    cancel = CancelToken()
    worker = threading.Thread(target=eng.generate,
                              args=(GenerationRequest(prompt="x", cancel=cancel),))
    worker.start()
    while backend.running == 0:
        time.sleep(0.001)
    eng.close()  # returns once the request has ended
    assert backend.running == 0 and backend.closed
    worker.join()
    with pytest.raises(EngineError, match="closed"):
        eng.generate(GenerationRequest(prompt="after"))


def test_counting_tokens_follows_the_same_priorities():
    backend = FakeBackend("word " * 100, delay=0.01)
    eng = Engine(backend)
    background = GenerationRequest(prompt="ghost text", priority="background")
    results = {}
    worker = threading.Thread(target=lambda: results.update(bg=eng.generate(background)))
    worker.start()
    while backend.running == 0:
        time.sleep(0.001)
    with pytest.raises(EngineBusy):
        eng.count_tokens("a background count", priority="background")
    assert eng.count_tokens("a task counts before it generates") == 6  # preempts
    worker.join(5)
    assert results["bg"].finish_reason == "cancelled"


def test_a_closed_engine_refuses_everything():
    backend = FakeBackend("a b c", delay=0.01)
    eng = Engine(backend)
    eng.close()
    for call in (lambda: eng.count_tokens("x"), lambda: eng.generate(GenerationRequest(
            prompt="x")), lambda: eng.prompt_tokens(GenerationRequest(prompt="x"))):
        with pytest.raises(EngineError, match="closed"):
            call()
    assert backend.closed
