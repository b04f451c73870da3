"""The llama.cpp engine with the real default model."""

import pytest
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from writer_app.engine import hardware
from writer_app.engine.engine import Engine
from writer_app.engine.errors import PromptTooLongError
from writer_app.engine.model_info import read_model_info
from writer_app.engine.types import ChatMessage, EngineConfig, GenerationRequest, SamplingOptions

from .helpers import fresh_context

GREEDY = SamplingOptions(temperature=0.0, max_tokens=24)


def ask(engine, text, options=GREEDY, raw=False, fresh=False):
    if fresh:
        fresh_context(engine)
    pieces = []
    if raw:
        request = GenerationRequest(prompt=text, options=options)
    else:
        request = GenerationRequest(messages=[ChatMessage("user", text)], options=options)
    result = engine.generate(request, pieces.append)
    return result, pieces


def test_context_length_comes_from_the_model(engine):
    assert engine.info.context_length == 8192
    assert engine.context_length == 8192


def test_context_length_is_capped_by_the_setting(default_model_path):
    eng = Engine.load(read_model_info(default_model_path), EngineConfig(context_length_cap=1024))
    try:
        assert eng.context_length == 1024
        assert eng.backend._llm.n_ctx() == 1024
    finally:
        eng.close()


def test_threads_follow_the_cpu_count(engine):
    assert engine.backend.threads == hardware.default_threads() >= 1
    assert engine.backend._llm.n_threads == engine.backend.threads


def test_offload_decision_can_be_read_back(engine):
    import llama_cpp

    device = engine.device
    assert device.reason
    if llama_cpp.llama_supports_gpu_offload():
        assert device.offloaded and device.device == "gpu"
    else:
        assert not device.offloaded and device.device == "cpu"
        assert "no GPU support" in device.reason


def test_offload_choices():
    assert hardware.choose_offload(True, "auto").gpu_layers == -1
    off = hardware.choose_offload(True, "off")
    assert off.gpu_layers == 0 and "turned off in the settings" in off.reason
    cpu_only = hardware.choose_offload(False, "auto")
    assert cpu_only.gpu_layers == 0 and "no GPU support" in cpu_only.reason


def test_chat_prompt_is_the_models_own_template(engine):
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "Hi there")]
    ours = engine.prompt_text(GenerationRequest(messages=messages))
    formatter = Jinja2ChatFormatter(engine.info.chat_template, eos_token="<|im_end|>",
                                    bos_token="<|im_start|>")
    theirs = formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
    assert ours == theirs.prompt
    assert ours.endswith("<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n")


def test_chat_answer_streams_in_pieces(engine):
    result, pieces = ask(engine, "Write one sentence about the sea.",
                         SamplingOptions(seed=7, max_tokens=40))
    assert len(pieces) > 5
    assert "".join(pieces) == result.text
    assert result.text.strip()
    assert result.prompt_tokens > 10 and 0 < result.completion_tokens <= 40
    assert result.finish_reason in ("stop", "length")


def test_raw_completion_continues_the_prompt(engine):
    result, _ = ask(engine, "The capital of France is", raw=True)
    assert "Paris" in result.text
    assert result.prompt_tokens == engine.count_tokens("The capital of France is")


def test_same_seed_same_answer_other_seed_other_answer(engine):
    options = SamplingOptions(temperature=1.0, seed=1234, max_tokens=30)
    first, _ = ask(engine, "Invent a name for a cat.", options, fresh=True)
    second, _ = ask(engine, "Invent a name for a cat.", options, fresh=True)
    assert first.text == second.text
    others = {ask(engine, "Invent a name for a cat.",
                  SamplingOptions(temperature=1.0, seed=s, max_tokens=30))[0].text
              for s in (1, 2, 3)}
    assert len(others | {first.text}) > 1


def test_top_k_one_is_greedy(engine):
    # The two requests differ only in the sampling under test: the same penalty, min-p,
    # top-p and seed, each from a fresh context.
    same = {"top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.1, "seed": 99,
            "max_tokens": 24}
    greedy, _ = ask(engine, "Name three colours.",
                    SamplingOptions(temperature=0.0, **same), fresh=True)
    top1, _ = ask(engine, "Name three colours.",
                  SamplingOptions(temperature=1.5, top_k=1, **same), fresh=True)
    assert top1.text == greedy.text


def test_max_tokens_is_respected(engine):
    result, _ = ask(engine, "Tell me a long story.", SamplingOptions(seed=3, max_tokens=5))
    assert result.completion_tokens == 5
    assert result.finish_reason == "length"


def test_stop_strings_end_the_answer_before_them(engine):
    free, _ = ask(engine, "1, 2, 3, 4, 5,", raw=True, fresh=True)
    assert " 8" in free.text
    stopped, pieces = ask(engine, "1, 2, 3, 4, 5,",
                          SamplingOptions(temperature=0.0, max_tokens=24, stop=(" 8",)),
                          raw=True, fresh=True)
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text[: free.text.index(" 8")]
    assert "".join(pieces) == stopped.text


def test_tokens_are_counted_with_the_models_tokenizer(engine):
    text = "Writer counts tokens with the model's own tokenizer."
    expected = engine.backend._llm.tokenize(text.encode(), add_bos=False)
    assert engine.count_tokens(text) == len(expected)
    assert engine.count_tokens("") == 0


def test_prompt_longer_than_the_context_gives_both_numbers(default_model_path):
    eng = Engine.load(read_model_info(default_model_path), EngineConfig(context_length_cap=256))
    try:
        text = "word " * 400
        with pytest.raises(PromptTooLongError) as err:
            eng.generate(GenerationRequest(prompt=text))
        n = eng.backend.tokenize_prompt(text)
        assert err.value.prompt_tokens == len(n) > 256
        assert f"{len(n)} tokens long" in str(err.value)
        assert "holds 256 tokens" in str(err.value)
    finally:
        eng.close()


def test_answer_is_clamped_to_the_room_left_in_the_context(default_model_path):
    eng = Engine.load(read_model_info(default_model_path), EngineConfig(context_length_cap=256))
    try:
        prompt = "one two three " * 80
        room = 256 - len(eng.backend.tokenize_prompt(prompt))
        result = eng.generate(GenerationRequest(prompt=prompt,
                                                options=SamplingOptions(max_tokens=1000)))
        assert result.completion_tokens <= room
    finally:
        eng.close()


def test_a_request_has_messages_or_a_prompt():
    with pytest.raises(ValueError):
        GenerationRequest()
    with pytest.raises(ValueError):
        GenerationRequest(messages=[ChatMessage("user", "x")], prompt="x")


def test_model_too_big_for_memory_is_refused_before_loading(engine):
    from writer_app.engine.errors import EngineError

    with pytest.raises(EngineError) as err:
        hardware.check_memory(engine.info, 8192, available=64 * 2**20)
    message = str(err.value)
    assert str(engine.info.path) in message
    assert "only 0.1 GiB is free" in message and "pick a smaller model" in message
    # Enough for a shorter context: the message says which.
    with pytest.raises(EngineError, match="a context of 5632 tokens would fit"):
        hardware.check_memory(engine.info, 8192, available=400 * 2**20)
    hardware.check_memory(engine.info, 8192, available=8 * 2**30)


def test_likelihoods_rank_the_endings_a_reader_expects(engine):
    scores = engine.likelihoods("The cat sat on the ", ["mat.", "mad.", "hat."])
    assert scores[0] == max(scores) and scores[1] == min(scores)
    # At the very start of a text too, with no beginning-of-text token to lean on.
    first, typo = engine.likelihoods("", ["The cat sat.", "Teh cat sat."])
    assert first > typo + 5


def test_likelihoods_leave_the_context_as_generation_expects_it(engine):
    """Scoring decodes its endings into the context and takes them out again: whatever
    the context held before, the scores are the same, and so is the next answer."""
    ending = ["time, there was a king.", "dog, there was a king."]
    fresh_context(engine)
    alone = engine.likelihoods("Once upon a ", ending)
    ask(engine, "Once upon a time", raw=True)
    after_answer = engine.likelihoods("Once upon a ", ending)
    assert after_answer == pytest.approx(alone, abs=0.05)
    result, _ = ask(engine, "The capital of France is", raw=True)
    assert "Paris" in result.text


def test_cancelled_likelihoods_are_minus_infinity(engine):
    from writer_app.engine.types import CancelToken

    cancel = CancelToken()
    cancel.cancel()
    assert engine.likelihoods("A ", ["b", "c"], cancel=cancel) == [float("-inf")] * 2


def test_a_backend_that_cannot_score_says_so():
    from writer_app.engine.errors import EngineError

    from .fake_backend import FakeBackend

    with pytest.raises(EngineError, match="cannot score"):
        Engine(FakeBackend()).likelihoods("A ", ["b"])


def test_likelihoods_fit_the_smallest_context(default_model_path):
    """At a 256-token context an ending is cut to half of it, and the text before to the
    rest: nothing is decoded past the batch or the context."""
    small = Engine.load(read_model_info(default_model_path), EngineConfig(context_length_cap=256))
    try:
        long_rest = " the cat sat on the mat" * 60
        scores = small.likelihoods("Once upon a time " * 40, [" Alpha" + long_rest,
                                                              " Beta" + long_rest])
        assert len(scores) == 2 and all(s < 0 for s in scores)
    finally:
        small.close()
