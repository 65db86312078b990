"""``Tensor``: a recorded NumPy array with a PyTorch-like API.

Its operators and differentiable methods (``a @ b``, ``t.sum(dim=0)``,
``t.softmax(1)``, ...) are the exports of the registered primitives and
compositions (:mod:`engine.registry`), installed on the class as they are declared;
this module holds what is particular to arrays.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import node
from .devices import DeviceData, device_of, move
from .devices import parse as _parse_device
from .node import Node, is_node, raw
from .prims.core import pick_axis
from .registry import TENSOR, bind_methods

_EMPTY: dict = {}
_FLOATS = (np.float64, np.float32)


def _to_array(data: Any, dtype=None) -> np.ndarray:
    if isinstance(data, DeviceData):  # GPU data stays on the GPU
        return data if dtype is None else data.astype(dtype)
    if is_node(data):
        raise TypeError("Tensor(...) takes numbers or arrays; use .detach() to copy a node")
    arr = np.array(data, dtype=dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor(...) takes numbers or arrays of numbers, not {arr.dtype} "
                        f"({type(data).__name__})")
    if arr.dtype.type not in _FLOATS:
        arr = arr.astype(np.float64)
    return arr


class Tensor(Node):
    """A NumPy array (float64, or float32 on request) that records its operations.

    As in PyTorch, ``requires_grad`` is False by default and ``.grad`` is None
    until a backward pass reaches the tensor; it is then a NumPy array (on
    ``device="cuda"`` a GPU array: data and gradient live on the tensor's device).
    """

    __slots__ = ()
    __array_ufunc__ = None  # NumPy arrays on the left defer to our reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None,
                 dtype=None, device=None):
        data = _to_array(data, dtype)
        if device is not None:
            data = move(data, device)
        self._fill(data, None, None, (), _EMPTY, name, requires_grad)

    @classmethod
    def const(cls, x, dtype=None) -> "Tensor":
        return cls(x, requires_grad=False, dtype=dtype)

    @classmethod
    def _leaf(cls, data, requires_grad: bool, name: str | None) -> "Tensor":
        copy = data.copy() if isinstance(data, DeviceData) else np.array(data)
        return cls(copy, requires_grad=requires_grad, name=name)

    # -- the hooks of :func:`engine.node.apply` ----------------------------------------
    @staticmethod
    def _constant(x, first: "Tensor") -> np.ndarray:
        """A number or array mixed into a tensor op; numbers take the first tensor's dtype."""
        if isinstance(x, np.ndarray):
            return x if x.dtype.type in _FLOATS else x.astype(np.float64)
        if isinstance(x, DeviceData):
            return x
        try:
            return np.asarray(x, dtype=first._data.dtype)
        except (TypeError, ValueError):
            raise TypeError(f"a Tensor op takes numbers or arrays, not {type(x).__name__}") from None

    @staticmethod
    def _const_node(data: np.ndarray) -> "Tensor":
        return Tensor._result(data, None, (), _EMPTY, False)

    @staticmethod
    def _result(data, prim, parents, params, requires_grad) -> "Tensor":
        t = object.__new__(Tensor)
        if not isinstance(data, (np.ndarray, DeviceData)):
            data = np.asarray(data)
        t._fill(data, None, prim, parents, params, None, requires_grad)
        return t

    def _coerce(self, value) -> np.ndarray:
        """``t.data = value`` keeps the tensor's dtype and device (``Module.to`` moves)."""
        data = _to_array(value, self._data.dtype)
        device = device_of(self._data)
        return data if device_of(data) == device else move(data, device)

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        self.requires_grad = flag
        return self

    # -- array facts -----------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

    def __len__(self) -> int:
        return len(self._data)

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (a host copy for a tensor on the GPU)."""
        return np.asarray(self._data)

    # -- devices -----------------------------------------------------------------
    @property
    def device(self) -> str:
        """Where the numbers live: ``"cpu"`` or ``"cuda"``."""
        return device_of(self._data)

    def to(self, device) -> "Tensor":
        """This tensor on ``device`` ("cpu" or "cuda"): itself when already there, else a
        copy that is a leaf with the same ``requires_grad`` (graphs stay on one device:
        move the inputs and the model, then compute)."""
        if device_of(self._data) == _parse_device(device):
            return self
        return Tensor(move(self.data, device), requires_grad=self.requires_grad and self.is_leaf,
                      name=self.name)

    def cuda(self) -> "Tensor":
        return self.to("cuda")

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def item(self) -> float:
        return float(self._data.item())

    def __float__(self) -> float:
        return self.item()

    __hash__ = object.__hash__

    # comparisons give plain boolean arrays (not differentiable), like masks
    def __lt__(self, o): return self._data < raw(o)
    def __le__(self, o): return self._data <= raw(o)
    def __gt__(self, o): return self._data > raw(o)
    def __ge__(self, o): return self._data >= raw(o)
    # torch's comparison methods (``==`` stays identity: nodes are dictionary keys)
    def lt(self, o): return self._data < raw(o)
    def le(self, o): return self._data <= raw(o)
    def gt(self, o): return self._data > raw(o)
    def ge(self, o): return self._data >= raw(o)
    def eq(self, o): return self._data == raw(o)
    def ne(self, o): return self._data != raw(o)

    def argmax(self, axis=None, *, dim=None) -> np.ndarray:
        """Indices of the largest values (an array: indices carry no gradient)."""
        return np.argmax(self._data, axis=pick_axis(axis, dim))


Tensor._kind = Tensor
node._KIND_OF[Tensor] = Tensor
node._ARRAY_KIND.append(Tensor)
bind_methods(Tensor, TENSOR)


def as_tensor(x, dtype=None) -> Tensor:
    """A node for ``x``: itself if a Tensor, else a constant of the given dtype."""
    if isinstance(x, Tensor):
        return x
    if is_node(x):
        raise node._mixing_error(Tensor, x)
    if dtype is not None and not isinstance(x, np.ndarray):
        return Tensor.const(x, dtype=dtype)
    return Tensor.const(x)


def tensor(data: Any, requires_grad: bool = False, name: str | None = None, dtype=None,
           device=None) -> Tensor:
    """``engine.tensor([...])`` as ``torch.tensor``."""
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype, device=device)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """``torch.arange``: start, start + step, ... below end (one argument: 0 .. start - 1)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    return Tensor(np.arange(start, end, step), requires_grad=requires_grad, dtype=dtype)


def full(size, fill_value: float, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """``torch.full``: a tensor of ``size`` filled with ``fill_value``."""
    size = tuple(size) if np.ndim(size) else (int(size),)
    return Tensor(np.full(size, fill_value, dtype=dtype or np.float64), requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """``torch.zeros(2, 3)`` or ``torch.zeros((2, 3))``."""
    size = tuple(size[0]) if len(size) == 1 and np.ndim(size[0]) else size
    return full(size, 0.0, dtype=dtype, requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """``torch.ones(2, 3)`` or ``torch.ones((2, 3))``."""
    size = tuple(size[0]) if len(size) == 1 and np.ndim(size[0]) else size
    return full(size, 1.0, dtype=dtype, requires_grad=requires_grad)


def full_like(x, fill_value: float, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``x``'s shape (and dtype, unless given) filled with ``fill_value``."""
    data = np.asarray(raw(x))
    return full(data.shape, fill_value, dtype=dtype or (data.dtype if data.dtype.kind == "f" else None),
                requires_grad=requires_grad)


def zeros_like(x, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return full_like(x, 0.0, dtype=dtype, requires_grad=requires_grad)


def ones_like(x, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return full_like(x, 1.0, dtype=dtype, requires_grad=requires_grad)


__all__ = ["Tensor", "as_tensor", "tensor", "arange", "full", "zeros", "ones", "full_like",
           "zeros_like", "ones_like"]


