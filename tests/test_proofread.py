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
    assert "owners were happy" in text  # agreement, weighed by the model
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
    assert "Blue: the spell checker's fixes" in window.suggestions.status.text()
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


def test_the_first_word_is_chosen_in_context_too(engine):
    from writer_app.tasks.proofread import model_choice

    session = SpellSession("en_US", "en_US")
    checked = spelling_pass("Wich one of these do you want?", session, model_choice(engine))
    assert checked.text == "Which one of these do you want?"


@pytest.mark.parametrize(("text", "fixed"), [
    ("The results was clear.", "The results were clear."),
    ("She have two cats and a dog.", "She has two cats and a dog."),
    ("He is taller then his brother.", "He is taller than his brother."),
    ("The dog wagged it's tail.", "The dog wagged its tail."),
    # Right as they are: nothing to fix.
    ("The data is stored on disk.", None),
    ("They're going over there with their friends.", None),
])
def test_agreement_and_homophones_are_fixed_where_the_model_is_sure(engine, text, fixed):
    from writer_app.tasks.proofread import agreement_pass

    session = SpellSession("en_US", "en_US")
    assert agreement_pass(text, session, engine.likelihoods)[0] == (fixed or text)


def test_agreement_is_left_to_english_paragraphs(engine):
    from writer_app.tasks.proofread import agreement_pass

    german = "Was ist das? Ich weiß nicht, was er damit meint, aber es ist gut."
    text = f"{german}\n\nThe results was clear."
    assert agreement_pass(text, SpellSession(), engine.likelihoods) == (
        f"{german}\n\nThe results were clear.", {"was": "were"})


@pytest.mark.parametrize(("before", "after", "kept"), [
    # Quote marks are the writer's; a capital may start a defined term.
    ('Sign a "copyright disclaimer" now.', "Sign a copyright disclaimer now.", False),
    ("For the Covered Code only.", "For the covered code only.", False),
    # A dropped word is not a correction, unless it repeats its neighbour.
    ("Section numbers or the equivalent are not part of it.",
     "Section numbers or equivalent are not part of it.", False),
    ("It was the the best day.", "It was the best day.", True),
    ("The module will removed soon.", "The module will be removed soon.", True),
])
def test_what_a_proofread_may_change(before, after, kept):
    assert keep_corrections(before, after) == (after if kept else before)


def test_the_rewrite_does_not_undo_the_fixes_made_before_it():
    before = "Improved error messaging when the scheme is missing."
    after = "Improved error message when the scheme is missing."
    assert keep_corrections(before, after) == after
    assert keep_corrections(before, after, settled={"messaging"}) == before


def test_the_model_judges_each_edit_of_its_rewrite(engine):
    """The rewrite's edits that pass the rules are kept only where the model, weighing
    the sentence both ways, finds the edit far likelier."""
    from writer_app.tasks.proofread import model_judge

    judge = model_judge(engine)
    assert keep_corrections("The module is now old and will removed in the future.",
                            "The module is now old and will be removed in the future.",
                            judge) == "The module is now old and will be removed in the future."
    before = "It comes WITHOUT ANY WARRANTY; without even the implied warranty."
    assert keep_corrections(
        before, "It comes with ANY WARRANTY; without even the implied warranties.",
        judge) == before
