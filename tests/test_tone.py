"""Check tone (tasks/tone.py): paragraphs and their offsets, the answer's schema, the
overall line, and the real default model rating, held to the schema by llama.cpp's
grammar; the transformers backend, without grammars, validates instead."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.engine.types import CancelToken
from writer_app.errors import WriterError
from writer_app.tasks.tone import (
    SENTIMENTS,
    TONES,
    Paragraph,
    Rating,
    check_tone,
    overall,
    paragraphs_of,
    parse_rating,
)

FIXTURES = Path(__file__).parent / "fixtures"
TEXT = ("# Reply\n\nThanks so much for the quick turnaround, I am really happy with it!\n\n"
        "The figures are wrong again. Fix them today.\n\n```\ncode = 1\n```\n\n"
        "The meeting is at ten in room four.\n")


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "writer_app", *args], input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_paragraphs_keep_their_offsets_and_skip_headings_and_code():
    found = paragraphs_of(TEXT)
    assert [p.text for p in found] == [
        "Thanks so much for the quick turnaround, I am really happy with it!",
        "The figures are wrong again. Fix them today.",
        "The meeting is at ten in room four."]
    assert all(TEXT[p.start:p.end] == p.text for p in found)
    # A text typed without blank lines: each line is a paragraph, as the editor shows it.
    lines = "First line here.\nSecond line here.\n\n"
    assert [p.text for p in paragraphs_of(lines)] == ["First line here.",
                                                      "Second line here."]
    assert paragraphs_of("# Only a heading\n\n  \n") == []
    # A fenced block with a blank line in it is code to its closing fence.
    fenced = "Before it.\n\n```\nx = 1\n\ny = 2\n```\n\nAfter it."
    assert [p.text for p in paragraphs_of(fenced)] == ["Before it.", "After it."]


def test_only_the_schema_s_answer_parses():
    good = '{"sentiment": "neutral", "tone": "formal", "reason": "States a time."}'
    assert parse_rating(good) == ("neutral", "formal", "States a time.")
    assert parse_rating("```json\n" + good + "\n```") == ("neutral", "formal",
                                                          "States a time.")
    for bad in ("neutral", '{"sentiment": "angry", "tone": "formal", "reason": "x"}',
                '{"sentiment": "neutral", "tone": "formal"}', "[1, 2]",
                '{"sentiment": "neutral", "tone": "formal", "reason": "  "}'):
        assert parse_rating(bad) is None, bad


def rating(sentiment, tone, i=0):
    return Rating(Paragraph(i, 0, 1, "x"), sentiment, tone, "a reason")


def test_the_overall_line_names_the_usual_sentiment_and_what_stands_out():
    ratings = [rating("neutral", "formal"), rating("neutral", "friendly"),
               rating("neutral", "curt"), rating("positive", "formal")]
    assert overall(ratings) == "mostly neutral, one paragraph reads curt"
    assert overall(ratings[:2]) == "all neutral"
    assert overall([rating("negative", "hesitant"), rating("positive", "curt")]) == \
        "mixed: 1 negative, 1 positive, one paragraph reads curt, one paragraph reads hesitant"
    assert overall([*ratings[:2], rating(None, None)]) == "all neutral, one paragraph unrated"
    assert overall([rating(None, None)]) == "no paragraph could be rated"


def test_the_default_model_rates_every_paragraph_in_the_schema(engine):
    seen: list[Rating] = []
    report = check_tone(TEXT, engine, on_rating=seen.append)
    assert engine.capabilities.constrained_output
    assert len(report.ratings) == 3 == report.paragraphs and seen == report.ratings
    for r in report.ratings:
        assert r.rated and r.sentiment in SENTIMENTS and r.tone in TONES and r.reason
    assert report.ratings[0].sentiment == "positive"  # "really happy with it!"
    data = report.to_json()
    assert data["overall"] == report.overall and len(data["paragraphs"]) == 3
    assert TEXT[data["paragraphs"][2]["start"]:data["paragraphs"][2]["end"]] == \
        "The meeting is at ten in room four."


def test_a_stop_keeps_the_paragraphs_already_rated(engine):
    cancel = CancelToken()
    report = check_tone(TEXT, engine, cancel=cancel, on_rating=lambda _r: cancel.cancel())
    assert report.cancelled and len(report.ratings) == 1 and report.paragraphs == 3


def test_nothing_to_rate_is_named(engine):
    with pytest.raises(WriterError, match=r"notes\.md: has no paragraph to rate"):
        check_tone("# Heading\n\n```\nx = 1\n```\n", engine, name="notes.md")


@pytest.mark.slow
def test_without_grammars_the_answer_is_validated_and_never_guessed(hf_engine):
    assert not hf_engine.capabilities.constrained_output
    report = check_tone("The meeting is at ten in room four.", hf_engine)
    (r,) = report.ratings
    # Rated only when the model's own answer was the JSON asked for; else said unrated.
    assert (r.rated and r.sentiment in SENTIMENTS and r.tone in TONES) or \
        (r.sentiment is None and r.reason.startswith("unrated"))


def test_the_cli_rates_a_document_as_json(tmp_path, default_model_path):
    page = tmp_path / "reply.md"
    page.write_text(TEXT, encoding="utf-8")
    proc = cli("tone", str(page), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"] == str(page) and data["paragraph_count"] == 3
    assert [p["sentiment"] in SENTIMENTS for p in data["paragraphs"]] == [True] * 3
    assert "rating paragraph 3 of 3" in proc.stderr
    docx = cli("tone", str(FIXTURES / "harbour-libreoffice.docx"))
    assert docx.returncode == 0, docx.stderr
    assert docx.stdout.splitlines()[-1].startswith("Overall: ")


def test_the_cli_names_an_empty_or_unreadable_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    proc = cli("tone", str(empty))
    assert proc.returncode == 1 and "empty.txt is empty: there is no text to rate" in \
        proc.stderr
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a docx")
    proc = cli("tone", str(broken))
    assert proc.returncode == 1 and "broken.docx" in proc.stderr
    assert "Traceback" not in proc.stderr
