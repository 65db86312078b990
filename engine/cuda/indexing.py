"""Indexing and joining on the GPU: ``x[index]``, its scatter-add adjoint, concat and stack.

NumPy resolves the index on the host, on an array of element numbers
(``arange(size).reshape(shape)[index]``), so every index NumPy accepts works,
with NumPy's errors; the device then gathers (``take``) or scatters (``put``)
through that integer array.  Basic indices (ints, slices, None, Ellipsis) never
repeat a position, so their scatter is a plain store and their positions are
cached per (shape, index); integer-array indices may repeat and scatter with
atomic adds, as ``np.add.at``.
"""
from __future__ import annotations

import functools

import numpy as np
from numba import cuda

from ..prims.shape import _concat_slice
from . import device as D


@cuda.jit(cache=True)
def _take_kernel(x, positions, out):
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t] = x[positions[t]]


@cuda.jit(cache=True)
def _put_kernel(src, positions, out):
    for t in range(cuda.grid(1), src.size, cuda.gridsize(1)):
        out[positions[t]] = src[t]


@cuda.jit(cache=True)
def _put_add_kernel(src, positions, out):
    for t in range(cuda.grid(1), src.size, cuda.gridsize(1)):
        cuda.atomic.add(out, positions[t], src[t])


def _is_basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


class _Index:
    """A basic index made hashable (slices are not, before Python 3.12) for the cache."""

    def __init__(self, index):
        self.index, self.key = index, repr(index)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Index) and other.key == self.key


@functools.lru_cache(maxsize=256)
def _cached_positions(shape: tuple, index: _Index):
    return _resolve(shape, index.index)


def _resolve(shape: tuple, index):
    """(device positions, result shape) of ``x[index]`` for an array of ``shape``."""
    numbers = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)[index]
    numbers = np.asarray(numbers)
    return D.to_device(numbers.reshape(-1)), tuple(numbers.shape)


def positions(shape, index):
    """Where ``x[index]`` reads, as a device array of flat positions, and the result's shape."""
    shape = tuple(int(s) for s in shape)
    if _is_basic(index):
        return _cached_positions(shape, _Index(index))
    return _resolve(shape, index)


def getitem(x, index):
    """``x[index]`` as a new contiguous device array (any index NumPy takes)."""
    pos, shape = positions(x.shape, index)
    out = D.empty(shape, x.dtype)
    if out.size:
        _take_kernel[D.launch(out.size)](D.flat(D.contiguous(x)) if x.ndim else x.reshape(1),
                                         pos, D.flat(out))
    return out


def scatter(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeats accumulate): getitem's adjoint."""
    pos, picked = positions(shape, index)
    out = D.zeros(shape, g.dtype)
    if tuple(g.shape) != picked:
        raise ValueError(f"scatter: gradient {tuple(g.shape)} does not match x[index] {picked}")
    if g.size:
        kernel = _put_kernel if _is_basic(index) else _put_add_kernel
        kernel[D.launch(g.size)](D.flat(D.contiguous(g)) if g.ndim else g.reshape(1), pos,
                                 out.reshape(out.size) if out.ndim else out.reshape(1))
    return out


def _join(parts, shape, slot):
    """An array of ``shape`` with ``parts[i]`` stored at ``slot(i)``."""
    D.float_dtype(*parts)
    out = D.empty(shape, parts[0].dtype)
    for i, part in enumerate(parts):
        if part.size:
            pos, _ = positions(shape, slot(i))
            _put_kernel[D.launch(part.size)](D.flat(D.contiguous(part)), pos, D.flat(out))
    return out


def concat(parts, axis: int):
    """``np.concatenate(parts, axis)``; the parts' other axes must agree."""
    shapes = [tuple(p.shape) for p in parts]
    rest = {s[:axis] + s[axis + 1:] for s in shapes}
    if len(rest) != 1 or len({len(s) for s in shapes}) != 1:
        raise ValueError(f"concat along axis {axis}: shapes {shapes} differ off that axis")
    first = shapes[0]
    shape = first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:]
    return _join(parts, shape, lambda i: _concat_slice(i, parts, axis))


def stack(parts, axis: int):
    """``np.stack(parts, axis)``: every part gets a new axis at ``axis``."""
    shapes = {tuple(p.shape) for p in parts}
    if len(shapes) != 1:
        raise ValueError(f"stack: all parts need one shape, got {sorted(shapes)}")
    shape = shapes.pop()
    out_shape = shape[:axis] + (len(parts),) + shape[axis:]
    return _join(parts, out_shape, lambda i: (slice(None),) * axis + (i,))
