"""A recorded scalar graph flattened into arrays, so Numba can sweep it.

Each node keeps a reference to the tape and its index, and its ``.data`` and
``.grad`` read the tape's arrays, so a compiled graph can be re-run with new
leaf values (``g.forward()``, ``g.backward()``) without rebuilding anything.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .kernels import lazy
from .node import Node

K = lazy("scalar_tape")  # Numba is imported when a graph is first compiled


class Tape:
    """Op codes, argument indices, values and gradients of a scalar graph."""

    def __init__(self, order: Sequence[Node]):
        n = len(order)
        ops = np.zeros(n, dtype=np.int8)
        a0 = np.full(n, -1, dtype=np.int32)
        a1 = np.full(n, -1, dtype=np.int32)
        vals = np.empty(n)
        grads = np.zeros(n)
        req = np.empty(n, dtype=np.bool_)
        leaves: list[Node] = []
        leaf_idx: list[int] = []
        leaf_grads: list[float] = []
        for i, node in enumerate(order):
            parents = node.parents
            vals[i] = node._data if node._tape is None else node.data
            req[i] = node.requires_grad
            if parents:
                ops[i] = node.prim.opcode
                a0[i] = parents[0]._idx
                if len(parents) > 1:
                    a1[i] = parents[1]._idx
            else:
                leaves.append(node)
                leaf_idx.append(i)
                leaf_grads.append(node.grad)
            node._tape = self
            node._idx = i
        self.ops, self.a0, self.a1, self.values, self.grads, self.req = ops, a0, a1, vals, grads, req
        self.leaves = leaves
        self.leaf_idx = np.array(leaf_idx, dtype=np.int64)
        self.grads[self.leaf_idx] = leaf_grads

    @staticmethod
    def can_compile(order: Sequence[Node]) -> bool:
        """True when every node is a scalar made by a primitive with an opcode."""
        for node in order:
            if node.shape != () or (node.parents and node.prim.opcode is None):
                return False
        return True

    def read_grad(self, i: int) -> float:
        return float(self.grads[i])

    def forward(self) -> None:
        """Re-read the leaves (whose ``.data`` may have been set) and recompute all values."""
        for i, leaf in zip(self.leaf_idx.tolist(), self.leaves):
            if leaf._tape is not self:
                self.values[i] = leaf.data
        K.tape_forward(self.ops, self.a0, self.a1, self.values)

    def zero_grad(self) -> None:
        self.grads[:] = 0.0

    def backward(self, seed: float = 1.0, root: int | None = None) -> None:
        """Reverse sweep; leaf gradients accumulate, the rest are this output's."""
        leaf_grads = self.grads[self.leaf_idx]
        self.grads[:] = 0.0
        self.grads[self.leaf_idx] = leaf_grads
        root = len(self.ops) - 1 if root is None else root
        K.tape_backward(self.ops, self.a0, self.a1, self.values, self.grads, self.req, root, seed)
