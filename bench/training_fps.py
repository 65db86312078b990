"""Frames per second of the training lab's live decision boundary, end to end, while it trains.

``python -m bench.training_fps [--seconds 10]`` opens the lab (offscreen, or in the
real window under a display), builds a 2-8-8-1 tanh network on 500 XOR points,
presses Play at full speed and counts, for that many seconds: frames the training
job delivered to the views (each: a 100x100 ``grid_view`` with 16 neuron thumbnails,
histograms, weights, curves, computed on the training thread), repaints of the
decision-boundary view, and training steps.  It also times drawing one frame into
every view on the GUI thread.  The CNN's epoch against PyTorch is ``python -m bench.training``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.tensor import THREADS  # noqa: F401  (first: pins BLAS threads, as every bench does)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to play")
    args = parser.parse_args(argv)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from app.training_lab import TrainingLab
    from engine.playground import DataSpec, DenseSpec, Experiment, TrainSpec

    app = QApplication.instance() or QApplication([])
    lab = TrainingLab()
    lab.resize(1024, 768)
    lab.show()
    lab.state.scenario = None
    lab.state.set_experiment(Experiment(DataSpec("xor", n=500), DenseSpec(hidden=(8, 8), activation="tanh"),
                                        TrainSpec("Adam", {"lr": 0.03}, batch_size=10)))
    app.processEvents()

    class Paints(QObject):
        count = 0

        def eventFilter(self, watched, event):  # noqa: N802 (Qt API)
            if event.type() == QEvent.Paint:
                Paints.count += 1
            return False

    paints = Paints()
    lab.boundary.viewport().installEventFilter(paints)
    frames = []
    lab.state.events.frame.connect(lambda frame: frames.append(time.perf_counter()))
    draw_ms = []
    for _ in range(30):
        t = time.perf_counter()
        lab._draw(lab.state.compute_frame())
        draw_ms.append(1e3 * (time.perf_counter() - t))

    lab.speed_box.setCurrentText("as fast as possible")
    frames.clear()
    Paints.count = 0
    start = time.perf_counter()
    lab.toggle_play()
    while time.perf_counter() - start < args.seconds:
        app.processEvents()
        time.sleep(0.001)
    lab.toggle_play()
    elapsed = time.perf_counter() - start
    steps = lab.state.rounds
    gaps = [1e3 * (b - a) for a, b in zip(frames, frames[1:])]
    print(f"training lab, 2-8-8-1 tanh on 500 XOR points, 100x100 boundary grid, {elapsed:.1f} s of Play "
          f"({os.cpu_count()} CPUs, platform {app.platformName()}):")
    print(f"  frames delivered to the views  {len(frames) / elapsed:6.1f} per second "
          f"(median gap {statistics.median(gaps):.1f} ms, 95th percentile "
          f"{sorted(gaps)[int(0.95 * len(gaps))]:.1f} ms)")
    print(f"  boundary view repaints         {Paints.count / elapsed:6.1f} per second")
    print(f"  training steps                 {steps / elapsed:6.0f} per second, alongside")
    print(f"  drawing one frame into every view on the GUI thread: median {statistics.median(draw_ms):.1f} ms")
    lab.close()


if __name__ == "__main__":
    main()
