"""Starting and stopping the app cleanly: kernel warm-up, Ctrl+C and SIGTERM, and the exit.

Every way out ends the same: closing the window and File > Quit ask about unsaved
lesson edits as usual; Ctrl+C (SIGINT) and SIGTERM close the window without
asking and leave unsaved edits in the autosave, to be offered back at the next
start.  Then every running job is cancelled and waited for, JOB_TIMEOUT_S for
all together, and the process exits with status 0.  A job that would not stop
in time is abandoned safely: its daemon thread is left behind and the process
ends with ``os._exit`` (after flushing), so interpreter shutdown never meets a
thread still running.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
from typing import Any

from PySide6.QtCore import QSocketNotifier, QThread, QTimer
from PySide6.QtWidgets import QApplication

from viewmodel.jobs import Job

JOB_TIMEOUT_S = 2.0
"""How long closing waits for running jobs, all together, before abandoning them."""
_WAKE_UP: list[Any] = []


def kernel_warm_up() -> Job:
    """A job compiling (or loading from Numba's cache) the kernels the labs need, off the GUI thread."""

    def work(job: Job) -> None:
        from engine import kernels, sequence_training
        job.report(0, 2, "scalar tape and activations")
        kernels.warm_up()
        job.check_cancelled()
        job.report(1, 2, "recurrent cells")
        sequence_training.warm_up()
        job.report(2, 2, "ready")

    return Job(work, name="Numba warm-up")


def install_signal_handlers(window: Any) -> QSocketNotifier:
    """Make Ctrl+C and SIGTERM call ``window.quit_without_asking()`` from inside Qt's event loop,
    then close every other window and end every event loop (a dialog's too).

    The C-level handler writes to a socket Qt watches (``signal.set_wakeup_fd``), so the
    Python handler runs at once even while Qt's loop, not Python, has the main thread.
    """
    reader, writer = socket.socketpair()
    for end in (reader, writer):
        end.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Read, window)
    notifier.activated.connect(lambda *_: _drain(reader))
    _WAKE_UP[:] = [reader, writer, notifier]  # both ends stay open as long as the process runs

    def quit_now() -> None:
        if QThread.currentThread().loopLevel() == 0:  # still starting up (events processed before exec):
            QTimer.singleShot(50, quit_now)  # a quit now would be lost, and exec would then never return
            return
        window.quit_without_asking()
        QApplication.closeAllWindows()
        QApplication.quit()

    def on_signal(signum: int, _frame) -> None:
        QTimer.singleShot(0, quit_now)  # leave whatever Python code was interrupted first

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    return notifier


def _drain(reader: socket.socket) -> None:
    """Empty the wake-up socket (the Python signal handler has run by the time this slot runs)."""
    try:
        while reader.recv(64):
            pass
    except (BlockingIOError, InterruptedError):
        pass


def finish(window: Any, status: int) -> int:
    """After the event loop: stop what still runs (``window.shutdown``) and return the exit status;
    if a job would not stop in time, flush and leave through ``os._exit`` instead (see above)."""
    left = window.shutdown(JOB_TIMEOUT_S)
    if not left:
        return status
    names = ", ".join(job.name for job in left)
    print(f"chainrule: {names} did not stop within {JOB_TIMEOUT_S:g} s; leaving it behind", file=sys.stderr)
    store = getattr(getattr(window, "lecture_mode", None), "store", None)
    if store is not None:
        store.sync()  # recent files and settings, which os._exit would not write
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
