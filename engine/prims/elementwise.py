"""Elementwise primitives shared by ``Value`` and ``Tensor``.

Each forward works on a Python float (with ``math``, fast for scalar graphs) and
on a NumPy array; each rule is written once with operators and the dispatching
functions below, so it runs on raw numbers or on recorded nodes alike.  The
opcodes name the same primitives in the compiled scalar tape
(:mod:`engine.kernels.scalar_tape`).
"""
from __future__ import annotations

import math
import operator

import numpy as np

from ..registry import register
from . import dispatch as D


def _pick(math_fn, numpy_fn):
    """A forward that uses ``math`` on floats (speed) and NumPy on arrays."""
    def forward(x):
        if x.__class__ is float:
            try:
                return math_fn(x)
            except (ValueError, OverflowError):
                with np.errstate(all="ignore"):
                    return float(numpy_fn(x))
        return numpy_fn(x)
    return forward


def _pick_binary(builtin, numpy_fn):
    """``max``/``min`` on two floats, NumPy's elementwise version on arrays."""
    def forward(a, b):
        if a.__class__ is float and b.__class__ is float:
            return builtin(a, b)
        return numpy_fn(a, b)
    return forward


def _safe(binary):
    """Python raises on x/0 and 0**-1; NumPy gives inf or nan, which a plot can show."""
    def forward(a, b):
        try:
            out = binary(a, b)
        except (ZeroDivisionError, OverflowError, ValueError):
            with np.errstate(all="ignore"):
                return float(binary(np.float64(a), np.float64(b)))
        if out.__class__ is complex:  # (-8) ** (1/3) in Python; NumPy says nan
            return math.nan
        return out
    return forward


def _sigmoid_float(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_array(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _softplus_float(x: float) -> float:
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0)


def _relu_float(x: float) -> float:
    return x if x > 0.0 else 0.0


def _log_array(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def _sqrt_array(x):
    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


def _elementwise(name, symbol, forward, rules, opcode, local_text):
    """Elementwise ops have diagonal Jacobians: the JVP is the VJP with t for g."""
    return register(name, symbol, forward, rules, rules, elementwise=True,
                    opcode=opcode, local_text=local_text)


# Opcodes of the compiled scalar tape; 0 is a leaf.
OP_LEAF = 0

ADD = _elementwise("add", "+", operator.add,
                   (lambda g, out, x, y: g, lambda g, out, x, y: g), 1, ("1", "1"))
SUB = _elementwise("sub", "−", operator.sub,
                   (lambda g, out, x, y: g, lambda g, out, x, y: -g), 2, ("1", "−1"))
MUL = _elementwise("mul", "×", operator.mul,
                   (lambda g, out, x, y: g * y, lambda g, out, x, y: g * x), 3, ("y", "x"))
DIV = _elementwise("div", "÷", _safe(operator.truediv),
                   (lambda g, out, x, y: g / y, lambda g, out, x, y: -(g * out) / y), 4,
                   ("1/y", "−x/y²"))
NEG = _elementwise("neg", "−", operator.neg, (lambda g, out, x: -g,), 5, ("−1",))
POW = _elementwise("pow", "^", _safe(operator.pow),
                   (lambda g, out, x, y: g * y * x ** (y - 1),
                    lambda g, out, x, y: g * out * D.log(x)), 6,
                   ("y·x^(y−1)", "x^y·ln x"))
EXP = _elementwise("exp", "exp", _pick(math.exp, np.exp),
                   (lambda g, out, x: g * out,), 7, ("exp(x)",))
LOG = _elementwise("log", "log", _pick(math.log, _log_array),
                   (lambda g, out, x: g / x,), 8, ("1/x",))
SIN = _elementwise("sin", "sin", _pick(math.sin, np.sin),
                   (lambda g, out, x: g * D.cos(x),), 9, ("cos(x)",))
COS = _elementwise("cos", "cos", _pick(math.cos, np.cos),
                   (lambda g, out, x: -(g * D.sin(x)),), 10, ("−sin(x)",))
TANH = _elementwise("tanh", "tanh", _pick(math.tanh, np.tanh),
                    (lambda g, out, x: g * (1.0 - out * out),), 11, ("1 − tanh²(x)",))
SIGMOID = _elementwise("sigmoid", "σ", _pick(_sigmoid_float, _sigmoid_array),
                       (lambda g, out, x: g * out * (1.0 - out),), 12, ("σ(x)(1 − σ(x))",))
RELU = _elementwise("relu", "ReLU", _pick(_relu_float, lambda a: np.maximum(a, 0.0)),
                    (lambda g, out, x: g * D.indicator(np.greater, x, 0.0),), 13,
                    ("[x > 0]",))
SOFTPLUS = _elementwise("softplus", "softplus",
                        _pick(_softplus_float, lambda a: np.logaddexp(0.0, a)),
                        (lambda g, out, x: g * D.sigmoid(x),), 14, ("σ(x)",))
ABS = _elementwise("abs", "|x|", _pick(abs, np.abs),
                   (lambda g, out, x: g * D.nondiff(np.sign, x),), 15, ("sign(x)",))
SQRT = _elementwise("sqrt", "√", _pick(math.sqrt, _sqrt_array),
                    (lambda g, out, x: g / (2.0 * out),), 16, ("1/(2√x)",))
MAXIMUM = _elementwise("maximum", "max", _pick_binary(max, np.maximum),
                       (lambda g, out, x, y: g * D.indicator(np.greater_equal, x, y),
                        lambda g, out, x, y: g * D.indicator(np.less, x, y)), 17,
                       ("[x ≥ y]", "[x < y]"))
MINIMUM = _elementwise("minimum", "min", _pick_binary(min, np.minimum),
                       (lambda g, out, x, y: g * D.indicator(np.less_equal, x, y),
                        lambda g, out, x, y: g * D.indicator(np.greater, x, y)), 18,
                       ("[x ≤ y]", "[x > y]"))
