"""Background work, one way: a :class:`Job` runs a function off the GUI thread, reports progress,
can be cancelled, and hands back its result, its error, or a pause where a number went non-finite.

No Qt here.  The work runs on a daemon thread (``job.start()``), on the calling
thread (``job.run()``), or a step at a time (``job.step()``: a work written as a
generator stops at every ``yield``, for work that must run on the GUI thread,
such as rendering export frames).  Whoever shows the job collects what happened
with ``job.take()`` on its own thread; :class:`widgets.jobs.JobWatcher` does that
on the GUI thread and re-emits it as Qt signals.  Example::

    def work(job: Job) -> int:
        for k in range(3):
            job.check_cancelled()          # raises Cancelled once someone called cancel()
            job.report(k + 1, 3, "counting")
            job.post(k)                    # an intermediate result for the view
        return 3

    job = Job(work, name="count").start()
    job.wait()
    news = job.take()
    news.progress                          # (3, 3, "counting"): the latest report
    news.posted                            # [0, 1, 2]: everything posted since the last take
    news.outcome.status                    # "done"; news.outcome.result == 3

An outcome is "done"; "cancelled" (``cancel()`` was called before the work
ended); "paused" (the work raised FloatingPointError, such as
``engine.nonfinite.NonFiniteError``: a NaN or an infinity, and the
message says where; the caller can fix the cause and start again); or "failed"
(any other exception, kept in ``error``).  :func:`cancel_all` cancels every
running job and waits for all of them within one time limit (application shutdown).
"""
from __future__ import annotations

import inspect
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

STATUSES = ("done", "cancelled", "paused", "failed")


class Cancelled(Exception):
    """Raised inside a job's work by :meth:`Job.check_cancelled` once the job is cancelled."""


@dataclass(frozen=True)
class Outcome:
    """How a job ended: ``status`` (one of STATUSES), its result, or the error that stopped it."""

    status: str
    result: Any = None
    """The work's return value (also kept when cancelled: a partial result, if the work returns one)."""
    error: BaseException | None = None
    trace: str = ""
    """The formatted traceback of a failure."""

    @property
    def message(self) -> str:
        """A short sentence: the error's message when paused or failed, else the status."""
        return str(self.error) if self.error is not None else self.status


@dataclass(frozen=True)
class News:
    """What happened since the last :meth:`Job.take`: the latest progress, everything posted, the outcome."""

    progress: tuple[int, int, str] | None = None
    posted: list[Any] = field(default_factory=list)
    outcome: Outcome | None = None
    """Given exactly once, by the first take after the job ended."""


LAG_TICKS = 2
"""A viewer that has not taken the news for this many of its ticks is starved (see :meth:`Job.keep_pace`)."""
PAUSE_S = 0.05
"""The longest a job waits at a safe point for a starved viewer to catch up."""

_running: set["Job"] = set()
_running_lock = threading.Lock()


class Job:
    """One piece of background work: ``work(job)`` computes, calling back ``report``/``post`` as it goes."""

    def __init__(self, work: Callable[["Job"], Any], name: str = "job"):
        self.name = name
        self._work = work
        self._cancel = threading.Event()
        self._ended = threading.Event()
        self._lock = threading.Lock()
        self._progress: tuple[int, int, str] | None = None
        self._posted: list[Any] = []
        self._outcome: Outcome | None = None
        self._outcome_taken = False
        self._steps: Iterator[Any] | None = None
        self._thread: threading.Thread | None = None
        self._viewer_tick: float | None = None
        self._viewer_seen = 0.0
        self._viewer_came = threading.Event()

    def __repr__(self) -> str:
        state = self._outcome.status if self._outcome else ("running" if self._thread else "not started")
        return f"<Job {self.name!r}: {state}>"

    # -- called by the work ---------------------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called (thread-safe)."""
        return self._cancel.is_set()

    def should_stop(self) -> bool:
        """A safe point (the ``should_stop`` callback of a loop): lets a starved viewer catch up
        (:meth:`keep_pace`), then True once the job was cancelled."""
        self._let_viewer_catch_up()
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        """A safe point that raises :class:`Cancelled` if the job was cancelled (after letting a
        starved viewer catch up)."""
        if self.should_stop():
            raise Cancelled

    def keep_pace(self, tick_s: float | None) -> None:
        """The viewer takes the news every ``tick_s`` seconds: when it falls LAG_TICKS behind,
        the work waits at its next safe point until it takes them (PAUSE_S at most); None: no
        viewer to wait for (it blocks until the end, or has gone).

        A Python thread that never waits starves the GUI thread: every call between Qt and
        Python there waits for the GIL (the interpreter's 5 ms switch interval), and a paint
        that makes hundreds of them takes seconds.  The lag tells the job when to step back;
        while the window keeps up, the work runs at full speed."""
        self._viewer_tick = tick_s
        self._viewer_seen = time.monotonic()
        self._viewer_came.set()

    def _let_viewer_catch_up(self) -> None:
        tick = self._viewer_tick
        if tick is None or threading.current_thread() is not self._thread:
            return
        if time.monotonic() - self._viewer_seen > LAG_TICKS * tick:
            self._viewer_came.clear()
            if time.monotonic() - self._viewer_seen > LAG_TICKS * tick:  # (not taken meanwhile)
                self._viewer_came.wait(PAUSE_S)

    def report(self, done: int, total: int, text: str = "") -> None:
        """Progress: ``done`` of ``total`` units, with an optional line of text."""
        with self._lock:
            self._progress = (int(done), int(total), text)

    def post(self, item: Any) -> None:
        """Hand an intermediate result to the view (delivered in order, none dropped)."""
        with self._lock:
            self._posted.append(item)

    # -- called by whoever owns the job ------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the work to stop at its next check (thread-safe; returns at once)."""
        self._cancel.set()

    def start(self) -> "Job":
        """Run the work on a new daemon thread; returns the job."""
        if self._thread is not None or self._outcome is not None:
            raise RuntimeError(f"{self!r} was started already")
        self._thread = threading.Thread(target=self.run, name=f"job: {self.name}", daemon=True)
        with _running_lock:
            _running.add(self)
        self._thread.start()
        return self

    def run(self) -> Outcome:
        """Run the work to its end on this thread; returns the outcome."""
        while self.step():
            pass
        return self._outcome

    def step(self) -> bool:
        """Run the work up to its next ``yield`` (all of it if it never yields); False once it has ended.

        A cancelled generator is closed (its ``finally`` blocks run) instead of resumed.
        """
        if self._outcome is not None:
            return False
        try:
            if self._steps is None:
                result = self._work(self)
                if not inspect.isgenerator(result):
                    self._end(result=result)
                    return False
                self._steps = result
            if self._cancel.is_set():
                self._steps.close()
                self._end()
                return False
            next(self._steps)
            return True
        except StopIteration as stop:
            self._end(result=stop.value)
        except Cancelled:
            self._end()
        except FloatingPointError as error:
            self._end("paused", error=error)
        except Exception as error:  # a job must end with a message, never kill its thread silently
            self._end("failed", error=error, trace=traceback.format_exc())
        return False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (at most ``timeout`` seconds); True if it has."""
        if self._thread is None:
            return self._outcome is not None
        return self._ended.wait(timeout)

    @property
    def finished(self) -> bool:
        """True once the work has ended, whichever way."""
        return self._outcome is not None

    @property
    def running(self) -> bool:
        """True between ``start()`` and the end of the work."""
        return self._thread is not None and self._outcome is None

    @property
    def outcome(self) -> Outcome | None:
        """How the job ended (None while it runs)."""
        return self._outcome

    def take(self) -> News:
        """Collect the news since the last take (thread-safe; call it from the thread that shows the job)."""
        self._viewer_seen = time.monotonic()
        self._viewer_came.set()
        with self._lock:
            progress, self._progress = self._progress, None
            posted, self._posted = self._posted, []
            outcome = None
            if self._outcome is not None and not self._outcome_taken:
                outcome, self._outcome_taken = self._outcome, True
        return News(progress, posted, outcome)

    def _end(self, status: str | None = None, result: Any = None, error: BaseException | None = None,
             trace: str = "") -> None:
        status = status or ("cancelled" if self._cancel.is_set() else "done")
        with self._lock:
            self._outcome = Outcome(status, result, error, trace)
        with _running_lock:
            _running.discard(self)
        self._ended.set()


def running_jobs() -> list[Job]:
    """Every job started on a thread that has not ended yet."""
    with _running_lock:
        return list(_running)


def cancel_all(timeout: float = 2.0) -> list[Job]:
    """Cancel every running job and wait for them, ``timeout`` seconds for all together.

    Returns the jobs still running after that: their daemon threads are abandoned
    (they never block the interpreter's exit; see ``app.main_window.run_app``).
    """
    jobs = running_jobs()
    for job in jobs:
        job.cancel()
    deadline = time.monotonic() + timeout
    for job in jobs:
        job.wait(max(0.0, deadline - time.monotonic()))
    return [job for job in jobs if not job.finished]
