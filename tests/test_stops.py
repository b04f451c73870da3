from writer_app.engine.stops import StopMatcher


def run(stops, pieces):
    m = StopMatcher(stops)
    out = [m.feed(p) for p in pieces]
    if not m.stopped:
        out.append(m.flush())
    return "".join(out), m.stopped


def test_no_stops_passes_everything():
    assert run((), ["a", "b"]) == ("ab", False)


def test_stop_split_across_pieces():
    assert run(("</s>",), ["hello <", "/", "s> more"]) == ("hello ", True)


def test_partial_match_that_is_not_a_stop_is_released():
    assert run(("STOP",), ["ST", "ART"]) == ("START", False)


def test_held_text_is_flushed_at_the_end():
    assert run(("\n\n",), ["line\n"]) == ("line\n", False)


def test_earliest_stop_wins():
    assert run(("b", "a"), ["xxab"]) == ("xx", True)


def test_nothing_is_held_longer_than_needed():
    m = StopMatcher(("###",))
    assert m.feed("text #") == "text "
    assert m.feed("x") == "#x"
