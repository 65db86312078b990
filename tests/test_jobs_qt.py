"""The job watcher delivers a job's news as signals on the GUI thread; cancel means silence after it."""
import threading

import pytest

from viewmodel.jobs import Job
from widgets.jobs import JobWatcher, start_job

pytestmark = pytest.mark.gui


def _work(n: int, gate: threading.Event | None = None):
    def work(job: Job) -> str:
        for k in range(n):
            if gate is not None:
                gate.wait(5)
            job.check_cancelled()
            job.report(k + 1, n, f"{k + 1} of {n}")
            job.post(k)
        return "done"
    return work


def test_news_arrive_on_the_gui_thread_in_order_and_the_outcome_once(qtbot):
    gui = threading.current_thread()
    threads, posted, outcomes = [], [], []
    watcher = start_job(Job(_work(50), name="fifty"))
    watcher.posted.connect(lambda items: threads.append(threading.current_thread()) or posted.extend(items))
    watcher.finished.connect(outcomes.append)
    qtbot.waitUntil(lambda: bool(outcomes), timeout=5000)
    assert posted == list(range(50)) and set(threads) == {gui}
    assert [o.status for o in outcomes] == ["done"] and outcomes[0].result == "done"
    assert not watcher.running


def test_progress_is_the_latest_report_per_tick(qtbot):
    gate = threading.Event()
    job = Job(_work(3, gate))
    watcher = JobWatcher(job)
    seen = []
    watcher.progress.connect(lambda done, total, text: seen.append((done, total, text)))
    with qtbot.waitSignal(watcher.finished, timeout=5000):
        watcher.start()
        gate.set()
    assert seen and seen[-1] == (3, 3, "3 of 3") and len(seen) <= 3


def test_cancel_with_wait_delivers_what_was_done_then_nothing_more(qtbot):
    gate = threading.Event()
    gate.set()
    job = Job(_work(10_000_000))
    watcher = start_job(job)
    posted, outcomes = [], []
    watcher.posted.connect(posted.extend)
    watcher.finished.connect(outcomes.append)
    qtbot.waitUntil(lambda: bool(posted), timeout=5000)
    watcher.cancel(wait=2.0)
    assert [o.status for o in outcomes] == ["cancelled"]
    assert posted == list(range(len(posted))), "every round up to the cancel, in order"
    qtbot.wait(120)
    assert len(outcomes) == 1


def test_cancel_without_wait_is_silent_at_once(qtbot):
    gate = threading.Event()
    watcher = start_job(Job(_work(5, gate)))
    heard = []
    for signal in (watcher.progress, watcher.posted, watcher.finished):
        signal.connect(lambda *args: heard.append(args))
    watcher.cancel()
    gate.set()
    watcher.job.wait(5)
    qtbot.wait(150)
    assert heard == [] and watcher.job.outcome.status == "cancelled"


def test_a_gui_thread_job_steps_per_tick_and_ends_inside_cancel(qtbot):
    steps = []

    def work(job: Job):
        for k in range(100_000):
            steps.append(threading.current_thread())
            job.report(k + 1, 100_000)
            yield

    watcher = start_job(Job(work), on_gui_thread=True, steps_per_tick=3)
    outcomes = []
    watcher.finished.connect(outcomes.append)
    qtbot.waitUntil(lambda: len(steps) >= 6, timeout=5000)
    watcher.cancel()
    assert [o.status for o in outcomes] == ["cancelled"] and set(steps) == {threading.current_thread()}
    assert len(steps) < 100_000


def test_finish_blocks_until_the_end_and_delivers(qtbot):
    watcher = start_job(Job(_work(20)))
    posted = []
    watcher.posted.connect(posted.extend)
    assert watcher.finish(5).status == "done" and posted == list(range(20))


def test_garbage_holding_a_qt_object_is_collected_on_the_gui_thread_while_a_job_allocates(qtbot):
    """A job's allocations must not run the cyclic collector on its thread: a cycle holding a Qt object
    would be destroyed there (the monkey's segfaults); the GUI thread collects it, then collection is
    automatic again once no job thread is left."""
    import gc
    import weakref

    from PySide6.QtCore import QObject

    destroyed_on = []
    ready, go = threading.Event(), threading.Event()

    def allocate(job: Job) -> None:
        ready.set()
        go.wait(5)
        for _ in range(10 * gc.get_threshold()[0]):  # enough for several automatic collections
            loop = []
            loop.append(loop)

    watcher = start_job(Job(allocate, name="allocating"))
    ready.wait(5)
    gc.collect()  # nothing due: only the job's allocations could start the next collection
    garbage = QObject()
    garbage.cycle = garbage  # freed only by the cyclic collector
    weakref.finalize(garbage, lambda: destroyed_on.append(threading.current_thread()))
    del garbage
    go.set()
    watcher.finish(10)
    qtbot.waitUntil(lambda: bool(destroyed_on), timeout=3000)
    assert destroyed_on == [threading.main_thread()]
    qtbot.waitUntil(lambda: gc.isenabled() or threading.active_count() > 1, timeout=3000)
    assert gc.isenabled() or threading.active_count() > 1, "automatic collection is back with no thread left"
