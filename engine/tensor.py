"""``Tensor``: a recorded NumPy array with a PyTorch-like API."""
from __future__ import annotations

from typing import Any

import numpy as np

from .node import Node, bind_kinds, is_grad_enabled, run_forward
from .prims import activation as A
from .prims import core as C
from .prims import elementwise as E
from .prims import shape as S

_EMPTY: dict = {}
_FLOATS = (np.float64, np.float32)


def _to_array(data: Any, dtype=None) -> np.ndarray:
    if isinstance(data, Node):
        raise TypeError("Tensor(...) takes numbers or arrays; use .detach() to copy a node")
    arr = np.array(data, dtype=dtype)
    if arr.dtype.type not in _FLOATS:
        arr = arr.astype(np.float64)
    return arr


class Tensor(Node):
    """A NumPy array (float64, or float32 on request) that records its operations.

    As in PyTorch, ``requires_grad`` is False by default and ``.grad`` is None
    until a backward pass reaches the tensor; it is then a NumPy array.
    """

    __slots__ = ()
    __array_ufunc__ = None  # NumPy arrays on the left defer to our reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None,
                 dtype=None):
        self._fill(_to_array(data, dtype), None, None, (), _EMPTY, name, requires_grad)

    @classmethod
    def const(cls, x, dtype=None) -> "Tensor":
        return cls(x, requires_grad=False, dtype=dtype)

    @classmethod
    def _leaf(cls, data, requires_grad: bool, name: str | None) -> "Tensor":
        return cls(np.array(data), requires_grad=requires_grad, name=name)

    @classmethod
    def _result(cls, data, prim, parents, params, requires_grad) -> "Tensor":
        t = object.__new__(cls)
        t._fill(data if isinstance(data, np.ndarray) else np.asarray(data), None, prim, parents,
                params, None, requires_grad)
        return t

    def _coerce(self, value) -> np.ndarray:
        return _to_array(value, self._data.dtype)

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
        return self._data

    def item(self) -> float:
        return float(self._data.item())

    def __float__(self) -> float:
        return self.item()

    __hash__ = object.__hash__

    # -- arithmetic (broadcasting) -------------------------------------------------
    def __add__(self, o): return tensor_apply(E.ADD, self, o)
    def __radd__(self, o): return tensor_apply(E.ADD, o, self)
    def __sub__(self, o): return tensor_apply(E.SUB, self, o)
    def __rsub__(self, o): return tensor_apply(E.SUB, o, self)
    def __mul__(self, o): return tensor_apply(E.MUL, self, o)
    def __rmul__(self, o): return tensor_apply(E.MUL, o, self)
    def __truediv__(self, o): return tensor_apply(E.DIV, self, o)
    def __rtruediv__(self, o): return tensor_apply(E.DIV, o, self)
    def __pow__(self, o): return tensor_apply(E.POW, self, o)
    def __rpow__(self, o): return tensor_apply(E.POW, o, self)
    def __neg__(self): return tensor_apply(E.NEG, self)
    def __abs__(self): return tensor_apply(E.ABS, self)
    def __matmul__(self, o): return tensor_apply(C.MATMUL, self, o)
    def __rmatmul__(self, o): return tensor_apply(C.MATMUL, o, self)

    # comparisons give plain boolean arrays (not differentiable), like masks
    def __lt__(self, o): return self._data < _raw(o)
    def __le__(self, o): return self._data <= _raw(o)
    def __gt__(self, o): return self._data > _raw(o)
    def __ge__(self, o): return self._data >= _raw(o)

    # -- elementwise functions --------------------------------------------------------
    def exp(self): return tensor_apply(E.EXP, self)
    def log(self): return tensor_apply(E.LOG, self)
    def sin(self): return tensor_apply(E.SIN, self)
    def cos(self): return tensor_apply(E.COS, self)
    def tanh(self): return tensor_apply(E.TANH, self)
    def sigmoid(self): return tensor_apply(E.SIGMOID, self)
    def relu(self): return tensor_apply(E.RELU, self)
    def softplus(self): return tensor_apply(E.SOFTPLUS, self)
    def sqrt(self): return tensor_apply(E.SQRT, self)
    def abs(self): return tensor_apply(E.ABS, self)

    # -- reductions and shapes (``dim`` is accepted as PyTorch's name for ``axis``) --------
    def sum(self, axis=None, keepdims: bool = False, *, dim=None) -> "Tensor":
        return C.sum(self, _axis(axis, dim), keepdims)

    def mean(self, axis=None, keepdims: bool = False, *, dim=None) -> "Tensor":
        return C.mean(self, _axis(axis, dim), keepdims)

    def reshape(self, *shape) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return C.reshape(self, _resolve_shape(shape, self.size))

    def view(self, *shape) -> "Tensor":
        return self.reshape(*shape)

    def transpose(self, *axes) -> "Tensor":
        """Two axes swap them (PyTorch's ``transpose(0, 1)``); none or a full
        permutation act as NumPy's ``transpose``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if len(axes) == 2:
            perm = list(range(self.ndim))
            i, j = (a % self.ndim for a in axes)
            perm[i], perm[j] = perm[j], perm[i]
            return C.transpose(self, perm)
        return C.transpose(self, axes or None)

    def permute(self, *axes) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return C.transpose(self, axes)

    @property
    def T(self) -> "Tensor":
        return C.transpose(self)

    def broadcast_to(self, shape) -> "Tensor":
        return C.broadcast_to(self, shape)

    def max(self, axis=None, keepdims: bool = False, *, dim=None) -> "Tensor":
        """Largest values over ``axis`` (values only, like ``torch.amax``)."""
        return S.max(self, _axis(axis, dim), keepdims)

    def min(self, axis=None, keepdims: bool = False, *, dim=None) -> "Tensor":
        """Smallest values over ``axis`` (values only, like ``torch.amin``)."""
        return S.min(self, _axis(axis, dim), keepdims)

    def var(self, axis=None, keepdims: bool = False, *, dim=None, correction: int = 1) -> "Tensor":
        """Variance over ``axis``; unbiased (n - 1) by default, as PyTorch."""
        return S.var(self, _axis(axis, dim), keepdims, correction)

    def argmax(self, axis=None, *, dim=None) -> np.ndarray:
        """Indices of the largest values (an array: indices carry no gradient)."""
        return np.argmax(self._data, axis=_axis(axis, dim))

    def __getitem__(self, index) -> "Tensor":
        """Basic slicing and integer/boolean-array indexing; the gradient is scattered back."""
        return S.getitem(self, index)

    def clip(self, min=None, max=None) -> "Tensor":
        """Clamp into [min, max] (``clamp`` is the same); gradient 1 inside, 0 outside."""
        return S.clip(self, min, max)

    clamp = clip

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge axes start_dim..end_dim into one."""
        return S.flatten(self, start_dim, end_dim)

    def squeeze(self, axis=None, *, dim=None) -> "Tensor":
        """Drop size-1 axes (all, or the given one)."""
        return S.squeeze(self, _axis(axis, dim))

    def unsqueeze(self, axis=None, *, dim=None) -> "Tensor":
        """Insert a size-1 axis."""
        return S.unsqueeze(self, _axis(axis, dim))

    # -- activations along axes -------------------------------------------------------
    def softmax(self, axis=None, *, dim=None) -> "Tensor":
        """Stable softmax along ``axis``/``dim`` (default last)."""
        return A.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=None, *, dim=None) -> "Tensor":
        """Stable log-softmax along ``axis``/``dim`` (default last)."""
        return A.log_softmax(self, axis, dim=dim)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        """x for x > 0 else negative_slope · x."""
        return A.leaky_relu(self, negative_slope)

    def elu(self, alpha: float = 1.0) -> "Tensor":
        """x for x > 0 else alpha (e^x - 1)."""
        return A.elu(self, alpha)

    def selu(self) -> "Tensor":
        """Scaled ELU with PyTorch's constants."""
        return A.selu(self)


def _raw(x):
    return x.data if isinstance(x, Node) else x


def tensor_apply(prim, *args: Any, **params: Any) -> "Tensor":
    """:func:`engine.node.apply` for tensors: one pass over the arguments.

    Training loops run thousands of small ops, so this skips the generic path's
    work: constants become nodes only when the result is recorded, and arrays
    are not copied.  Constants take the dtype of the first tensor argument.
    """
    dtype = None
    record = False
    for a in args:
        if isinstance(a, Tensor):
            record = record or a.requires_grad
            if dtype is None:
                dtype = a._data.dtype
        elif isinstance(a, Node):
            raise TypeError(f"cannot mix a {type(a).__name__} with a Tensor; "
                            f"use Tensor({type(a).__name__.lower()}.data) for a constant")
    raw = [a._data if isinstance(a, Tensor) else _const_array(a, dtype) for a in args]
    record = record and is_grad_enabled()
    out = run_forward(prim, raw, params)
    if not record:
        return Tensor._result(out, prim, (), params, False)
    parents = tuple(a if isinstance(a, Tensor) else Tensor._result(r, None, (), _EMPTY, False)
                    for a, r in zip(args, raw))
    return Tensor._result(out, prim, parents, params, True)


def _const_array(x, dtype) -> np.ndarray:
    """A constant argument as the array a recorded constant would hold (floats only)."""
    if isinstance(x, np.ndarray):
        return x if x.dtype.type in _FLOATS else x.astype(np.float64)
    return np.asarray(x, dtype=dtype if dtype is not None else np.float64)


def _axis(axis, dim):
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        return dim
    return axis


def _resolve_shape(shape, size: int) -> tuple:
    shape = [int(s) for s in shape]
    if shape.count(-1) > 1:
        raise ValueError(f"only one -1 is allowed in a shape, got {tuple(shape)}")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1])) or 1
        shape[shape.index(-1)] = size // known
    if int(np.prod(shape)) != size:
        raise ValueError(f"cannot reshape an array of {size} elements into shape {tuple(shape)}")
    return tuple(shape)


def as_tensor(x, dtype=None) -> Tensor:
    """A node for ``x``: itself if a Tensor, else a constant of the given dtype."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(f"cannot mix a {type(x).__name__} with a Tensor; "
                        f"use Tensor({type(x).__name__.lower()}.data) for a constant")
    if dtype is not None and not isinstance(x, np.ndarray):
        return Tensor.const(x, dtype=dtype)
    return Tensor.const(x)


def tensor(data: Any, requires_grad: bool = False, name: str | None = None, dtype=None) -> Tensor:
    """``engine.tensor([...])`` as ``torch.tensor``."""
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)


__all__ = ["Tensor", "as_tensor", "tensor"]


def _bind() -> None:
    from .value import apply_value
    bind_kinds(Tensor, tensor_apply, apply_value)


_bind()
