"""The window's flow where the words do not matter, on a fake backend: a suggestion made,
accepted and undone; a model swapped while a suggestion runs; events as signals."""

from __future__ import annotations

import pytest

from writer_app import paths
from writer_app.engine.engine import Engine
from writer_app.settings import Settings
from writer_app.ui.main_window import MainWindow

from .fake_backend import FakeBackend

ORIGINAL = "The harbour was busy this year."
ANSWER = "The harbour was very busy this year."


@pytest.fixture
def fake_window(qtbot):
    # No ghost-text probe: it would stream from the fake backends the tests count.
    w = MainWindow(Settings(ghost_text="off"), paths.model_search_dirs(), load_model=False)
    w.show()
    with qtbot.waitSignal(w.host.sig_model_loaded, timeout=10000):
        w.host.use(Engine(FakeBackend(ANSWER)))
    yield w
    w.editor.document().setModified(False)
    w.close()
    w.deleteLater()


def select_all(window, text):
    window.files.set_text(text, None)
    window.editor.selectAll()


def test_a_suggestion_is_ready_then_accepted_as_one_undo_step(qtbot, fake_window):
    w = fake_window
    select_all(w, ORIGINAL)
    with qtbot.waitSignal(w.suggesting.sig_suggestion_ready, timeout=10000) as ready:
        w.suggesting.suggest("rewrite")
    assert ready.args[0].text == ANSWER
    assert "very" in w.suggestions.view.toPlainText()  # the diff shows the change
    assert w.suggesting.accept()
    assert w.editor.toPlainText() == ANSWER
    w.editor.undo()
    assert w.editor.toPlainText() == ORIGINAL


def test_a_stopped_suggestion_says_so_and_changes_nothing(qtbot, fake_window):
    w = fake_window
    with qtbot.waitSignal(w.host.sig_model_loaded, timeout=10000):
        w.host.use(Engine(FakeBackend("word " * 200, delay=0.2)))  # stopped long before its end
    select_all(w, ORIGINAL)
    w.suggesting.suggest("rewrite")
    qtbot.waitUntil(lambda: w.suggestions.view.toPlainText().strip() != "", timeout=10000)
    with qtbot.waitSignal(w.suggesting.sig_suggestion_ended, timeout=10000) as ended:
        w.suggesting.stop()
    assert ended.args == ["Stopped."]
    assert not w.suggesting.accept() and w.editor.toPlainText() == ORIGINAL


def test_a_model_swap_while_a_suggestion_runs(qtbot, fake_window):
    # The swap waits on the inference lane for the running suggestion, not on the GUI
    # thread; the suggestion ends with its own text, and the old model is closed after it.
    w = fake_window
    slow = FakeBackend("slowly " * 30 + "done.", delay=0.03)
    with qtbot.waitSignal(w.host.sig_model_loaded, timeout=10000):
        w.host.use(Engine(slow))
    select_all(w, ORIGINAL)
    w.suggesting.suggest("continue")
    qtbot.waitUntil(lambda: slow.running == 1, timeout=10000)
    nxt = FakeBackend("The next model's words.")
    events: list[str] = []
    w.suggesting.sig_suggestion_ready.connect(lambda r: events.append(f"ready: {r.text}"))
    w.host.sig_model_loaded.connect(lambda e: events.append(f"loaded: {e.backend.name}"))
    with qtbot.waitSignals([w.suggesting.sig_suggestion_ready, w.host.sig_model_loaded],
                           timeout=20000):
        w.host.use(Engine(nxt))
        assert not slow.closed  # returned at once: nothing waited for the suggestion
    assert events[0].startswith("ready: slowly") and events[0].endswith("done.")
    assert events[1] == "loaded: fake"
    assert slow.closed and w.host.engine is not None and w.host.engine.backend is nxt


def test_a_suggestion_asked_for_during_a_load_runs_on_the_new_model(qtbot, default_model_path):
    w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    w.show()
    try:
        w.models.load_model(str(default_model_path))
        select_all(w, ORIGINAL)
        with qtbot.waitSignal(w.suggesting.sig_suggestion_ready, timeout=120000):
            w.suggesting.suggest("rewrite")  # queued behind the load on the inference lane
        assert w.host.engine is not None and w.host.engine.info.path == default_model_path
    finally:
        w.editor.document().setModified(False)
        w.close()


def test_no_model_at_all_is_said_plainly(qtbot):
    w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    w.show()
    try:
        select_all(w, ORIGINAL)
        w.suggesting.suggest("rewrite")
        assert w.suggestions.status.text() == "No model is loaded."
    finally:
        w.editor.document().setModified(False)
        w.close()


def test_summaries_and_translations_are_announced(qtbot, fake_window, tmp_path):
    w = fake_window
    select_all(w, "Plain words about the harbour and its ships.")
    with qtbot.waitSignal(w.summary.sig_summary_done, timeout=20000) as done:
        w.summary.summarize_own_text()
    assert done.args[1].summary
    with qtbot.waitSignal(w.translation.sig_translation_done, timeout=20000):
        w.translation.start(whole=True)
    assert w.translation.output.toPlainText()


def test_a_model_loading_when_the_window_closes_is_closed_too(qtbot, default_model_path):
    w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    w.show()
    w.models.load_model(str(default_model_path))
    w.host.close()  # as the window does when it closes
    qtbot.waitUntil(lambda: not w.host.loading, timeout=60000)
    assert w.host.engine is None  # the engine it loaded was not kept, and was closed
    w.close()


def test_background_work_gives_way_and_never_queues(qtbot, fake_window):
    from writer_app.engine.types import GenerationRequest

    w = fake_window
    slow = FakeBackend("slowly " * 40, delay=0.2)  # about 8 s: still running when asked
    with qtbot.waitSignal(w.host.sig_model_loaded, timeout=10000):
        w.host.use(Engine(slow))
    select_all(w, ORIGINAL)
    w.suggesting.suggest("continue")  # a user's request, on the inference lane
    qtbot.waitUntil(lambda: slow.running == 1, timeout=10000)
    outcome: list[str] = []
    w.runner.run(lambda _ctx: w.host.take().generate(GenerationRequest(
        prompt="ghost text", priority="background")), lane="background",
        on_done=lambda r: outcome.append("done"), on_failed=outcome.append)
    qtbot.waitUntil(lambda: bool(outcome), timeout=5000)
    assert outcome == ["the model is busy with another request"]
    assert w.suggesting.running  # the user's suggestion goes on
