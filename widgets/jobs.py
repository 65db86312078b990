"""The Qt side of background jobs: a :class:`JobWatcher` delivers a job's news on the GUI thread.

The job itself (:class:`viewmodel.jobs.Job`) knows nothing of Qt; the watcher
starts it and, every POLL_MS on the GUI thread, turns what the job reported
into signals, so widgets are only ever touched from the GUI thread and a fast
job costs one redraw per tick, however often it reports::

    watcher = start_job(Job(work, name="train"), parent=self)
    watcher.progress.connect(self.show_progress)    # (done, total, text), the latest per tick
    watcher.posted.connect(self.show_partial)       # [items posted since the last tick]
    watcher.finished.connect(self.show_outcome)     # Outcome: done, cancelled, paused or failed
    ...
    watcher.cancel(wait=2.0)                        # stop it; deliver what it did; then silence

Work that must run on the GUI thread (rendering frames to export) is written
as a generator and started with ``on_gui_thread=True``: the watcher advances it
``steps_per_tick`` yields per timer tick instead of starting a thread, with the
same signals and the same cancel.  A watcher deletes itself (``deleteLater``)
once it has delivered the outcome or was cancelled: drop references to it then.

While a job's thread lives, Python's cyclic garbage collector runs on the GUI
thread only (:class:`GuiThreadCollector`): it otherwise runs on whichever thread
allocates when a collection is due, usually the training thread, and a garbage
cycle holding a Qt object (a widget with a lambda slot, a pyqtgraph item) would
be destroyed there, off its thread (memory corruption: the monkey's segfaults).
"""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from viewmodel.jobs import Job, Outcome

POLL_MS = 50
"""How often a running thread's news is collected (20 times a second)."""
GC_INTERVAL_MS = 1000
"""How often the GUI thread collects the garbage generations that are due while job threads run."""


class GuiThreadCollector:
    """Automatic collection off and the generations that are due collected on a GUI-thread timer
    (pyqtgraph's remedy, ``pyqtgraph.util.garbage_collector``, whose import would cost the start-up a
    second), held only while another Python thread runs: then collection is automatic again."""

    def __init__(self, interval_ms: int = GC_INTERVAL_MS):
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)

    def hold(self) -> None:
        """Collect on this (the GUI) thread only, from now until no other thread is left."""
        gc.disable()
        self.timer.start()

    def collect(self) -> None:
        """Collect the oldest generation that is due, as the collector itself would; give collection back
        to Python once the GUI thread is the only one (wherever a collection runs then, it is here)."""
        due = [g for g, (n, limit) in enumerate(zip(gc.get_count(), gc.get_threshold())) if n > limit]
        if due:
            gc.collect(due[-1])
        if threading.active_count() == 1:
            self.timer.stop()
            gc.enable()


_collector: list[GuiThreadCollector] = []


def collect_garbage_on_gui_thread() -> None:
    """Before a job's thread starts: no cyclic garbage collection off the GUI thread while it runs."""
    if not _collector:
        _collector.append(GuiThreadCollector())
    _collector[0].hold()


class JobWatcher(QObject):
    """Runs one :class:`~viewmodel.jobs.Job` and re-emits its news as signals on the GUI thread."""

    progress = Signal(int, int, str)
    """(done, total, text): the latest progress report, at most once per tick."""
    posted = Signal(list)
    """Every item the job posted since the last tick, in order."""
    finished = Signal(object)
    """The job's :class:`~viewmodel.jobs.Outcome`, once."""

    def __init__(self, job: Job, parent: QObject | None = None, on_gui_thread: bool = False,
                 steps_per_tick: int = 1, interval_ms: int = POLL_MS):
        super().__init__(parent)
        self.job = job
        self._stepped = on_gui_thread
        self._steps_per_tick = steps_per_tick
        self._started = self._silent = False
        self._timer = QTimer(self)
        self._timer.setInterval(0 if on_gui_thread else interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> "JobWatcher":
        """Start the job (on its thread, or stepping it from the event loop); returns the watcher."""
        collect_garbage_on_gui_thread()  # (a job on the GUI thread may start helper threads: ffmpeg's)
        if not self._stepped:
            self.job.keep_pace(self._timer.interval() / 1e3)  # (the GUI thread first)
            self.job.start()
        self._started = True
        self._timer.start()
        return self

    @property
    def running(self) -> bool:
        """True from ``start()`` until the outcome was delivered or the watcher was cancelled."""
        return self._started and not self._silent

    def cancel(self, wait: float = 0.0) -> None:
        """Stop the job.  With ``wait`` > 0, wait that many seconds for its thread and deliver what it
        did, the outcome included if it ended; a job on the GUI thread ends at once, and its outcome is
        delivered.  After that the watcher emits nothing more (a job still running is abandoned to
        finish on its own; ``viewmodel.jobs.cancel_all`` waits for it at shutdown)."""
        if self._silent:
            return
        self.job.cancel()
        if self._stepped:
            self.job.step()
        elif wait > 0:
            self.job.wait(wait)
        if self._stepped or wait > 0:
            self.deliver()
        self._retire()

    def finish(self, timeout: float | None = None) -> Outcome | None:
        """Block until the job has ended (for scripts and tests; the GUI never waits), then deliver."""
        if self._silent:
            return self.job.outcome
        if self._stepped:
            while self.job.step():
                pass
        else:
            self.job.keep_pace(None)  # (this thread takes nothing until the end)
            self.job.wait(timeout)
        self.deliver()
        return self.job.outcome

    def deliver(self) -> None:
        """Emit what the job reported since the last delivery (the GUI thread calls this every tick)."""
        if self._silent:
            return
        news = self.job.take()
        if news.progress is not None:
            self.progress.emit(*news.progress)
        if news.posted and not self._silent:  # (a progress slot may have cancelled)
            self.posted.emit(news.posted)
        if news.outcome is not None:
            self._retire()
            self.finished.emit(news.outcome)

    def _retire(self) -> None:
        """Emit nothing more, and go away once the event loop runs again."""
        if not self._silent:
            self._silent = True
            self.job.keep_pace(None)
            self._timer.stop()
            self.deleteLater()

    def _tick(self) -> None:
        if self._stepped:
            for _ in range(self._steps_per_tick):
                if not self.job.step():
                    break
        self.deliver()


def start_job(job: Job, parent: QObject | None = None, **options) -> JobWatcher:
    """Start ``job`` and watch it from the GUI thread (options as for :class:`JobWatcher`)."""
    return JobWatcher(job, parent, **options).start()
