"""Proofread = the spell checker's sure fixes, then the model for grammar, kept sentence by
sentence only where it corrects; the diff says which fix came from where."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from writer_app.tasks.actions import find_action
from writer_app.tasks.diff import Change
from writer_app.tasks.proofread import (
    keep_corrections,
    marked_diff,
    proofread,
    spelling_pass,
)
from writer_app.tasks.spelling import SpellSession

SENTENCE = ("Teh harbour was very busy this yeer, and the cafe owners was happy becuase "
            "the tourists spended a lot.")


@pytest.fixture(scope="module")
def british():
    return SpellSession("en_GB", "en_GB")


def test_the_sure_fixes_are_made_and_the_rest_left_to_the_model(british):
    checked = spelling_pass(SENTENCE, british)
    assert checked.fixes == {"Teh": "The", "yeer": "year", "becuase": "because",
                             "spended": "spent"}
    assert checked.text == SENTENCE.replace("Teh", "The").replace("yeer", "year").replace(
        "becuase", "because").replace("spended", "spent")
    assert checked.unsure == {}
    unsure = spelling_pass("Please update to the latest verson of it.", british)
    assert list(unsure.unsure) == ["verson"] and "version" in unsure.unsure["verson"]


def test_a_reworded_sentence_is_refused_and_a_corrected_one_kept():
    before = "The owners was happy. The tourists spent a lot of money there."
    after = "The owners were happy. They had a lot of tourists that year."
    assert keep_corrections(before, after) == (
        "The owners were happy. The tourists spent a lot of money there.")
    # Paragraphs stay paragraphs; a merged sentence is judged with its paragraph.
    assert keep_corrections("A cat sat.\n\nIt was  happy.", "A cat sat.\n\nIt were happy.") \
        == "A cat sat.\n\nIt were happy."


def test_the_diff_marks_each_change_with_its_source():
    changes = marked_diff("Teh cat was happy.", "The cat were happy.", {"Teh": "The"})
    assert Change("insert", "The", "spelling") in changes
    assert Change("insert", "were", "model") in changes
    assert all(c.source == "" for c in changes if c.op == "equal")


def test_the_issue_sentence_comes_back_correct_with_its_meaning(engine, british):
    result = proofread(engine, find_action("proofread"), SENTENCE, british)
    text = result.text
    for fixed in ("The harbour", "year", "because"):
        assert fixed in text
    for typo in ("Teh", "yeer", "becuase"):
        assert typo not in text
    assert "tourists" in text and "cafe owners" in text  # the meaning kept
    sources = {c.source for c in result.changes if c.op == "insert"}
    assert "spelling" in sources


def test_the_cli_proofread_runs_the_same_pipeline():
    proc = subprocess.run([sys.executable, "-m", "writer_app", "rewrite", "--action",
                           "proofread", "--diff", "--seed", "2"], input=SENTENCE,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "LANG": "en_GB.UTF-8"})
    assert proc.returncode == 0, proc.stderr
    assert "[-Teh-]{~The~}" in proc.stdout and "becuase" not in proc.stdout.replace(
        "[-becuase-]", "")


@pytest.fixture
def british_locale(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")


def test_the_window_shows_both_kinds_of_fix(qtbot, british_locale, window):
    window.files.set_text(SENTENCE, None)
    window.editor.selectAll()
    with qtbot.waitSignal(window.suggesting.sig_suggestion_ready, timeout=120000):
        window.suggesting.suggest("proofread")
    html = window.suggestions.view.toHtml()
    assert "#1f5fbf" in html.lower()  # the spell checker's fixes, in blue
    assert window.suggesting.accept()
    text = window.editor.toPlainText()
    assert "Teh" not in text and "becuase" not in text and "yeer" not in text
    assert "harbour" in text  # British, as the system is


def test_the_model_chooses_among_the_candidates_in_context(engine):
    from writer_app.tasks.proofread import model_choice

    session = SpellSession("en_US", "en_US")
    speller = session.speller("en_US")
    assert speller.sure_fix("verson") is None  # person or version?
    checked = spelling_pass("Please update to the latest verson of the program.", session,
                            model_choice(engine))
    assert checked.text == "Please update to the latest version of the program."
    assert checked.fixes == {"verson": "version"} and checked.unsure == {}
