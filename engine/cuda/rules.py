"""The CUDA forward and VJPs of each registered primitive, in the registry's calling convention.

``RULES[name]`` mirrors ``engine.registry.REGISTRY[name]``: ``forward(*args, **params)``
and one ``vjp(g, out, *args, **params)`` per argument, on device arrays instead of
NumPy arrays (numbers allowed where the CPU rule allows them).  A VJP returns its
contribution at the shape the CPU rule does; the backward loop sums it down to the
argument's shape (``RULES["sum_to"]``).  This is what device dispatch plugs into
each primitive's kernel table; the tests check every entry against the CPU rule.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from ..prims.rnn import remember_state_grads
from ..prims.shape import _concat_slice, _dof, _PerArgument
from . import conv as K
from . import device as D
from . import elementwise as E
from . import indexing as I
from . import loss as L
from . import matmul as M
from . import reduce as R
from . import rnn as N


class Rule(NamedTuple):
    """A primitive's CUDA forward and its per-argument VJPs."""

    forward: Callable
    vjps: Sequence[Callable]


RULES: dict[str, Rule] = {}


def _rule(name: str, forward: Callable, *vjps: Callable) -> None:
    RULES[name] = Rule(forward, vjps)


# -- elementwise ------------------------------------------------------------------------------------
def _unary(name: str, param_names: tuple[str, ...] = ()):
    def params(kw):
        return [kw[p] for p in param_names]
    _rule(name, lambda x, **kw: E.unary(name, x, *params(kw)),
          lambda g, out, x, **kw: E.unary_grad(name, g, x, out, *params(kw)))


for _name in ("neg", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "abs",
              "sqrt"):
    _unary(_name)
_unary("leaky_relu", ("negative_slope",))
_unary("elu", ("alpha", "scale"))


def _bounds(lo, hi) -> tuple[float, float]:
    return (-np.inf if lo is None else float(lo)), (np.inf if hi is None else float(hi))


_rule("clip", lambda x, lo, hi: E.unary("clip", x, *_bounds(lo, hi)),
      lambda g, out, x, lo, hi: E.unary_grad("clip", g, x, out, *_bounds(lo, hi)))

for _name in E.BINARY:
    _rule(_name, lambda x, y, _n=_name: E.binary(_n, x, y),
          lambda g, out, x, y, _n=_name: E.binary_grad(_n, 0, g, x, y, out),
          lambda g, out, x, y, _n=_name: E.binary_grad(_n, 1, g, x, y, out))

_rule("where", lambda x, y, cond: E.where(cond, x, y),
      lambda g, out, x, y, cond: E.where(cond, g, 0.0),
      lambda g, out, x, y, cond: E.where(cond, 0.0, g))


# -- reductions and shapes --------------------------------------------------------------------------
for _name in ("sum", "mean", "max", "min"):
    _rule(_name, lambda x, axis=None, keepdims=False, _n=_name: R.reduce(_n, x, axis, keepdims),
          lambda g, out, x, axis=None, keepdims=False, _n=_name:
          R.reduce_grad(_n, g, x, out, axis, keepdims))

def _centred(x, axis):
    return E.binary("sub", x, R.reduce("mean", x, axis, keepdims=True))


def _var(x, axis, keepdims, correction):        # Σ(x - mean)² / (n - correction)
    d = _centred(x, axis)
    total = R.reduce("sum", E.binary("mul", d, d), axis, keepdims)
    return E.binary("div", total, max(0, _dof(x, axis, correction)), out=total)


def _var_vjp(g, out, x, axis, keepdims, correction):   # g · 2(x - mean)/(n - correction)
    with np.errstate(divide="ignore"):
        scale = float(np.float64(2.0) / _dof(x, axis, correction))
    spread = R.reduce_grad("sum", g, x, out, axis, keepdims)
    return E.binary("mul", spread, E.binary("mul", _centred(x, axis), scale))


_rule("var", _var, _var_vjp)
_rule("reshape", lambda x, shape: E.reshape(x, shape),
      lambda g, out, x, shape: E.reshape(g, x.shape))
_rule("transpose", lambda x, axes: E.transpose(x, axes),
      lambda g, out, x, axes: E.transpose(g, tuple(int(i) for i in np.argsort(axes))))
_rule("broadcast_to", lambda x, shape: E.broadcast_to(x, shape),
      lambda g, out, x, shape: R.sum_to(g, x.shape))
_rule("sum_to", lambda x, shape: R.sum_to(x, shape),
      lambda g, out, x, shape: E.broadcast_to(g, x.shape))


def _softmax(x, axis):
    z = E.unary("exp", E.binary("sub", x, R.reduce("max", x, axis, keepdims=True)))
    return E.binary("div", z, R.reduce("sum", z, axis, keepdims=True), out=z)


def _log_softmax(x, axis):
    shifted = E.binary("sub", x, R.reduce("max", x, axis, keepdims=True))
    logsum = E.unary("log", R.reduce("sum", E.unary("exp", shifted), axis, keepdims=True))
    return E.binary("sub", shifted, logsum, out=shifted)


def _softmax_vjp(g, out, x, axis):          # out * (g - Σ g·out)
    inner = R.reduce("sum", E.binary("mul", g, out), axis, keepdims=True)
    return E.binary("mul", out, E.binary("sub", g, inner))


def _log_softmax_vjp(g, out, x, axis):      # g - e^out Σ g
    total = R.reduce("sum", g, axis, keepdims=True)
    return E.binary("sub", g, E.binary("mul", E.unary("exp", out), total))


_rule("softmax", _softmax, _softmax_vjp)
_rule("log_softmax", _log_softmax, _log_softmax_vjp)


# -- indexing and joining ---------------------------------------------------------------------------
_rule("getitem", lambda x, index: I.getitem(x, index),
      lambda g, out, x, index: I.scatter(g, x.shape, index))
_rule("scatter_add", lambda g, shape, index: I.scatter(g, shape, index),
      lambda g, out, x, shape, index: I.getitem(g, index))
RULES["concat"] = Rule(lambda *xs, axis: I.concat(xs, axis),
                       _PerArgument(lambda i, g, out, *xs, axis:
                                    I.getitem(g, _concat_slice(i, xs, axis))))
RULES["stack"] = Rule(lambda *xs, axis: I.stack(xs, axis),
                      _PerArgument(lambda i, g, out, *xs, axis:
                                   I.getitem(g, (slice(None),) * axis + (i,))))


# -- matrix products --------------------------------------------------------------------------------
def _as_matrices(g, a, b):
    """1-D operands as (1, k) / (k, 1) matrices and g with the matching unit axes."""
    a2 = E.reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = E.reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    full = tuple(g.shape) + ((1,) if b.ndim == 1 else ())
    if a.ndim == 1:
        full = full[:-1] + (1,) + full[-1:]
    return E.reshape(g, full), a2, b2


def _matmul_vjp_a(g, out, a, b):
    g2, a2, b2 = _as_matrices(g, a, b)
    return E.reshape(R.sum_to(M.matmul(g2, b2, trans_b=True), a2.shape), a.shape)


def _matmul_vjp_b(g, out, a, b):
    g2, a2, b2 = _as_matrices(g, a, b)
    return E.reshape(R.sum_to(M.matmul(a2, g2, trans_a=True), b2.shape), b.shape)


def _rows(a, width: int):
    return E.reshape(a, (a.size // max(width, 1), width)) if a.ndim != 2 else a


def _linear(x, w, b):
    out = M.matmul(_rows(x, w.shape[1]), w, trans_b=True)
    E.binary("add", out, b, out=out)
    return E.reshape(out, tuple(x.shape[:-1]) + (w.shape[0],))


_rule("matmul", lambda a, b: M.matmul(a, b), _matmul_vjp_a, _matmul_vjp_b)
_rule("linear", _linear,
      lambda g, out, x, w, b: E.reshape(M.matmul(_rows(g, w.shape[0]), w), x.shape),
      lambda g, out, x, w, b: M.matmul(_rows(g, w.shape[0]), _rows(x, w.shape[1]), trans_a=True),
      lambda g, out, x, w, b: g)


# -- losses, convolution, pooling -------------------------------------------------------------------
_rule("cross_entropy",
      lambda logits, target, reduction: L.cross_entropy(logits, target, reduction),
      lambda g, out, logits, target, reduction: L.cross_entropy_grad(g, logits, target, reduction))


def _geo(kernel, stride, padding, dilation):
    return dict(stride=stride, padding=padding, dilation=dilation)


_rule("conv2d",
      lambda x, w, b, kernel, stride, padding, dilation: K.conv2d(x, w, b, stride, padding, dilation),
      lambda g, out, x, w, b, **geo: K.conv2d_grad_input(g, x, w, **_geo(**geo)),
      lambda g, out, x, w, b, **geo: K.conv2d_grad_weight(g, x, w, **_geo(**geo)),
      lambda g, out, x, w, b, **geo: K.conv2d_grad_bias(g))
_rule("im2col",
      lambda x, kernel, stride, padding, dilation, pad_value:
      K.im2col(x, kernel, stride, padding, dilation, pad_value),
      lambda g, out, x, kernel, stride, padding, dilation, pad_value:
      K.col2im(g, tuple(x.shape), kernel, stride, padding, dilation))
_rule("col2im",
      lambda cols, shape, kernel, stride, padding, dilation:
      K.col2im(cols, shape, kernel, stride, padding, dilation),
      lambda g, out, cols, shape, kernel, stride, padding, dilation:
      K.im2col(g, kernel, stride, padding, dilation, 0.0))
_rule("max_pool2d",
      lambda x, kernel, stride, padding: K.max_pool2d(x, kernel, stride, padding),
      lambda g, out, x, kernel, stride, padding: K.max_pool2d_grad(g, x, kernel, stride, padding))


# -- fused recurrent cells --------------------------------------------------------------------------
class _SharedGrads:
    """All of a fused cell's gradients from one backward run, shared by its per-argument
    VJPs: the last (g, out) pair's result is kept (the CPU's ``_OneSlot`` on the device)."""

    def __init__(self, grads: Callable):
        self.grads = grads
        self.key: tuple = (None, None)
        self.value: tuple = ()

    def rule(self, k: int) -> Callable:
        def vjp(g, out, *args, **params):
            if self.key[0] is not g or self.key[1] is not out:
                self.value, self.key = self.grads(g, out, *args, **params), (g, out)
            return self.value[k]
        return vjp


_lstm = _SharedGrads(lambda g, out, x, state, w, b: N.lstm_cell_grads(g, out, x, state, w))
_gru = _SharedGrads(lambda g, out, x, state, w_ih, w_hh, b_ih, b_hh:
                    N.gru_cell_grads(g, out, x, state, w_ih, w_hh))
_rule("lstm_cell", N.lstm_cell, *(_lstm.rule(k) for k in range(4)))
_rule("gru_cell", N.gru_cell, *(_gru.rule(k) for k in range(6)))


def _keeping_state_grads(grads: Callable) -> Callable:
    """A sequence BPTT that also leaves dL/d(state_t), on the host, where the CPU's does
    (:func:`engine.prims.rnn.state_grads`: the sequence lab's gradient-through-time view)."""
    def run(g, out, *args, **params):
        *result, states = grads(g, out, *args, **params)
        remember_state_grads(out, g, {"states": D.to_host(states)})
        return tuple(result)
    return run


for _cell in ("rnn", "lstm", "gru"):
    _seq = _SharedGrads(_keeping_state_grads(getattr(N, f"{_cell}_seq_grads")))
    _rule(f"{_cell}_seq", getattr(N, f"{_cell}_seq"), *(_seq.rule(k) for k in range(6)))

