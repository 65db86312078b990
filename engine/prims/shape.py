"""Indexing, joining, selecting and extreme-value primitives for tensors.

Every rule is written with dispatching functions, so gradients of these ops can
be differentiated again (``create_graph=True``): the VJP of indexing is a
scatter-add, whose VJP is indexing again.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..registry import REGISTRY, Primitive, register
from . import core as C
from . import dispatch as D
from .dispatch import call


# -- indexing -------------------------------------------------------------------
def _raw_index(index):
    """An index with nodes replaced by their arrays (a tuple stays a tuple)."""
    if isinstance(index, tuple):
        return tuple(_raw_index(i) for i in index)
    if hasattr(index, "prim"):          # a Node used as an index array
        return np.asarray(index.data).astype(np.int64) if index.data.dtype.kind == "f" else index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_advanced(index) -> bool:
    """True when ``index`` holds arrays, so positions may repeat (scatter must add)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) for p in parts)


def _scatter_forward(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
    g = np.asarray(g)
    out = np.zeros(shape, dtype=g.dtype if g.dtype.kind == "f" else np.float64)
    if _is_advanced(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


GETITEM = register("getitem", "[]", lambda x, index: np.asarray(x)[index],
                   (lambda g, out, x, index: scatter(g, x.shape, index),),
                   (lambda t, out, x, index: getitem(t, index),))
SCATTER = register("scatter_add", "scatter", _scatter_forward,
                   (lambda g, out, x, shape, index: getitem(g, index),),
                   (lambda t, out, x, shape, index: scatter(t, shape, index),))


def getitem(x, index):
    """``x[index]`` with basic slicing and integer/boolean arrays; the VJP scatters with np.add.at."""
    return call("getitem", x, index=_raw_index(index))


def scatter(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index``: the adjoint of ``getitem``."""
    return call("scatter_add", g, shape=tuple(shape), index=index)


# -- variadic joins ----------------------------------------------------------------
class _PerArgument(Sequence):
    """One rule for every argument of a variadic primitive, told its position."""

    def __init__(self, rule: Callable):
        self.rule = rule

    def __getitem__(self, i):
        if isinstance(i, slice):
            raise TypeError("a variadic primitive has no fixed list of rules")
        return lambda g, out, *args, **params: self.rule(i, g, out, *args, **params)

    def __len__(self) -> int:
        return 0  # variadic: any number of arguments


def register_variadic(name: str, symbol: str, forward: Callable, vjp: Callable,
                      jvp: Callable) -> Primitive:
    """Declare a primitive taking any number of arguments; rules get the position first."""
    if name in REGISTRY:
        raise ValueError(f"primitive {name!r} is already registered")
    prim = Primitive(name, symbol, forward, _PerArgument(vjp), _PerArgument(jvp))
    REGISTRY[name] = prim
    return prim


def _concat_slice(i: int, args, axis: int) -> tuple:
    start = int(sum(a.shape[axis] for a in args[:i]))
    return (slice(None),) * axis + (slice(start, start + args[i].shape[axis]),)


CONCAT = register_variadic(
    "concat", "concat", lambda *xs, axis: np.concatenate(xs, axis=axis),
    lambda i, g, out, *xs, axis: getitem(g, _concat_slice(i, xs, axis)),
    lambda i, t, out, *xs, axis: scatter(t, out.shape, _concat_slice(i, xs, axis)))
STACK = register_variadic(
    "stack", "stack", lambda *xs, axis: np.stack(xs, axis=axis),
    lambda i, g, out, *xs, axis: getitem(g, (slice(None),) * axis + (i,)),
    lambda i, t, out, *xs, axis: scatter(t, out.shape, (slice(None),) * axis + (i,)))


def concat(tensors: Sequence, axis: int = 0, *, dim: int | None = None):
    """Join tensors along an existing axis (``torch.cat``); the VJP slices the gradient back."""
    axis = dim if dim is not None else axis
    tensors = list(tensors)
    nd = len(C.shape_of(tensors[0]))
    return call("concat", *tensors, axis=int(axis) % (nd or 1))


def stack(tensors: Sequence, axis: int = 0, *, dim: int | None = None):
    """Join tensors along a new axis (``torch.stack``); the VJP picks each slice of the gradient."""
    axis = dim if dim is not None else axis
    tensors = list(tensors)
    nd = len(C.shape_of(tensors[0])) + 1
    return call("stack", *tensors, axis=int(axis) % nd)


# -- selection ------------------------------------------------------------------------
def _where_forward(x, y, cond):
    return np.where(cond, x, y)


WHERE = register("where", "where", _where_forward,
                 (lambda g, out, x, y, cond: where(cond, g, 0.0),
                  lambda g, out, x, y, cond: where(cond, 0.0, g)),
                 (lambda t, out, x, y, cond: where(cond, t, 0.0),
                  lambda t, out, x, y, cond: where(cond, 0.0, t)))


def where(cond, x, y):
    """``cond ? x : y`` elementwise (``torch.where``); the gradient flows to the chosen side."""
    cond = np.asarray(cond.data if hasattr(cond, "prim") else cond, dtype=bool)
    return call("where", x, y, cond=cond)


def _inside(lo, hi):
    def mask(x):
        m = np.ones(np.shape(x), dtype=bool)
        if lo is not None:
            m &= x >= lo
        if hi is not None:
            m &= x <= hi
        return m.astype(np.result_type(x, float))
    return mask


CLIP = register("clip", "clip", lambda x, lo, hi: np.clip(x, lo, hi),
                (lambda g, out, x, lo, hi: g * D.nondiff(_inside(lo, hi), x),),
                (lambda t, out, x, lo, hi: t * D.nondiff(_inside(lo, hi), x),))


def clip(x, min: float | None = None, max: float | None = None):
    """Clamp into [min, max] (``torch.clamp``); the gradient passes where min <= x <= max."""
    return call("clip", x, lo=min, hi=max)


# -- extreme values over axes ---------------------------------------------------------------
def _extreme_weights(out, x, axis, keepdims):
    """A constant mask of the arg-extreme elements, split evenly among ties (as ``amax``)."""
    xd = x.data if hasattr(x, "prim") else np.asarray(x)
    od = out.data if hasattr(out, "prim") else np.asarray(out)
    if not keepdims:
        od = np.reshape(od, C._reduced_shape(xd.shape, axis))
    mask = (xd == od).astype(xd.dtype)
    weights = mask / np.sum(mask, axis=axis, keepdims=True)
    return type(x).const(weights) if hasattr(x, "prim") else weights


def _extreme_vjp(g, out, x, axis=None, keepdims=False):
    return C._sum_vjp(g, out, x, axis, keepdims) * _extreme_weights(out, x, axis, keepdims)


def _extreme_jvp(t, out, x, axis=None, keepdims=False):
    return C.sum(t * _extreme_weights(out, x, axis, keepdims), axis, keepdims)


MAX = register("max", "max", lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
               (_extreme_vjp,), (_extreme_jvp,))
MIN = register("min", "min", lambda x, axis=None, keepdims=False: np.min(x, axis=axis, keepdims=keepdims),
               (_extreme_vjp,), (_extreme_jvp,))


def max(x, axis=None, keepdims: bool = False):
    """Largest element over ``axis`` (values only, like ``torch.amax``)."""
    return call("max", x, axis=C.normalize_axis(axis, len(x.shape)), keepdims=keepdims)


def min(x, axis=None, keepdims: bool = False):
    """Smallest element over ``axis`` (values only, like ``torch.amin``)."""
    return call("min", x, axis=C.normalize_axis(axis, len(x.shape)), keepdims=keepdims)


# -- compositions ---------------------------------------------------------------------
def var(x, axis=None, keepdims: bool = False, correction: int = 1):
    """Variance over ``axis``, dividing by n - correction (PyTorch's unbiased default)."""
    axis = C.normalize_axis(axis, len(x.shape))
    n = C._count(tuple(x.shape), axis)
    d = x - C.mean(x, axis, keepdims=True)
    return C.sum(d * d, axis, keepdims) / (n - correction)


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge axes start_dim..end_dim into one (``torch.flatten``)."""
    shape = tuple(x.shape)
    nd = len(shape)
    if nd == 0:
        return C.reshape(x, (1,))
    s, e = start_dim % nd, end_dim % nd
    merged = int(np.prod(shape[s:e + 1]))
    return C.reshape(x, shape[:s] + (merged,) + shape[e + 1:])


def squeeze(x, axis: int | None = None):
    """Drop size-1 axes (all, or only ``axis`` if it has size 1)."""
    shape = tuple(x.shape)
    if axis is None:
        return C.reshape(x, tuple(s for s in shape if s != 1))
    axis %= len(shape) or 1
    if shape[axis] != 1:
        return x
    return C.reshape(x, shape[:axis] + shape[axis + 1:])


def unsqueeze(x, axis: int):
    """Insert a size-1 axis at ``axis``."""
    shape = tuple(x.shape)
    axis %= len(shape) + 1
    return C.reshape(x, shape[:axis] + (1,) + shape[axis:])
