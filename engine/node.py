"""Recorded values: the scalar ``Value`` and the array ``Tensor`` share one node type.

Every operation on a node goes through :func:`apply`, which runs a registered
primitive's forward function and, while gradients are being recorded, keeps the
primitive and its parents so that reverse and forward mode can walk the graph.
:func:`is_node` is the one test for "is this a recorded value".
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from .registry import Primitive


class _GradMode(threading.local):
    """Whether operations record a graph, per thread (training threads are independent)."""

    enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside :func:`no_grad`."""
    return _mode.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Compute without recording a graph, as ``torch.no_grad()``."""
    previous = is_grad_enabled()
    _mode.enabled = False
    try:
        yield
    finally:
        _mode.enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record a graph even inside :func:`no_grad` (used by ``create_graph=True``)."""
    previous = is_grad_enabled()
    _mode.enabled = True
    try:
        yield
    finally:
        _mode.enabled = previous


class Node:
    """A value in a recorded graph: its data, its gradient and how it was made.

    ``data``/``grad`` are properties so that a scalar graph compiled into a flat
    tape (see :mod:`engine.tape`) can update millions of values in one Numba
    sweep while every node still reads its current number.
    """

    __slots__ = ("_data", "_grad", "prim", "parents", "params", "name",
                 "requires_grad", "_tape", "_idx")
    _kind: type | None = None
    """The class an op's result has (``Value`` or ``Tensor``; a ``Parameter`` makes Tensors)."""

    def _fill(self, data, grad, prim, parents: tuple, params: dict, name: str | None,
              requires_grad: bool) -> None:
        """Set every slot: the one place a node's fields are initialised."""
        self._data = data
        self._grad = grad
        self.prim = prim
        self.parents = parents
        self.params = params
        self.name = name
        self.requires_grad = requires_grad
        self._tape = None
        self._idx = -1

    # -- data and grad, possibly living in a compiled tape -------------------
    @property
    def data(self):
        tape = self._tape
        if tape is None or self.prim is None:  # a tape never changes a leaf: its own number holds
            return self._data
        return tape.read_value(self._idx)

    @data.setter
    def data(self, value) -> None:
        value = self._coerce(value)
        self._data = value
        tape = self._tape
        if tape is not None:
            tape.values[self._idx] = value

    @property
    def grad(self):
        tape = self._tape
        return self._grad if tape is None else tape.read_grad(self._idx)

    @grad.setter
    def grad(self, value) -> None:
        self._grad = value
        tape = self._tape
        if tape is not None:
            tape.grads[self._idx] = 0.0 if value is None else value

    @staticmethod
    def _coerce(value):
        return value

    # -- graph structure -----------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        return self.prim is None

    @property
    def op(self) -> str:
        """The primitive's name, or ``"input"``/``"const"`` for leaves."""
        if self.prim is not None:
            return self.prim.name
        return "input" if self.requires_grad else "const"

    @property
    def label(self) -> str:
        """What a graph drawing writes in the node: its name or its op symbol."""
        if self.name:
            return self.name
        if self.prim is not None:
            return self.prim.symbol
        return format_number(self.data)

    def graph(self):
        """The recorded graph ending here, in topological order (see :class:`engine.Graph`)."""
        from .graph import Graph
        return Graph(self)

    def backward(self, grad=None, *, create_graph: bool = False) -> None:
        """Reverse mode: fill ``.grad`` of every node this one depends on.

        Leaf gradients accumulate across calls (zero them between steps, as in
        PyTorch); every intermediate node's ``.grad`` holds the gradient of this
        output.  With ``create_graph=True`` the gradients are themselves nodes
        recording a graph, so they can be differentiated again.
        """
        from .autodiff import backward
        backward(self, grad, create_graph=create_graph)

    def detach(self):
        """The same data, cut from the graph."""
        return type(self)._leaf(self.data, False, self.name)

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}({format_number(self.data)}{name})"


def format_number(x, digits: int = 4) -> str:
    """Compact text for a number or array: 4 significant digits, as slides show them."""
    if getattr(x, "ndim", 0) and not isinstance(x, np.ndarray):  # an array on a GPU
        return f"array{list(x.shape)}"
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return format_number(float(x), digits)
        return f"array{list(x.shape)}"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def is_node(x) -> bool:
    """The one test for "is this a recorded value" (a ``Value`` or a ``Tensor``)."""
    return isinstance(x, Node)


def raw(x):
    """A node's numbers (its ``.data``), anything else as it is."""
    return x.data if isinstance(x, Node) else x


_EMPTY: dict = {}
_ARRAY_KIND: list = []
"""``[Tensor]`` once :mod:`engine.tensor` is imported: the kind a raw NumPy argument implies."""


_KIND_OF: dict[type, type] = {}
"""Node class -> the kind its ops produce (filled as classes are met; ``Parameter`` -> Tensor)."""
_NUMBERS = (float, int)
_RAW = frozenset({float, int, bool, np.ndarray, np.float64, np.float32, np.bool_})
"""Argument types that are no node: an op on these alone just computes."""


device_dispatch = None
"""None until data is first moved to a GPU; then :mod:`engine.cuda.dispatch`, whose
``forward(prim, data, params)`` runs each op on its inputs' device (the one hook)."""


def set_device_dispatch(dispatch) -> None:
    """Route every op through ``dispatch.forward`` (see :mod:`engine.cuda.dispatch`)."""
    global device_dispatch
    device_dispatch = dispatch


def apply(prim: Primitive, *args: Any, **params: Any):
    """Run ``prim`` on nodes or constants: the one way every op is applied.

    The arguments' nodes decide the kind of the result (a Value, or a Tensor when any
    argument is a Tensor or array; mixing the two is refused); raw numbers in, raw
    numbers out.  Numbers and arrays among the arguments become constants of that
    kind.  The result is recorded (constants as constant leaves) exactly when gradients
    are enabled and some argument requires a gradient.
    """
    # gather (kind, data, parents, requires_grad); the hot shapes of a scalar graph,
    # one node or a node and a node/number, skip the general loop
    n = len(args)
    if n == 2:
        x, y = args
        kind = _KIND_OF.get(x.__class__)
        if kind is not None:
            xd = x._data if x._tape is None else x.data
            if y.__class__ is x.__class__:
                data = (xd, y._data if y._tape is None else y.data)
                parents, grad = args, x.requires_grad or y.requires_grad
            elif y.__class__ in _NUMBERS:
                c = kind._constant(y, x)
                data, grad = (xd, c), x.requires_grad
                parents = (x, kind._const_node(c)) if grad else ()
            else:
                kind, data, parents, grad = _gather(args)
        elif x.__class__ in _NUMBERS and y.__class__ in _KIND_OF:
            kind = _KIND_OF[y.__class__]
            c = kind._constant(x, y)
            data, grad = (c, y._data if y._tape is None else y.data), y.requires_grad
            parents = (kind._const_node(c), y) if grad else ()
        elif x.__class__ in _RAW and y.__class__ in _RAW:
            return prim.forward(x, y, **params)  # numbers or arrays in, numbers or arrays out
        else:
            kind, data, parents, grad = _gather(args)
    elif n == 1:
        x = args[0]
        kind = _KIND_OF.get(x.__class__)
        if kind is not None:
            data, parents, grad = (x._data if x._tape is None else x.data,), args, x.requires_grad
        elif x.__class__ in _RAW:
            return prim.forward(x, **params)
        else:
            kind, data, parents, grad = _gather(args)
    else:
        kind, data, parents, grad = _gather(args)
    if kind is None:  # numbers or arrays in, numbers or arrays out
        if device_dispatch is not None:
            return device_dispatch.forward(prim, args, params)
        return prim.forward(*args, **params)
    try:
        if device_dispatch is None:
            out = prim.forward(*data, **params) if params else prim.forward(*data)
        else:
            out = device_dispatch.forward(prim, data, params)
    except ValueError as exc:
        raise _shape_error(prim, data, exc) from None
    # the one decision: record the result in the graph, or not
    if grad and _mode.enabled:
        return kind._result(out, prim, parents, params or _EMPTY, True)
    return kind._result(out, prim, (), params or _EMPTY, False)


def _gather(args: tuple) -> tuple:
    """``(kind, data, parents, requires_grad)`` of any arguments: numbers and arrays
    become ``kind``'s constants (leaves only when the result may be recorded)."""
    kind = None
    first = None
    grad = False
    constants = False
    data = []
    for a in args:
        if isinstance(a, Node):
            if kind is not a._kind:
                if kind is not None:
                    raise _mixing_error(kind, a)
                kind = _KIND_OF[a.__class__] = a._kind
                first = a
            if a.requires_grad:
                grad = True
            data.append(a._data if a._tape is None else a.data)
        else:
            data.append(a)
            constants = True
    if kind is None or not constants:
        return kind, data, args, grad
    parents = []
    for i, a in enumerate(args):
        if not isinstance(a, Node):
            if isinstance(a, np.ndarray) and kind is not _ARRAY_KIND[0]:
                raise _mixing_error(kind, a)
            data[i] = kind._constant(a, first)
            a = kind._const_node(data[i]) if grad else a
        parents.append(a)
    return kind, data, tuple(parents), grad


def _mixing_error(kind: type, other) -> TypeError:
    """Values and Tensors (or arrays) never meet in one op: say how to make a constant."""
    names = {kind.__name__, type(other).__name__ if isinstance(other, Node) else "NumPy array"}
    scalar = "Value" if "Value" in names else kind.__name__
    return TypeError(f"cannot mix a {' and a '.join(sorted(names))} in one op; use "
                     f"Tensor({scalar.lower()}.data) for a constant")


def _shape_error(prim: Primitive, raw: list, exc: Exception) -> ValueError:
    """A forward's ValueError naming the op and every argument's shape."""
    shapes = " and ".join(str(tuple(np.shape(r))) for r in raw)
    return ValueError(f"{prim.name}: cannot combine shapes {shapes}: {exc}")
