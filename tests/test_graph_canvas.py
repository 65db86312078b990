"""The canvas draws what the engine computed, step by step, and stepping back is exact."""
import time

import numpy as np
import pytest

from app import examples
from engine import Graph, Value
from engine.scalar_nn import MLP
from viewmodel.groups import view_graph
from viewmodel.text import number_text
from viewmodel.timeline import Timeline


@pytest.fixture
def page(qtbot):
    from app.explorer import ExplorerPage
    p = ExplorerPage()
    qtbot.addWidget(p)
    p.resize(1000, 700)
    p.show()
    return p


def _engine_grads(example_id):
    """Leaf gradients by name from a fresh build and a plain ``backward()``: the oracle."""
    out = examples.get(example_id).build().output
    out.backward(None if out.shape == () else np.ones(out.shape))
    return out, {n.name: n.grad for n in Graph(out).nodes if n.prim is None and n.name and n.requires_grad}


@pytest.mark.parametrize("example_id", list(examples.EXAMPLES))
def test_displayed_values_and_gradients_equal_the_engines(page, example_id):
    state = page.state
    state.load_example(example_id)
    state.set_all_collapsed(False)
    canvas, graph = page.canvas, state.graph
    while state.position < len(state.timeline):
        state.step(1)
    out, grads = _engine_grads(example_id)
    expanded = canvas.detail.plan(frozenset())  # (the canvas may show boxes: level of detail)
    shown = {i: expanded.displayed(i, canvas.display) for i in range(len(graph))}
    for i, node in enumerate(graph.nodes):
        assert shown[i].value == number_text(node.data)
        if node.prim is None and node.name in grads:
            assert shown[i].grad == number_text(grads[node.name]), node.name
    assert shown[graph.index[id(graph.root)]].value == number_text(out.data)


def test_nothing_is_shown_before_the_first_step_and_values_come_before_gradients(page):
    page.state.load_example("add-mul")
    g = page.state.graph
    assert all(page.canvas.displayed(i).value is None for i in range(len(g)))
    page.state.set_position(len(g))
    assert all(page.canvas.displayed(i).value is not None for i in range(len(g)))
    assert all(page.canvas.displayed(i).grad is None for i in range(len(g)))


def test_stepping_back_restores_the_earlier_picture_exactly(page, qtbot):
    state = page.state
    state.load_example("add-mul")
    k = len(state.graph) + 3  # mid-backward, where q's contributions add up
    state.set_position(k)
    before = page.canvas.grab().toImage()
    texts = [page.canvas.displayed(i) for i in range(len(state.graph))]
    while state.position < len(state.timeline):
        state.step(1)
    while state.position > k:
        state.step(-1)
    assert [page.canvas.displayed(i) for i in range(len(state.graph))] == texts
    assert page.canvas.grab().toImage() == before


def test_the_chain_rule_card_follows_the_current_edge(page):
    page.state.load_example("add-mul")
    page.state.set_position(len(page.state.graph) + 3)  # ∂f/∂q is complete
    lines = [text for _, text in page.canvas.explain_lines]
    assert lines[0] == "∂f/∂q = −4"
    assert "∂f/∂x ⟵ ∂f/∂q · ∂q/∂x = −4 × 1 = −4" in lines


def test_fan_out_sum_is_drawn_at_the_node(page):
    state = page.state
    page.editor.edit.setPlainText("f = x * y + x")
    page.editor.commit()
    x = state.graph.index[id(state.graph.find("x"))]
    k = max(k for k in range(len(state.timeline) + 1) if state.timeline.state(k).current == x)
    state.set_position(k)
    assert page.canvas.displayed(x).sum == "1 + 1 = 2"


def test_forward_mode_shows_tangents(page):
    state = page.state
    state.load_example("add-mul")
    state.set_mode("forward")
    state.set_position(len(state.graph))  # the end of the d/dx pass
    f = state.graph.index[id(state.graph.root)]
    assert page.canvas.displayed(f).tangent == "-4"


def test_collapsed_group_shows_its_output(page):
    state = page.state
    state.load_example("rnn-unrolled")
    state.set_position(len(state.timeline))
    cell = state.groups[0]
    i = state.graph.index[cell.output]
    member = next(j for j, n in enumerate(state.graph.nodes) if id(n) in cell.members and j != i)
    assert page.canvas.displayed(i).grad is not None
    assert page.canvas.displayed(member) == type(page.canvas.displayed(member))()


def test_hover_text_has_full_numbers(page):
    state = page.state
    state.load_example("sigmoid-neuron")
    state.set_position(len(state.timeline))
    f = state.graph.index[id(state.graph.root)]
    assert "0.731059" in page.canvas.tooltip(f)


def test_a_five_thousand_node_graph_lays_out_and_draws(qtbot):
    from widgets.graph_canvas import GraphCanvas
    net = MLP(4, [38, 38, 1], activation="tanh", seed=0)
    g = Graph(net([Value(0.1 * i) for i in range(4)]), compiled=False)
    assert len(g) >= 5000
    t = Timeline(g)
    canvas = GraphCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(900, 600)
    canvas.show()
    start = time.perf_counter()
    canvas.set_graph(t, view_graph(g, [], []))
    canvas.show_state(t.state(len(t) - 7))
    image = canvas.grab().toImage()
    assert time.perf_counter() - start < 5.0
    assert not image.isNull() and len(canvas.plan.pos) == len(g)


def test_tensor_nodes_get_value_and_gradient_heatmaps(page):
    state = page.state
    state.load_example("softmax-regression")
    state.set_position(len(state.timeline))
    w = state.graph.index[id(state.graph.find("W"))]
    assert page.canvas.plan.tensor[state.view.owner[w]]
    image = page.canvas.heat("grad", w)
    assert (image.width(), image.height()) == (3, 3)


def test_heatmap_colours_say_the_sign():
    from widgets.heatmap import heatmap_rgb
    rgb = heatmap_rgb(np.array([[-2.0, 0.0, 2.0]]))
    assert rgb[0, 0, 2] > rgb[0, 0, 1]  # negative: purple (blue above green)
    assert rgb[0, 2, 0] > rgb[0, 2, 2] and rgb[0, 2, 1] > rgb[0, 2, 2]  # positive: yellow, never the gradient's
    assert tuple(rgb[0, 1]) == (150, 150, 150)  # zero: mid grey, visible on white and on black


def _rects(boxes):
    """(n, 4) array of x0, y0, x1, y1, shrunk by half a unit so touching edges do not count."""
    return np.array([[r.left + 0.5, r.top + 0.5, r.right - 0.5, r.bottom - 0.5] for r in boxes]).reshape(-1, 4)


def _crossing(a, b):
    """Pairs (i, j) of rows of ``a`` and ``b`` that intersect."""
    hit = ((a[:, None, 0] < b[None, :, 2]) & (a[:, None, 2] > b[None, :, 0])
           & (a[:, None, 1] < b[None, :, 3]) & (a[:, None, 3] > b[None, :, 1]))
    return np.argwhere(hit)


@pytest.mark.parametrize("theme", ["light", "presenter"])
@pytest.mark.parametrize("example_id, collapsed", [(i, None) for i in examples.EXAMPLES] + [("rnn-unrolled", False)])
def test_no_text_overlaps_and_the_card_never_covers_the_graph(qtbot, example_id, collapsed, theme):
    from app.cli import build_parser
    from app.main_window import build_window
    window = build_window(build_parser().parse_args(["--example", example_id, "--theme", theme, "--size", "1024x768"]))
    qtbot.addWidget(window)
    window.show()
    state, canvas = window.explorer.state, window.explorer.canvas
    if collapsed is not None:
        state.set_all_collapsed(collapsed)
    canvas.fit()
    viewport = canvas.viewport().geometry()
    assert not canvas.card.geometry().intersects(viewport)
    for k in range(len(state.timeline) + 1):
        state.set_position(k)
        canvas.settle()
        lines = state.timeline.explain(k)
        assert canvas.card.height() == pytest.approx(canvas.card.height_for(lines, canvas.card.width()), abs=1)
        assert not canvas.card.geometry().intersects(canvas.viewport().geometry())  # the strip fits its content
        boxes = canvas.drawn_boxes()
        texts = _rects([r for kind, r in boxes if kind != "node"])
        nodes = _rects([r for kind, r in boxes if kind == "node"])
        kinds = [kind for kind, _ in boxes if kind != "node"]
        pairs = [(kinds[i], kinds[j]) for i, j in _crossing(texts, texts) if i < j]
        assert not pairs, f"step {k}: overlapping labels {pairs}"
        assert not len(_crossing(texts, nodes)), f"step {k}: a label on a node"
        if canvas.framing.whole:
            seen = canvas.mapFromScene(canvas.bounds()).boundingRect()
            assert canvas.viewport().rect().contains(seen), f"step {k}: the graph is cut off"
        elif state.display.current is not None:  # too big at the text floor: the camera follows the step
            at = canvas.mapFromScene(canvas.node_centre(state.display.current))
            assert canvas.viewport().rect().contains(at), f"step {k}: the current node is out of view"


def test_tensor_thumbnails_are_never_thin_bars():
    from viewmodel.thumbnails import thumb_size
    assert thumb_size((3, 1), 56) == (28, 56)
    assert thumb_size((1, 3), 56) == (56, 28)
    assert thumb_size((3,), 56) == (56, 28)
    assert thumb_size((64, 2), 56) == (28, 56)
    assert thumb_size((3, 3), 56) == (56, 56)
