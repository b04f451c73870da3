"""Cancel stops within one token, and also interrupts a long prompt evaluation."""

import threading
import time

from writer_app.engine.types import CancelToken, ChatMessage, GenerationRequest, SamplingOptions

from .helpers import fresh_context

LONG_ANSWER = SamplingOptions(temperature=0.8, seed=5, max_tokens=400)


def story_request(cancel):
    return GenerationRequest(messages=[ChatMessage("user", "Tell me a long story about a fox.")],
                             options=LONG_ANSWER, cancel=cancel)


def test_cancel_from_the_stream_itself_stops_at_once(engine):
    cancel = CancelToken()
    pieces, after = [], []

    def on_piece(piece):
        (after if cancel.cancelled else pieces).append(piece)
        if len(pieces) == 5:
            cancel.cancel()

    result = engine.generate(story_request(cancel), on_piece)
    assert result.cancelled
    assert after == []
    assert result.completion_tokens <= 6
    assert result.text == "".join(pieces)


def test_cancel_from_another_thread_stops_within_one_token(engine):
    cancel = CancelToken()
    ten_pieces = threading.Event()
    pieces_at_cancel = []
    pieces = []

    def on_piece(piece):
        pieces.append(piece)
        if len(pieces) == 10:
            ten_pieces.set()

    def canceller():
        ten_pieces.wait(60)
        cancel.cancel()
        pieces_at_cancel.append(len(pieces))

    thread = threading.Thread(target=canceller)
    thread.start()
    result = engine.generate(story_request(cancel), on_piece)
    thread.join()
    assert result.cancelled
    arrived_after_cancel = len(pieces) - pieces_at_cancel[0]
    assert arrived_after_cancel <= 1
    assert result.completion_tokens < LONG_ANSWER.max_tokens


def test_cancel_interrupts_a_long_prompt_evaluation(engine):
    text = " ".join(f"Line {i} of a long report on tides and harbours." for i in range(250))
    n_prompt = len(engine.backend.tokenize_prompt(text))
    assert n_prompt > 2500  # several seconds of prompt evaluation on this machine
    cancel = CancelToken()
    pieces = []
    timer = threading.Timer(0.5, cancel.cancel)
    timer.start()
    started = time.perf_counter()
    result = engine.generate(GenerationRequest(prompt=text, cancel=cancel), pieces.append)
    stopped_after = time.perf_counter() - started
    timer.join()
    assert result.cancelled and pieces == [] and result.completion_tokens == 0
    # The evaluation was cut short: the context holds only part of the prompt.
    assert engine.backend.cached_tokens < n_prompt
    assert stopped_after < 5


def test_engine_is_sound_after_an_interrupted_evaluation(engine):
    question = GenerationRequest(prompt="The capital of France is",
                                 options=SamplingOptions(temperature=0.0, max_tokens=12))
    fresh_context(engine)  # as `again` will be: the cancelled prompt shares no prefix
    before = engine.generate(question).text
    cancel = CancelToken()
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    long_text = "Words about nothing in particular. " * 300
    assert engine.generate(GenerationRequest(prompt=long_text, cancel=cancel)).cancelled
    timer.join()
    again = GenerationRequest(prompt="The capital of France is",
                              options=SamplingOptions(temperature=0.0, max_tokens=12))
    assert engine.generate(again).text == before


def test_a_request_cancelled_before_it_starts_produces_nothing(engine):
    cancel = CancelToken()
    cancel.cancel()
    pieces = []
    result = engine.generate(story_request(cancel), pieces.append)
    assert result.cancelled and pieces == [] and result.text == ""


def test_child_token_follows_its_parent_but_not_the_other_way():
    parent = CancelToken()
    child = CancelToken(parent=parent)
    child.cancel()
    assert child.cancelled and not parent.cancelled
    other = CancelToken(parent=parent)
    parent.cancel()
    assert other.cancelled
