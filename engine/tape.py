"""A recorded scalar graph flattened into arrays, so Numba can sweep it.

Each node keeps a reference to the tape and its index, and its ``.data`` and
``.grad`` read the tape's arrays, so a compiled graph can be re-run with new
leaf values (``g.forward()``, ``g.backward()``) without rebuilding anything.
The op codes and the sweeps come from the primitive registry
(:mod:`engine.kernels.scalar_tape`): every Value primitive with float kernels compiles.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .kernels import lazy
from .node import Node
from .value import Value

K = lazy("scalar_tape")  # Numba is imported when a graph is first compiled


class Tape:
    """Op codes, argument indices, values and gradients of a scalar graph."""

    def __init__(self, order: Sequence[Node]):
        self.table = table = K.table()
        codes = table.codes
        ops, a0, a1, vals, req = [], [], [], [], []
        leaves: list[Node] = []
        leaf_idx: list[int] = []
        leaf_grads: list[float] = []
        for i, node in enumerate(order):
            parents = node.parents
            vals.append(node._data if node._tape is None else node.data)
            req.append(node.requires_grad)
            if parents:
                ops.append(codes[node.prim])
                a0.append(parents[0]._idx)
                a1.append(parents[1]._idx if len(parents) > 1 else -1)
            else:
                ops.append(0)
                a0.append(-1)
                a1.append(-1)
                leaves.append(node)
                leaf_idx.append(i)
                leaf_grads.append(node.grad)
            node._tape = self
            node._idx = i
        self.ops = np.array(ops, dtype=table.dtype)
        self.a0 = np.array(a0, dtype=np.int32)
        self.a1 = np.array(a1, dtype=np.int32)
        self.values = np.array(vals, dtype=np.float64)
        self.req = np.array(req, dtype=np.bool_)
        self.grads = np.zeros(len(ops))
        self.leaves = leaves
        self.leaf_idx = np.array(leaf_idx, dtype=np.int64)
        self.grads[self.leaf_idx] = leaf_grads
        self._sweeps = None

    @staticmethod
    def can_compile(order: Sequence[Node]) -> bool:
        """True when every node is a ``Value`` made by a primitive the tape compiles
        (0-d Tensors stay interpreted: their data and gradients are arrays)."""
        codes = K.table().codes
        for node in order:
            if node._kind is not Value or (node.parents and node.prim not in codes):
                return False
        return True

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
