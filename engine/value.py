"""``Value``: a recorded scalar, micrograd-style, on the same graph as tensors.

Its arithmetic operators and functions (``x + y``, ``x.exp()``, ``x.max(y)``, ...)
are not listed here: they are the exports of the registered primitives
(:mod:`engine.registry`), installed on the class when each primitive is declared.
"""
from __future__ import annotations

from . import node
from .node import Node, format_number, is_node, raw
from .registry import VALUE, bind_methods

_EMPTY: dict = {}


class Value(Node):
    """A scalar that records the operations applied to it.

    ``Value(-2.0, name="x")`` is an input (``requires_grad=True`` by default,
    as in micrograd); numbers mixed into an expression become constants.
    """

    __slots__ = ()
    __array_ufunc__ = None  # let NumPy scalars defer to our reflected operators

    def __init__(self, data: float, name: str | None = None, requires_grad: bool = True):
        self._fill(float(data), 0.0, None, (), _EMPTY, name, requires_grad)

    @staticmethod
    def _coerce(value) -> float:
        return float(value)

    @classmethod
    def const(cls, x) -> "Value":
        """A constant leaf (no gradient), e.g. the ``2`` in ``x * 2``."""
        if is_node(x):
            raise TypeError(f"cannot mix a {type(x).__name__} into a scalar expression")
        return cls(x, requires_grad=False)

    @classmethod
    def _leaf(cls, data, requires_grad: bool, name: str | None) -> "Value":
        return cls(data, name=name, requires_grad=requires_grad)

    # -- the hooks of :func:`engine.node.apply` ----------------------------------------
    @staticmethod
    def _constant(x, first) -> float:
        """A number mixed into a scalar op, as the float a constant leaf holds."""
        if x.__class__ is float:
            return x
        try:
            return float(x)
        except (TypeError, ValueError):
            raise TypeError(f"a Value op takes numbers, not {type(x).__name__}") from None

    @staticmethod
    def _const_node(data: float) -> "Value":
        v = object.__new__(Value)
        v._fill(data, 0.0, None, (), _EMPTY, None, False)
        return v

    @staticmethod
    def _result(data, prim, parents, params, requires_grad) -> "Value":
        v = object.__new__(Value)
        v._fill(data if data.__class__ is float else float(data), 0.0, prim, parents, params, None,
                requires_grad)
        return v

    @property
    def shape(self) -> tuple:
        return ()

    def item(self) -> float:
        return float(self.data)

    def __float__(self) -> float:
        return float(self.data)

    # -- comparisons read the data and are not differentiable ---------------
    def __lt__(self, other): return self.data < raw(other)
    def __le__(self, other): return self.data <= raw(other)
    def __gt__(self, other): return self.data > raw(other)
    def __ge__(self, other): return self.data >= raw(other)
    __hash__ = object.__hash__


Value._kind = Value
node._KIND_OF[Value] = Value


bind_methods(Value, VALUE)

__all__ = ["Value", "format_number"]
