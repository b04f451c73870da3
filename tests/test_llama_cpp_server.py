"""Ghost text over llama.cpp's own server (llama-server, built from the pinned sdist for
this machine by `scripts/llama_build.py server`; it never ships): a model with
fill-in-the-middle tokens is asked through /infill with the text after the cursor, and
`cache_prompt` keeps what the server read for the next request; a model without them is
refused /infill once and gets a plain completion from then on."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from writer_app.engine.engine import Engine
from writer_app.engine.types import CancelToken
from writer_app.tasks.tone import SENTIMENTS, check_tone

from .helpers import model_with_fim
from .llama_server import serving
from .loopback import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
BEFORE = "The harbour was busy this year, and the cafes on the quay were"
AFTER = " every night until the autumn storms came."


@pytest.fixture(scope="module")
def llama_server_binary() -> Path:
    """Built by `make test` before the tests (they stay offline): only looked up here."""
    proc = subprocess.run([sys.executable, "scripts/llama_build.py", "server",
                           "--cached-only"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    if proc.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(proc.stderr.strip())
        pytest.skip(proc.stderr.strip())
    return Path(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def fim_model(default_model_path, tmp_path_factory) -> Path:
    return model_with_fim(default_model_path,
                          tmp_path_factory.mktemp("fim") / "smollm2-with-fim.gguf")


@contextlib.contextmanager
def serve(binary: Path, model: Path) -> Iterator[str]:
    port = free_port()

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                return bool(json.load(r).get("status") == "ok")
        except (OSError, ValueError):  # not up yet; 503 while the model loads
            return False

    with serving([str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(port),
                  "-c", "2048", "-t", "2"], healthy, "llama-server"):
        yield f"http://127.0.0.1:{port}/v1"


def ghost(engine: Engine, before: str, after: str | None):
    pieces: list[str] = []
    stats = engine.inline(before, after, 8, CancelToken(),
                          lambda p: pieces.append(p) is None)
    return "".join(pieces), stats


def test_a_fim_model_fills_the_gap_through_infill_and_reuses_the_prompt(
        llama_server_binary, fim_model):
    with serve(llama_server_binary, fim_model) as url:
        engine = Engine.connect(url)
        try:
            assert engine.backend.kind == "llama-server"
            assert engine.capabilities.fill_in_middle
            text, stats = ghost(engine, BEFORE, AFTER)
            assert text and stats.completion_tokens > 0
            # The server read the text after the gap too: /infill, not a completion.
            assert engine.backend._infill
            alone = engine.count_tokens(BEFORE)
            assert stats.prompt_tokens >= alone + engine.count_tokens(AFTER)
            # One more character typed: the server reads only what is new.
            _text, again = ghost(engine, BEFORE + " f", AFTER)
            assert again.reused_tokens >= alone - 2
        finally:
            engine.close()


def test_a_model_without_fim_tokens_gets_a_completion(llama_server_binary,
                                                     default_model_path):
    with serve(llama_server_binary, default_model_path) as url:
        engine = Engine.connect(url)
        try:
            text, stats = ghost(engine, BEFORE, AFTER)  # /infill refused (501), then this
            assert text and stats.completion_tokens > 0
            assert not engine.backend._infill
            assert stats.prompt_tokens <= engine.count_tokens(BEFORE) + 2
            _text, again = ghost(engine, BEFORE + " f", AFTER)
            assert again.reused_tokens >= engine.count_tokens(BEFORE) - 2  # cache_prompt
        finally:
            engine.close()


def test_tone_is_held_to_its_schema_by_the_server(llama_server_binary, default_model_path):
    """llama-server turns the JSON schema of `response_format` into a grammar."""
    with serve(llama_server_binary, default_model_path) as url:
        engine = Engine.connect(url)
        try:
            text = "Thank you, this is wonderful news!\n\nThe invoice is attached."
            report = check_tone(text, engine)
            assert len(report.ratings) == 2 and all(r.rated for r in report.ratings)
            assert {r.sentiment for r in report.ratings} <= set(SENTIMENTS)
        finally:
            engine.close()
