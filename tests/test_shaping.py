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


LOOP = ("This document is a guide to Python's data types, including lists and tuples. "
        "The \"cell\" type is in the \"types\" module.\n\n")


def test_a_prose_answer_ends_where_it_starts_over():
    # What the default model wrote for one part of a long PDF: its answer, then again.
    pieces = [(LOOP * 3)[i:i + 7] for i in range(0, len(LOOP * 3), 7)]
    text, complete = shape("medium", pieces)
    assert text.strip() == LOOP.strip() and complete
    # Nearly the same words count as the same sentence; a sentence at the very end too.
    again = LOOP + "This document is a guide to Python's data types, including lists, tuples."
    assert shape("medium", [again])[0].strip() == LOOP.strip()
    # A sentence left out at a paragraph's start keeps the paragraph apart.
    text = shape("medium", ["Alpha beta gamma delta one.\n\nAlpha beta gamma delta one. "
                            "Next words are here now."])[0]
    assert text == "Alpha beta gamma delta one.\n\nNext words are here now."
    # One word in ten different: another sentence, not a repeat.
    north = "Sales in the northern region increased by ten percent over the year."
    text = shape("medium", [north + " " + north.replace("northern", "southern")])[0]
    assert text == north + " " + north.replace("northern", "southern")


def test_one_line_answers_and_cjk_sentences_pass():
    line = "The report covers the annual budget in detail.\n"
    assert shape("medium", [line])[0] == line.strip()
    assert shape("short", [line])[0] == line.strip()
    s = Shaper("medium")  # Chinese sentences end without a space: passed on as they end
    assert s.feed("\u603b\u7ed3\uff1a\n\u7b2c\u4e00\u53e5\u3002\u7b2c\u4e8c") == \
        "\u7b2c\u4e00\u53e5\u3002"


def test_a_point_said_again_is_left_out_and_the_second_ends_the_list():
    pieces = ["- Ships came in record numbers\n- Costs fell by a fifth\n",
              "- Ships came in record numbers\n- Cafés were pleased\n",
              "- Costs fell by a fifth\n- Ships came in record numbers\n"]
    text, complete = shape("points", pieces)
    assert text == ("- Ships came in record numbers\n- Costs fell by a fifth\n"
                    "- Cafés were pleased\n") and complete
    # A sentence said once more is left out, and what follows it is kept; short ones
    # ("Yes.") may repeat.
    assert shape("medium", ["Yes. Yes. The harbour grew."])[0] == "Yes. Yes. The harbour grew."
    assert shape("short", ["The harbour grew this year. The harbour grew this year. Costs "
                           "fell. More."])[0] == "The harbour grew this year. Costs fell."


def test_a_sentence_cut_off_by_the_token_limit_is_left_out():
    s = Shaper("medium")
    text = s.feed("The harbour grew this year.\n\nCosts fell, and the cafés ") + s.finish(
        cut_off=True)
    assert text.strip() == "The harbour grew this year."
    s = Shaper("medium")  # whole lines of a list are kept; only the last, cut, is not
    text = s.feed("The report covers roads.\n\nKey points:\n- Roads get more money\n"
                  "- Schools get less money\n- Par") + s.finish(cut_off=True)
    assert text.strip() == ("The report covers roads.\n\nKey points:\n- Roads get more "
                            "money\n- Schools get less money")
    s = Shaper("medium")  # a numbered point cut off goes whole, its number too
    text = s.feed("The report covers roads.\n\n1. Roads get more money.\n2. Schools get "
                  "less") + s.finish(cut_off=True)
    assert text.strip() == "The report covers roads.\n\n1. Roads get more money."
    s = Shaper("medium")  # all there is: kept
    assert (s.feed("Costs fell, and the cafés ") + s.finish(cut_off=True)).startswith("Costs")
    s = Shaper("medium")  # ended on its own: kept whole
    assert "cafés" in s.feed("The harbour grew.\n\nCosts fell, and the cafés") + s.finish()
