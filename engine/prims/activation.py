"""Activation primitives beyond the elementwise core: leaky ReLU, ELU, SELU, softmax.

Raw-array forwards and derivatives run in fused Numba loops
(:mod:`engine.kernels.elementwise`); on recorded nodes (``create_graph=True``)
the same rules compose differentiable primitives instead.
"""
from __future__ import annotations

import numpy as np

from ..kernels import lazy
from ..node import is_node
from ..registry import BOTH, export, register
from . import core as C
from . import dispatch as D
from .dispatch import call
from .shape import where

K = lazy("elementwise")  # Numba is imported on the first op that needs it

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _flat(kernel: str):
    """Run the flat-array kernel ``K.<kernel>`` on an array of any shape (a float gives a float back)."""
    def run(x, *rest):
        fn = getattr(K, kernel)
        shape = np.shape(x)  # ascontiguousarray makes a 0-d array 1-d: keep the real shape
        a = np.ascontiguousarray(x, dtype=np.result_type(x, np.float32)).reshape(-1)
        args = [np.ascontiguousarray(np.broadcast_to(r, shape), dtype=a.dtype).reshape(-1)
                if isinstance(r, np.ndarray) else r for r in rest]
        out = fn(a, *args)
        return out.reshape(shape) if isinstance(x, np.ndarray) else float(out[0])
    return run


_leaky_flat = _flat("leaky_relu")
_leaky_grad = _flat("leaky_relu_grad")
_elu_flat = _flat("elu")
_elu_grad = _flat("elu_grad")


def _leaky(x, negative_slope):
    return _leaky_flat(x, negative_slope)


def _elu(x, alpha, scale):
    return _elu_flat(x, alpha, scale)


def _leaky_vjp(g, out, x, negative_slope):
    if is_node(g) or is_node(x):
        return g * D.nondiff(lambda a: np.where(a > 0, 1.0, negative_slope), x)
    return _leaky_grad(np.broadcast_to(g, np.shape(x)), x, negative_slope)


def _elu_vjp(g, out, x, alpha, scale):
    if is_node(g) or is_node(out):
        return g * where(D.nondiff(lambda a: a > 0, x), scale, out + scale * alpha)
    return _elu_grad(np.broadcast_to(g, np.shape(x)), x, out, alpha, scale)


LEAKY_RELU = register("leaky_relu", "LeakyReLU", _leaky, (_leaky_vjp,), (_leaky_vjp,),
                      elementwise=True, local_text=("[x > 0] + a[x ≤ 0]",))
ELU = register("elu", "ELU", _elu, (_elu_vjp,), (_elu_vjp,), elementwise=True,
               local_text=("[x > 0] + (elu(x) + α)[x ≤ 0]",))


def leaky_relu(x, negative_slope: float = 0.01):
    """x for x > 0 else slope * x: keeps a small gradient for negative inputs."""
    return call("leaky_relu", x, negative_slope=float(negative_slope))


def elu(x, alpha: float = 1.0):
    """x for x > 0 else alpha (e^x - 1): smooth, negative outputs push means toward 0."""
    return call("elu", x, alpha=float(alpha), scale=1.0)


def selu(x):
    """Scaled ELU with PyTorch's constants: self-normalizing activations."""
    return call("elu", x, alpha=SELU_ALPHA, scale=SELU_SCALE)


export(leaky_relu, methods=("leaky_relu",), kinds=BOTH, functional=("leaky_relu",))
export(elu, methods=("elu",), kinds=BOTH, functional=("elu",))
export(selu, methods=("selu",), kinds=BOTH, functional=("selu",))


# -- activations with PyTorch's parameters, on the elementwise primitives -------------------
def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + e^(βx))/β, and x itself where βx > threshold (PyTorch's reversion to linear,
    gradient 1 there); one softplus node when no element is past the threshold."""
    z = x if beta == 1.0 else x * float(beta)
    soft = call("softplus", z) if beta == 1.0 else call("softplus", z) / float(beta)
    linear = np.asarray(z.data if is_node(z) else z) > threshold
    if not linear.any():
        return soft
    return x if linear.all() else where(linear, x, soft)


def gelu(x, approximate: str = "none"):
    """x·Φ(x) (``approximate='none'``, with erf) or PyTorch's tanh approximation."""
    if approximate == "none":
        return call("gelu", x)
    if approximate != "tanh":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    inner = (x + x * x * x * 0.044715) * float(np.sqrt(2.0 / np.pi))
    return x * 0.5 * (D.tanh(inner) + 1.0)


def _strictly_inside(lo: float, hi: float):
    def mask(a):
        inside = (a > lo) & (a < hi)
        return float(inside) if a.__class__ is float else inside.astype(np.result_type(a, float))
    return mask


HARDTANH = register(  # PyTorch's hardtanh passes no gradient at the limits (clamp does)
    "hardtanh", "hardtanh", lambda x, lo, hi: np.clip(x, lo, hi),
    (lambda g, out, x, lo, hi: g * D.nondiff(_strictly_inside(lo, hi), x),),
    (lambda t, out, x, lo, hi: t * D.nondiff(_strictly_inside(lo, hi), x),),
    elementwise=True, local_text=("[min < x < max]",))


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0):
    """x clamped into [min_val, max_val]; the gradient is 1 strictly inside, 0 elsewhere."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is above max_val {max_val}")
    return call("hardtanh", x, lo=float(min_val), hi=float(max_val))


export(softplus, methods=("softplus",), kinds=BOTH, functional=("softplus",), expression="softplus")
export(gelu, methods=("gelu",), kinds=BOTH, functional=("gelu",), expression="gelu")
export(hardtanh, methods=("hardtanh",), kinds=BOTH, functional=("hardtanh",))


# -- softmax along an axis ------------------------------------------------------------
def _softmax_forward(x, axis):  # initial: an empty axis has no maximum, nor anything to scale
    z = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    return z / np.sum(z, axis=axis, keepdims=True)


def _log_softmax_forward(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


SOFTMAX = register(
    "softmax", "softmax", _softmax_forward,
    (lambda g, out, x, axis: out * (g - C.sum(g * out, axis, keepdims=True)),),
    (lambda t, out, x, axis: out * (t - C.sum(t * out, axis, keepdims=True)),))
LOG_SOFTMAX = register(
    "log_softmax", "log softmax", _log_softmax_forward,
    (lambda g, out, x, axis: g - D.exp(out) * C.sum(g, axis, keepdims=True),),
    (lambda t, out, x, axis: t - C.sum(D.exp(out) * t, axis, keepdims=True),))


def _axis(x, axis, dim, op: str = "softmax"):
    """The one softmax axis; a 0-d input has none to normalise over (``()``), as PyTorch."""
    axis = C.pick_axis(axis, dim)
    nd = len(C.shape_of(x))
    axis = C.dim_index(-1 if axis is None else axis, nd, op)
    return () if nd == 0 else axis


def softmax(x, axis: int | None = None, *, dim: int | None = None):
    """e^x / Σ e^x along ``axis`` (default last), computed stably (max subtracted)."""
    return call("softmax", x, axis=_axis(x, axis, dim))


def log_softmax(x, axis: int | None = None, *, dim: int | None = None):
    """x - logsumexp(x) along ``axis`` (default last), stable for large logits."""
    return call("log_softmax", x, axis=_axis(x, axis, dim, "log_softmax"))


export(softmax, methods=("softmax",), functional=("softmax",))
export(log_softmax, methods=("log_softmax",), functional=("log_softmax",))
