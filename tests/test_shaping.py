from writer_app.tasks.shaping import Shaper


def shape(length, pieces):
    s = Shaper(length)
    out = []
    for p in pieces:
        out.append(s.feed(p))
        if s.complete:
            break
    out.append(s.finish())
    return "".join(out), s.complete


def test_short_stops_after_two_sentences():
    text, complete = shape("short", ["The harbour grew. Costs ", "rose by 1.", "2 million. ",
                                     "A third sentence.", " And more."])
    assert text == "The harbour grew. Costs rose by 1.2 million."
    assert complete


def test_short_keeps_one_sentence_and_drops_markers():
    assert shape("short", ["<docu", "ment>Whales eat krill.", "</document>"])[0] == (
        "Whales eat krill.")


def test_points_drop_the_preamble_and_normalize_bullets():
    pieces = ["Here are the key points:\n\n", "* Ships: more than ever\n2. Cost", "s fell\n",
              "\u2022 Cafés pleased\n\nI hope this helps!\n- late bullet\n"]
    text, complete = shape("points", pieces)
    assert text == "- Ships: more than ever\n- Costs fell\n- Cafés pleased\n"
    assert complete


def test_points_last_line_without_newline_is_kept():
    assert shape("points", ["- one\n- two"])[0] == "- one\n- two\n"


def test_medium_passes_through_without_markers():
    assert shape("medium", ["  A para", "graph.</document>"])[0] == "A paragraph."


def test_points_from_prose_become_one_bullet_per_sentence():
    pieces = ["Here is the list:\nShips came. Costs ", "fell.\nCafés were pleased."]
    text, _ = shape("points", pieces)
    assert text == "- Ships came.\n- Costs fell.\n- Cafés were pleased.\n"


def test_an_introduction_line_is_dropped_from_prose():
    pieces = ["This document is summarized in a paragraph with the ", "following information:\n",
              "The harbour grew. Costs fell."]
    assert shape("medium", pieces)[0] == "The harbour grew. Costs fell."
    assert shape("short", pieces)[0] == "The harbour grew. Costs fell."


def test_a_one_line_answer_is_kept_whole():
    assert shape("medium", ["Whales eat krill: lots of it."])[0] == "Whales eat krill: lots of it."
    assert shape("short", ["One. Two. Three."])[0] == "One. Two."
