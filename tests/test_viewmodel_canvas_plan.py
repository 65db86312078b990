"""The canvas plan without Qt: text measured by a stand-in function, every label placed clear of the rest."""
import numpy as np
import pytest

from app import examples
from engine import Graph
from engine.expr import parse
from viewmodel.canvas_plan import NUMBER, CanvasPlan, flow_level
from viewmodel.geometry import Rect, bezier, curve_controls, overlaps, path_points
from viewmodel.groups import view_graph
from viewmodel.label_placement import LabelRequest, place_labels
from viewmodel.text import number_text
from viewmodel.timeline import Timeline


def measure(text: str, font: tuple[float, bool]) -> tuple[float, float]:
    """A monospaced stand-in for Qt's font metrics: 12 units per character at scale 1, 24 high."""
    scale = font[0] * (1.1 if font[1] else 1.0)
    return 12.0 * scale * len(text), 24.0 * scale


def _plan(example_id: str, collapsed: bool = False) -> CanvasPlan:
    built = examples.get(example_id).build()
    graph = Graph(built.output)
    timeline = Timeline(graph)
    names = [g.name for g in built.groups] if collapsed else []
    return CanvasPlan(timeline, view_graph(graph, built.groups, names), measure)


def _rows(boxes):
    return np.array([[r.left + 0.5, r.top + 0.5, r.right - 0.5, r.bottom - 0.5] for r in boxes]).reshape(-1, 4)


@pytest.mark.parametrize("example_id, collapsed", [(i, False) for i in examples.EXAMPLES] + [("rnn-unrolled", True)])
def test_no_label_overlaps_another_or_a_node_at_any_step(example_id, collapsed):
    plan = _plan(example_id, collapsed)
    timeline = plan.timeline
    for k in range(len(timeline) + 1):
        boxes = plan.drawn_boxes(timeline.state(k))
        texts = [r for kind, r in boxes if kind != "node"]
        nodes = _rows([r for kind, r in boxes if kind == "node"])
        for j, r in enumerate(texts):
            others = _rows(texts[:j] + texts[j + 1:])
            shrunk = Rect(r.left + 0.5, r.top + 0.5, r.width - 1, r.height - 1)
            assert not overlaps(others, shrunk), f"step {k}: label {j} overlaps another"
            assert not overlaps(nodes, shrunk), f"step {k}: label {j} is on a node"
        bounds = plan.bounds()
        for r in texts:
            assert bounds.left <= r.left and r.right <= bounds.right and bounds.top <= r.top <= r.bottom <= bounds.bottom


def test_what_is_written_follows_the_timeline():
    plan = _plan("add-mul")
    timeline, graph = plan.timeline, plan.timeline.graph
    f = graph.index[id(graph.root)]
    assert plan.displayed(f, timeline.state(0)).value is None
    assert plan.displayed(f, timeline.state(len(graph))).value == number_text(graph.root.data)
    end = timeline.state(len(timeline))
    x = graph.index[id(graph.find("x"))]
    assert plan.displayed(x, end).grad == "-4"
    kinds = {kind for kind, _, _ in plan.labels(int(plan.view.owner[f]), end)}
    assert kinds == {"value", "grad"}
    assert "value:" in plan.tooltip(f, end) and "∂f/∂f:" in plan.tooltip(f, end)


def test_sizes_come_from_the_measuring_function():
    plan = _plan("add-mul")
    wide = CanvasPlan(plan.timeline, plan.view, lambda text, font: (3 * measure(text, font)[0], measure(text, font)[1]))
    assert wide.bounds().width > plan.bounds().width
    assert plan.text_rect("−12", NUMBER, 0, 0, -1).bottom == pytest.approx(0)
    assert plan.text_rect("−12", NUMBER, 0, 0, 1).top == pytest.approx(0)


def test_a_click_finds_the_node_under_it():
    plan = _plan("sigmoid-neuron")
    for v in range(len(plan)):
        x, y = plan.pos[v]
        assert plan.node_at(x, y) == v
    assert plan.node_at(plan.bounds().left - 100, 0) is None


def test_collapsed_groups_are_boxes_that_write_their_name():
    plan = _plan("rnn-unrolled", collapsed=True)
    boxes = [v for v in range(len(plan)) if plan.view.group[v] is not None]
    assert boxes and all(plan.dashed(v) and not plan.round[v] for v in boxes)
    assert plan.shape_texts(boxes[0])[0][1].startswith("cell t=")


def test_edge_labels_sit_on_their_edge_and_clear_of_what_is_taken():
    controls = curve_controls(0, 0, 300, 0)
    taken = np.array([[130, -20, 170, 20]])  # a block right at the curve's middle
    (rect, text), = place_labels(taken, [LabelRequest("−4", 30, 20, controls)])
    assert text == "−4" and not overlaps(taken, rect)
    on_curve = bezier(controls, np.linspace(0, 1, 201))
    cx, cy = rect.center
    assert np.min(np.hypot(on_curve[:, 0] - cx, on_curve[:, 1] - cy)) <= 24.0 + 1e-9


@pytest.mark.parametrize("example_id, collapsed", [(i, False) for i in examples.EXAMPLES] + [("rnn-unrolled", True),
                                                                                         ("mlp-logloss", True)])
def test_edges_route_around_nodes_and_never_cover_a_label(example_id, collapsed):
    plan = _plan(example_id, collapsed)
    n = len(plan)
    blocks = plan.boxes  # every node's shape and the largest label blocks it will ever show
    owner = np.tile(np.arange(n), 3)
    for k, (a, b) in enumerate(plan.view.edges.tolist()):
        points = path_points(plan.route(k), 48)
        assert np.allclose(points[0], plan.ends[k, :2]) and np.allclose(points[-1], plan.ends[k, 2:])
        inside = ((blocks[None, :, 0] + 0.5 < points[:, None, 0]) & (points[:, None, 0] < blocks[None, :, 2] - 0.5)
                  & (blocks[None, :, 1] + 0.5 < points[:, None, 1]) & (points[:, None, 1] < blocks[None, :, 3] - 0.5))
        mine = (owner == a) | (owner == b)
        own_shape = np.zeros(3 * n, dtype=bool)
        own_shape[[a, b]] = True  # an edge touches its own ends' shapes, never their labels
        hit = inside[:, ~own_shape].any(axis=0)
        assert not hit.any(), f"edge {k} ({a}→{b}) crosses blocks {np.flatnonzero(~own_shape)[hit]} (own: {mine.sum()})"


def test_edges_encode_magnitude_on_one_fixed_log_scale():
    levels = [flow_level(m) for m in (0.0013, 0.018, 1.0)]
    assert levels[0] < levels[1] < levels[2] and min(np.diff(levels)) > 0.15  # they look different
    steps = {round(v * 8) for v in levels}
    assert len(steps) == 3  # and are drawn with three different pens
    assert flow_level(1e-9) == 0.0 and flow_level(1e9) == 1.0  # vanishing and saturated, at the ends
    small, big = _plan("add-mul"), _plan("mlp-logloss")
    end = small.timeline.state(len(small.timeline))
    role, mags = small.flow(end)
    assert role == "grad" and not np.isnan(mags).any()
    f = small.timeline.graph.nodes[-1]
    assert {float(m) for m in mags} == {abs(float(f.parents[1].data)), abs(float(f.parents[0].data)), 4.0}
    role, mags = big.flow(big.timeline.state(len(big.timeline)))
    assert len(set(mags.tolist())) > 3  # not normalised: many magnitudes, each as it is
    dead = Timeline(Graph(parse("f = relu(w * x)").build({"w": -1.0, "x": 2.0})))
    plan = CanvasPlan(dead, view_graph(dead.graph, [], []), measure)
    role, mags = plan.flow(dead.state(len(dead)))
    assert (mags == 0).all()  # behind a dead ReLU every edge carries zero: grey, no flow, not rescaled
    role, mags = small.flow(small.timeline.state(2))
    assert role == "value" and np.isnan(mags).all()  # two inputs computed, no gate yet: nothing flowed


def test_a_graph_past_the_route_budget_draws_each_edge_as_one_curve():
    """A flat sum of n terms skips ~n²/2 columns; past ROUTE_BUDGET its edges are not routed column by
    column (22 s on the GUI thread at n = 2,000), while a small graph still is."""
    from viewmodel.canvas_plan import ROUTE_BUDGET
    n = 120
    assert n * n // 2 > ROUTE_BUDGET
    graph = Graph(parse("f = " + "+".join(["x"] * n)).build({"x": 1.0}))
    plan = CanvasPlan(Timeline(graph), view_graph(graph, [], []), measure)
    assert {len(r) for r in plan.routes} == {1}
    small = parse("f = " + "+".join(["x"] * 8)).build({"x": 1.0})
    small_graph = Graph(small)
    assert max(len(r) for r in CanvasPlan(Timeline(small_graph), view_graph(small_graph, [], []), measure).routes) > 1
