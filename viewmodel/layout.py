"""Layered (Sugiyama-style) layout of a DAG, left to right, in NumPy: no Qt here.

Steps, as in Sugiyama et al.: (1) layering: as many layers as the longest
path, each node as late as possible (next to its first consumer), so weights
and constants sit beside the gate that reads them; (2) crossing reduction by barycentre sweeps,
alternately towards the output and back towards the inputs; (3) coordinates:
each node as close to the barycentre of its neighbours as a one-slot spacing
allows, so chains come out straight.  Long edges get no dummy nodes: the
barycentre of a neighbour in any layer is used directly, which keeps the
whole thing linear in the number of edges (5,000 nodes lay out in tens of ms).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Layout:
    """Node positions in layout units (one layer, one slot apart) plus the layering."""

    layer: np.ndarray
    """Layer (column) of every node, 0 at the inputs."""
    slot: np.ndarray
    """Vertical position of every node within its layer, in slots (may be fractional)."""

    @property
    def n_layers(self) -> int:
        return int(self.layer.max()) + 1 if len(self.layer) else 0


def layer_nodes(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Layers for nodes ``0..n-1`` given in topological order (edges src → dst), output last.

    The depth (number of layers) is the longest path; within it every node is
    placed as late as possible, one layer before its earliest consumer.  So a
    weight sits next to the gate using it, and the products feeding a long sum
    spread along the sum instead of piling up in one tall column.
    """
    layer = np.zeros(n, dtype=np.int64)
    order = np.argsort(dst, kind="stable")
    s, d = src[order], dst[order]
    for k in range(len(d)):  # dst ascending = topological: a node's parents are final
        if layer[s[k]] + 1 > layer[d[k]]:
            layer[d[k]] = layer[s[k]] + 1
    order = np.argsort(-src, kind="stable")
    s, d = src[order], dst[order]
    late = np.full(n, np.iinfo(np.int64).max)
    for k in range(len(s)):  # src descending: a node's consumers are final
        if late[d[k]] == np.iinfo(np.int64).max:
            late[d[k]] = layer[d[k]]  # a sink keeps its depth
        if late[d[k]] - 1 < late[s[k]]:
            late[s[k]] = late[d[k]] - 1
    return np.where(late == np.iinfo(np.int64).max, layer, late)


def _spread(targets: np.ndarray, gaps: np.ndarray | None = None) -> np.ndarray:
    """Positions as close to sorted ``targets`` as possible, order kept, ``gaps[k]`` apart from k−1 to k.

    ``gaps[0]`` is unused; without ``gaps`` every pair is 1 apart.
    """
    if gaps is None:
        offset = np.arange(len(targets), dtype=float)
    else:
        offset = np.concatenate([[0.0], np.cumsum(gaps[1:])]) if len(gaps) else np.zeros(0)
    down = offset + np.maximum.accumulate(targets - offset)
    up = offset + np.minimum.accumulate((targets - offset)[::-1])[::-1]
    mid = (down + up) / 2.0
    return offset + np.maximum.accumulate(mid - offset)


def layered_layout(n: int, edges: np.ndarray | list, sweeps: int = 4, above: np.ndarray | None = None,
                   below: np.ndarray | None = None) -> Layout:
    """Lay out a DAG of ``n`` nodes in topological order; ``edges`` is an (m, 2) parent→child array.

    Without ``above``/``below`` the nodes of a layer are one slot apart; with them
    (each node's extent above and below its centre, labels included) they are just
    far enough apart not to touch, and ``slot`` is in the same units.
    """
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    src, dst = e[:, 0], e[:, 1]
    sized = above is not None and below is not None
    layer = layer_nodes(n, src, dst)
    n_layers = int(layer.max()) + 1 if n else 0
    members = [np.flatnonzero(layer == L) for L in range(n_layers)]

    def gaps(nodes: np.ndarray) -> np.ndarray | None:
        """Centre-to-centre distances of consecutive nodes in this order."""
        if not sized:
            return None
        return np.concatenate([[0.0], below[nodes[:-1]] + above[nodes[1:]]])

    slot = np.zeros(n)
    for nodes in members:  # initial order: topological, centred
        placed = _spread(np.zeros(len(nodes)), gaps(nodes))
        slot[nodes] = placed - (placed[0] + placed[-1]) / 2.0 if len(nodes) else placed
    # For each layer, the edges arriving from the left and those leaving to the right.
    by_dst = [np.flatnonzero(layer[dst] == L) for L in range(n_layers)]
    by_src = [np.flatnonzero(layer[src] == L) for L in range(n_layers)]
    local = np.zeros(n, dtype=np.int64)
    for nodes in members:
        local[nodes] = np.arange(len(nodes))
    for sweep in range(sweeps):
        rightward = sweep % 2 == 0
        layers = range(1, n_layers) if rightward else range(n_layers - 2, -1, -1)
        for L in layers:
            nodes = members[L]
            idx = by_dst[L] if rightward else by_src[L]
            mine, other = (dst[idx], src[idx]) if rightward else (src[idx], dst[idx])
            count = np.bincount(local[mine], minlength=len(nodes))
            total = np.bincount(local[mine], weights=slot[other], minlength=len(nodes))
            target = np.where(count > 0, total / np.maximum(count, 1), slot[nodes])
            order = np.argsort(target, kind="stable")
            nodes = nodes[order]
            placed = _spread(target[order], gaps(nodes))
            members[L] = nodes
            local[nodes] = np.arange(len(nodes))
            slot[nodes] = placed
    return Layout(layer=layer, slot=slot)


def column_x(layer: np.ndarray, half: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """x of every layer: each column as wide as its widest node (``half`` each side), ``gap[L]`` after L."""
    n_layers = int(layer.max()) + 1 if len(layer) else 0
    widest = np.zeros(n_layers)
    np.maximum.at(widest, layer, half)
    steps = widest[:-1] + widest[1:] + gap[:n_layers - 1]
    return np.concatenate([[0.0], np.cumsum(steps)])


def count_crossings(layout: Layout, edges: np.ndarray | list) -> int:
    """Crossings between edges joining the same pair of adjacent layers (a quality measure)."""
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    total = 0
    for L in range(layout.n_layers - 1):
        sel = e[(layout.layer[e[:, 0]] == L) & (layout.layer[e[:, 1]] == L + 1)]
        a, b = layout.slot[sel[:, 0]], layout.slot[sel[:, 1]]
        da, db = a[:, None] - a[None, :], b[:, None] - b[None, :]
        total += int(np.sum(da * db < 0)) // 2
    return total
