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


def binary_cross_entropy(input, target, reduction: str = "mean"):
    """-[t log p + (1-t) log(1-p)] on probabilities, as PyTorch: the logs are clamped at
    -100 and the gradient's p(1 - p) at 1e-12, so p = 0 or 1 stays finite."""
    return _reduce(call("binary_cross_entropy", input, target), reduction)


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean"):
    """BCE on logits, stable for any logit: softplus(x) - t·x."""
    return _reduce(D.softplus(input) - target * input, reduction)


def cross_entropy(input, target, reduction: str = "mean"):
    """Softmax cross-entropy: (N, C) logits with integer targets (fused) or class probabilities."""
    t = np.asarray(raw(target))
    if t.dtype.kind in "iub" or (t.ndim == 1 and len(input.shape) == 2):
        return _fused_cross_entropy(input, t, reduction)
    return _reduce(-C.sum(t * log_softmax(input, 1), 1), reduction)


def nll_loss(input, target, reduction: str = "mean"):
    """-input[n, target[n]] for (N, C) log-probabilities: cross-entropy after log_softmax."""
    t = np.asarray(raw(target)).astype(np.int64)
    return _reduce(-getitem(input, (np.arange(len(t)), t)), reduction)


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
