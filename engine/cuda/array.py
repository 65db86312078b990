"""``DeviceArray``: a tensor's data on the GPU, with just enough of NumPy's face for the engine.

A ``Tensor`` on ``"cuda"`` holds one of these around a numba.cuda device array.
Tensor ops never use its arithmetic: they dispatch to the primitives' CUDA kernels
(:mod:`.dispatch`).  The operators and NumPy protocol here serve the code that
handles raw data around the ops: the backward loop adds gradient contributions,
optimizers compute their updates (``w - lr * g``, ``np.sqrt``, ``np.zeros_like``),
BatchNorm updates its running statistics (``+=`` in place), all on the device.  A NumPy
function or ufunc with no device version here runs on a host copy and returns a NumPy
array (``np.stack`` of recorded gates for a plot); ``np.asarray`` copies to the host.
"""
from __future__ import annotations

import numpy as np

from ..devices import DeviceData
from . import device as D
from . import elementwise as E


class DeviceArray(DeviceData):
    """A C-contiguous float32/float64 array in GPU memory (``array`` is the numba.cuda one)."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    # -- array facts ------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return tuple(self.array.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.array.dtype)

    @property
    def ndim(self) -> int:
        return len(self.array.shape)

    @property
    def size(self) -> int:
        return int(self.array.size)

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def to_host(self) -> np.ndarray:
        """A NumPy copy (waits for the kernels writing it)."""
        return D.to_host(self.array)

    def __array__(self, dtype=None, copy=None):
        host = self.to_host()
        return host if dtype is None else host.astype(dtype, copy=False)

    def __getitem__(self, index) -> np.ndarray:
        """Indexing raw data reads a host copy (Tensor indexing runs on the device)."""
        return self.to_host()[index]

    def item(self) -> float:
        if self.size != 1:
            raise ValueError(f"only one-element arrays convert to a number, got shape {self.shape}")
        return self.to_host().reshape(()).item()

    def __float__(self) -> float:
        return float(self.item())

    def copy(self) -> "DeviceArray":
        out = D.empty(self.shape, self.dtype)
        if self.size:
            out.copy_to_device(self.array)
        return DeviceArray(out)

    def astype(self, dtype) -> "DeviceArray":
        """This array in ``dtype`` (itself when it has it already; other casts go via the host)."""
        if np.dtype(dtype) == self.dtype:
            return self
        return from_host(self.to_host(), dtype)

    def reshape(self, *shape) -> "DeviceArray":
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return DeviceArray(E.reshape(self.array, shape))

    def __repr__(self) -> str:
        return f"DeviceArray(shape={self.shape}, dtype={self.dtype}, device='cuda')"

    # -- arithmetic on the device --------------------------------------------------------------
    def _binary(self, name: str, other, reflected: bool = False):
        other = _operand(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = (other, self.array) if reflected else (self.array, other)
        return DeviceArray(E.binary(name, a, b))

    def __add__(self, o): return self._binary("add", o)
    def __radd__(self, o): return self._binary("add", o, True)
    def __sub__(self, o): return self._binary("sub", o)
    def __rsub__(self, o): return self._binary("sub", o, True)
    def __mul__(self, o): return self._binary("mul", o)
    def __rmul__(self, o): return self._binary("mul", o, True)
    def __truediv__(self, o): return self._binary("div", o)
    def __rtruediv__(self, o): return self._binary("div", o, True)
    def __pow__(self, o): return self._binary("pow", o)
    def __rpow__(self, o): return self._binary("pow", o, True)
    def __neg__(self): return DeviceArray(E.unary("neg", self.array))
    def __abs__(self): return DeviceArray(E.unary("abs", self.array))

    def _inplace(self, name: str, other):
        other = _operand(other)
        if other is NotImplemented:
            return NotImplemented
        E.binary(name, self.array, other, out=self.array)
        return self

    # in place, as NumPy's (BatchNorm's running statistics are updated so)
    def __iadd__(self, o): return self._inplace("add", o)
    def __isub__(self, o): return self._inplace("sub", o)
    def __imul__(self, o): return self._inplace("mul", o)
    def __itruediv__(self, o): return self._inplace("div", o)

    # comparisons give host boolean masks, as Tensor's comparisons do
    def __lt__(self, o): return self.to_host() < _host(o)
    def __le__(self, o): return self.to_host() <= _host(o)
    def __gt__(self, o): return self.to_host() > _host(o)
    def __ge__(self, o): return self.to_host() >= _host(o)

    __hash__ = object.__hash__

    # -- NumPy's protocols ----------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = _UFUNCS.get(ufunc.__name__)
        if method == "__call__" and not kwargs and name is not None:
            if len(inputs) == 1:
                return DeviceArray(E.unary(name, self.array))
            if len(inputs) == 2:
                a, b = (_operand(x) for x in inputs)
                if a is not NotImplemented and b is not NotImplemented:
                    return DeviceArray(E.binary(name, a, b))
        return getattr(ufunc, method)(*(_host(x) for x in inputs), **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in _LIKE and not kwargs and isinstance(args[0], DeviceArray):
            try:
                return _LIKE[func](*args)
            except TypeError:  # another signature (dtype=, shape=, ...): the host version
                pass
        return func(*_host_all(args), **{k: _host_all(v) for k, v in kwargs.items()})


def from_host(data, dtype=None) -> DeviceArray:
    """A NumPy array (or number) copied to the GPU; float32 stays float32, the rest float64.

    ``engine.devices.move`` checks that CUDA is available and installs the dispatch first.
    """
    host = np.asarray(data, dtype=dtype)
    if host.dtype not in D.FLOAT_TYPES:
        host = host.astype(np.float64)
    return DeviceArray(D.to_device(host))


def _full_like(a: DeviceArray, value: float) -> DeviceArray:
    return DeviceArray(E.binary("add", D.zeros(a.shape, a.dtype), float(value)))


_LIKE = {np.zeros_like: lambda a: DeviceArray(D.zeros(a.shape, a.dtype)),
         np.ones_like: lambda a: _full_like(a, 1.0), np.full_like: _full_like,
         np.copy: DeviceArray.copy}
"""NumPy functions with a device version (their positional arguments only)."""

_UFUNCS = {"add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "div",
           "divide": "div", "power": "pow", "maximum": "maximum", "minimum": "minimum",
           "negative": "neg", "sqrt": "sqrt", "exp": "exp", "log": "log", "tanh": "tanh",
           "absolute": "abs", "sin": "sin", "cos": "cos"}
"""NumPy ufuncs that run on the device, by the elementwise kernel they use."""


def _operand(x):
    """A device array or a number for an elementwise kernel; NotImplemented for anything else."""
    if isinstance(x, DeviceArray):
        return x.array
    if isinstance(x, (int, float, np.integer, np.floating)) or (
            isinstance(x, np.ndarray) and x.ndim == 0):
        return float(x)
    if isinstance(x, np.ndarray):
        raise TypeError(f"cannot combine a cuda array with a cpu array of shape {x.shape}; "
                        "move one with .to()")
    return NotImplemented


def _host(x):
    return x.to_host() if isinstance(x, DeviceArray) else x


def _host_all(x):
    if isinstance(x, (list, tuple)):
        return type(x)(_host_all(v) for v in x)
    return _host(x)
