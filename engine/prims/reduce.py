"""Reductions and scans beyond sum/mean/max/var: std, prod, logsumexp, cumsum (torch names).

``prod`` and ``cumsum`` are primitives; ``std`` and ``logsumexp`` compose differentiable
ones.  Every rule uses dispatching functions, so gradients can be differentiated again.
"""
from __future__ import annotations

import numpy as np

from ..node import is_node
from ..registry import export, register
from . import core as C
from . import dispatch as D
from .dispatch import call
from .shape import VAR, _var_forward, getitem, where


def _half_inverse(out):
    """∂√v/∂v = 1/(2√v), and 0 where √v = 0 (torch's std passes no gradient there)."""
    zero = D.nondiff(lambda o: np.asarray(o) == 0, out)
    with np.errstate(divide="ignore"):
        return where(zero, 0.0, 0.5 / where(zero, 1.0, out))


STD = register(
    "std", "std", lambda x, axis, keepdims, correction:
        np.sqrt(_var_forward(x, axis, keepdims, correction)).astype(x.dtype, copy=False),
    (lambda g, out, x, axis, keepdims, correction:
        VAR.vjps[0](g * _half_inverse(out), None, x, axis, keepdims, correction),),
    (lambda t, out, x, axis, keepdims, correction:
        VAR.jvps[0](t, None, x, axis, keepdims, correction) * _half_inverse(out),),
    local_text=("(x − mean)/((n − correction)·std)",))


def std(x, dim=None, keepdim: bool = False, correction: int = 1, *, axis=None, keepdims=None):
    """√var over ``dim`` (all by default), dividing by n - correction as ``torch.std``."""
    axis = C.normalize_axis(C.pick_axis(axis, dim), len(x.shape), "std")
    return call("std", x, axis=axis, keepdims=keepdim if keepdims is None else keepdims,
                correction=correction)


# -- prod: the gradient is the product of the others, exact at zeros ------------------------------
def _others(x: np.ndarray, axis) -> np.ndarray:
    """For each element, the product of the other elements of its reduction (no division,
    so zeros are exact): exclusive cumulative products from both ends."""
    if x.size == 0:
        return np.ones_like(x)
    axes = tuple(range(x.ndim)) if axis is None else tuple(axis)
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    moved = np.transpose(x, rest + axes)
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    return np.transpose((left * right).reshape(moved.shape), np.argsort(rest + axes))


def _prod_local(x, out, axis, keepdims):
    """∂prod/∂x: the others' product; recorded (create_graph) as prod/x, with the others'
    product as a constant at zeros (so a second derivative through a zero is not exact)."""
    if not is_node(x):
        return _others(np.asarray(x), axis)
    zero = D.nondiff(lambda a: a == 0, x)
    o = out if keepdims else C.reshape(out, C._reduced_shape(tuple(x.shape), axis))
    return where(zero, x._kind.const(_others(x.data, axis)), o / where(zero, 1.0, x))


PROD = register(
    "prod", "Π", lambda x, axis=None, keepdims=False: np.prod(x, axis=axis, keepdims=keepdims),
    (lambda g, out, x, axis=None, keepdims=False:
        C._sum_vjp(g, out, x, axis, keepdims) * _prod_local(x, out, axis, keepdims),),
    (lambda t, out, x, axis=None, keepdims=False:
        C.sum(t * _prod_local(x, out, axis, keepdims), axis, keepdims),),
    local_text=("Π of the others",))


def prod(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    """Product over ``dim`` (all by default), as ``torch.prod``; exact gradients at zeros."""
    axis = C.normalize_axis(C.pick_axis(axis, dim), len(x.shape), "prod")
    return call("prod", x, axis=axis, keepdims=keepdim if keepdims is None else keepdims)


# -- logsumexp ------------------------------------------------------------------------------------
def logsumexp(x, dim, keepdim: bool = False):
    """log Σ exp(x) over ``dim``, stable (the max is subtracted; all -inf gives -inf)."""
    axis = C.normalize_axis(dim, len(x.shape), "logsumexp")
    if axis == ():
        return x
    m = np.max(x.data if is_node(x) else np.asarray(x), axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or empty) sums to 0: log 0 = -inf
    out = D.log(C.sum(D.exp(x - m), axis, keepdims=True)) + m
    return out if keepdim else C.reshape(out, tuple(s for i, s in enumerate(x.shape) if i not in axis))


# -- cumsum: its VJP is the reversed cumulative sum ------------------------------------------------
def _reversed(axis: int, ndim: int) -> tuple:
    return (slice(None),) * axis + (slice(None, None, -1),)


CUMSUM = register(
    "cumsum", "cumsum", lambda x, axis: np.cumsum(x, axis=axis),
    (lambda g, out, x, axis: getitem(cumsum(getitem(g, _reversed(axis, len(x.shape))), axis),
                                     _reversed(axis, len(x.shape))),),
    (lambda t, out, x, axis: cumsum(t, axis),))


def cumsum(x, dim: int):
    """Running sums along ``dim`` (``torch.cumsum``)."""
    axis = C.dim_index(dim, len(x.shape), "cumsum")
    return x if len(x.shape) == 0 else call("cumsum", x, axis=axis)


export(std, methods=("std",), functional=("std",))
export(prod, methods=("prod",), functional=("prod",))
export(logsumexp, methods=("logsumexp",), functional=("logsumexp",))
export(cumsum, methods=("cumsum",), functional=("cumsum",))
