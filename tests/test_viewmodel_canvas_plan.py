"""The canvas plan without Qt: text measured by a stand-in function, every label placed clear of the rest."""
import numpy as np
import pytest

from app import examples
from engine import Graph
from viewmodel.canvas_plan import NUMBER, CanvasPlan
from viewmodel.geometry import Rect, bezier, curve_controls, overlaps
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
