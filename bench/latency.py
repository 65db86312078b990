"""First-call latency of each Numba kernel family, with a cold and a warm on-disk cache.

``python -m bench.latency`` runs every family in a fresh Python process (Numba already
imported and its compiler started there on a one-line function, both reported once,
apart, because every process pays them once whatever it runs): the first call's time minus the
second call's is what compiling (cold cache) or loading the compiled code (warm cache)
costs the first click.  Cold: a new empty ``NUMBA_CACHE_DIR`` and kernel cache; warm:
the same folders again.  ``--runs 2`` (the default) prints the range of two measurements.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

FAMILIES = {
    "elementwise (leaky_relu, elu)": """
x = Tensor(np.random.default_rng(0).normal(size=(64, 64)), requires_grad=True)
def op():
    (F.leaky_relu(x, 0.1) + F.elu(x)).sum().backward()
""",
    "convolution and pooling": """
x = Tensor(np.random.default_rng(0).normal(size=(2, 1, 8, 8)), requires_grad=True)
w = Tensor(np.random.default_rng(1).normal(size=(3, 1, 3, 3)), requires_grad=True)
def op():
    F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum().backward()
""",
    "cross-entropy": """
x = Tensor(np.random.default_rng(0).normal(size=(8, 5)), requires_grad=True)
def op():
    F.cross_entropy(x, np.arange(8) % 5).backward()
""",
    "recurrent (LSTM and GRU)": """
lstm, gru = nn.LSTM(3, 4, seed=0), nn.GRU(3, 4, seed=0)
x = Tensor(np.random.default_rng(0).normal(size=(5, 2, 3)))
def op():
    (lstm(x)[0].sum() + gru(x)[0].sum()).backward()
""",
    "scalar tape": """
from engine.kernels import scalar_tape
def op():
    scalar_tape.warm_up()
""",
}

_CHILD = """
import json, time
t = time.perf_counter()
import numba
numba_import = time.perf_counter() - t
t = time.perf_counter()
numba.njit(lambda v: v + 1.0)(1.0)  # Numba's compiler and CPU target start once per process
numba_start = time.perf_counter() - t
import numpy as np
import engine.functional as F
from engine import Tensor, nn
{setup}
t = time.perf_counter(); op(); first = time.perf_counter() - t
t = time.perf_counter(); op(); second = time.perf_counter() - t
print(json.dumps(dict(numba_import=numba_import, numba_start=numba_start, first=first,
                      second=second)))
"""


def measure_family(setup: str, cache: str) -> dict:
    """One fresh process running a family's op twice with the given cache folder."""
    env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(cache, "numba"),
               CHAINRULE_KERNEL_CACHE=os.path.join(cache, "kernels"))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", _CHILD.format(setup=setup)], env=env, cwd=root,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_once() -> dict:
    """{family: (cold ms, warm ms)} and Numba's import time, each in its own cache."""
    rows, imports, starts = {}, [], []
    for name, setup in FAMILIES.items():
        with tempfile.TemporaryDirectory(prefix="chainrule-latency-") as cache:
            cold = measure_family(setup, cache)
            warm = measure_family(setup, cache)
        rows[name] = (1e3 * (cold["first"] - cold["second"]), 1e3 * (warm["first"] - warm["second"]))
        imports.append(1e3 * warm["numba_import"])
        starts.append(1e3 * warm["numba_start"])
    return dict(rows=rows, numba_import=min(imports), numba_start=min(starts))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    runs = [run_once() for _ in range(args.runs)]

    def span(values) -> str:
        return f"{min(values):.0f}-{max(values):.0f}"
    print(f"first call minus second call, ms (range over {args.runs} run(s)); "
          f"once per process before any kernel: importing Numba "
          f"{span([r['numba_import'] for r in runs])} ms, starting its compiler "
          f"{span([r['numba_start'] for r in runs])} ms")
    print(f"{'kernel family':34s} {'cold cache':>12s} {'warm cache':>12s}")
    for name in FAMILIES:
        cold = [r["rows"][name][0] for r in runs]
        warm = [r["rows"][name][1] for r in runs]
        print(f"{name:34s} {span(cold):>12s} {span(warm):>12s}")


if __name__ == "__main__":
    main()
