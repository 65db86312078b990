"""Background jobs without Qt: progress, posts, cancel, result, error, the NaN pause, shutdown."""
import threading
import time

import numpy as np
import pytest

from engine.nonfinite import NonFiniteError
from viewmodel.jobs import PAUSE_S, Cancelled, Job, cancel_all, running_jobs


def _count(n: int, gate: threading.Event | None = None):
    def work(job: Job) -> int:
        for k in range(n):
            if gate is not None:
                gate.wait(5)
            job.check_cancelled()
            job.report(k + 1, n, "counting")
            job.post(k)
        return n
    return work


def test_a_job_reports_progress_posts_in_order_and_returns_its_result():
    job = Job(_count(3), name="count").start()
    assert job.wait(5) and job.finished and not job.running
    news = job.take()
    assert news.progress == (3, 3, "counting") and news.posted == [0, 1, 2]
    assert (news.outcome.status, news.outcome.result, news.outcome.message) == ("done", 3, "done")
    again = job.take()
    assert again.progress is None and again.posted == [] and again.outcome is None, "news are given once"
    assert job.outcome.result == 3 and job not in running_jobs()


def test_run_does_the_work_on_this_thread():
    seen = []
    outcome = Job(lambda job: seen.append(threading.current_thread()) or 7).run()
    assert outcome.status == "done" and outcome.result == 7 and seen == [threading.current_thread()]


def test_cancel_stops_the_work_at_its_next_check():
    gate = threading.Event()
    job = Job(_count(1000, gate)).start()
    assert job in running_jobs() and job.running
    job.cancel()
    gate.set()
    assert job.wait(5)
    assert job.outcome.status == "cancelled" and len(job.take().posted) < 1000
    assert Job(lambda job: job.cancel() or job.check_cancelled()).run().status == "cancelled"
    with pytest.raises(Cancelled):
        j = Job(lambda job: None)
        j.cancel()
        j.check_cancelled()


def test_cancelled_before_it_ended_means_cancelled_even_if_the_work_returned():
    job = Job(lambda job: (job.cancel(), "partial")[1])
    outcome = job.run()
    assert outcome.status == "cancelled" and outcome.result == "partial"


def test_a_non_finite_number_pauses_the_job_and_says_where():
    def work(job: Job):
        job.post("round 1")
        raise NonFiniteError(3, "LSTM", "the loss")
    outcome = Job(work).run()
    assert outcome.status == "paused" and isinstance(outcome.error, NonFiniteError)
    assert outcome.message == "training step 3, LSTM: the loss is not finite"
    with np.errstate(all="raise"):
        assert Job(lambda job: np.log(np.zeros(1))).run().status == "paused"


def test_any_other_error_fails_the_job_with_its_traceback():
    outcome = Job(lambda job: 1 / 0, name="divide").start()
    outcome.wait(5)
    assert outcome.outcome.status == "failed" and isinstance(outcome.outcome.error, ZeroDivisionError)
    assert "ZeroDivisionError" in outcome.outcome.trace and "division by zero" in outcome.outcome.message


def test_a_generator_work_runs_one_step_per_yield_and_a_cancel_closes_it():
    closed = []

    def work(job: Job):
        try:
            for k in range(5):
                job.report(k + 1, 5)
                yield
        finally:
            closed.append(True)
        return "all frames"

    job = Job(work)
    assert job.step() and job.take().progress == (1, 5, "")
    assert job.step() and job.take().progress == (2, 5, "")
    job.cancel()
    assert not job.step() and closed == [True] and job.outcome.status == "cancelled"
    assert Job(work).run().result == "all frames"


def test_a_job_starts_once():
    job = Job(lambda job: None).start()
    job.wait(5)
    with pytest.raises(RuntimeError, match="started already"):
        job.start()


def test_cancel_all_waits_for_cooperative_jobs_and_abandons_a_stuck_one_in_time():
    release = threading.Event()
    polite = Job(_count(10_000_000), name="polite").start()
    stuck = Job(lambda job: release.wait(30), name="stuck").start()
    start = time.monotonic()
    left = cancel_all(timeout=0.5)
    assert time.monotonic() - start < 5
    assert left == [stuck] and polite.finished and polite.outcome.status == "cancelled"
    release.set()
    assert stuck.wait(5) and not running_jobs()


def _spin(seconds: float):
    """Work that loops on ``should_stop`` for ``seconds`` and returns how many safe points it passed."""
    def work(job: Job) -> int:
        end, passes = time.monotonic() + seconds, 0
        while time.monotonic() < end and not job.should_stop():
            passes += 1
        return passes
    return work


def test_a_job_waits_at_its_safe_points_for_a_viewer_that_falls_behind_and_only_then():
    unwatched = Job(_spin(0.3)).start()
    assert unwatched.wait(5)
    full_speed = unwatched.outcome.result  # nobody to wait for
    starved = Job(_spin(0.3))
    starved.keep_pace(0.01)  # a viewer that takes the news every 10 ms, then never does
    starved.start()
    assert starved.wait(5) and starved.outcome.result < full_speed / 5  # (free for 20 ms, then paced)
    waits = Job(_spin(0.3))
    waits.keep_pace(0.01)
    time.sleep(0.03)  # (the viewer already behind at the start)
    waits.start()
    assert waits.wait(5) and waits.outcome.result <= 0.3 / PAUSE_S + 2  # one pass per PAUSE_S
    kept = Job(_spin(0.3))
    kept.keep_pace(0.01)
    kept.start()
    while not kept.finished:  # a viewer that keeps up
        kept.take()
        time.sleep(0.002)
    assert kept.outcome.result > full_speed / 3
    released = Job(_spin(0.3))
    released.keep_pace(0.01)
    released.keep_pace(None)  # the viewer went (or blocks until the end)
    released.start()
    assert released.wait(5) and released.outcome.result > full_speed / 3
