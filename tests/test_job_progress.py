"""The progress bar long jobs share: the share done, and the time left once the speed
measured so far says something."""

from __future__ import annotations

import time

from writer_app.ui.job_progress import JobProgress, duration


def test_the_time_left_is_said_as_a_person_would():
    assert duration(2) == "5 s" and duration(42) == "40 s"
    assert duration(190) == "3 min 10 s" and duration(3600) == "60 min"
    assert duration(725) == "12 min"


def test_the_estimate_comes_once_the_speed_is_known(qtbot):
    bar = JobProgress()
    qtbot.addWidget(bar)
    bar.start("Reading…")
    assert bar.format() == "Reading…" and not bar.isHidden()
    bar.advance(1, 100, "Read 1%")
    assert bar.format() == "Read 1%" and bar.value() == 10
    bar._since = time.monotonic() - 10  # ten seconds for a quarter
    bar.advance(25, 100, "Read 25%")
    assert bar.format() == "Read 25% · about 30 s left" and bar.value() == 250
    bar.advance(100, 100, "Read 100%")
    assert bar.format() == "Read 100%"
    bar.finish()
    assert bar.isHidden()
