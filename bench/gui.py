"""Graph explorer speed, offscreen: layout time, stepping frames per second, startup.

``python -m bench.gui`` builds scalar MLP graphs of about 100, 1,000 and 5,000
nodes and prints
  * layout: our layered layout (median of 3), and grandalf's for comparison
    where it finishes in reasonable time (if grandalf is installed);
  * fps: one animation step = derive the display state from the step index and
    repaint the canvas synchronously (1280x800, fitted, and zoomed in to 1:1
    around the current node, where all text is drawn);
  * startup: wall time of ``chainrule --screenshot`` in a fresh process, and
    time from QApplication to a shown main window in this process.
Targets: 60 fps stepping at 1,000 nodes, 5,000-node layout < 1 s, first window < 2 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine import Graph, Value  # noqa: E402
from engine.scalar_nn import MLP  # noqa: E402
from viewmodel.groups import view_graph  # noqa: E402
from viewmodel.layout import layered_layout  # noqa: E402
from viewmodel.timeline import Timeline  # noqa: E402

HIDDEN = {100: 4, 1000: 15, 5000: 38}
"""Hidden width of a 4-h-h-1 tanh MLP giving about that many nodes."""


def mlp_graph(target: int) -> Graph:
    """A scalar MLP graph of about ``target`` nodes (interpreted, as the explorer steps it)."""
    h = HIDDEN[target]
    net = MLP(4, [h, h, 1], activation="tanh", seed=0)
    return Graph(net([Value(0.1 * i, name=f"x{i}") for i in range(4)]), compiled=False)


def _edges(g: Graph) -> np.ndarray:
    return np.array([(p, c) for p, c, _ in g.edges])


def time_layout(g: Graph) -> float:
    """Median seconds of :func:`viewmodel.layout.layered_layout` over 3 runs."""
    e = _edges(g)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        layered_layout(len(g), e)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def time_grandalf(g: Graph) -> float | None:
    """Seconds for grandalf's Sugiyama layout of the same graph, or None without grandalf."""
    try:
        from grandalf.graphs import Edge, Graph as GGraph, Vertex
        from grandalf.layouts import SugiyamaLayout
    except ImportError:
        return None

    class _Box:
        w = h = 10

    vs = [Vertex(i) for i in range(len(g))]
    for v in vs:
        v.view = _Box()
    t = time.perf_counter()
    gg = GGraph(vs, [Edge(vs[p], vs[c]) for p, c in _edges(g)])
    lay = SugiyamaLayout(gg.C[0])
    lay.init_all()
    lay.draw(2)
    return time.perf_counter() - t


def stepping_fps(g: Graph, zoomed: bool, steps: int = 120) -> float:
    """Steps per second through the backward pass, each step repainted synchronously."""
    from widgets.graph_canvas import GraphCanvas
    canvas = GraphCanvas()
    canvas.resize(1280, 800)
    canvas.show()
    timeline = Timeline(g)
    canvas.set_graph(timeline, view_graph(g, [], []))
    start = len(timeline.forward_steps)
    if zoomed:
        canvas.resetTransform()
        canvas.center_on_node(timeline.state(start + 1).current)
    QApplication.processEvents()
    t = time.perf_counter()
    for k in range(steps):
        canvas.show_state(timeline.state(start + 1 + k % (len(timeline) - start)))
        canvas.viewport().repaint()
    fps = steps / (time.perf_counter() - t)
    canvas.close()
    return fps


def startup_seconds() -> tuple[float, float]:
    """(fresh-process ``chainrule --screenshot`` wall time, in-process time to a shown window)."""
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app", "--screenshot", os.path.join(tmp, "s.png")],
                       check=True, capture_output=True)
        cli = time.perf_counter() - t
    from app.main_window import MainWindow
    t = time.perf_counter()
    window = MainWindow()
    window.explorer.state.load_example("add-mul")
    window.show()
    QApplication.processEvents()
    shown = time.perf_counter() - t
    window.close()
    return cli, shown


def main(argv: list[str] | None = None) -> int:
    """Print the table; ``--sizes`` picks graph sizes."""
    p = argparse.ArgumentParser(prog="python -m bench.gui", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="*", default=sorted(HIDDEN), choices=sorted(HIDDEN))
    p.add_argument("--no-grandalf", action="store_true", help="skip the grandalf comparison")
    args = p.parse_args(argv)
    QApplication.instance() or QApplication([])
    print(f"{'nodes':>6} {'layout ms':>10} {'grandalf s':>11} {'fps fitted':>11} {'fps 1:1':>8}")
    for size in args.sizes:
        g = mlp_graph(size)
        gl = None if args.no_grandalf or len(g) > 1500 else time_grandalf(g)
        print(f"{len(g):>6} {time_layout(g) * 1e3:>10.1f} {('%.2f' % gl) if gl is not None else '—':>11} "
              f"{stepping_fps(g, zoomed=False):>11.0f} {stepping_fps(g, zoomed=True):>8.0f}", flush=True)
    cli, shown = startup_seconds()
    print(f"startup: chainrule --screenshot {cli:.2f} s (fresh process); "
          f"main window shown {shown * 1e3:.0f} ms after QApplication")
    return 0


if __name__ == "__main__":
    sys.exit(main())
