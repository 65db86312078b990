"""The layered layout: layers left to right, leaves beside their gate, few crossings, fast."""
import time

import numpy as np
import pytest

from engine import Graph, Value
from engine.scalar_nn import MLP
from viewmodel.layout import column_x, count_crossings, layered_layout, layer_nodes


def _edges(graph):
    return np.array([(p, c) for p, c, _ in graph.edges])


def test_layers_follow_the_edges_and_put_leaves_next_to_their_gate():
    # 0:a 1:b 2:a*b 3:c 4:(a*b)+c  -- c is a leaf used only at the last gate
    edges = np.array([(0, 2), (1, 2), (2, 4), (3, 4)])
    layer = layer_nodes(5, edges[:, 0], edges[:, 1])
    assert list(layer) == [0, 0, 1, 1, 2]


def test_every_edge_points_right():
    x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
    g = Graph(((x + y) * z + x * y).tanh())
    lay = layered_layout(len(g), _edges(g))
    e = _edges(g)
    assert (lay.layer[e[:, 1]] > lay.layer[e[:, 0]]).all()


def test_nodes_in_a_layer_are_at_least_one_slot_apart():
    g = Graph(MLP(3, [4, 4, 1], seed=2)([Value(0.5), Value(-1.0), Value(2.0)]))
    lay = layered_layout(len(g), _edges(g))
    for L in range(lay.n_layers):
        slots = np.sort(lay.slot[lay.layer == L])
        assert (np.diff(slots) >= 1 - 1e-9).all()


def test_a_tree_is_drawn_without_crossings():
    leaves = [Value(float(i), name=f"x{i}") for i in range(8)]
    level = leaves
    while len(level) > 1:
        level = [level[i] * level[i + 1] for i in range(0, len(level), 2)]
    g = Graph(level[0])
    assert count_crossings(layered_layout(len(g), _edges(g)), _edges(g)) == 0


def test_barycentre_sweeps_untangle_a_crossing():
    # inputs 0, 1; gates 2 = g(1), 3 = h(0); output 4 = 2 * 3: topological order draws 0→3 across 1→2
    edges = np.array([(1, 2), (0, 3), (2, 4), (3, 4)])
    assert count_crossings(layered_layout(5, edges, sweeps=0), edges) == 1
    assert count_crossings(layered_layout(5, edges), edges) == 0


def test_products_feeding_a_long_sum_spread_along_it():
    # as late as possible: each product sits just before the addition that uses it
    xs = [Value(float(i), name=f"x{i}") for i in range(6)]
    total = xs[0] * xs[0]
    for x in xs[1:]:
        total = total + x * x
    g = Graph(total)
    lay = layered_layout(len(g), _edges(g))
    products = [i for i, n in enumerate(g.nodes) if n.op == "mul"]
    assert len(set(lay.layer[products].tolist())) == len(products) - 1  # the first two share the first +


@pytest.mark.parametrize("n_hidden", [40])
def test_five_thousand_nodes_lay_out_in_under_a_second(n_hidden):
    net = MLP(4, [n_hidden, n_hidden, 1], activation="tanh", seed=0)
    g = Graph(net([Value(0.1 * i) for i in range(4)]), compiled=False)
    assert len(g) >= 5000
    e = _edges(g)
    t = time.perf_counter()
    lay = layered_layout(len(g), e)
    assert time.perf_counter() - t < 1.0
    assert np.isfinite(lay.slot).all()


def test_sized_nodes_are_spaced_by_their_extents_and_columns_by_their_widths():
    g = Graph(MLP(3, [4, 1], seed=2)([Value(0.5), Value(-1.0), Value(2.0)]))
    e = _edges(g)
    rng = np.random.default_rng(0)
    above, below = rng.uniform(10, 60, len(g)), rng.uniform(10, 60, len(g))
    lay = layered_layout(len(g), e, above=above, below=below)
    for L in range(lay.n_layers):
        nodes = np.flatnonzero(lay.layer == L)
        nodes = nodes[np.argsort(lay.slot[nodes])]
        assert (np.diff(lay.slot[nodes]) >= below[nodes[:-1]] + above[nodes[1:]] - 1e-9).all()
    half = rng.uniform(5, 40, len(g))
    x = column_x(lay.layer, half, np.full(lay.n_layers, 7.0))
    for L in range(lay.n_layers - 1):
        assert x[L + 1] - x[L] == pytest.approx(half[lay.layer == L].max() + half[lay.layer == L + 1].max() + 7)
