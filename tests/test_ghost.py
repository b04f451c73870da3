"""Ghost text below the window: where it is offered, what is asked, where it ends, the
fill-in-the-middle prompt, and the engine's own context for it with the real model."""

from __future__ import annotations

import threading
import time

import pytest

from writer_app.engine.engine import Engine
from writer_app.engine.errors import EngineBusy
from writer_app.engine.fim import FimTokens, fim_prompt, fim_tokens
from writer_app.engine.model_info import read_model_info
from writer_app.engine.types import CancelToken, GenerationRequest, SamplingOptions
from writer_app.tasks import ghost

from .helpers import model_with_fim

STORY = ("The lighthouse keeper climbed the stairs every evening to light the lamp. "
         "Ships passing the rocks relied on its beam through the long winter nights. "
         "One night the storm was so strong that")


# --- where a ghost is offered -----------------------------------------------------------
@pytest.mark.parametrize("before, line_rest, selected, reason", [
    ("The cat sat", "", True, "text is selected"),
    ("The ca", "t sat.", False, "text follows the cursor on its line"),
    ("The cat", " sat on the mat.", False, "text follows the cursor on its line"),
    ("First line.\n", "", False, "nothing is written on this line yet"),
    ("Notes\n```\nprint(x", "", False, "the cursor is in a code block"),
    ("Open the file my_config", "", False, "the word at the cursor is code"),
    ("Open https://example.org/pa", "", False, "the word at the cursor is code"),
    ("See config.py", "", False, "the word at the cursor is code"),
])
def test_no_ghost_where_it_would_be_in_the_way(before, line_rest, selected, reason):
    assert ghost.why_not(before, line_rest, selected) == reason


@pytest.mark.parametrize("before, line_rest", [
    ("The cat sat", ""), ("The cat sat ", "  "), ("The cat, the dog", "\n"),
    ("Notes\n```\ncode\n```\nAfter the block we", ""),
    # Numbers and acronyms are prose, though the spell checker skips them.
    ("It was built in 1999", ""), ("She moved to the USA", ""), ("He won 3.5", ""),
])
def test_a_ghost_is_offered_at_the_end_of_a_line_of_prose(before, line_rest):
    assert ghost.why_not(before, line_rest, False) is None


def test_the_prompt_start_stays_put_while_typing_so_the_cache_serves():
    starts = {ghost.window_start(cursor)
              for cursor in range(9000, 9000 + ghost.START_STEP // 2, 7)}
    assert len(starts) == 1
    text = "word " * 3000
    for cursor in (9000, 11000, 14999):
        start = ghost.window_start(cursor)
        assert cursor - start <= ghost.BEFORE_CHARS
        context = ghost.context_of(text[start:cursor], "", start > 0)
        # A word cut by the start is dropped: the prompt begins with a whole word.
        assert context.before.startswith("word")
    assert ghost.window_start(500) == 0


def test_the_text_before_loses_its_trailing_space_and_the_after_is_kept():
    context = ghost.context_of("One two ", "Next line", False)
    assert context.before == "One two" and context.spaced
    assert context.after == "Next line"


# --- where it ends ----------------------------------------------------------------------
def feed(cut, pieces):
    for piece in pieces:
        if not cut.feed(piece):
            break
    return cut.ghost


def test_a_ghost_ends_at_the_end_of_its_sentence_or_line():
    assert feed(ghost.Cut(False), [" went", " home", ".", " Then", " more"]) == " went home."
    assert feed(ghost.Cut(False), [" costs", " 3", ".", "5", " euros", "!", " x"]) \
        == " costs 3.5 euros!"
    assert feed(ghost.Cut(False), [" the", " end\nNext"]) == " the end"
    assert feed(ghost.Cut(False), [' he said."', " And"]) == ' he said."'


def test_after_a_typed_space_the_ghost_starts_with_the_next_word():
    assert feed(ghost.Cut(True), [" went", " home"]) == "went home"
    # An answer that would go on with the word before the space is no ghost.
    assert feed(ghost.Cut(True), ["ing", " home"]) == ""
    # The space as a piece of its own (Llama 3's " ", "199", "9" for " 1999").
    assert feed(ghost.Cut(True), [" ", "199", "9", " was"]) == "1999 was"


# --- fill in the middle ------------------------------------------------------------------
def test_the_fim_prompt_is_prefix_suffix_middle():
    fim = FimTokens(prefix=7, suffix=8, middle=9)
    assert fim_prompt([1, 2], [3], fim) == [7, 1, 2, 8, 3, 9]
    assert fim_prompt([1], [], fim, bos=0) == [0, 7, 1, 8, 9]
    assert fim_tokens(7, 8, 9) == fim and fim_tokens(7, -1, 9) is None


@pytest.fixture(scope="module")
def fim_model(default_model_path, tmp_path_factory):
    return model_with_fim(default_model_path,
                          tmp_path_factory.mktemp("fim") / "smollm2-with-fim.gguf")


def test_a_model_whose_header_declares_fim_tokens_gets_a_fim_prompt(fim_model, engine):
    fim_engine = Engine.load(read_model_info(fim_model))
    try:
        backend = fim_engine.backend
        assert fim_engine.capabilities.fill_in_middle
        assert backend.fim == FimTokens(4, 5, 6)
        head = backend._llm.tokenize(b"The cat", add_bos=False, special=False)
        tail = backend._llm.tokenize(b" on the mat.", add_bos=False, special=False)
        assert backend.inline_prompt("The cat", " on the mat.") == [4, *head, 5, *tail, 6]
        # Nothing after the cursor: a plain completion.
        assert backend.inline_prompt("The cat", "") == head
        pieces: list[str] = []
        stats = fim_engine.inline("The cat", " on the mat.", 4, CancelToken(),
                                  lambda p: pieces.append(p) is None)
        assert stats.prompt_tokens == len(head) + len(tail) + 3
    finally:
        fim_engine.close()
    # The default model declares none: the text after the cursor is left out.
    assert not engine.capabilities.fill_in_middle
    assert engine.backend.inline_prompt("The cat", " on the mat.")[-1] != 6


# --- the engine's own context for ghost text ---------------------------------------------
def ghost_of(engine, text, fresh=False):
    return ghost.complete(engine, ghost.at_end(text), CancelToken(), lambda _g: None, fresh)


def test_successive_requests_reuse_what_was_read_and_give_the_same_ghost(engine):
    first, cold = ghost_of(engine, STORY, fresh=True)
    assert first and cold.reused_tokens == 0 and cold.first_token_seconds > 0
    again, warm = ghost_of(engine, STORY)
    assert again == first  # greedy: the same text gives the same ghost
    assert warm.reused_tokens == warm.prompt_tokens - 1
    typed = STORY + " the"
    longer, after_typing = ghost_of(engine, typed)
    assert after_typing.reused_tokens >= cold.prompt_tokens - 2
    # What reuse gives is what reading it all afresh gives.
    assert longer == ghost_of(engine, typed, fresh=True)[0]


def test_a_suggestion_in_between_does_not_throw_the_ghosts_cache_away(engine):
    ghost_of(engine, STORY)
    engine.generate(GenerationRequest(prompt="Something else entirely.",
                                      options=SamplingOptions(max_tokens=4)))
    _, stats = ghost_of(engine, STORY + " it")
    assert stats.reused_tokens >= stats.prompt_tokens - 3


def test_a_ghost_request_never_waits_while_the_model_serves_the_user(engine):
    holding, release = threading.Event(), threading.Event()

    def user_job():
        with engine.lanes.slot("user"):
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=user_job)
    worker.start()
    holding.wait(10)
    try:
        started = time.perf_counter()
        with pytest.raises(EngineBusy):
            ghost_of(engine, STORY)
        assert time.perf_counter() - started < 0.5
    finally:
        release.set()
        worker.join()


def test_a_users_request_cancels_a_ghost_request_in_flight(engine):
    long_text = " ".join([STORY] * 25)  # about 1,000 tokens: read afresh, it takes a while
    cancel = CancelToken()
    outcome: dict[str, object] = {}

    def ghost_job():
        outcome["stats"] = ghost.complete(engine, ghost.at_end(long_text), cancel,
                                          lambda _g: None, fresh=True)[1]

    worker = threading.Thread(target=ghost_job)
    worker.start()
    deadline = time.monotonic() + 30
    while not engine.lanes._active and time.monotonic() < deadline:  # the ghost holds it
        time.sleep(0.005)
    assert engine.lanes._active, "the ghost request never took the model"
    started = time.perf_counter()
    result = engine.generate(GenerationRequest(prompt="Hello", options=SamplingOptions(
        max_tokens=2)))
    waited = time.perf_counter() - started
    worker.join(30)
    assert cancel.cancelled and outcome["stats"].cancelled
    assert result.text is not None and waited < 2.0


def test_a_request_cancelled_midway_keeps_what_was_read_for_the_next(engine):
    """A keystroke cancels the request in flight, often while it writes: what the
    context read stays, and the next request reads only what is new."""
    ghost_of(engine, STORY, fresh=True)
    cancel = CancelToken()
    count = 0

    def piece(_p: str) -> bool:
        nonlocal count
        count += 1
        if count == 2:
            cancel.cancel()  # as a keystroke would, while the ghost is being written
        return True

    engine.inline(STORY + " the", None, 20, cancel, piece)
    _, stats = ghost_of(engine, STORY + " the wind")
    assert stats.reused_tokens >= stats.prompt_tokens - 3
