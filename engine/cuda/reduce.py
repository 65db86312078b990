"""CUDA reductions over axes (sum, mean, max, min; keepdims) and their gradients.

Reduced axes that are not next to each other are first moved to the end with a
transpose, so every reduction is over one span: the array is viewed as
(A, R, B) and reduced over R.  When B is 1 (the reduced axes are the last ones,
the usual case: rows, or everything) each block reduces one row in shared memory;
otherwise each thread reduces one column, reading neighbours' columns side by side.
Max and min propagate NaN as NumPy does; their gradient is split evenly among
ties, as the registry's rule (:mod:`engine.prims.shape`).
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from ..prims.core import _reduced_shape, normalize_axis
from . import device as D
from . import elementwise as E

SUM, MAX, MIN = 0, 1, 2
KINDS = {"sum": SUM, "mean": SUM, "max": MAX, "min": MIN}

_THREADS = D.THREADS  # the shared-memory size below is fixed when the kernel compiles


@cuda.jit(device=True)
def _combine(kind, a, b):
    if kind == SUM:
        return a + b
    if kind == MAX:
        return a if (a >= b or a != a) else b
    return a if (a <= b or a != a) else b


@cuda.jit(device=True)
def _identity(kind, like):
    if kind == SUM:
        return like.dtype.type(0)
    if kind == MAX:
        return like.dtype.type(-math.inf)
    return like.dtype.type(math.inf)


@cuda.jit(cache=True)
def _reduce_rows_kernel(kind, x, out, div):
    """out[a] = reduce(x[a, :]) / div, one block per row, a tree in shared memory."""
    part = cuda.shared.array(_THREADS, dtype=x.dtype)
    tid = cuda.threadIdx.x
    d = out.dtype.type(div)
    for row in range(cuda.blockIdx.x, x.shape[0], cuda.gridDim.x):
        acc = _identity(kind, out)
        for r in range(tid, x.shape[1], cuda.blockDim.x):
            acc = _combine(kind, acc, x[row, r])
        part[tid] = acc
        cuda.syncthreads()
        step = cuda.blockDim.x // 2
        while step > 0:
            if tid < step:
                part[tid] = _combine(kind, part[tid], part[tid + step])
            cuda.syncthreads()
            step //= 2
        if tid == 0:
            out[row] = part[0] / d
        cuda.syncthreads()


@cuda.jit(cache=True)
def _reduce_columns_kernel(kind, x, out, div):
    """out[a, b] = reduce(x[a, :, b]) / div, one thread per output."""
    d = out.dtype.type(div)
    nb = x.shape[2]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        i, j = divmod(t, nb)
        acc = _identity(kind, out)
        for r in range(x.shape[1]):
            acc = _combine(kind, acc, x[i, r, j])
        out[i, j] = acc / d


@cuda.jit(cache=True)
def _extreme_grad_kernel(g, x, out, res):
    """res[a, r, b] = g[a, b] / (number of ties) where x[a, r, b] is the extreme, else 0."""
    zero, one = res.dtype.type(0), res.dtype.type(1)
    nb = x.shape[2]
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        i, j = divmod(t, nb)
        m = out[i, j]
        ties = 0
        for r in range(x.shape[1]):
            if x[i, r, j] == m:
                ties += 1
        w = one / res.dtype.type(ties)
        for r in range(x.shape[1]):
            res[i, r, j] = g[i, j] * (w if x[i, r, j] == m else zero)


# -- host side ----------------------------------------------------------------------------------
def _span(x, axis):
    """``x`` arranged so the reduced axes are one span: (array, perm or None, first, last)."""
    axes = normalize_axis(axis, x.ndim)
    if axes is None or x.ndim == 0:
        axes = tuple(range(x.ndim))
    if not axes:
        return x, None, 0, -1
    if axes == tuple(range(axes[0], axes[-1] + 1)):
        return x, None, axes[0], axes[-1]
    perm = tuple(a for a in range(x.ndim) if a not in axes) + axes
    return E.transpose(x, perm), perm, x.ndim - len(axes), x.ndim - 1


def _three(shape, first: int, last: int) -> tuple[int, int, int]:
    return (int(np.prod(shape[:first])), int(np.prod(shape[first:last + 1])),
            int(np.prod(shape[last + 1:])))


def _out_shape(shape, axis, keepdims: bool) -> tuple[int, ...]:
    axes = normalize_axis(axis, len(shape))
    kept = _reduced_shape(tuple(shape), axes)
    if keepdims:
        return kept
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


def reduce(kind: str, x, axis=None, keepdims: bool = False):
    """``np.<kind>(x, axis, keepdims=keepdims)`` for kind in sum, mean, max, min."""
    D.float_dtype(x)
    shape = tuple(x.shape)
    out_shape = _out_shape(shape, axis, keepdims)
    xs, _, first, last = _span(x, axis)
    a, r, b = _three(tuple(xs.shape), first, last)
    if r == 0 and kind in ("max", "min"):
        raise ValueError(f"{kind} over a zero-size axis of {shape} has no identity")
    div = r if kind == "mean" else 1
    out = D.empty((a, b), x.dtype)
    if a * b:
        x3 = E.reshape(xs, (a, r, b))
        if b == 1:
            _reduce_rows_kernel[max(1, min(a, D.MAX_BLOCKS)), _THREADS](
                KINDS[kind], x3.reshape(a, r), out.reshape(a), div)
        else:
            _reduce_columns_kernel[D.launch(a * b)](KINDS[kind], x3, out, div)
    return out.reshape(out_shape)


def reduce_grad(kind: str, g, x, out, axis=None, keepdims: bool = False):
    """The VJP of ``reduce(kind, x, axis, keepdims)`` (``out`` its forward value), shaped like x."""
    D.float_dtype(g, x)
    kept = _reduced_shape(tuple(x.shape), normalize_axis(axis, x.ndim))
    if kind in ("sum", "mean"):
        spread = E.broadcast_to(E.reshape(g, kept), x.shape)
        if kind == "sum":
            return spread
        count = x.size // max(int(np.prod(kept)), 1) if x.size else 0
        return E.binary("div", spread, float(count), out=spread)
    xs, perm, first, last = _span(x, axis)
    a, r, b = _three(tuple(xs.shape), first, last)
    res = D.empty(xs.shape, x.dtype)
    if a * b * r:
        _extreme_grad_kernel[D.launch(a * b)](E.reshape(g, (a, b)), E.reshape(xs, (a, r, b)),
                                              E.reshape(out, (a, b)), res.reshape(a, r, b))
    return res if perm is None else E.transpose(res, tuple(np.argsort(perm)))


def sum_to(x, shape):
    """Sum a broadcast array back down to ``shape`` (the adjoint of broadcasting)."""
    shape = tuple(int(s) for s in shape)
    if tuple(x.shape) == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and x.shape[i + lead] != 1)
    return E.reshape(reduce("sum", x, axes, keepdims=True), shape)
