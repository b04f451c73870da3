"""The remote engine against a real OpenAI-compatible server on loopback (llama-cpp-python's
own, with the default model), and a stub for what that server cannot show."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from writer_app.documents.model import Block, Document
from writer_app.engine import remote_backend
from writer_app.engine.engine import Engine
from writer_app.engine.errors import PromptTooLongError
from writer_app.engine.remote_backend import ServerError
from writer_app.engine.types import (
    CancelToken,
    ChatMessage,
    GenerationRequest,
    SamplingOptions,
)
from writer_app.tasks.summarize import summarize
from writer_app.tasks.tone import check_tone

from .llama_server import llama_server
from .loopback import free_port
from .openai_stub import openai_stub

GREEDY = SamplingOptions(temperature=0.0, max_tokens=24, seed=1)


@pytest.fixture(scope="module")
def server(default_model_path):
    # A 1024-token context the server does not announce: the client learns it from the
    # server's error. Parallel requests must not end one another's streams.
    with llama_server(default_model_path, "--n_ctx", "1024",
                      "--interrupt_requests", "False") as (url, _proc):
        yield url


@pytest.fixture(scope="module")
def remote(server):
    engine = Engine.connect(server)
    yield engine
    engine.close()


def cli(*args: str, text: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "writer_app", *args], input=text,
                          capture_output=True, text=True, timeout=300)


def test_the_server_is_described_and_streams_an_answer(remote, server):
    assert remote.info.name.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert remote.device.device == "server" and "127.0.0.1" in remote.device.reason
    assert remote.capabilities.token_count == "exact"  # its /extras/tokenize
    assert remote.count_tokens("Token counts agree between both backends.") > 3
    pieces: list[str] = []
    result = remote.generate(GenerationRequest(
        messages=[ChatMessage("user", "Name three colours.")], options=GREEDY), pieces.append)
    assert len(pieces) > 3 and "".join(pieces) == result.text and result.text.strip()
    assert result.completion_tokens <= 24 and result.finish_reason in ("stop", "length")
    raw = remote.generate(GenerationRequest(prompt="The capital of France is",
                                            options=GREEDY))
    assert "Paris" in raw.text


def test_stop_strings_end_the_answer_before_them(remote):
    free = remote.generate(GenerationRequest(prompt="1, 2, 3, 4, 5,",
                                             options=GREEDY)).text
    assert "7" in free
    stopped = remote.generate(GenerationRequest(
        prompt="1, 2, 3, 4, 5,", options=SamplingOptions(temperature=0.0, max_tokens=24,
                                                         stop=("7",)))).text
    assert "7" not in stopped and stopped == free[:free.index("7")]


def test_cancel_mid_stream_stops_the_pieces(remote):
    cancel = CancelToken()
    pieces: list[str] = []

    def on_piece(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.cancel()

    result = remote.generate(GenerationRequest(
        messages=[ChatMessage("user", "Write a long story about the sea.")],
        options=SamplingOptions(max_tokens=400), cancel=cancel), on_piece)
    assert result.finish_reason == "cancelled" and len(pieces) == 3


def test_a_prompt_too_long_for_the_server_gives_both_numbers(remote):
    with pytest.raises(PromptTooLongError) as err:
        remote.generate(GenerationRequest(messages=[ChatMessage("user", "word " * 1500)]))
    assert err.value.context_length == 1024 and err.value.prompt_tokens > 1024
    assert remote.context_length == 1024  # learned from the server's error


@pytest.mark.parametrize("args", [
    ("rewrite", "--action", "proofread"),
    ("translate", "--to", "fr"),
    ("summarize", "FILE"),
])
def test_the_tasks_run_unchanged_over_the_server(server, args, tmp_path):
    text = ("The harbour was very busy this year. The cafe owners were happy because the "
            "tourists spent a lot of money in the town.")
    (tmp_path / "town.txt").write_text(text * 3)
    args = tuple(str(tmp_path / "town.txt") if a == "FILE" else a for a in args)
    proc = cli(*args, "--engine", server, text=text)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_the_cli_lists_the_servers_models(server):
    proc = cli("models", "--engine", server)
    assert proc.returncode == 0, proc.stderr
    assert "SmolLM2-135M-Instruct.Q4_1.gguf (from 127.0.0.1:" in proc.stdout


def test_a_wrong_key_is_named(default_model_path):
    with llama_server(default_model_path, "--api_key", "right-key") as (url, _proc):
        with pytest.raises(ServerError, match=r"refused the API key \(401\)"):
            Engine.connect(url, "wrong-key")
        assert Engine.connect(url, "right-key").info.name
        proc = subprocess.run([sys.executable, "-m", "writer_app", "models", "--engine", url,
                               "--api-key-env", "WRITER_TEST_KEY"], capture_output=True,
                              text=True, timeout=120,
                              env={**os.environ, "WRITER_TEST_KEY": "right-key"})
        assert proc.returncode == 0, proc.stderr


def test_a_server_killed_mid_stream_is_an_error_not_a_hang(default_model_path):
    with llama_server(default_model_path) as (url, proc):
        engine = Engine.connect(url)
        pieces: list[str] = []

        def on_piece(piece: str) -> None:
            pieces.append(piece)
            if len(pieces) == 2:
                proc.kill()

        with pytest.raises(ServerError, match=r"the answer broke off|failed"):
            engine.generate(GenerationRequest(
                messages=[ChatMessage("user", "Write a long story about the sea.")],
                options=SamplingOptions(max_tokens=400)), on_piece)
        assert len(pieces) >= 2


def test_a_refused_port_is_named():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ServerError, match="refused the connection"):
        Engine.connect(url)


def test_an_unknown_model_is_named():
    with openai_stub() as stub:
        with pytest.raises(ServerError, match=r"no model 'other' on the server \(it has "
                                              r"served, gone\)"):
            Engine.connect(stub.url, model="other")
        engine = Engine.connect(stub.url, model="gone")  # listed, then gone
        with pytest.raises(ServerError, match=r"\(404\): The model `gone` does not exist"):
            engine.generate(GenerationRequest(messages=[ChatMessage("user", "Hi")]))
        assert Engine.connect(stub.url).context_length == 4096  # vLLM's max_model_len


def test_a_server_that_ignores_the_schema_gets_one_more_try_then_unrated():
    with openai_stub() as stub:  # vLLM (it names max_model_len): OpenAI's json_schema
        engine = Engine.connect(stub.url)
        report = check_tone("The invoice is attached.", engine)
        (rating,) = report.ratings
        assert not rating.rated and rating.reason.startswith("unrated")
        chats = [b for b in stub.bodies if "messages" in b]
        assert len(chats) == 2  # the answer ("Hello there.") is not JSON: asked again
        assert chats[1]["temperature"] > 0  # and not the same request twice
        fmt = chats[0]["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["schema"]["required"] == ["sentiment", "tone", "reason"]
        assert report.overall == "no paragraph could be rated"


def test_busy_is_retried_once_after_the_wait_asked():
    with openai_stub() as stub:
        engine = Engine.connect(stub.url)
        stub.busy_once = True
        start = time.monotonic()
        result = engine.generate(GenerationRequest(messages=[ChatMessage("user", "Hi")]))
        assert result.text == "Hello there." and time.monotonic() - start >= 1.0
        chats = [t for path, t in stub.calls if path == "/v1/chat/completions"]
        assert len(chats) == 2 and chats[1] - chats[0] >= 1.0


def test_a_server_that_never_answers_times_out_and_stop_still_works(monkeypatch):
    monkeypatch.setattr(remote_backend, "ANSWER_TIMEOUT_S", 1.0)
    with openai_stub() as stub:
        engine = Engine.connect(stub.url)
        stub.silent = True
        with pytest.raises(ServerError, match="no answer within 1 s"):
            engine.generate(GenerationRequest(messages=[ChatMessage("user", "Hi")]))
        monkeypatch.setattr(remote_backend, "ANSWER_TIMEOUT_S", 20.0)
        cancel = CancelToken()
        threading.Timer(0.3, cancel.cancel).start()
        start = time.monotonic()
        result = engine.generate(GenerationRequest(messages=[ChatMessage("user", "Hi")],
                                                   cancel=cancel))
        assert result.finish_reason == "cancelled" and time.monotonic() - start < 2.0


def _sections(n: int) -> Document:
    blocks = []
    for i in range(n):
        blocks.append(Block("heading", f"Town {i}", 1))
        blocks.append(Block("paragraph", f"Town {i} has a harbour, a market and {i + 3} "
                                         "bakeries. Its people fish and sell bread. " * 4))
    return Document(Path("towns.md"), "markdown", "Towns", blocks)


def test_the_server_says_how_many_requests_it_serves(remote):
    # llama-cpp-python's server says nothing of its slots: one at a time unless asked.
    assert remote.capabilities.parallel_requests == 1
    with openai_stub() as stub:  # vLLM batches: several at once
        assert Engine.connect(stub.url).capabilities.parallel_requests == 8
        assert Engine.connect(stub.url, parallel=2).capabilities.parallel_requests == 2


def test_a_summarys_parts_go_to_the_server_at_once(server):
    engine = Engine.connect(server, parallel=4)
    started: list[tuple[str, int, int, float]] = []
    start = time.monotonic()
    back: list[float] = []  # when each part's answer came back
    result = summarize(_sections(6), engine, "short", part_tokens=90,
                       progress=lambda stage, i, n: started.append(
                           (stage, i, n, time.monotonic() - start)),
                       on_part=lambda _i, _text: back.append(time.monotonic() - start))
    parts = [s for s in started if s[0] == "part"]
    n = result.parts
    assert n >= 5 and len(result.part_summaries) == n
    assert [s[1] for s in parts] == list(range(1, n + 1)) and {s[2] for s in parts} == {n}
    # Four parts were asked for before the first answer came back (one at a time, part
    # 4 would start only after three answers), the fifth once one came back.
    assert parts[3][3] < min(back) <= parts[4][3], (parts, back)
    assert result.summary


def test_cancel_stops_parts_in_flight_at_once(server):
    engine = Engine.connect(server, parallel=4)
    cancel = CancelToken()
    stopped_at: list[float] = []

    def progress(stage: str, i: int, n: int) -> None:
        if stage == "part" and i == 4:  # four parts in flight: stop them
            stopped_at.append(time.monotonic())
            cancel.cancel()

    result = summarize(_sections(8), engine, "short", part_tokens=90, cancel=cancel,
                       progress=progress)
    assert result.cancelled and result.summary == "" and stopped_at
    assert time.monotonic() - stopped_at[0] < 2.0


def test_a_server_that_ends_one_answer_for_another_is_named(default_model_path):
    # llama-cpp-python's server by default ends the stream in progress when a request
    # comes: the cut answer is an error, not a short answer taken for whole.
    with llama_server(default_model_path) as (url, _proc):
        engine = Engine.connect(url, parallel=2)
        outcomes: list[object] = []
        streaming = threading.Event()

        def ask(on_piece=None) -> None:
            try:
                outcomes.append(engine.generate(GenerationRequest(
                    messages=[ChatMessage("user", "Write a long story about the sea.")],
                    options=SamplingOptions(max_tokens=300, temperature=0.0)), on_piece))
            except ServerError as exc:
                outcomes.append(exc)

        first = threading.Thread(target=ask, args=(lambda _p: streaming.set(),))
        first.start()
        assert streaming.wait(60)  # the first answer is coming: now the second request
        ask()
        first.join(60)
        assert not first.is_alive()
    errors = [o for o in outcomes if isinstance(o, ServerError)]
    assert len(outcomes) == 2 and errors, outcomes
    assert "cut the answer short" in str(errors[0]) and "--interrupt_requests False" in \
        str(errors[0])


def test_ghost_text_comes_from_the_server_too(remote):
    """The remote engine gets ghost text as a raw greedy completion, in the background
    priority, cut at the end of its sentence like a local one."""
    from writer_app.tasks import ghost

    text = "The lighthouse keeper climbed the stairs every evening to light the"
    shown: list[str] = []
    remote_ghost, stats = ghost.complete(remote, ghost.at_end(text), CancelToken(),
                                         shown.append)
    assert remote_ghost.strip() and shown[-1] == remote_ghost
    assert 1 <= stats.completion_tokens <= ghost.MAX_TOKENS
    assert "\n" not in remote_ghost
    again, _ = ghost.complete(remote, ghost.at_end(text), CancelToken(), lambda _g: None)
    assert again == remote_ghost  # greedy: the same text, the same ghost
