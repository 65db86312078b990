"""Layer-sized primitives: the affine map of a linear layer and softmax cross-entropy.

One node instead of three (matmul, transpose, add) keeps per-op overhead low in
training loops; the rules still compose differentiable primitives, so gradients
of these ops can be differentiated again.
"""
from __future__ import annotations

import math

import numpy as np

from ..kernels import lazy
from ..node import is_node
from ..registry import export, register
from . import core as C
from . import dispatch as D
from .activation import softmax
from .dispatch import call
from .elementwise import elementwise

K = lazy("loss")  # Numba is imported on the first op that needs it


def _linear_forward(x, w, b):
    out = x @ w.T
    out += b
    return out


def _as_rows(a, width: int):
    return C.reshape(a, (-1, width)) if len(a.shape) != 2 else a


def _linear_dw(g, out, x, w, b):
    return C.matmul(C.transpose(_as_rows(g, w.shape[0])), _as_rows(x, w.shape[1]))


LINEAR = register("linear", "linear", _linear_forward,
                  (lambda g, out, x, w, b: C.matmul(g, w), _linear_dw,
                   lambda g, out, x, w, b: g),
                  (lambda t, out, x, w, b: C.matmul(t, C.transpose(w)),
                   lambda t, out, x, w, b: C.matmul(x, C.transpose(t)),
                   lambda t, out, x, w, b: C.broadcast_to(t, out.shape)),
                  local_text=("W", "x", "1"))


def linear(x, weight, bias=None):
    """x Wᵀ + b with W shaped (out, in), as ``torch.nn.functional.linear``."""
    if bias is None:
        return C.matmul(x, C.transpose(weight))
    return call("linear", x, weight, bias)


export(linear, functional=("linear",))


# -- softmax cross-entropy with integer targets ------------------------------------------
def _row_scale(g, n: int, reduction: str, dtype):
    """The upstream gradient as one factor per row (mean divides by n)."""
    if reduction == "none":
        return np.asarray(g, dtype=dtype).reshape(n)
    scale = float(np.asarray(g)) / (n if reduction == "mean" else 1)
    return np.full(n, scale, dtype=dtype)


def _ce_forward(logits, target, reduction):
    rows = K.cross_entropy_rows(np.ascontiguousarray(logits), target)
    if reduction == "none":
        return rows
    return rows.mean() if reduction == "mean" else rows.sum()


def _ce_vjp(g, out, logits, target, reduction):
    n = logits.shape[0]
    if is_node(g) or is_node(logits):
        onehot = np.eye(logits.shape[1], dtype=logits.dtype)[target]
        scale = (C.reshape(g, (n, 1)) if reduction == "none" else g) * (1.0 / n if reduction == "mean" else 1.0)
        return (softmax(logits, 1) - onehot) * scale
    return K.cross_entropy_grad(np.ascontiguousarray(logits), target,
                                _row_scale(g, n, reduction, logits.dtype))


def _ce_jvp(t, out, logits, target, reduction):
    onehot = np.eye(logits.shape[1], dtype=np.result_type(logits))[target]
    rows = C.sum((softmax(logits, 1) - onehot) * t, 1)
    if reduction == "none":
        return rows
    return C.mean(rows) if reduction == "mean" else C.sum(rows)


SOFTMAX_CROSS_ENTROPY = register("cross_entropy", "CE", _ce_forward, (_ce_vjp,), (_ce_jvp,),
                                 local_text=("softmax − onehot",))


def cross_entropy(logits, target, reduction: str = "mean"):
    """-log softmax(logits)[target] for (N, C) logits and integer targets (N,), fused."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    target = np.asarray(target.data if is_node(target) else target).astype(np.int64)
    if len(C.shape_of(logits)) != 2 or target.shape != (C.shape_of(logits)[0],):
        raise ValueError(f"cross_entropy wants logits (N, C) and targets (N,), got "
                         f"{C.shape_of(logits)} and {target.shape}")
    return call("cross_entropy", logits, target=target, reduction=reduction)


# -- binary cross-entropy on probabilities, PyTorch's clamps included ---------------------
BCE_EPSILON = float(np.float32(1e-12))
"""PyTorch's floor on p(1 - p) in the BCE gradient (a float32 1e-12), so p in {0, 1}
gives a large finite gradient instead of inf or nan."""


def _bce(p: float, t: float) -> float:
    """-[t log p + (1 - t) log(1 - p)] with each log clamped at -100, as PyTorch."""
    return -(t * max(math.log(p), -100.0) + (1.0 - t) * max(math.log(1.0 - p), -100.0))


def _bce_array(p, t):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(t * np.maximum(np.log(p), -100.0) + (1.0 - t) * np.maximum(np.log1p(-p), -100.0))


BINARY_CROSS_ENTROPY = elementwise(
    "binary_cross_entropy", "BCE", scalar=_bce, array=_bce_array,
    partials=(lambda p, t, out: (p - t) / D.maximum((1.0 - p) * p, BCE_EPSILON),
              lambda p, t, out: D.log(1.0 - p) - D.log(p)),
    local_text=("(p − t)/(p(1 − p))", "log((1 − p)/p)"), public=False)
