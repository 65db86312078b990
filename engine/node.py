"""Recorded values: the scalar ``Value`` and the array ``Tensor`` share one node type.

Every operation on a node goes through :func:`apply`, which runs a registered
primitive's forward function and, while gradients are being recorded, keeps the
primitive and its parents so that reverse and forward mode can walk the graph.
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
        return self._data if tape is None else tape.values[self._idx]

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


_ARRAY_KINDS: tuple[type, ...] = (np.ndarray,)
_apply_tensor = None
_apply_value = None


def bind_kinds(tensor_cls: type, apply_tensor, apply_value) -> None:
    """Called once by :mod:`engine.tensor`/:mod:`engine.value` so :func:`apply` can route."""
    global _ARRAY_KINDS, _apply_tensor, _apply_value
    _ARRAY_KINDS = (tensor_cls, np.ndarray)
    _apply_tensor = apply_tensor
    _apply_value = apply_value


def apply(prim: Primitive, *args: Any, **params: Any) -> Node:
    """Run ``prim`` on nodes or constants and record the result in the graph.

    Any Tensor or array argument makes it a tensor op; otherwise it is a scalar op.
    """
    for a in args:
        if isinstance(a, _ARRAY_KINDS):
            return _apply_tensor(prim, *args, **params)
    return _apply_value(prim, *args, **params)


def run_forward(prim: Primitive, raw: list, params: dict):
    """The primitive's forward; a shape error names the op and every argument's shape."""
    try:
        return prim.forward(*raw, **params)
    except ValueError as exc:
        shapes = " and ".join(str(tuple(np.shape(r))) for r in raw)
        raise ValueError(f"{prim.name}: cannot combine shapes {shapes}: {exc}") from None
