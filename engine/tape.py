"""A recorded scalar graph flattened into arrays, so Numba can sweep it.

Each node keeps a reference to the tape and its index, and its ``.data`` and
``.grad`` read the tape's arrays, so a compiled graph can be re-run with new
leaf values (``g.forward()``, ``g.backward()``) without rebuilding anything.
The op codes and the sweeps come from the primitive registry
(:mod:`engine.kernels.scalar_tape`): every Value primitive with float kernels compiles.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Sequence

import numpy as np

from .kernels import lazy
from .node import Node
from .value import Value

K = lazy("scalar_tape")  # Numba is imported when a graph is first compiled
_REQUIRES_GRAD = attrgetter("requires_grad")


class NotCompilable(TypeError):
    """The graph holds a node the compiled tape cannot run (a Tensor, an uncompiled op)."""


class Tape:
    """Op codes, argument indices, values and gradients of a scalar graph."""

    def __init__(self, order: Sequence[Node]):
        """Flatten ``order`` (a topological order); :class:`NotCompilable` if a node is not a
        Value made by a compiled primitive (nothing is changed then)."""
        self.table = table = K.table()
        codes = table.codes
        ops, a0, a1, vals, leaf_idx, leaf_grads = [], [], [], [], [], []
        op, first, last, value = ops.append, a0.append, a1.append, vals.append
        moved = []  # nodes taken over from another tape, given back if this one fails
        i = 0
        try:
            for i, node in enumerate(order):
                if node._kind is not Value:
                    raise NotCompilable(f"a {type(node).__name__} is not a scalar Value")
                if node._tape is None:
                    value(node._data)
                else:
                    value(node.data)
                    moved.append((node, node._tape, node._idx))
                parents = node.parents
                if parents:
                    op(codes[node.prim])
                    first(parents[0]._idx)
                    last(parents[-1]._idx)  # a unary op never reads it
                else:
                    op(0)
                    first(-1)
                    last(-1)
                    leaf_idx.append(i)
                    leaf_grads.append(node.grad)  # before the node moves onto this tape
                node._tape = self
                node._idx = i
        except (NotCompilable, KeyError) as exc:
            for node in order[:i]:  # leave the graph as it was
                node._tape = None
                node._idx = -1
            for node, tape, idx in moved:
                node._tape, node._idx = tape, idx
            raise NotCompilable(f"{exc.args[0]!r} is not compiled" if isinstance(exc, KeyError)
                                else exc.args[0]) from None
        self.ops = np.array(ops, dtype=table.dtype)
        self.a0 = np.array(a0, dtype=np.int32)
        self.a1 = np.array(a1, dtype=np.int32)
        self.values = np.array(vals, dtype=np.float64)
        self.req = np.fromiter(map(_REQUIRES_GRAD, order), dtype=np.bool_, count=len(order))
        self.grads = np.zeros(len(ops))
        self.leaf_idx = np.array(leaf_idx, dtype=np.int64)
        self.leaves = [order[i] for i in leaf_idx]
        self.grads[self.leaf_idx] = leaf_grads
        self._sweeps = None

    @classmethod
    def compile(cls, order: Sequence[Node]) -> "Tape | None":
        """A tape of ``order``, or None when it has a node the tape does not compile."""
        try:
            return cls(order)
        except NotCompilable:
            return None

    @property
    def sweeps(self):
        """The compiled forward and backward sweeps for this tape's op codes."""
        if self._sweeps is None:
            self._sweeps = K.sweeps(self.table)
        return self._sweeps

    def read_grad(self, i: int) -> float:
        return float(self.grads[i])

    def read_value(self, i: int) -> float:
        return float(self.values[i])

    def forward(self) -> None:
        """Re-read the leaves (whose ``.data`` may have been set) and recompute all values."""
        for i, leaf in zip(self.leaf_idx.tolist(), self.leaves):
            if leaf._tape is not self:
                self.values[i] = leaf.data
        self.sweeps.tape_forward(self.ops, self.a0, self.a1, self.values)

    def zero_grad(self) -> None:
        self.grads[:] = 0.0

    def backward(self, seed: float = 1.0, root: int | None = None) -> None:
        """Reverse sweep; leaf gradients accumulate, the rest are this output's."""
        leaf_grads = self.grads[self.leaf_idx]
        self.grads[:] = 0.0
        self.grads[self.leaf_idx] = leaf_grads
        root = len(self.ops) - 1 if root is None else root
        self.sweeps.tape_backward(self.ops, self.a0, self.a1, self.values, self.grads, self.req,
                                  root, seed)
