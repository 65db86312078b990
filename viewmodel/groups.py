"""Groups of nodes drawn as one collapsible box (a layer, a neuron, an RNN cell) and the graph as drawn.

Groups are defined here, not in the engine: the engine records nodes, the view
decides which of them belong together.  :func:`view_graph` collapses the chosen
groups into single boxes and keeps the visual nodes in topological order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from engine import Graph, Node


@dataclass(frozen=True)
class Group:
    """Nodes drawn as one collapsible box, e.g. ``"cell t=2"``; ``output`` is what it hands on."""

    name: str
    members: frozenset[int]
    """``id()`` of the member nodes."""
    output: int
    """``id()`` of the node whose value and gradient the collapsed box shows."""


def group_between(name: str, output: Node, boundary: Iterable[Node]) -> Group:
    """The nodes computing ``output`` from ``boundary`` (walked back, stopping at the boundary)."""
    stop = {id(b) for b in boundary}
    members: set[int] = set()
    stack = [output]
    while stack:
        node = stack.pop()
        if id(node) in stop or id(node) in members:
            continue
        members.add(id(node))
        stack.extend(node.parents)
    return Group(name, frozenset(members), id(output))


# -- what the canvas draws: possibly collapsed -------------------------------------------------
@dataclass
class ViewGraph:
    """The graph as drawn: graph nodes, or a collapsed group's box standing for its members.

    ``owner[i]`` is the visual node of graph node ``i``; ``rep[v]`` the graph node whose
    value/grad visual node ``v`` shows; ``edges`` are visual (parent, child) pairs and
    ``edge_of[k]`` the visual edge each graph edge is drawn on (-1 inside a box).
    """

    owner: np.ndarray
    rep: np.ndarray
    group: list[Group | None]
    edges: np.ndarray
    edge_of: np.ndarray

    def __len__(self) -> int:
        return len(self.rep)


def view_graph(graph: Graph, groups: Sequence[Group], collapsed: Iterable[str]) -> ViewGraph:
    """Collapse the named groups of ``graph`` into boxes; visual nodes stay in topological order."""
    collapsed = set(collapsed)
    n = len(graph)
    box_of = np.full(n, -1)
    active = [g for g in groups if g.name in collapsed]
    for k, g in enumerate(active):
        for i, node in enumerate(graph.nodes):
            if id(node) in g.members and box_of[i] < 0:
                box_of[i] = k
    # A box takes the place of its output node in topological order (groups are convex).
    out_index = [graph.index[g.output] for g in active]
    owner = np.full(n, -1)
    rep: list[int] = []
    vgroup: list[Group | None] = []
    for i in range(n):
        k = box_of[i]
        if k < 0:
            owner[i] = len(rep)
            rep.append(i)
            vgroup.append(None)
        elif out_index[k] == i:
            owner[np.flatnonzero(box_of == k)] = len(rep)
            rep.append(i)
            vgroup.append(active[k])
    g_edges = np.array([(p, c) for p, c, _ in graph.edges], dtype=np.int64).reshape(-1, 2)
    v_pairs = owner[g_edges] if len(g_edges) else g_edges
    edge_of = np.full(len(g_edges), -1)
    unique: dict[tuple[int, int], int] = {}
    for k, (a, b) in enumerate(v_pairs.tolist()):
        if a != b:
            edge_of[k] = unique.setdefault((a, b), len(unique))
    edges = np.array(list(unique), dtype=np.int64).reshape(-1, 2)
    return ViewGraph(owner, np.array(rep, dtype=np.int64), vgroup, edges, edge_of)




def named_groups(graph: Graph, largest: float = 0.6) -> list[Group]:
    """One group per named result of a program (``a1 = sigmoid(w1*x + b1)``: the gates computing ``a1``
    from other names), plus the unnamed constants only it reads; groups of one node, and groups
    holding more than ``largest`` of the graph (collapsing them would hide it all), are left out."""
    named = [n for n in graph.nodes if n.name]
    groups = [group_between(n.name, n, [m for m in named if m is not n]) for n in named if n.prim is not None]
    consumers: dict[int, set[int]] = {}
    for p, c, _ in graph.edges:
        consumers.setdefault(p, set()).add(c)
    out = []
    for g in groups:
        inside = {graph.index[i] for i in g.members}
        constants = {id(graph.nodes[p]) for p, cs in consumers.items()
                     if graph.nodes[p].prim is None and not graph.nodes[p].name and cs <= inside}
        members = g.members | constants
        if 1 < len(members) <= largest * len(graph):
            out.append(Group(g.name, frozenset(members), g.output))
    return out
