"""Tensor training steps: Chainrule vs PyTorch (CPU, eager) and NumPy, side by side.

``python -m bench.tensor`` times, in one run and with the same data and initial
weights (Chainrule computes in float64; PyTorch is timed in float64, the fair
comparison, and in float32, its default):
  * one SGD step (forward, backward, update) of an MLP 2-64-64-1 on a batch of 256;
  * one step of a small CNN (conv 1→8 3x3 pad 1, ReLU, 2x2 max-pool, linear → 10,
    cross-entropy) on 64 images of 28x28;
  * one BPTT step of an LSTM (input 8, hidden 32, 50 steps, batch 16) with a linear head;
  * a 512x512 matrix product, against NumPy.
NumPy's BLAS and PyTorch get the same number of threads: 1 by default (env
``BENCH_THREADS``), because small products gain nothing from a second thread and
a shared machine makes multi-threaded BLAS stall.  Medians (the two sides run alternately) exclude warm-up; Numba's compile time (first calls) is
reported separately.  Ratios are ours / theirs (below 1 means Chainrule is faster).
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
from engine import Tensor, nn  # noqa: E402

LR = 0.01


def median_ms(ours: Callable[[], object], theirs: Callable[[], object], repeats: int,
              warmup: int = 3) -> tuple[float, float]:
    """Median wall times in ms of two functions, run alternately so load spikes hit both."""
    for _ in range(warmup):
        ours()
        theirs()
    times: tuple[list, list] = ([], [])
    for _ in range(repeats):
        for fn, out in zip((ours, theirs), times):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times[0]), 1e3 * statistics.median(times[1])


def sgd(params) -> None:
    for p in params:
        np.subtract(p.data, LR * p.grad, out=p.data)


def copy_into_torch(ours: nn.Module, theirs, names: dict[str, str] | None = None) -> None:
    """Give the PyTorch model our initial weights (same numbers, same dtype)."""
    import torch
    params = dict(theirs.named_parameters())
    with torch.no_grad():
        for name, p in ours.named_parameters():
            params[(names or {}).get(name, name)].copy_(torch.from_numpy(p.data))


def torch_step(torch, parameters, loss: Callable[[], object]) -> Callable[[], None]:
    """One PyTorch SGD step: zero the gradients, backward through ``loss()``, update."""
    opt = torch.optim.SGD(list(parameters), lr=LR)

    def step():
        opt.zero_grad()
        loss().backward()
        opt.step()
    return step


# -- the three models: (our step, their step for a given torch dtype) ---------------------------
def mlp_case(torch, rng):
    x, y = rng.normal(size=(256, 2)), rng.normal(size=(256, 1))
    ours = nn.MLP([2, 64, 64, 1], seed=0)
    params = list(ours.parameters())
    xt, yt = Tensor(x), Tensor(y)

    def step_ours():
        ours.zero_grad()
        F.mse_loss(ours(xt), yt).backward()
        sgd(params)

    def theirs(dtype):
        model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                    torch.nn.ReLU(), torch.nn.Linear(64, 1)).to(dtype)
        copy_into_torch(ours, model)
        tx, ty = torch.from_numpy(x).to(dtype), torch.from_numpy(y).to(dtype)
        return torch_step(torch, model.parameters(), lambda: torch.nn.functional.mse_loss(model(tx), ty))
    return step_ours, theirs


def cnn_case(torch, rng):
    x, y = rng.normal(size=(64, 1, 28, 28)), rng.integers(0, 10, 64)
    ours = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 14 * 14, 10, seed=1))
    params = list(ours.parameters())
    xt = Tensor(x)

    def step_ours():
        ours.zero_grad()
        F.cross_entropy(ours(xt), y).backward()
        sgd(params)

    def theirs(dtype):
        model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
                                    torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                    torch.nn.Linear(8 * 14 * 14, 10)).to(dtype)
        copy_into_torch(ours, model)
        tx, ty = torch.from_numpy(x).to(dtype), torch.from_numpy(y)
        return torch_step(torch, model.parameters(),
                          lambda: torch.nn.functional.cross_entropy(model(tx), ty))
    return step_ours, theirs


def lstm_case(torch, rng):
    x, y = rng.normal(size=(50, 16, 8)), rng.normal(size=(16, 1))
    lstm, head = nn.LSTM(8, 32, seed=0), nn.Linear(32, 1, seed=1)
    params = list(lstm.parameters()) + list(head.parameters())
    xt, yt = Tensor(x), Tensor(y)

    def step_ours():
        for p in params:
            p.grad = None
        out, _ = lstm(xt)
        F.mse_loss(head(out[-1]), yt).backward()
        sgd(params)

    def theirs(dtype):
        t_lstm, t_head = torch.nn.LSTM(8, 32).to(dtype), torch.nn.Linear(32, 1).to(dtype)
        copy_into_torch(lstm, t_lstm)
        copy_into_torch(head, t_head)
        tx, ty = torch.from_numpy(x).to(dtype), torch.from_numpy(y).to(dtype)
        return torch_step(torch, list(t_lstm.parameters()) + list(t_head.parameters()),
                          lambda: torch.nn.functional.mse_loss(t_head(t_lstm(tx)[0][-1]), ty))
    return step_ours, theirs


def matmul_case(rng):
    a, b = rng.normal(size=(512, 512)), rng.normal(size=(512, 512))
    ta, tb = Tensor(a), Tensor(b)
    return (lambda: ta @ tb), (lambda: a @ b)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    threads = THREADS
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    print(f"Chainrule float64; {threads} thread(s) for NumPy's BLAS and for PyTorch "
          f"(torch.set_num_threads({threads})); {os.cpu_count()} CPUs; "
          f"medians of {args.repeats} runs, warm-up excluded\n")

    t = time.perf_counter()
    cases = {}
    if torch is not None:
        cases = {"MLP 2-64-64-1, batch 256": mlp_case(torch, rng),
                 "CNN conv-relu-pool-linear, 64x1x28x28": cnn_case(torch, rng),
                 "LSTM BPTT, T=50 B=16 H=32": lstm_case(torch, rng)}
        for ours, _ in cases.values():   # first calls compile the Numba kernels (cached on disk)
            ours()
    print(f"first calls (Numba compile or cache load): {time.perf_counter() - t:.2f} s\n")
    print(f"{'case':40s} {'ours ms':>9s} {'theirs ms':>10s} {'ratio':>7s}  reference")
    for name, (ours, theirs) in cases.items():
        a, b = median_ms(ours, theirs(torch.float64), args.repeats)
        a32, b32 = median_ms(ours, theirs(torch.float32), args.repeats)  # its own pairing
        print(f"{name:40s} {a:9.3f} {b:10.3f} {a / b:7.2f}  PyTorch eager float64 "
              f"(float32, its default: {a32:.3f} vs {b32:.3f} ms, ratio {a32 / b32:.2f})")
    a, b = median_ms(*matmul_case(rng), args.repeats)
    print(f"{'matmul 512x512':40s} {a:9.3f} {b:10.3f} {a / b:7.2f}  NumPy")


if __name__ == "__main__":
    main()
