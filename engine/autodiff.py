"""Reverse mode (backward, grad) and forward mode (jvp) over the recorded graph."""
from __future__ import annotations

from operator import attrgetter
from typing import Callable, Iterable, Sequence

import numpy as np

from . import node as _node
from .devices import DeviceData, device_of, move
from .node import Node, enable_grad, is_node, no_grad, raw
from .prims.core import sum_to
from .value import Value

_SCALAR = Value

COMPILE_THRESHOLD = 5000
"""Scalar graphs with at least this many nodes run backward in the Numba tape."""


def topological_order(root: Node) -> list[Node]:
    """Every node ``root`` depends on, parents before children (iterative DFS)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for p in reversed(node.parents):  # first argument first, as written
            if id(p) not in seen:
                stack.append((p, False))
    return order


def _seed(root: Node, grad, create_graph: bool):
    """The starting gradient: 1 for a scalar output, else the given array."""
    is_array = isinstance(root.data, (np.ndarray, DeviceData))
    if grad is None:
        if root.shape != ():
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, got shape {root.shape}; "
                "pass backward(grad=...) with the output's shape")
        grad = 1.0
    grad = raw(grad)
    if np.shape(grad) != tuple(root.shape):
        raise ValueError(f"grad of shape {np.shape(grad)} does not match the output's shape {root.shape}")
    grad = np.asarray(grad, dtype=root.data.dtype) if is_array else float(grad)
    if device_of(root.data) != "cpu":  # the seed lives with the output
        grad = move(grad, device_of(root.data))
    return root._kind.const(grad) if create_graph else grad


Trace = Callable[[Node, object, list], None]
"""``trace(node, grad, edges)``: called for every node the backward pass reaches, with
its complete gradient and ``edges``, the ``(argument, contribution)`` pairs it sends."""

_data = attrgetter("data")


def backprop(root: Node, grad=None, create_graph: bool = False,
             order: Sequence[Node] | None = None, trace: Trace | None = None) -> dict[int, object]:
    """The one reverse-mode loop: gradients of ``root`` w.r.t. every node it depends on,
    keyed by ``id(node)``.  ``backward()``, ``Graph.backward()`` and the traces all run it
    (the compiled scalar tape is its Numba form)."""
    order = topological_order(root) if order is None else order
    grads: dict[int, object] = {id(root): _seed(root, grad, create_graph)}
    device = None if create_graph else _node.device_dispatch  # nodes dispatch by themselves
    with enable_grad() if create_graph else no_grad():
        for node in reversed(order):
            g = grads.get(id(node))
            if g is None:
                continue
            parents = node.parents
            edges = [] if trace is not None else None
            if parents:
                prim = node.prim
                params = node.params
                out, args = (node, parents) if create_graph else (node.data, list(map(_data, parents)))
                arrays = node._kind is not _SCALAR
                rules = prim.vjps if device is None or not arrays else device.vjps(prim, out)
                for i, parent in enumerate(parents):
                    if not parent.requires_grad:
                        continue
                    rule = rules[i]
                    contrib = rule(g, out, *args, **params) if params else rule(g, out, *args)
                    if arrays and (contrib.shape if contrib.__class__ is np.ndarray
                                   else _shape(contrib)) != parent.shape:
                        contrib = sum_to(contrib, parent.shape)
                    if edges is not None:
                        edges.append((i, contrib))
                    key = id(parent)
                    previous = grads.get(key)
                    grads[key] = contrib if previous is None else previous + contrib
            if edges is not None:
                trace(node, g, edges)
    return grads


def _shape(x) -> tuple:
    return tuple(getattr(x, "shape", ()))


def backward(root: Node, grad=None, *, create_graph: bool = False) -> None:
    """Fill ``.grad`` on every node below ``root``; leaves accumulate (see ``Node.backward``)."""
    order = topological_order(root)
    if not create_graph and len(order) >= COMPILE_THRESHOLD:
        from .tape import Tape
        tape = Tape.compile(order)
        if tape is not None:
            tape.backward(1.0 if grad is None else float(raw(grad)))
            return
    grads = backprop(root, grad, create_graph, order)
    store_grads(order, grads)


def store_grads(order: Iterable[Node], grads: dict[int, object]) -> None:
    """Write a backward pass's gradients onto the nodes (leaves accumulate)."""
    for node in order:
        g = grads.get(id(node))
        if g is None:
            continue
        if _is_array(node) and not is_node(g):
            # a leaf's .grad is its own writable array (optimizers update it in place);
            # an intermediate gradient may share memory with its neighbours'
            g = np.array(g, dtype=node.data.dtype) if node.prim is None else np.asarray(g)
        if node.prim is None:
            previous = node.grad
            if previous is not None and not _is_zero_scalar(previous):
                g = previous + g
        node.grad = g


def _is_array(node: Node) -> bool:
    """Tensors hold arrays (even 0-d ones); Values hold floats."""
    return isinstance(node._data, np.ndarray)


def _is_zero_scalar(x) -> bool:
    return isinstance(x, float) and x == 0.0


def grad(output: Node, inputs: Sequence[Node], grad_output=None, *,
         create_graph: bool = False) -> list:
    """``torch.autograd.grad``: gradients of ``output`` w.r.t. ``inputs``, nothing stored.

    With ``create_graph=True`` the results are nodes that can be differentiated again.
    Inputs that ``output`` does not depend on get a zero gradient.
    """
    grads = backprop(output, grad_output, create_graph)
    out = []
    for x in inputs:
        g = grads.get(id(x))
        if g is None:
            zero = np.zeros_like(x.data) if x.shape != () else 0.0
            g = x._kind.const(zero) if create_graph else zero
        out.append(g)
    return out


def jvp(f: Callable[..., Node], primals: Sequence, tangents: Sequence):
    """Forward mode: ``(f(*primals), J·tangents)``, the tangent riding forward with the values.

    ``primals`` are numbers or arrays (or nodes, whose data is used); the result is
    the output's data and its directional derivative.
    """
    from .graph import leaves_like
    inputs = leaves_like(primals)
    out = f(*inputs)
    tangent_of = {id(x): _as_tangent(x, t) for x, t in zip(inputs, tangents)}
    return out.data, forward_tangents(topological_order(out), tangent_of)[id(out)]


def _as_tangent(x: Node, t):
    t = raw(t)
    return float(t) if x.shape == () else np.broadcast_to(np.asarray(t, dtype=x.data.dtype), x.shape)


def forward_tangents(order: Sequence[Node], tangent_of: dict[int, object]) -> dict[int, object]:
    """Push tangents through ``order`` with each primitive's JVP rules; zero where none reach."""
    with no_grad():
        for node in order:
            if node.prim is None:
                if id(node) not in tangent_of:
                    tangent_of[id(node)] = 0.0 if node.shape == () else np.zeros_like(node.data)
                continue
            total = None
            args = [p.data for p in node.parents]
            for i, parent in enumerate(node.parents):
                t = tangent_of.get(id(parent))
                if t is None or not np.any(t):
                    continue
                rule = node.prim.jvps[i]
                contrib = rule(t, node.data, *args, **node.params)
                total = contrib if total is None else total + contrib
            if total is None:
                total = 0.0 if node.shape == () else np.zeros_like(node.data)
            elif node.shape != () and np.shape(total) != node.shape:
                total = np.broadcast_to(total, node.shape)
            tangent_of[id(node)] = total
    return tangent_of


def hessian(f: Callable[..., Node], point: Sequence[float]) -> np.ndarray:
    """The Hessian of a scalar function of scalars, from double backward (create_graph)."""
    from .value import Value
    xs = [Value(float(p), name=f"x{i}") for i, p in enumerate(point)]
    first = grad(f(*xs), xs, create_graph=True)
    rows = []
    for gi in first:
        if is_node(gi) and gi.requires_grad:
            rows.append([float(raw(h)) for h in grad(gi, xs)])
        else:
            rows.append([0.0] * len(xs))
    return np.array(rows)
