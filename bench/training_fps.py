"""Frames per second of the training lab's live decision boundary, end to end, while it trains.

``python -m bench.training_fps [--seconds 10]`` opens the lab (offscreen, or in the
real window under a display), builds a 2-8-8-1 tanh network on 500 XOR points and
measures:

* what one frame costs the GUI thread, handing it to the views and painting them
  (``processEvents`` after ``draw_frame``): a frame as Play draws most of them (the
  boundary and the step count) and one drawn into every view (the diagram and the
  plots over time too, as Play does every ``CURVES_S``);
* the job alone, without a window, for that many seconds: the frames it computes
  (each a 100x100 ``grid_view`` with 16 neuron thumbnails, histograms, weights,
  curves, on the training thread) and the training steps;
* Play at full speed in the window for that many seconds: frames delivered to the
  views, repaints of the decision-boundary view, training steps, how long training
  waited for the window per frame, and the process's CPU time (1.0: one core).

The CNN's epoch against PyTorch is ``python -m bench.training``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.tensor import THREADS  # noqa: F401  (first: pins BLAS threads, as every bench does)


def spread(ms: list[float]) -> str:
    """Median and 95th percentile of a list of milliseconds."""
    return f"median {statistics.median(ms):.1f} ms, 95th percentile {sorted(ms)[int(0.95 * len(ms))]:.1f} ms"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to play (and to run the job alone)")
    args = parser.parse_args(argv)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from app.training_lab import TrainingLab
    from engine.playground import DataSpec, DenseSpec, Experiment, TrainSpec
    from viewmodel.training_lab import TrainingLabState

    experiment = Experiment(DataSpec("xor", n=500), DenseSpec(hidden=(8, 8), activation="tanh"),
                            TrainSpec("Adam", {"lr": 0.03}, batch_size=10))
    app = QApplication.instance() or QApplication([])
    lab = TrainingLab()
    lab.resize(1024, 768)
    lab.show()
    lab.state.scenario = None
    lab.state.set_experiment(experiment)
    app.processEvents()

    gui = {True: [], False: []}
    trainer = lab.state.trainer
    for k in range(60):
        for _ in range(5):
            trainer.step()
        frame = lab.state.compute_frame()
        everything = k % 2 == 0  # (alternated, so that both see the same load)
        t = time.perf_counter()
        lab.draw_frame(frame, everything)
        app.processEvents()
        gui[everything].append(1e3 * (time.perf_counter() - t))

    alone = TrainingLabState(experiment)
    alone.speed = None
    job = alone.play()
    posted = 0
    start = time.perf_counter()
    job.start()
    while time.perf_counter() - start < args.seconds:
        time.sleep(0.01)
        posted += len(job.take().posted)
    alone.pause()
    alone_elapsed = time.perf_counter() - start
    alone_steps = alone.rounds

    class Paints(QObject):
        count = 0

        def eventFilter(self, watched, event):  # noqa: N802 (Qt API)
            if event.type() == QEvent.Paint:
                Paints.count += 1
            return False

    paints = Paints()
    lab.boundary.viewport().installEventFilter(paints)
    state = lab.state
    state.set_experiment(experiment)  # (step 0 again)
    frames, waits, received = [], [], []
    receive, drawn = state.receive, state.frame_drawn

    def timed_receive(job, items):
        received.append(time.perf_counter())
        receive(job, items)

    def timed_drawn():
        if received:
            waits.append(1e3 * (time.perf_counter() - received[-1]))
        drawn()

    state.receive, state.frame_drawn = timed_receive, timed_drawn
    state.events.frame.connect(lambda frame: frames.append(time.perf_counter()))
    lab.speed_box.setCurrentText("as fast as possible")
    Paints.count = 0
    start, cpu = time.perf_counter(), time.process_time()
    lab.toggle_play()
    QTimer.singleShot(int(1e3 * args.seconds), app.quit)
    app.exec()  # (the window's own event loop, as when it is used)
    lab.toggle_play()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    steps = state.rounds
    gaps = [1e3 * (b - a) for a, b in zip(frames, frames[1:])]
    print(f"training lab, 2-8-8-1 tanh on 500 XOR points, 100x100 boundary grid "
          f"({os.cpu_count()} CPUs, platform {app.platformName()}, load average {os.getloadavg()[0]:.2f}):")
    print(f"  one frame on the GUI thread, drawn and painted: boundary and step count {spread(gui[False])}; "
          f"every view {spread(gui[True])}")
    print(f"  the job alone, no window, {alone_elapsed:.1f} s: {posted / alone_elapsed:.1f} frames and "
          f"{alone_steps / alone_elapsed:.0f} training steps per second")
    print(f"  Play in the window, {elapsed:.1f} s, {cpu / elapsed:.2f} cores of CPU time:")
    print(f"    frames delivered to the views  {len(frames) / elapsed:6.1f} per second (gap between frames {spread(gaps)})")
    print(f"    boundary view repaints         {Paints.count / elapsed:6.1f} per second")
    print(f"    training steps                 {steps / elapsed:6.0f} per second, alongside")
    print(f"    training waits for the window  {spread(waits)} per frame")
    lab.close()


if __name__ == "__main__":
    main()
