"""``torch.nn.functional`` for Chainrule: layers, normalizations and losses as functions.

Use as ``import engine.functional as F``.  Every function takes Tensors (recorded)
or raw NumPy arrays (computed, not recorded), because each one runs registered
primitives through the dispatch functions.  Reductions default to ``'mean'``.
The elementwise functions and the single-primitive layers (``F.atan``,
``F.softmax``, ``F.conv2d``, ...) come from the primitive registry, which installs
each one here when it is declared; this module adds the compositions.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .node import raw
from .prims import core as C
from .prims import dispatch as D
from .prims import layout as _layout  # noqa: F401  (registers flip, pad, einsum, ...)
from .prims import reduce as _reduce_ops  # noqa: F401  (registers std, prod, cumsum, ...)
from .prims.activation import log_softmax
from .prims.conv import conv2d
from .prims.dispatch import call
from .prims.nn import cross_entropy as _fused_cross_entropy
from .prims.shape import getitem
from .prims.shape import var as _var
from .registry import bind_module

__all__ = [
    "conv1d", "dropout", "batch_norm", "layer_norm", "mse_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "l1_penalty", "l2_penalty",
]
"""The compositions defined here; every functional export of the registry (``exp``,
``atan``, ``softmax``, ``conv2d``, ``where``, ...) is added by :func:`registry.bind_module`."""


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction: str):
    if reduction == "mean":
        return C.mean(loss)
    if reduction == "sum":
        return C.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# -- layers -------------------------------------------------------------------------------
def conv1d(x, weight, bias=None, stride: int = 1, padding: int = 0, dilation: int = 1):
    """1-D cross-correlation: x (N, C, L), weight (O, C, k) → (N, O, L_out), via conv2d."""
    n, c, length = x.shape
    o, _, k = weight.shape
    out = conv2d(C.reshape(x, (n, c, 1, length)), C.reshape(weight, (o, c, 1, k)), bias,
                 stride=(1, stride), padding=(0, padding), dilation=(1, dilation))
    return C.reshape(out, (n, o, out.shape[-1]))


def dropout(x, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None):
    """Zero each element with probability p and scale survivors by 1/(1-p) (inverted dropout).

    As PyTorch, so evaluation needs no change.  The lecture's original variant keeps
    activations unscaled in training and multiplies by (1-p) at test time instead;
    both give the same expected activation.
    """
    if not 0.0 <= p < 1.0:
        if p == 1.0 and training:
            return x * 0.0
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0.0:
        return x
    rng = generator if generator is not None else np.random.default_rng()
    keep = (rng.random(x.shape) >= p).astype(raw(x).dtype) / (1.0 - p)
    return x * keep


def _channel_shape(x) -> tuple:
    return (1, x.shape[1]) + (1,) * (len(x.shape) - 2)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """Normalize each channel (axis 1) over the batch and spatial axes, then scale and shift.

    Training uses the batch's mean and biased variance and updates the running
    statistics in place: running = (1-momentum)·running + momentum·batch, with
    the unbiased batch variance, as PyTorch.  Evaluation uses the running statistics.
    """
    axes = (0,) + tuple(range(2, len(x.shape)))
    shape = _channel_shape(x)
    if training:
        mean = C.mean(x, axes, keepdims=True)
        var = _var(x, axes, keepdims=True, correction=0)
        n = int(np.prod([x.shape[a] for a in axes]))
        _update_running(running_mean, running_var, raw(mean).reshape(-1),
                        raw(var).reshape(-1) * (n / max(n - 1, 1)), momentum)
    else:
        mean = C.reshape(raw(running_mean), shape)
        var = C.reshape(raw(running_var), shape)
    out = (x - mean) / D.sqrt(var + eps)
    if weight is not None:
        out = out * C.reshape(weight, shape)
    if bias is not None:
        out = out + C.reshape(bias, shape)
    return out


def _update_running(running_mean, running_var, mean, var, momentum: float) -> None:
    for stat, batch in ((running_mean, mean), (running_var, var)):
        if stat is not None:
            target = raw(stat)
            target *= 1.0 - momentum
            target += momentum * batch


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalize over the last len(normalized_shape) axes of each sample, then scale and shift."""
    normalized_shape = (normalized_shape,) if np.ndim(normalized_shape) == 0 else tuple(normalized_shape)
    axes = tuple(range(len(x.shape) - len(normalized_shape), len(x.shape)))
    mean = C.mean(x, axes, keepdims=True)
    var = _var(x, axes, keepdims=True, correction=0)
    out = (x - mean) / D.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# -- losses ---------------------------------------------------------------------------------
def mse_loss(input, target, reduction: str = "mean"):
    """Mean squared error (input - target)²."""
    d = input - target
    return _reduce(d * d, reduction)


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    """-w[t log p + (1-t) log(1-p)] on probabilities, as PyTorch: the logs are clamped at
    -100 and the gradient's p(1 - p) at 1e-12, so p = 0 or 1 stays finite."""
    _same_shape("binary_cross_entropy", input, target)
    loss = call("binary_cross_entropy", input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):
    """BCE on logits, stable for any logit: (1 - t)·x + (1 + (pos_weight - 1)·t)·softplus(-x),
    which is softplus(x) - t·x without ``pos_weight`` (the positives' weight, per class)."""
    _same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        loss = D.softplus(input) - target * input
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * D.softplus(-input)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _same_shape(op: str, input, target) -> None:
    if C.shape_of(input) != C.shape_of(target) and not np.isscalar(target):
        raise ValueError(f"{op}: target {C.shape_of(target)} must have the input's shape "
                         f"{C.shape_of(input)}")


def _classes_last(x, cls: int):
    """(N, C, d1, ...) -> (N·d1·..., C): one row per prediction, classes along axis 1."""
    shape = C.shape_of(x)
    if len(shape) == 1:
        return C.reshape(x, (1, shape[0]))
    if len(shape) > 2:
        x = C.permute(x, (0,) + tuple(range(2, len(shape))) + (1,))
    return C.reshape(x, (-1, shape[cls]))


def _index_target(op: str, input, target) -> np.ndarray | None:
    """The class-index target as int64 (None when ``target`` holds class probabilities):
    integers, or floats with whole values in the index shape (N, d1, ...)."""
    shape = C.shape_of(input)
    t = np.asarray(raw(target))
    wanted = () if len(shape) == 1 else (shape[0],) + shape[2:]
    if len(shape) == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    if t.shape == shape and t.dtype.kind == "f":
        return None
    if t.shape != wanted:
        raise ValueError(f"{op}: target {t.shape} does not match input {shape}: class indices "
                         f"want shape {wanted}, class probabilities want {shape}")
    if t.dtype.kind == "f" and not np.all(t == np.round(t)):
        raise ValueError(f"{op}: target of shape {t.shape} holds fractions; class "
                         f"probabilities want the input's shape {shape}")
    return t.astype(np.int64)


def _class_loss(op, logp, target: np.ndarray, weight, ignore_index: int, reduction: str,
                label_smoothing: float, out_shape: tuple):
    """-w[y]·logp[y] per row (mixed with the classes' mean when smoothing), ignored rows 0;
    'mean' divides by the weights of the rows kept, as PyTorch."""
    n, classes = C.shape_of(logp)
    t = target.reshape(-1)
    keep = t != ignore_index
    bad = t[keep & ((t < 0) | (t >= classes))]
    if bad.size:
        raise IndexError(f"{op}: target {bad[0]} is out of bounds for {classes} classes")
    safe = np.where(keep, t, 0)
    w = np.ones(classes) if weight is None else np.asarray(raw(weight), dtype=np.float64)
    if w.shape != (classes,):
        raise ValueError(f"{op}: weight {w.shape} must have one entry per class ({classes},)")
    row_w = np.where(keep, w[safe], 0.0).astype(raw(logp).dtype)
    loss = -getitem(logp, (np.arange(n), safe)) * row_w
    if label_smoothing:
        smooth = -C.sum(logp * w.astype(raw(logp).dtype), 1) * keep.astype(row_w.dtype)
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)
    if reduction == "mean":
        return C.sum(loss) / float(row_w.sum())
    return C.sum(loss) if reduction == "sum" else C.reshape(loss, out_shape)


def cross_entropy(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0):
    """Softmax cross-entropy as PyTorch: logits (C,), (N, C) or (N, C, d1, ...) with class
    indices (fused for plain (N, C)) or class probabilities of the input's shape (then the
    target gets a gradient too); ``weight`` per class, ``ignore_index``, ``label_smoothing``."""
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    shape = C.shape_of(input)
    t = _index_target("cross_entropy", input, target)
    cls = 0 if len(shape) == 1 else 1
    if t is None:  # class probabilities, differentiable in the target
        probs = target if label_smoothing == 0 else target * (1.0 - label_smoothing) + label_smoothing / shape[cls]
        logp = log_softmax(input, cls)
        if weight is not None:
            logp = logp * C.reshape(np.asarray(raw(weight), dtype=raw(logp).dtype),
                                    (shape[cls],) + (1,) * (len(shape) - cls - 1))
        return _reduce(-C.sum(probs * logp, cls), reduction)
    if (len(shape) == 2 and weight is None and not label_smoothing
            and not np.any(t == ignore_index)):
        if t.size and (t.min() < 0 or t.max() >= shape[1]):
            bad = t.min() if t.min() < 0 else t.max()
            raise IndexError(f"cross_entropy: target {bad} is out of bounds for {shape[1]} classes")
        return _fused_cross_entropy(input, t, reduction)
    return _class_loss("cross_entropy", log_softmax(_classes_last(input, cls), 1), t, weight,
                       ignore_index, reduction, label_smoothing, t.shape)


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """-w[y]·input[y] for log-probabilities (C,), (N, C) or (N, C, d1, ...), as PyTorch:
    ``weight`` per class, rows with ``ignore_index`` left out (and out of the mean)."""
    _check_reduction(reduction)
    t = _index_target("nll_loss", input, target)
    if t is None:
        raise ValueError(f"nll_loss: wants class indices, got a float target of the input's "
                         f"shape {C.shape_of(input)}")
    cls = 0 if len(C.shape_of(input)) == 1 else 1
    return _class_loss("nll_loss", _classes_last(input, cls), t, weight, ignore_index, reduction,
                       0.0, t.shape)


def l1_penalty(parameters: Iterable, weight: float = 1.0):
    """weight · Σ|w| over all parameters: the lasso term that pushes weights to exactly 0."""
    return weight * _total(D.abs(p) for p in parameters)


def l2_penalty(parameters: Iterable, weight: float = 1.0):
    """weight · Σ w² over all parameters: the ridge / weight-decay term (halve weight for λ/2‖w‖²)."""
    return weight * _total(p * p for p in parameters)


def _total(terms):
    total = None
    for t in terms:
        s = C.sum(t)
        total = s if total is None else total + s
    if total is None:
        raise ValueError("no parameters given")
    return total


bind_module(globals())
