"""Closing mid-training, over and over: ``python -m bench.shutdown [--runs 20]``.

Each run starts ``python -m app`` offscreen in a fresh process (with its own
empty home folder), opens a lab, starts training, and ends the app one way:
SIGTERM, SIGINT (Ctrl+C), closing the window or File > Quit (``startup``: a
SIGTERM while the window is still being shown, before any lab; ``stuck``: closing
while a job that never checks for cancel runs beside the training, which must be
abandoned after 2 s, not waited for forever).  A run is clean
when the process exits 0 and prints no abort, Qt thread warning or traceback.
``tests/test_shutdown.py`` runs each way once; this runs them many times, with
a seeded random delay before the end so the training is caught at different points.
"""
from __future__ import annotations

import argparse
import os
import queue
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("SIGTERM", "SIGINT", "close", "quit", "startup", "stuck")
LABS = ("sequence", "optimizer")
BAD_OUTPUT = ("QThread", "Traceback", "Aborted", "core dumped", "Fatal Python error")

DRIVER = """
import os, runpy, signal, sys
from PySide6.QtCore import QThread, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

app = QApplication(["chainrule"])
lab, way, delay_ms, edit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "edit"

def window():
    return next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")

def start():
    if way == "startup":
        print("ENDING", flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    if QThread.currentThread().loopLevel() == 0:  # events processed before app.exec(): wait for it, as a user does
        QTimer.singleShot(50, start)
        return
    win = window()
    if edit:
        win.lecture_mode.add_current_view()  # an unsaved lesson edit
    from bench.shutdown import start_training
    start_training(win, lab)
    if way == "stuck":
        import time
        from viewmodel.jobs import Job
        Job(lambda job: time.sleep(60), name="stuck stand-in").start()
    QTimer.singleShot(delay_ms, end)

def end():
    win = window()
    print("ENDING", flush=True)
    if way in ("close", "stuck"):
        win.close()
    elif way == "quit":
        next(a for a in win.findChildren(QAction) if a.text() == "&Quit").trigger()

QTimer.singleShot(0, start)
sys.argv = ["chainrule"]
runpy.run_module("app", run_name="__main__")
"""


def start_training(window, lab: str) -> None:
    """Open ``lab`` in the main window (after the kernel warm-up, if it still runs) and start a long training."""
    page = window.page(lab)
    if lab == "sequence":
        page.steps_box.setValue(5000)
        page.start_training()
    else:
        page.tabs.setCurrentWidget(page.mlp)
        page.mlp.steps.setValue(2000)
        page.mlp.train()


def run_once(lab: str, way: str, home: Path, delay_ms: int = 300, edit: bool = False,
             timeout: float = 120.0) -> tuple[int, str]:
    """Start the app, train in ``lab``, end it ``way``; returns (exit status, everything it printed).

    A run that has not ended after ``timeout`` seconds is killed (and reported as such)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local" / "share"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, lab, way, str(delay_ms), "edit" if edit else "-"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout] and None, daemon=True).start()
    output, deadline = [], time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        output.append(line)
        if line.startswith("ENDING") and way.startswith("SIG"):
            proc.send_signal(getattr(signal, way))
    if proc.poll() is None:
        proc.kill()
        output.append(f"(killed after {timeout:.0f} s)\n")
    status = proc.wait()
    time.sleep(0.05)  # the reader thread's last lines
    while not lines.empty():
        output.append(lines.get())
    return status, "".join(output)


def clean(status: int, output: str) -> bool:
    """Exit status 0 and none of the messages of a crash or of a thread left running."""
    return status == 0 and "ENDING" in output and not any(bad in output for bad in BAD_OUTPUT)


def main(argv: list[str] | None = None) -> int:
    """Run every lab and way ``--runs`` times; print the clean runs and the first bad output."""
    p = argparse.ArgumentParser(prog="python -m bench.shutdown", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    failures = 0
    for lab in LABS:
        for way in WAYS:
            good, first_bad = 0, None
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as home:
                    status, output = run_once(lab, way, Path(home), delay_ms=rng.randint(0, 800))
                if clean(status, output):
                    good += 1
                elif first_bad is None:
                    first_bad = f"exit {status}:\n{output}"
            failures += args.runs - good
            print(f"{lab:>9} {way:>7}: {good}/{args.runs} clean", flush=True)
            if first_bad:
                print("   first failure:", first_bad.strip().replace("\n", "\n   "))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
