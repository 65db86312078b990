"""The recorded graph as data: topological order, re-running, traces and networkx.

``Graph`` is what the GUI draws and animates; the trace lists forward and
backward steps with, for every edge, the upstream gradient, the local
derivative and their product, so the chain rule can be shown as numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from .autodiff import COMPILE_THRESHOLD, backprop, forward_tangents, store_grads, topological_order
from .node import Node, no_grad, raw

if TYPE_CHECKING:  # networkx is imported on first export, not at start-up
    import networkx as nx


@dataclass
class EdgeStep:
    """One edge of the chain rule: upstream × local = contribution to ``parent``."""

    parent: int
    child: int
    arg: int
    upstream: Any
    local: Any
    contribution: Any


@dataclass
class Step:
    """One step of an animation: a node's value (forward) or its gradient (backward)."""

    kind: str  # "forward" | "backward" | "tangent"
    index: int
    value: Any
    grad: Any = None
    tangent: Any = None
    incoming: list[EdgeStep] = field(default_factory=list)
    """Backward: the contributions from the node's consumers that sum to ``grad``."""
    outgoing: list[EdgeStep] = field(default_factory=list)
    """Backward: what this node passes on to each of its arguments."""


class Graph:
    """A recorded computation ending at ``root``, nodes in topological order.

    ``compiled`` picks the Numba tape for scalar graphs (None: by size).
    """

    def __init__(self, root: Node, compiled: bool | None = None):
        self.root = root
        self.nodes: list[Node] = topological_order(root)
        self.index: dict[int, int] = {id(n): i for i, n in enumerate(self.nodes)}
        from .tape import Tape
        if compiled is None:
            compiled = len(self.nodes) >= COMPILE_THRESHOLD
        self.tape = Tape.compile(self.nodes) if compiled else None

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def edges(self) -> list[tuple[int, int, int]]:
        """(parent index, child index, argument position) for every recorded edge."""
        out = []
        for j, node in enumerate(self.nodes):
            for arg, p in enumerate(node.parents):
                out.append((self.index[id(p)], j, arg))
        return out

    @property
    def inputs(self) -> list[Node]:
        """Leaves that require a gradient: the variables of the expression."""
        return [n for n in self.nodes if n.prim is None and n.requires_grad]

    def find(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node named {name!r} in this graph")

    # -- re-running without rebuilding ---------------------------------------
    def forward(self, feed: Mapping[Node | str, Any] | None = None) -> Any:
        """Set leaf values from ``feed`` (nodes or names), recompute, return the output."""
        for key, value in (feed or {}).items():
            (self.find(key) if isinstance(key, str) else key).data = value
        if self.tape is not None:
            self.tape.forward()
            return self.root.data
        with no_grad():
            for node in self.nodes:
                if node.parents:
                    node.data = node.prim.forward(*[p.data for p in node.parents], **node.params)
        return self.root.data

    def zero_grad(self) -> None:
        for node in self.nodes:
            node.grad = 0.0 if node.shape == () else None

    def backward(self, grad=None) -> None:
        """Reverse sweep over this graph (leaf gradients accumulate, as in PyTorch)."""
        if self.tape is not None:
            self.tape.backward(1.0 if grad is None else float(grad))
            return
        store_grads(self.nodes, backprop(self.root, grad, order=self.nodes))

    # -- traces for the step-through animation -----------------------------------
    def forward_trace(self) -> list[Step]:
        """One step per node in topological order, carrying its value."""
        return [Step("forward", i, n.data) for i, n in enumerate(self.nodes)]

    def backward_trace(self, grad=None) -> list[Step]:
        """Reverse-mode steps, also storing the gradients on the nodes.

        Each step is a node whose gradient is complete: ``incoming`` lists the
        contributions that summed to it, ``outgoing`` the chain-rule products it
        sends to its arguments (upstream × local = contribution).
        """
        incoming: dict[int, list[EdgeStep]] = {}
        steps: list[Step] = []
        index = self.index

        def record(node: Node, g, edges: list) -> None:
            if not node.requires_grad:
                return
            j = index[id(node)]
            step = Step("backward", j, node.data, grad=g, incoming=incoming.pop(j, []))
            if edges:
                parents, prim = node.parents, node.prim
                if prim.elementwise:  # a diagonal Jacobian: the local derivative as numbers
                    out, args = node.data, [p.data for p in parents]
                    ones = 1.0 if out.__class__ is float else np.ones_like(out)
                for arg, contrib in edges:
                    local = (prim.vjps[arg](ones, out, *args, **node.params) if prim.elementwise
                             else None)
                    edge = EdgeStep(index[id(parents[arg])], j, arg, g, local, contrib)
                    step.outgoing.append(edge)
                    incoming.setdefault(edge.parent, []).append(edge)
            steps.append(step)

        grads = backprop(self.root, grad, order=self.nodes, trace=record)
        store_grads(self.nodes, grads)
        return steps

    def tangent_trace(self, wrt: Node | str, direction: Any = 1.0) -> list[Step]:
        """Forward-mode steps: the tangent d(node)/d(wrt) riding forward with each value."""
        wrt = self.find(wrt) if isinstance(wrt, str) else wrt
        seed = float(direction) if wrt.shape == () else np.broadcast_to(direction, wrt.shape).astype(float)
        tangents = forward_tangents(self.nodes, {id(wrt): seed})
        return [Step("tangent", i, n.data, tangent=tangents[id(n)]) for i, n in enumerate(self.nodes)]

    # -- export ----------------------------------------------------------------------
    def to_networkx(self) -> "nx.DiGraph":
        """An ``nx.DiGraph`` (parent → child) whose nodes carry op, label, value, grad, shape."""
        import networkx as nx
        g = nx.DiGraph()
        for i, n in enumerate(self.nodes):
            g.add_node(i, op=n.op, label=n.label, name=n.name, value=n.data, grad=n.grad,
                       shape=tuple(n.shape), symbol=n.prim.symbol if n.prim else n.label,
                       requires_grad=n.requires_grad)
        for p, c, arg in self.edges:
            g.add_edge(p, c, arg=arg)
        return g


def to_networkx(root: Node) -> "nx.DiGraph":
    """The graph recorded below ``root`` as networkx (see :meth:`Graph.to_networkx`)."""
    return Graph(root).to_networkx()


def leaves_like(primals: Sequence) -> list[Node]:
    """Fresh input nodes holding ``primals``' numbers: Values for scalars, Tensors for arrays."""
    from .tensor import Tensor
    from .value import Value
    out: list[Node] = []
    for i, p in enumerate(primals):
        p = raw(p)
        if not isinstance(p, np.ndarray):
            out.append(Value(float(p), name=f"x{i}"))
        else:
            out.append(Tensor(p, requires_grad=True, name=f"x{i}"))
    return out
