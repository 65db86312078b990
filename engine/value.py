"""``Value``: a recorded scalar, micrograd-style, on the same graph as tensors."""
from __future__ import annotations

import numpy as np

from .node import Node, apply, format_number, is_grad_enabled, run_forward
from .prims import elementwise as S

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
        if isinstance(x, Node):
            raise TypeError(f"cannot mix a {type(x).__name__} into a scalar expression")
        return cls(x, requires_grad=False)

    @classmethod
    def _leaf(cls, data, requires_grad: bool, name: str | None) -> "Value":
        return cls(data, name=name, requires_grad=requires_grad)

    @classmethod
    def _result(cls, data, prim, parents, params, requires_grad) -> "Value":
        v = object.__new__(cls)
        v._fill(data, 0.0, prim, parents, params, None, requires_grad)
        return v

    @property
    def shape(self) -> tuple:
        return ()

    def item(self) -> float:
        return float(self.data)

    def __float__(self) -> float:
        return float(self.data)

    # -- comparisons read the data and are not differentiable ---------------
    def __lt__(self, other): return self.data < _raw(other)
    def __le__(self, other): return self.data <= _raw(other)
    def __gt__(self, other): return self.data > _raw(other)
    def __ge__(self, other): return self.data >= _raw(other)
    __hash__ = object.__hash__

    # -- elementary functions -------------------------------------------------
    def exp(self): return _unary(S.EXP, self)
    def log(self): return _unary(S.LOG, self)
    def sin(self): return _unary(S.SIN, self)
    def cos(self): return _unary(S.COS, self)
    def tanh(self): return _unary(S.TANH, self)
    def sigmoid(self): return _unary(S.SIGMOID, self)
    def relu(self): return _unary(S.RELU, self)
    def softplus(self): return _unary(S.SOFTPLUS, self)
    def abs(self): return _unary(S.ABS, self)
    def sqrt(self): return _unary(S.SQRT, self)
    def __abs__(self): return _unary(S.ABS, self)
    def __neg__(self): return _unary(S.NEG, self)

    def max(self, other) -> "Value":
        """The larger of two values; the gradient flows to the winner."""
        return _binary(S.MAXIMUM, self, other)

    def min(self, other) -> "Value":
        """The smaller of two values; the gradient flows to the winner."""
        return _binary(S.MINIMUM, self, other)

    # -- arithmetic -------------------------------------------------------------
    def __add__(self, other): return _binary(S.ADD, self, other)
    def __radd__(self, other): return _binary(S.ADD, other, self)
    def __sub__(self, other): return _binary(S.SUB, self, other)
    def __rsub__(self, other): return _binary(S.SUB, other, self)
    def __mul__(self, other): return _binary(S.MUL, self, other)
    def __rmul__(self, other): return _binary(S.MUL, other, self)
    def __truediv__(self, other): return _binary(S.DIV, self, other)
    def __rtruediv__(self, other): return _binary(S.DIV, other, self)
    def __pow__(self, other): return _binary(S.POW, self, other)
    def __rpow__(self, other): return _binary(S.POW, other, self)


def _raw(x):
    return x.data if isinstance(x, Node) else x


def _as_value(x):
    if x.__class__ is Value:
        return x
    if isinstance(x, Node) or isinstance(x, np.ndarray):
        return None
    return Value(x, requires_grad=False)


def _unary(prim, x: Value) -> Value:
    data = x._data if x._tape is None else x.data
    record = x.requires_grad and is_grad_enabled()
    return Value._result(prim.forward(data), prim, (x,) if record else (), _EMPTY, record)


def _binary(prim, a, b):
    """Fast path for scalar binary ops: the hot loop of a micrograd-style MLP."""
    a2 = _as_value(a)
    b2 = _as_value(b)
    if a2 is None or b2 is None:
        if isinstance(a, Value) or isinstance(b, Value):
            return apply(prim, a, b) if not _mixes_tensor(a, b) else NotImplemented
        return NotImplemented
    da = a2._data if a2._tape is None else a2.data
    db = b2._data if b2._tape is None else b2.data
    record = (a2.requires_grad or b2.requires_grad) and is_grad_enabled()
    return Value._result(prim.forward(da, db), prim, (a2, b2) if record else (), _EMPTY, record)


def apply_value(prim, *args, **params) -> Value:
    """:func:`engine.node.apply` for scalars: numbers become constant leaves."""
    nodes = tuple(a if isinstance(a, Value) else Value.const(a) for a in args)
    raw = [n._data if n._tape is None else n.data for n in nodes]
    out = run_forward(prim, raw, params)
    record = is_grad_enabled() and any(n.requires_grad for n in nodes)
    return Value._result(out, prim, nodes if record else (), params, record)


def _mixes_tensor(a, b) -> bool:
    from .tensor import Tensor
    return isinstance(a, (Tensor, np.ndarray)) or isinstance(b, (Tensor, np.ndarray))


__all__ = ["Value", "format_number"]
