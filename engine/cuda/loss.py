"""Fused softmax cross-entropy on the GPU: one thread per row, max-shifted for stability.

The same two kernels as the CPU (:mod:`engine.kernels.loss`): per-row losses, and
``(softmax - onehot) * row_scale``; the upstream gradient stays on the device
(one number for mean/sum, one per row for ``reduction="none"``).
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from . import device as D
from . import reduce as R

REDUCTIONS = ("mean", "sum", "none")


@cuda.jit(device=True)
def _row_max(logits, r):
    m = logits[r, 0]
    for k in range(1, logits.shape[1]):
        if logits[r, k] > m:
            m = logits[r, k]
    return m


@cuda.jit(cache=True)
def _rows_kernel(logits, target, out):
    zero = out.dtype.type(0)
    for r in range(cuda.grid(1), logits.shape[0], cuda.gridsize(1)):
        m = _row_max(logits, r)
        s = zero
        for k in range(logits.shape[1]):
            s += math.exp(logits[r, k] - m)
        out[r] = m + math.log(s) - logits[r, target[r]]


@cuda.jit(cache=True)
def _grad_kernel(logits, target, g, div, out):
    zero = out.dtype.type(0)
    d = out.dtype.type(div)
    for r in range(cuda.grid(1), logits.shape[0], cuda.gridsize(1)):
        scale = g[r if g.size > 1 else 0] / d
        m = _row_max(logits, r)
        s = zero
        for k in range(logits.shape[1]):
            e = math.exp(logits[r, k] - m)
            out[r, k] = e
            s += e
        w = scale / s
        for k in range(logits.shape[1]):
            out[r, k] *= w
        out[r, target[r]] -= scale


def device_target(target, classes: int):
    """Integer targets on the device; host targets are checked against ``classes`` first."""
    if D.is_device_array(target):
        return target
    target = np.asarray(target)
    if target.size and (target.min() < 0 or target.max() >= classes):
        raise ValueError(f"cross_entropy: targets must lie in [0, {classes}), got "
                         f"{target.min()}..{target.max()}")
    return D.to_device(target, np.int64)


def _check(logits, target) -> None:
    D.float_dtype(logits)
    if logits.ndim != 2 or tuple(target.shape) != (logits.shape[0],):
        raise ValueError(f"cross_entropy wants logits (N, C) and targets (N,), got "
                         f"{tuple(logits.shape)} and {tuple(target.shape)}")
    if logits.shape[1] == 0 and logits.shape[0]:
        raise ValueError(f"cross_entropy: logits {tuple(logits.shape)} have no classes")


def cross_entropy_rows(logits, target):
    """Per-row -log softmax(logits)[target], shape (N,)."""
    target = device_target(target, logits.shape[1])
    _check(logits, target)
    out = D.empty((logits.shape[0],), logits.dtype)
    if logits.shape[0]:
        _rows_kernel[D.launch(logits.shape[0])](D.contiguous(logits), target, out)
    return out


def cross_entropy(logits, target, reduction: str = "mean"):
    """The loss as the registry's ``cross_entropy``: rows, or their mean or sum (0-d)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    rows = cross_entropy_rows(logits, target)
    return rows if reduction == "none" else R.reduce(reduction, rows)


def cross_entropy_grad(g, logits, target, reduction: str = "mean"):
    """dL/dlogits = (softmax(logits) - onehot(target)) * g (/ N for the mean), (N, C)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    target = device_target(target, logits.shape[1])
    _check(logits, target)
    D.float_dtype(g, logits)
    n = logits.shape[0]
    out = D.empty(logits.shape, logits.dtype)
    if n:
        g_flat = D.flat(D.contiguous(g)) if g.ndim else g.reshape(1)
        _grad_kernel[D.launch(n)](D.contiguous(logits), target, g_flat,
                                  n if reduction == "mean" else 1, out)
    return out
