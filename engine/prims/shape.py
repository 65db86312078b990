"""Indexing, joining, selecting and extreme-value primitives for tensors.

Every rule is written with dispatching functions, so gradients of these ops can
be differentiated again (``create_graph=True``): the VJP of indexing is a
scatter-add, whose VJP is indexing again.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..node import is_node
from ..registry import Primitive, add, export, register
from . import core as C
from . import dispatch as D
from .dispatch import call


# -- indexing -------------------------------------------------------------------
def _raw_index(index):
    """An index with nodes replaced by their arrays (a tuple stays a tuple)."""
    if isinstance(index, tuple):
        return tuple(_raw_index(i) for i in index)
    if is_node(index):                  # a Node used as an index array
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


export(getitem, methods=("__getitem__",))


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
    return add(Primitive(name, symbol, forward, _PerArgument(vjp), _PerArgument(jvp)))


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
    tensors = _joined(tensors, "concat")
    shapes = [C.shape_of(t) for t in tensors]
    for i, s in enumerate(shapes):
        if s == ():
            raise ValueError(f"concat: a 0-d tensor (at position {i}) cannot be concatenated")
    axis = C.dim_index(axis, len(shapes[0]), "concat")
    for i, s in enumerate(shapes[1:], 1):
        if len(s) != len(shapes[0]) or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
            raise ValueError(f"concat: tensors must have the same shape except in dim {axis}, got "
                             f"{shapes[0]} at position 0 and {s} at position {i}")
    return call("concat", *tensors, axis=axis)


def stack(tensors: Sequence, axis: int = 0, *, dim: int | None = None):
    """Join tensors along a new axis (``torch.stack``); the VJP picks each slice of the gradient."""
    axis = dim if dim is not None else axis
    tensors = _joined(tensors, "stack")
    shapes = [C.shape_of(t) for t in tensors]
    for i, s in enumerate(shapes[1:], 1):
        if s != shapes[0]:
            raise ValueError(f"stack: every tensor must have the same shape, got {shapes[0]} at "
                             f"position 0 and {s} at position {i}")
    return call("stack", *tensors, axis=C.dim_index(axis, len(shapes[0]), "stack", new=True))


def _joined(tensors, op: str) -> list:
    """The tensors to join as a list; an empty list or a lone tensor is a clear error."""
    if is_node(tensors) or isinstance(tensors, np.ndarray):
        raise TypeError(f"{op} takes a sequence of tensors, not a single {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op} expects a non-empty sequence of tensors")
    return tensors


export(concat, functional=("concat",))
export(stack, functional=("stack",))


# -- selection ------------------------------------------------------------------------
def _where_forward(x, y, cond):
    return np.where(cond, x, y)


WHERE = register("where", "where", _where_forward,
                 (lambda g, out, x, y, cond: where(cond, g, 0.0),
                  lambda g, out, x, y, cond: where(cond, 0.0, g)),
                 (lambda t, out, x, y, cond: where(cond, t, 0.0),
                  lambda t, out, x, y, cond: where(cond, 0.0, t)))


def where(cond, x, y):
    """``cond ? x : y`` elementwise (``torch.where``); the gradient flows to the chosen side.

    A scalar condition (a bool) just picks ``x`` or ``y``, so scalar rules and Values
    stay scalars.
    """
    if cond.__class__ is bool or cond.__class__ is np.bool_:
        return x if cond else y
    cond = np.asarray(cond.data if is_node(cond) else cond, dtype=bool)
    if not (is_node(x) or is_node(y)):
        return np.where(cond, x, y)
    return call("where", x, y, cond=cond)


export(where, functional=("where",))


def _inside(lo, hi):
    def mask(x):
        m = np.ones(np.shape(x), dtype=bool)
        if lo is not None:
            m &= x >= lo
        if hi is not None:
            m &= x <= hi
        return m.astype(x.dtype if getattr(x, "dtype", None) == np.float32 else np.float64)
    return mask


CLIP = register("clip", "clip", lambda x, lo, hi: np.clip(x, lo, hi),
                (lambda g, out, x, lo, hi: g * D.nondiff(_inside(lo, hi), x),),
                (lambda t, out, x, lo, hi: t * D.nondiff(_inside(lo, hi), x),))


def clip(x, min: float | None = None, max: float | None = None):
    """Clamp into [min, max] (``torch.clamp``); the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    return call("clip", x, lo=min, hi=max)


export(clip, methods=("clip", "clamp"), functional=("clip",))


# -- extreme values over axes ---------------------------------------------------------------
def _extreme_weights(out, x, axis, keepdims):
    """A constant mask of the arg-extreme elements, split evenly among ties (as ``amax``)."""
    xd = x.data if is_node(x) else np.asarray(x)
    od = out.data if is_node(out) else np.asarray(out)
    if not keepdims:
        od = np.reshape(od, C._reduced_shape(xd.shape, axis))
    mask = (xd == od).astype(xd.dtype)
    with np.errstate(invalid="ignore"):  # a NaN maximum matches nothing: nan, as torch
        weights = mask / np.sum(mask, axis=axis, keepdims=True)
    return x._kind.const(weights) if is_node(x) else weights


def _extreme_vjp(g, out, x, axis=None, keepdims=False):
    return C._sum_vjp(g, out, x, axis, keepdims) * _extreme_weights(out, x, axis, keepdims)


def _extreme_jvp(t, out, x, axis=None, keepdims=False):
    return C.sum(t * _extreme_weights(out, x, axis, keepdims), axis, keepdims)


MAX = register("max", "max", lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
               (_extreme_vjp,), (_extreme_jvp,))
MIN = register("min", "min", lambda x, axis=None, keepdims=False: np.min(x, axis=axis, keepdims=keepdims),
               (_extreme_vjp,), (_extreme_jvp,))


def max(x, axis=None, keepdims: bool = False, *, dim=None):
    """Largest element over ``axis``/``dim`` (values only, like ``torch.amax``)."""
    axis = C.normalize_axis(C.pick_axis(axis, dim), len(x.shape))
    return call("max", x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims: bool = False, *, dim=None):
    """Smallest element over ``axis``/``dim`` (values only, like ``torch.amin``)."""
    axis = C.normalize_axis(C.pick_axis(axis, dim), len(x.shape))
    return call("min", x, axis=axis, keepdims=keepdims)


export(max, methods=("max",))
export(min, methods=("min",))


# -- variance ------------------------------------------------------------------------------
def _dof(x, axis, correction) -> int:
    return C._count(tuple(x.shape), axis) - correction


def _var_forward(x, axis, keepdims, correction):
    """Σ(x - mean)² / max(0, n - correction): inf or nan when n <= correction, as PyTorch."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = x - np.mean(x, axis=axis, keepdims=True)
        dof = float(np.maximum(0, _dof(x, axis, correction)))  # a Python number keeps float32 float32
        return np.sum(d * d, axis=axis, keepdims=keepdims) / dof


def _var_local(x, axis, correction):
    """∂var/∂x = 2 (x - mean) / (n - correction); PyTorch's inf (nan at the mean) when a
    whole-tensor variance has n <= correction."""
    d = x - C.mean(x, axis, keepdims=True)
    dof = _dof(x, axis, correction)
    if dof <= 0 and (axis is None or len(x.shape) == 0):
        return where(D.eq(d, 0.0), np.nan, np.inf)
    with np.errstate(divide="ignore"):
        return d * float(np.float64(2.0) / dof)  # inf past n = correction; a Python float keeps float32


VAR = register(
    "var", "var", _var_forward,
    (lambda g, out, x, axis, keepdims, correction:
        C._sum_vjp(g, out, x, axis, keepdims) * _var_local(x, axis, correction),),
    (lambda t, out, x, axis, keepdims, correction:
        C.sum(t * _var_local(x, axis, correction), axis, keepdims),),
    local_text=("2(x − mean)/(n − correction)",))


def var(x, axis=None, keepdims: bool = False, correction: int = 1, *, dim=None):
    """Variance over ``axis``/``dim``, dividing by n - correction (PyTorch's unbiased default)."""
    axis = C.normalize_axis(C.pick_axis(axis, dim), len(x.shape))
    return call("var", x, axis=axis, keepdims=keepdims, correction=correction)


export(var, methods=("var",))


# -- reshaping compositions -----------------------------------------------------------------


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge axes start_dim..end_dim into one (``torch.flatten``)."""
    shape = tuple(x.shape)
    nd = len(shape)
    s = C.dim_index(start_dim, nd, "flatten", name="start_dim")
    e = C.dim_index(end_dim, nd, "flatten", name="end_dim")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"for a tensor of shape {shape}")
    if nd == 0:
        return C.reshape(x, (1,))
    merged = int(np.prod(shape[s:e + 1]))
    return C.reshape(x, shape[:s] + (merged,) + shape[e + 1:])


def squeeze(x, axis: int | None = None, *, dim: int | None = None):
    """Drop size-1 axes (all, or only ``axis`` if it has size 1)."""
    axis = C.pick_axis(axis, dim)
    shape = tuple(x.shape)
    if axis is None:
        return C.reshape(x, tuple(s for s in shape if s != 1))
    axis = C.dim_index(axis, len(shape), "squeeze")
    if not shape:  # a 0-d tensor has nothing to drop
        return x
    if shape[axis] != 1:
        return x
    return C.reshape(x, shape[:axis] + shape[axis + 1:])


def unsqueeze(x, axis: int | None = None, *, dim: int | None = None):
    """Insert a size-1 axis at ``axis``."""
    axis = C.pick_axis(axis, dim)
    shape = tuple(x.shape)
    axis = C.dim_index(axis, len(shape), "unsqueeze", new=True)
    return C.reshape(x, shape[:axis] + (1,) + shape[axis:])


export(flatten, methods=("flatten",), functional=("flatten",))
export(squeeze, methods=("squeeze",))
export(unsqueeze, methods=("unsqueeze",))
