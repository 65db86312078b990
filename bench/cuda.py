"""CUDA kernels against the CPU engine and PyTorch CUDA, side by side on one GPU.

``python -m bench.cuda`` times, in one run and on the same float32 data:
  * matrix products 1024 and 4096 (the tiled shared-memory kernel; the CPU side is
    NumPy's BLAS; PyTorch's side is cuBLAS);
  * one conv2d layer forward and backward, 64x16x32x32 images, 32 3x3 kernels, padding 1;
  * one LSTM cell step forward and backward, batch 64, input 128, hidden 256;
  * one full CNN training step through the public API (``model.to("cuda")``: forward,
    cross-entropy, backward, SGD update), 64 digit-sized 1x28x28 images, two conv/ReLU/
    max-pool blocks (16 and 32 3x3 kernels) and a linear layer to 10 classes.
Ratios: CPU time ÷ CUDA time (above 1: the GPU is faster) and our CUDA time ÷ PyTorch
CUDA time (below 1: ours is faster).  Medians after a warm-up (which compiles the
kernels); every GPU timing waits for the device.  Without a GPU it prints why and
exits 0; the CUDA simulator is not timed (it is pure Python).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Callable

import numpy as np

import engine.cuda

def median_ms(fn: Callable[[], object], sync: Callable[[], None], repeats: int) -> float:
    """Median wall time of ``fn`` in ms, each run closed by ``sync`` (waits for the device)."""
    fn()
    sync()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def _torch_cuda():
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def matmul_case(n: int, rng, torch):
    from engine.cuda import device as D
    from engine.cuda import matmul as M
    a, b = (rng.normal(size=(n, n)).astype(np.float32) for _ in range(2))
    da, db = D.to_device(a), D.to_device(b)
    if torch is None:
        return (lambda: a @ b), (lambda: M.matmul(da, db)), None
    ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    return (lambda: a @ b), (lambda: M.matmul(da, db)), (lambda: ta @ tb)


def conv_case(rng, torch, images=(64, 16, 32, 32), kernels=(32, 16, 3, 3)):
    from engine import Tensor
    from engine.cuda import conv as K
    from engine.cuda import device as D
    import engine.functional as F
    x = rng.normal(size=images).astype(np.float32)
    w = (0.1 * rng.normal(size=kernels)).astype(np.float32)
    b = np.zeros(kernels[0], np.float32)
    g = rng.normal(size=(images[0], kernels[0]) + images[2:]).astype(np.float32)  # 3x3, padding 1
    tx, tw, tb = (Tensor(v, requires_grad=True) for v in (x, w, b))

    def cpu():
        for t in (tx, tw, tb):
            t.grad = None
        F.conv2d(tx, tw, tb, padding=1).backward(g)

    dx, dw, db, dg = (D.to_device(v) for v in (x, w, b, g))
    geo = dict(stride=(1, 1), padding=(1, 1), dilation=(1, 1))

    def ours():
        K.conv2d(dx, dw, db, **geo)
        K.conv2d_grad_input(dg, dx, dw, **geo)
        K.conv2d_grad_weight(dg, dx, dw, **geo)
        K.conv2d_grad_bias(dg)

    if torch is None:
        return cpu, ours, None
    px, pw, pb = (torch.from_numpy(v).cuda().requires_grad_() for v in (x, w, b))
    pg = torch.from_numpy(g).cuda()

    def theirs():
        for t in (px, pw, pb):
            t.grad = None
        torch.nn.functional.conv2d(px, pw, pb, padding=1).backward(pg)
    return cpu, ours, theirs


def lstm_case(rng, torch, batch: int = 64, f: int = 128, h: int = 256):
    from engine import Tensor
    from engine.cuda import device as D
    from engine.cuda import rnn as N
    from engine.prims.rnn import lstm_cell
    x = rng.normal(size=(batch, f)).astype(np.float32)
    state = rng.normal(size=(batch, 2 * h)).astype(np.float32)
    w = (0.05 * rng.normal(size=(4 * h, f + h))).astype(np.float32)
    b = np.zeros(4 * h, np.float32)
    g = rng.normal(size=(batch, 6 * h)).astype(np.float32)
    leaves = [Tensor(v, requires_grad=True) for v in (x, state, w, b)]

    def cpu():
        for t in leaves:
            t.grad = None
        lstm_cell(*leaves).backward(g)

    dx, ds, dw, dbias, dg = (D.to_device(v) for v in (x, state, w, b, g))

    def ours():
        packed = N.lstm_cell(dx, ds, dw, dbias)
        N.lstm_cell_grads(dg, packed, dx, ds, dw)

    if torch is None:
        return cpu, ours, None
    cell = torch.nn.LSTMCell(f, h).cuda()
    px = torch.from_numpy(x).cuda().requires_grad_()
    h0, c0 = (torch.from_numpy(state[:, k * h:(k + 1) * h].copy()).cuda().requires_grad_()
              for k in (0, 1))
    gh, gc = (torch.from_numpy(g[:, k * h:(k + 1) * h].copy()).cuda() for k in (0, 1))

    def theirs():
        cell.zero_grad()
        hn, cn = cell(px, (h0, c0))
        torch.autograd.backward((hn, cn), (gh, gc))
    return cpu, ours, theirs


def cnn_case(rng, torch, batch: int = 64, side: int = 28, channels: tuple[int, int] = (16, 32)):
    """One SGD step of a small digits CNN, built twice from the same seeds (CPU and "cuda")."""
    c1, c2 = channels
    from engine import Tensor, nn, optim
    import engine.functional as F
    x = rng.normal(size=(batch, 1, side, side)).astype(np.float32)
    target = rng.integers(0, 10, batch)
    flat = c2 * (side // 4) ** 2

    def step_on(device):
        model = nn.Sequential(nn.Conv2d(1, c1, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(c1, c2, 3, padding=1, seed=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(flat, 10, seed=2)).to(device, np.float32)
        data, opt = Tensor(x, device=device), optim.SGD(list(model.parameters()), lr=0.01)

        def step():
            opt.zero_grad()
            F.cross_entropy(model(data), target).backward()
            opt.step()
        return step

    cpu, ours = step_on("cpu"), step_on("cuda")
    if torch is None:
        return cpu, ours, None
    tnn = torch.nn
    net = tnn.Sequential(tnn.Conv2d(1, c1, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                         tnn.Conv2d(c1, c2, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                         tnn.Flatten(), tnn.Linear(flat, 10)).cuda()
    tx, tt = torch.from_numpy(x).cuda(), torch.from_numpy(target).cuda()
    topt = torch.optim.SGD(net.parameters(), lr=0.01)

    def theirs():
        topt.zero_grad()
        tnn.functional.cross_entropy(net(tx), tt).backward()
        topt.step()
    return cpu, ours, theirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    if not engine.cuda.is_available() or engine.cuda.is_simulator():
        why = engine.cuda.unavailable_reason() or "the CUDA simulator runs on the CPU"
        print(f"bench.cuda: no GPU to measure on ({why}); nothing timed")
        return 0
    from numba import cuda
    torch = _torch_cuda()
    sync_torch = torch.cuda.synchronize if torch is not None else (lambda: None)
    rng = np.random.default_rng(0)
    print(f"GPU: {engine.cuda.device_name()}; CPU: {os.cpu_count()} cores; float32; "
          f"medians of {args.repeats} runs after a warm-up that compiles the kernels; "
          f"PyTorch CUDA: {'torch ' + torch.__version__ if torch else 'not installed with CUDA'}\n")
    print(f"{'case':34s} {'CPU ms':>9s} {'CUDA ms':>9s} {'torch ms':>9s} {'CPU/CUDA':>9s} "
          f"{'CUDA/torch':>10s}")
    cases = {"matmul 1024x1024": matmul_case(1024, rng, torch),
             "matmul 4096x4096": matmul_case(4096, rng, torch),
             "conv2d 64x16x32x32, 32 3x3, fwd+bwd": conv_case(rng, torch),
             "LSTM step B=64 F=128 H=256, fwd+bwd": lstm_case(rng, torch),
             "CNN training step, 64x1x28x28": cnn_case(rng, torch)}
    for name, (cpu, ours, theirs) in cases.items():
        repeats = max(3, args.repeats // 5) if "4096" in name or "CNN" in name else args.repeats
        t_cpu = median_ms(cpu, lambda: None, repeats)
        t_ours = median_ms(ours, cuda.synchronize, repeats)
        t_theirs = median_ms(theirs, sync_torch, repeats) if theirs else float("nan")
        print(f"{name:34s} {t_cpu:9.2f} {t_ours:9.2f} {t_theirs:9.2f} {t_cpu / t_ours:9.1f} "
              f"{t_ours / t_theirs:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
