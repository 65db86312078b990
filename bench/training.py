"""Training-lab speed: the CNN's epoch on the digits against PyTorch, and the decision-boundary grid.

``python -m bench.training`` prints, measured in one run:
  * the digits CNN (conv 1→8 3x3 pad 1, ReLU, 2x2 max-pool, linear 128→10, cross-entropy,
    Adam lr 0.01, batches of 32, 1,438 training images): one epoch through the lab's
    ``Trainer`` (with its NaN checks and per-layer gradient norms), the same epoch as a
    bare engine loop, and PyTorch eager on the same data, initial weights, batch order
    and dtype (float64, ours) — epochs alternate so load spikes hit both;
  * the live decision boundary: ``grid_view`` of a 2-8-8-1 tanh network (trained on 500
    XOR points) on a 100x100 grid, the training step, and how many steps fit next to one
    grid in a 30 fps frame (33 ms).
NumPy's BLAS and PyTorch use the same number of threads (``BENCH_THREADS``, default 1; see
:mod:`bench.tensor`, whose timing helpers this reuses).  Ratios are ours ÷ theirs.
"""
from __future__ import annotations

from bench.tensor import THREADS, copy_into_torch, median_ms  # first: pins BLAS threads

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import engine.functional as F  # noqa: E402
from engine import Tensor, optim  # noqa: E402
from engine.playground import (ConvSpec, DataSpec, DenseSpec, Experiment, TrainSpec, Trainer,  # noqa: E402
                               grid_view)

FRAME_MS = 1000 / 30
CNN = Experiment(DataSpec("digits", n=None, test_fraction=0.2), ConvSpec(convs=((8, 3),)),
                 TrainSpec("Adam", {"lr": 0.01}, batch_size=32))


def epoch_batches(n: int, size: int, seed: int) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + size] for i in range(0, n, size)]


def cnn_epochs(torch):
    """(lab Trainer epoch, bare engine epoch, PyTorch epoch) as callables, same start."""
    lab = Trainer(CNN)
    steps = -(-len(lab.train_data) // CNN.training.batch_size)

    bare = Trainer(CNN).model          # same seed: the same initial weights as the lab's
    X, y = lab.train_data.X, lab.train_data.y.astype(np.int64)
    opt = optim.Adam(list(bare.parameters()), lr=0.01)
    batches = epoch_batches(len(y), CNN.training.batch_size, 0)

    def bare_epoch():
        for index in batches:
            opt.zero_grad()
            F.cross_entropy(bare(Tensor(X[index])), y[index]).backward()
            opt.step()

    model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                torch.nn.Linear(128, 10)).double()
    copy_into_torch(bare, model)       # stage k of ours is module k of theirs
    t_opt = torch.optim.Adam(model.parameters(), lr=0.01)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)

    def torch_epoch():
        for index in batches:
            t_opt.zero_grad()
            idx = torch.from_numpy(index)
            torch.nn.functional.cross_entropy(model(tX[idx]), ty[idx]).backward()
            t_opt.step()

    first = batches[0]
    ours_loss = F.cross_entropy(bare(Tensor(X[first])), y[first]).item()
    theirs_loss = torch.nn.functional.cross_entropy(model(tX[first]), ty[first]).item()
    assert abs(ours_loss - theirs_loss) < 1e-12, (ours_loss, theirs_loss)  # the same computation
    return (lambda: lab.run(steps)), bare_epoch, torch_epoch, lab


def grid_case():
    trainer = Trainer(Experiment(DataSpec("xor", n=500, test_fraction=0.0), DenseSpec(hidden=(8, 8)),
                                 TrainSpec("Adam", {"lr": 0.03}, batch_size=10)))
    trainer.run(50)
    return trainer


def timed_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=7, help="timed epochs per side (median)")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(THREADS)
    print(f"float64 on both sides; {THREADS} thread(s) for NumPy's BLAS and for PyTorch; "
          f"{os.cpu_count()} CPUs; medians, warm-up excluded\n")

    t = time.perf_counter()
    lab_epoch, bare_epoch, torch_epoch, lab = cnn_epochs(torch)
    lab.step()                                  # first call: Numba compile or cache load
    print(f"first CNN step (Numba compile or cache load): {time.perf_counter() - t:.2f} s")
    lab_ms, torch_ms = median_ms(lab_epoch, torch_epoch, args.epochs, warmup=1)
    bare_ms, torch2_ms = median_ms(bare_epoch, torch_epoch, args.epochs, warmup=1)
    torch_ms = statistics.median([torch_ms, torch2_ms])
    accuracy = lab.evaluate().test_accuracy
    print(f"\nCNN epoch on the digits ({len(lab.train_data)} images, batches of 32):")
    print(f"  {'lab Trainer (checks, gradient norms)':40s} {lab_ms:8.1f} ms   ratio {lab_ms / torch_ms:5.2f}")
    print(f"  {'bare engine loop':40s} {bare_ms:8.1f} ms   ratio {bare_ms / torch_ms:5.2f}")
    print(f"  {'PyTorch eager':40s} {torch_ms:8.1f} ms")
    print(f"  (test accuracy of the lab's CNN after the timed epochs: {accuracy:.1%})")

    trainer = grid_case()
    grid = timed_ms(lambda: grid_view(trainer, 100), 50)
    step = timed_ms(trainer.step, 200)
    print(f"\ndecision boundary, 2-8-8-1 tanh on 500 points, 100x100 grid:")
    print(f"  grid_view (prediction + 16 neuron thumbnails) {grid:6.2f} ms")
    print(f"  training step (batch of 10)                   {step:6.2f} ms")
    fit = max(int((FRAME_MS - grid) / step), 0)
    print(f"  at 30 fps a {FRAME_MS:.1f} ms frame holds one grid and {fit} training steps "
          "(before drawing)")


if __name__ == "__main__":
    main()
