"""Functions that run a registered primitive on raw numbers or on recorded nodes.

Gradient rules are written with these, so one rule serves a plain backward pass
(floats and arrays in, floats and arrays out) and ``create_graph=True`` (nodes
in, a recorded graph out).
"""
from __future__ import annotations

import numpy as np

from ..node import Node, apply
from ..registry import REGISTRY


def call(name: str, *args, **params):
    """Apply primitive ``name``: recorded if any argument is a node, else numeric."""
    prim = REGISTRY[name]
    for a in args:
        if isinstance(a, Node):
            return apply(prim, *args, **params)
    return prim.forward(*args, **params)


def nondiff(fn, x):
    """``fn`` of ``x``'s numbers as a constant: a derivative's piecewise factor."""
    if isinstance(x, Node):
        return type(x).const(fn(x.data))
    return fn(x)


def indicator(compare, x, y):
    """1.0 where ``compare(x, y)`` holds, else 0.0, as a constant (no gradient)."""
    xd = x.data if isinstance(x, Node) else x
    yd = y.data if isinstance(y, Node) else y
    out = compare(xd, yd)
    out = float(out) if isinstance(out, (bool, np.bool_)) else out.astype(np.result_type(xd, float))
    like = x if isinstance(x, Node) else y
    if isinstance(like, Node):
        return type(like).const(out)
    return out


def exp(x): return call("exp", x)
def log(x): return call("log", x)
def sin(x): return call("sin", x)
def cos(x): return call("cos", x)
def tanh(x): return call("tanh", x)
def sigmoid(x): return call("sigmoid", x)
def relu(x): return call("relu", x)
def softplus(x): return call("softplus", x)
def sqrt(x): return call("sqrt", x)
def maximum(x, y): return call("maximum", x, y)
def minimum(x, y): return call("minimum", x, y)


def absolute(x):
    return call("abs", x)
