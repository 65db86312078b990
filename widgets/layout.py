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


def _spread(targets: np.ndarray) -> np.ndarray:
    """Positions as close to sorted ``targets`` as possible, at least 1 apart, order kept."""
    i = np.arange(len(targets), dtype=float)
    down = i + np.maximum.accumulate(targets - i)
    up = i + np.minimum.accumulate((targets - i)[::-1])[::-1]
    mid = (down + up) / 2.0
    return i + np.maximum.accumulate(mid - i)


def layered_layout(n: int, edges: np.ndarray | list, sweeps: int = 4) -> Layout:
    """Lay out a DAG of ``n`` nodes in topological order; ``edges`` is an (m, 2) parent→child array."""
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    src, dst = e[:, 0], e[:, 1]
    layer = layer_nodes(n, src, dst)
    n_layers = int(layer.max()) + 1 if n else 0
    members = [np.flatnonzero(layer == L) for L in range(n_layers)]
    slot = np.zeros(n)
    for nodes in members:  # initial order: topological, centred
        slot[nodes] = np.arange(len(nodes)) - (len(nodes) - 1) / 2.0
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
            placed = _spread(target[order])
            nodes = nodes[order]
            members[L] = nodes
            local[nodes] = np.arange(len(nodes))
            slot[nodes] = placed
    return Layout(layer=layer, slot=slot)


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
