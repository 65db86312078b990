"""Scalar-MLP training step: Chainrule vs micrograd, side by side in one run.

``python -m bench.scalar`` trains 2-16-16-1 and 2-64-64-1 MLPs of scalar Values
(micrograd-style, ReLU, MSE over a batch of 100 points) and prints
  * rebuild: the graph is rebuilt every step exactly as micrograd does;
  * reuse: the compiled tape is built once, then only re-swept each step;
  * nodes per second of the compiled sweeps, and Numba's compile time.
Ratios are micrograd's time / Chainrule's (higher is better for Chainrule).
``--chain`` adds chains of 1,000 to 1,000,000 ops (forward and backward), the
explorer's own graph shape.  ``--gc off`` times both sides with Python's garbage collector disabled (the
collector's cost grows with the number of live nodes, which flatters the side
that allocates fewer objects); ``--gc both`` prints the two tables.
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from engine import Graph, Value
from engine.kernels import scalar_tape
from engine.scalar_nn import MLP


def _data(n: int, seed: int = 0):
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    ys = [1.0 if a * b > 0 else -1.0 for a, b in xs]
    return xs, ys


def _loss(model, xs, ys, value_cls):
    total = value_cls(0.0) if value_cls is not Value else Value(0.0, requires_grad=False)
    for x, y in zip(xs, ys):
        total = total + (model(x) - y) ** 2
    return total * (1.0 / len(xs))


def step_chainrule(model: MLP, xs, ys, lr: float = 0.01) -> float:
    model.zero_grad()
    loss = _loss(model, xs, ys, Value)
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def step_micrograd(model, xs, ys, lr: float = 0.01) -> float:
    from micrograd.engine import Value as MValue
    model.zero_grad()
    loss = _loss(model, [[MValue(a) for a in x] for x in xs], ys, MValue)
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def _median_time(fn, repeats: int, collect: bool = True) -> float:
    """Median wall time of ``fn``; with ``collect=False`` the garbage collector is off."""
    times = []
    for _ in range(repeats):
        gc.collect()
        if not collect:
            gc.disable()
        try:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        finally:
            gc.enable()
    return statistics.median(times)


def run(repeats: int = 3, batch: int = 100, collect: bool = True) -> list[dict]:
    """Measure every configuration; returns one row per model size."""
    from micrograd.nn import MLP as MicroMLP
    t = time.perf_counter()
    scalar_tape.warm_up()
    compile_s = time.perf_counter() - t
    xs, ys = _data(batch)
    rows = []
    for hidden in (16, 64):
        sizes = [hidden, hidden, 1]
        ours, theirs = MLP(2, sizes, activation="relu"), MicroMLP(2, sizes)
        t_micro = _median_time(lambda: step_micrograd(theirs, xs, ys), repeats, collect)
        t_rebuild = _median_time(lambda: step_chainrule(ours, xs, ys), repeats, collect)
        loss = _loss(ours, [[Value(a, requires_grad=False) for a in x] for x in xs], ys, Value)
        t = time.perf_counter()
        graph = Graph(loss, compiled=True)
        build_s = time.perf_counter() - t
        params = ours.parameters()

        def reuse_step():
            graph.tape.zero_grad()
            graph.forward()
            graph.backward()
            for p in params:
                p.data -= 0.01 * p.grad
        t_reuse = _median_time(reuse_step, max(repeats, 10), collect)
        sweep = _median_time(lambda: (graph.tape.forward(), graph.tape.backward()), max(repeats, 10),
                             collect)
        rows.append(dict(model=f"2-{hidden}-{hidden}-1", nodes=len(graph), micrograd_s=t_micro,
                         rebuild_s=t_rebuild, reuse_s=t_reuse, tape_build_s=build_s,
                         rebuild_ratio=t_micro / t_rebuild, reuse_ratio=t_micro / t_reuse,
                         nodes_per_s=2 * len(graph) / sweep, compile_s=compile_s))
    return rows


def _chain(value_cls, n: int):
    """n ops in one chain, y = y·0.999 then y + 0.001 alternately: forward and backward."""
    x = value_cls(0.5)
    y = x
    for _ in range(n // 2):
        y = y * 0.999
        y = y + 0.001
    y.backward()
    return x.grad


def chain_rows(sizes=(1_000, 10_000, 100_000, 1_000_000), repeats: int = 3,
               collect: bool = True) -> list[dict]:
    """Chainrule vs micrograd on a chain of n ops (the explorer's graphs are about 1,000)."""
    from micrograd.engine import Value as MValue
    rows = []
    for n in sizes:
        reps = repeats if n <= 100_000 else 1
        t_micro = _median_time(lambda: _chain(MValue, n), reps, collect)
        t_ours = _median_time(lambda: _chain(Value, n), reps, collect)
        rows.append(dict(ops=n, micrograd_s=t_micro, ours_s=t_ours, ratio=t_micro / t_ours))
    return rows


def _deep(fn):
    """Run ``fn`` in a thread with a large stack: micrograd's topological sort recurses once per op."""
    import sys
    import threading
    result = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3_000_000))
    threading.stack_size(1 << 30)
    worker = threading.Thread(target=lambda: result.append(fn()))
    worker.start()
    worker.join()
    threading.stack_size(0)
    return result[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gc", choices=("on", "off", "both"), default="on",
                        help="Python's garbage collector during the timed steps (default on)")
    parser.add_argument("--chain", action="store_true",
                        help="also time chains of 1e3 to 1e6 ops against micrograd")
    args = parser.parse_args()
    for collect in {"on": (True,), "off": (False,), "both": (True, False)}[args.gc]:
        _print(run(args.repeats, collect=collect), collect)
        if args.chain:
            rows = _deep(lambda: chain_rows(repeats=args.repeats, collect=collect))
            print(f"{'chain ops':>12}{'micrograd':>12}{'Chainrule':>12}{'ratio':>8}")
            for r in rows:
                print(f"{r['ops']:>12,}{r['micrograd_s']:>11.4f}s{r['ours_s']:>11.4f}s{r['ratio']:>7.2f}x")
            print()


def _print(rows: list[dict], collect: bool) -> None:
    print(f"garbage collector {'on' if collect else 'off'}; Numba compile/load of the tape "
          f"kernels: {rows[0]['compile_s']:.3f} s (near zero when the on-disk cache is warm)")
    print(f"{'model':<12}{'nodes':>9}{'micrograd':>11}{'rebuild':>10}{'ratio':>8}"
          f"{'reuse':>10}{'ratio':>9}{'sweep nodes/s':>15}")
    for r in rows:
        print(f"{r['model']:<12}{r['nodes']:>9,}{r['micrograd_s']:>10.3f}s{r['rebuild_s']:>9.3f}s"
              f"{r['rebuild_ratio']:>7.1f}x{r['reuse_s'] * 1e3:>8.2f}ms{r['reuse_ratio']:>8.0f}x"
              f"{r['nodes_per_s']:>15.3g}")
    print("ratio = micrograd time / Chainrule time for one training step (forward, backward, update)")


if __name__ == "__main__":
    main()
