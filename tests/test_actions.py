"""Writing actions as data, model output cleanup and the word diff (no model needed)."""

import pytest

from writer_app import settings
from writer_app.errors import WriterError
from writer_app.settings import Settings
from writer_app.tasks.actions import BUILT_IN, all_actions, find_action
from writer_app.tasks.cleanup import clean_result
from writer_app.tasks.diff import render_diff, word_diff


def test_built_in_actions_cover_the_issue():
    names = {a.name for a in BUILT_IN}
    assert {"proofread", "rewrite", "formal", "friendly", "confident", "plain", "shorter",
            "longer", "continue", "custom"} <= names
    assert find_action("continue").use == "insert"
    assert find_action("custom").needs_instruction


def test_a_custom_action_is_one_settings_entry():
    entry = {"name": "pirate", "label": "Like a pirate", "instruction": "Rewrite as a pirate.",
             "use": "show"}
    settings.save(Settings(custom_actions=[entry]))
    prefs = settings.load()
    action = find_action("pirate", prefs.custom_actions)
    assert (action.label, action.instruction, action.use) == (
        "Like a pirate", "Rewrite as a pirate.", "show")
    assert [a.name for a in all_actions(prefs.custom_actions)][-1] == "pirate"


@pytest.mark.parametrize("entry,reason", [
    ({"label": "x", "instruction": "y"}, "lacks 'name'"),
    ({"name": "x", "label": "x", "instruction": "y", "use": "shout"}, "'use' must be one of"),
    ({"name": "x", "label": "", "instruction": "y"}, "must be text"),
])
def test_bad_custom_actions_are_named(entry, reason):
    with pytest.raises(WriterError, match=reason):
        all_actions([entry])


def test_unknown_action_lists_the_known_ones():
    with pytest.raises(WriterError, match=r"unknown action 'dance'.*proofread"):
        find_action("dance")


@pytest.mark.parametrize("raw,expected", [
    ("Sure! Here is the corrected text:\n\nThe cat sat.", "The cat sat."),
    ("Here's a friendlier version: The cat sat.", "The cat sat."),
    ('"The cat sat."', "The cat sat."),
    ("\u201cThe cat sat.\u201d", "The cat sat."),
    ("The cat sat.\n\nNote: I fixed the spelling of 'the'.", "The cat sat."),
    ("Corrected text: The cat sat.", "The cat sat."),
    ("Rewrite with a formal tone:\nThe cat sat.", "The cat sat."),
    ("<text>The cat sat.</text>", "The cat sat."),
    ("The cat sat.\n\nI hope this helps!", "The cat sat."),
])
def test_cleanup_leaves_only_the_answer(raw, expected):
    assert clean_result(raw, "Teh cat sat.") == expected


def test_cleanup_keeps_quotes_the_writer_used():
    assert clean_result('"To be," she said.', '"To be" she said.') == '"To be," she said.'


def test_diff_rebuilds_both_texts():
    original = "Teh harbour was busy, and the cafe owners was happy."
    suggestion = "The harbour was busy, and the café owners were very happy!"
    changes = word_diff(original, suggestion)
    assert "".join(c.text for c in changes if c.op != "insert") == original
    assert "".join(c.text for c in changes if c.op != "delete") == suggestion
    assert render_diff(changes) == ("[-Teh-]{+The+} harbour was busy, and the [-cafe-]{+café+} "
                                    "owners [-was-]{+were very+} happy[-.-]{+!+}")
