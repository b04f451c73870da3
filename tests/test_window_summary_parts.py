"""A dropped document while the model reads it: the outline at once, each part's summary
as soon as it is done, the final summary on top at the end with the parts folded under
it, and Stop keeping what is done. The real default model, with a short context so the
document goes in several parts."""

from __future__ import annotations

import pytest

from writer_app import paths
from writer_app.settings import Settings
from writer_app.ui.main_window import MainWindow

TOPICS = {
    "Harbour": "The harbour was rebuilt in 1890 after a storm destroyed the old pier. Fishing "
               "boats land cod and herring there every morning.",
    "Market": "The market opens on Saturdays in the square. Farmers sell cheese, apples and "
              "bread from the valley.",
    "School": "The town school has two hundred pupils. It teaches Welsh and English and has "
              "a choir that sings at the autumn fair.",
    "Railway": "The railway reached the town in 1865. Trains to the city run every hour and "
               "take forty minutes.",
    "Castle": "The castle ruins stand on the hill above the town. Visitors climb the tower "
              "for a view of the bay.",
    "Festival": "Each August the town holds a music festival on the beach. Bands play for "
                "three nights and the streets fill with visitors.",
}


@pytest.fixture
def short_window(qtbot):
    w = MainWindow(Settings(context_length_cap=1024), paths.model_search_dirs())
    w.show()
    qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading, timeout=60000)
    yield w
    w.summary.stop()
    w.editor.document().setModified(False)
    w.close()
    w.deleteLater()


@pytest.fixture
def town(tmp_path):
    text = "\n\n".join(f"# {name}\n\n" + " ".join([body] * 5) for name, body in TOPICS.items())
    path = tmp_path / "town.md"
    path.write_text(text)
    return path


def test_the_outline_comes_first_then_each_part_then_the_summary_on_top(qtbot, short_window,
                                                                        town):
    pane = short_window.summary
    summaries: list = []
    pane.sig_summary_done.connect(lambda source, result: summaries.append((source, result)))
    seen_parts: list[int] = []
    pane.add([town])
    # The outline, before any part's summary: every section, with its own sentences.
    qtbot.waitUntil(lambda: pane._outline is not None, timeout=15000)
    assert not pane._parts_done
    shown = pane.parts_view.toPlainText()
    for name, body in TOPICS.items():
        assert name in shown
        assert body.split(". ")[0] in shown
    assert pane.parts_view.isVisible() and pane.parts_toggle.isChecked()
    assert not pane.output.isVisible()  # the room is the parts' until the summary comes
    # Each part as soon as it is done, while the others are still read.
    qtbot.waitUntil(lambda: pane.reading.value() > 0, timeout=120000)
    assert pane.reading.isVisible() and pane.reading.format().startswith("Read ")
    qtbot.waitUntil(lambda: len(pane._parts_done) >= 1, timeout=120000)
    n = len(pane._plan.labels)
    assert n > 1
    if len(pane._parts_done) < n:
        seen_parts.append(len(pane._parts_done))
        assert "(being read" in pane.parts_view.toPlainText()
        assert f"of {n} summarized" in pane.parts_toggle.text()
    first = pane._parts_done[min(pane._parts_done)]
    assert first and first in pane.parts_view.toPlainText()
    qtbot.waitUntil(lambda: bool(summaries), timeout=300000)
    # The final summary on top; every part's summary kept below it, folded.
    result = summaries[0][1]
    assert pane.output.toPlainText() == result.summary and result.summary
    assert pane.output.isVisible() and not pane.reading.isVisible()
    assert len(pane._parts_done) == n == result.parts
    assert pane.parts_toggle.text() == f"Each part: {n} of {n} summarized"
    assert not pane.parts_toggle.isChecked() and not pane.parts_view.isVisible()
    pane.parts_toggle.click()
    assert pane.parts_view.isVisible()
    assert "(being read" not in pane.parts_view.toPlainText()
    assert all(s in pane.parts_view.toPlainText() for s in result.part_summaries)
    assert seen_parts, "no part was shown before the others were done"


def test_stop_keeps_the_parts_that_are_done(qtbot, short_window, town):
    pane = short_window.summary
    pane.add([town])
    qtbot.waitUntil(lambda: len(pane._parts_done) >= 1, timeout=120000)
    pane.stop()
    qtbot.waitUntil(lambda: not pane.busy, timeout=30000)
    assert pane.progress.text() == "Stopped."
    done = dict(pane._parts_done)
    kept = pane.parts_view.toPlainText()
    assert all(text in kept for text in done.values())
    assert pane.output.toPlainText() == ""
    # What Copy and Insert take: the parts done, and the outline of the rest.
    assert all(text in pane.result_text() for text in done.values())
    assert pane.copy_button.isEnabled() and pane.insert_button.isEnabled()


def test_a_second_model_named_in_the_settings_reads_the_parts(qtbot, test_model_path, town):
    """Settings → "Their parts read by": that model summarizes the parts (loaded when the
    summary starts), the model in use combines them, and the pane says so."""
    w = MainWindow(Settings(context_length_cap=1024, summary_map_model=str(test_model_path)),
                   paths.model_search_dirs())
    w.show()
    try:
        qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading, timeout=60000)
        summaries: list = []
        w.summary.sig_summary_done.connect(lambda _source, result: summaries.append(result))
        w.summary.add([town])
        qtbot.waitUntil(lambda: bool(summaries), timeout=300000)
        result = summaries[0]
        assert result.map_model == test_model_path.name and result.parts > 1
        assert f"(the parts by {test_model_path.name})" in w.summary.progress.text()
        assert w.host._map is not None and w.host._map[0] == str(test_model_path)
        # Naming none in the settings closes it; the model in use reads the parts again.
        w.apply_settings(Settings(context_length_cap=1024))
        qtbot.waitUntil(lambda: w.host._map is None, timeout=30000)
    finally:
        w.summary.stop()
        w.close()
        w.deleteLater()


def test_a_parts_model_that_cannot_load_is_named_and_the_text_is_kept(qtbot, tmp_path, town):
    bad = tmp_path / "broken-small.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 60)
    w = MainWindow(Settings(context_length_cap=1024, summary_map_model=str(bad)),
                   paths.model_search_dirs())
    w.show()
    try:
        qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading, timeout=60000)
        w.editor.setPlainText("My own words stay.")
        w.summary.add([town])
        qtbot.waitUntil(lambda: not w.summary.busy, timeout=60000)
        shown = w.summary.progress.text()
        assert "broken-small.gguf" in shown and "Settings" in shown
        assert w.editor.toPlainText() == "My own words stay."
    finally:
        w.summary.stop()
        w.editor.document().setModified(False)
        w.close()
        w.deleteLater()
