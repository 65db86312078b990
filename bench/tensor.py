"""Tensor training steps: Chainrule vs PyTorch (CPU, eager) and NumPy, side by side.

``python -m bench.tensor`` times, in one process and with the same data and initial
weights, each case in float32 (PyTorch's default) and in float64 (Chainrule's default),
both sides computing in the dtype named (our model is built with ``dtype=``):
  * one SGD step (forward, backward, ``optim.SGD`` update) of an MLP 2-64-64-1 on a batch of 256;
  * one step of an MLP 784-256-10 with cross-entropy on a batch of 64;
  * one step of a small CNN (conv 1→8 3x3 pad 1, ReLU, 2x2 max-pool, linear → 10,
    cross-entropy) on 64 images of 28x28;
  * one BPTT step of an LSTM (input 8, hidden 32, 50 steps, batch 16) with a linear head,
    and of an LSTM (input 32, hidden 128, 100 steps, batch 32);
  * a 512x512 matrix product, against NumPy.
NumPy's BLAS and PyTorch get the same number of threads: 1 by default (env
``BENCH_THREADS``), because small products gain nothing from a second thread and
a shared machine makes multi-threaded BLAS stall.  Medians (the two sides run
alternately, CPU time of this process) exclude warm-up; ``--runs 2`` (the default) measures everything twice and
prints the range.  Ratios are ours / theirs (below 1 means Chainrule is faster).
First-call (Numba) latencies are measured by ``python -m bench.latency``.
"""
from __future__ import annotations

import os

THREADS = int(os.environ.get("BENCH_THREADS", "1"))
"""BLAS and PyTorch threads (env BENCH_THREADS); set before NumPy loads its BLAS."""
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(THREADS))

import argparse  # noqa: E402
import statistics
import time
from typing import Callable

import numpy as np  # noqa: E402

import engine.functional as F
from engine import Tensor, nn, optim  # noqa: E402

LR = 0.01


def median_ms(ours: Callable[[], object], theirs: Callable[[], object], repeats: int,
              warmup: int = 3) -> tuple[float, float]:
    """Median CPU times in ms of two functions, run alternately so load spikes hit both.

    CPU time of this process (both sides single-threaded), not wall time: on a machine
    shared with other jobs, wall time also counts the time the scheduler gives them."""
    for _ in range(warmup):
        ours()
        theirs()
    times: tuple[list, list] = ([], [])
    for _ in range(repeats):
        for fn, out in zip((ours, theirs), times):
            t = time.process_time()
            fn()
            out.append(time.process_time() - t)
    return 1e3 * statistics.median(times[0]), 1e3 * statistics.median(times[1])


def copy_into_torch(ours: nn.Module, theirs) -> None:
    """Give the PyTorch model our initial weights (same numbers, same dtype, same names)."""
    import torch
    params = dict(theirs.named_parameters())
    with torch.no_grad():
        for name, p in ours.named_parameters():
            params[name].copy_(torch.from_numpy(p.data))


def torch_step(torch, parameters, loss: Callable[[], object]) -> Callable[[], None]:
    """One PyTorch SGD step: zero the gradients, backward through ``loss()``, update."""
    opt = torch.optim.SGD(list(parameters), lr=LR)

    def step():
        opt.zero_grad()
        loss().backward()
        opt.step()
    return step


def our_step(params, loss: Callable[[], object]) -> Callable[[], None]:
    """Our SGD step, the same three calls."""
    opt = optim.SGD(list(params), lr=LR)

    def step():
        opt.zero_grad()
        loss().backward()
        opt.step()
    return step


# -- the cases: build(torch, dtype) -> (our step, their step), both in ``dtype`` -----------------
def _pair(torch, dtype, ours: nn.Module, theirs, our_loss, their_loss):
    ours.to(dtype)
    theirs.to(getattr(torch, np.dtype(dtype).name))
    copy_into_torch(ours, theirs)
    return (our_step(ours.parameters(), our_loss),
            torch_step(torch, theirs.parameters(), their_loss))


def _data(torch, dtype, *arrays):
    """Each array as (our Tensor, their tensor) in ``dtype`` (integer labels stay as they are)."""
    out = []
    for a in arrays:
        a = a.astype(dtype) if a.dtype.kind == "f" else a
        out.append((Tensor(a) if a.dtype.kind == "f" else a, torch.from_numpy(a)))
    return out


def mlp_case(torch, dtype):
    rng = np.random.default_rng(0)
    (x, tx), (y, ty) = _data(torch, dtype, rng.normal(size=(256, 2)), rng.normal(size=(256, 1)))
    ours = nn.MLP([2, 64, 64, 1], seed=0)
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                 torch.nn.ReLU(), torch.nn.Linear(64, 1))
    return _pair(torch, dtype, ours, theirs, lambda: F.mse_loss(ours(x), y),
                 lambda: torch.nn.functional.mse_loss(theirs(tx), ty))


def wide_mlp_case(torch, dtype):
    rng = np.random.default_rng(1)
    (x, tx), (y, ty) = _data(torch, dtype, rng.normal(size=(64, 784)), rng.integers(0, 10, 64))
    ours = nn.MLP([784, 256, 10], seed=0)
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    return _pair(torch, dtype, ours, theirs, lambda: F.cross_entropy(ours(x), y),
                 lambda: torch.nn.functional.cross_entropy(theirs(tx), ty))


def cnn_case(torch, dtype):
    rng = np.random.default_rng(2)
    (x, tx), (y, ty) = _data(torch, dtype, rng.normal(size=(64, 1, 28, 28)), rng.integers(0, 10, 64))
    ours = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 14 * 14, 10, seed=1))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(8 * 14 * 14, 10))
    return _pair(torch, dtype, ours, theirs, lambda: F.cross_entropy(ours(x), y),
                 lambda: torch.nn.functional.cross_entropy(theirs(tx), ty))


class _LastStep(nn.Module):
    def __init__(self, features: int, hidden: int):
        super().__init__()
        self.lstm, self.head = nn.LSTM(features, hidden, seed=0), nn.Linear(hidden, 1, seed=1)

    def forward(self, x):
        return self.head(self.lstm(x)[0][-1])


def lstm_case(torch, dtype, features=8, hidden=32, steps=50, batch=16):
    rng = np.random.default_rng(3)
    (x, tx), (y, ty) = _data(torch, dtype, rng.normal(size=(steps, batch, features)),
                             rng.normal(size=(batch, 1)))
    ours = _LastStep(features, hidden)
    theirs = torch.nn.Module()
    theirs.lstm, theirs.head = torch.nn.LSTM(features, hidden), torch.nn.Linear(hidden, 1)
    return _pair(torch, dtype, ours, theirs, lambda: F.mse_loss(ours(x), y),
                 lambda: torch.nn.functional.mse_loss(theirs.head(theirs.lstm(tx)[0][-1]), ty))


CASES = {"MLP 2-64-64-1, batch 256": mlp_case,
         "MLP 784-256-10, batch 64": wide_mlp_case,
         "CNN conv-relu-pool-linear, 64x1x28x28": cnn_case,
         "LSTM BPTT, T=50 B=16 H=32": lstm_case,
         "LSTM BPTT, T=100 B=32 H=128": lambda torch, dtype: lstm_case(torch, dtype, 32, 128, 100, 32)}


def matmul_case(dtype):
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(512, 512)).astype(dtype), rng.normal(size=(512, 512)).astype(dtype)
    ta, tb = Tensor(a), Tensor(b)
    return (lambda: ta @ tb), (lambda: a @ b)


def measure(torch, repeats: int) -> dict[tuple[str, str], float]:
    """{(case, dtype): ratio ours / theirs} for every case in float32 and float64."""
    ratios = {}
    for dtype in ("float32", "float64"):
        for name, build in CASES.items():
            ours, theirs = build(torch, np.dtype(dtype))
            a, b = median_ms(ours, theirs, repeats)
            ratios[name, dtype] = a / b
            print(f"  {name:38s} {dtype}: {a:8.3f} ms vs PyTorch {b:8.3f} ms, ratio {a / b:5.2f}",
                  flush=True)
        a, b = median_ms(*matmul_case(np.dtype(dtype)), repeats)
        ratios["matmul 512x512 (vs NumPy)", dtype] = a / b
        print(f"  {'matmul 512x512 (vs NumPy)':38s} {dtype}: {a:8.3f} ms vs {b:8.3f} ms, "
              f"ratio {a / b:5.2f}", flush=True)
    return ratios


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--runs", type=int, default=2, help="whole measurements; the range is printed")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(THREADS)
    print(f"{THREADS} thread(s) for NumPy's BLAS and for PyTorch (torch.set_num_threads({THREADS})); "
          f"{os.cpu_count()} CPUs; medians of {args.repeats} steps, warm-up excluded\n")
    runs = []
    for k in range(args.runs):
        print(f"run {k + 1}:")
        runs.append(measure(torch, args.repeats))
    print(f"\nratio ours / theirs, range over {args.runs} run(s) (below 1: Chainrule faster)")
    print(f"{'case':40s} {'float32':>13s} {'float64':>13s}")
    for name in list(CASES) + ["matmul 512x512 (vs NumPy)"]:
        cells = []
        for dtype in ("float32", "float64"):
            values = [r[name, dtype] for r in runs]
            cells.append(f"{min(values):.2f}-{max(values):.2f}")
        print(f"{name:40s} {cells[0]:>13s} {cells[1]:>13s}")


if __name__ == "__main__":
    main()
