"""The job runner's lanes: what the user asked for runs in the order asked, and a user's
job waiting on a lane goes before background work waiting there."""

from __future__ import annotations

import threading

from writer_app.ui.jobs import JobRunner


def test_jobs_on_a_lane_run_in_the_order_asked(qtbot):
    # Qt's pool, left to itself, puts a job handed to an idle thread at priority 0, so
    # the user's next job (priority 1) could overtake it while that thread woke.
    runner = JobRunner()
    ran: list[int] = []
    ended: list[int] = []
    for round_ in range(20):
        for i in range(5):
            runner.run(lambda _ctx, i=i: ran.append(i), lane="inference",
                       on_done=lambda _r, i=i: ended.append(i))
        qtbot.waitUntil(lambda n=5 * (round_ + 1): len(ended) == n, timeout=10000)
    assert ran == list(range(5)) * 20
    assert ended == ran


def test_a_users_job_waiting_goes_before_background_work(qtbot):
    runner = JobRunner()
    release = threading.Event()
    ran: list[str] = []
    runner.run(lambda _ctx: release.wait(10), lane="inference")
    for name, priority in [("background 1", "background"), ("user 1", "user"),
                           ("background 2", "background"), ("user 2", "user")]:
        runner.run(lambda _ctx, name=name: ran.append(name), lane="inference",
                   priority=priority)
    release.set()
    qtbot.waitUntil(lambda: len(ran) == 4, timeout=10000)
    assert ran == ["user 1", "user 2", "background 1", "background 2"]
