"""Functions that run a registered primitive on raw numbers or on recorded nodes.

Gradient rules are written with these, so one rule serves a plain backward pass
(floats and arrays in, floats and arrays out) and ``create_graph=True`` (nodes
in, a recorded graph out).  The op functions (``exp``, ``log``, ``maximum``, ...)
are not listed here: every ``engine.functional`` export of the registry is
installed into this module as it is declared (``where`` among them, which picks a
side for a scalar condition); with ``eq`` they are the vocabulary of the
elementwise partials, and the compiled scalar tape has a Numba twin of each name.
"""
from __future__ import annotations

from ..node import apply, is_node, raw
from ..registry import REGISTRY, bind_module


def call(name: str, *args, **params):
    """Apply primitive ``name``: recorded if any argument is a node, else numeric."""
    return apply(REGISTRY[name], *args, **params)


def nondiff(fn, x):
    """``fn`` of ``x``'s numbers as a constant: a derivative's piecewise factor."""
    if is_node(x):
        return x._kind.const(fn(x.data))
    return fn(x)


def eq(x, y):
    """``x == y`` on the numbers (nodes compare by identity, so partials use this)."""
    return raw(x) == raw(y)


bind_module(globals())
