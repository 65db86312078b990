"""The canvas draws what the engine computed, step by step, and stepping back is exact."""
import time

import numpy as np
import pytest

from app import examples
from app.explorer_model import Timeline, number_text, view_graph
from engine import Graph, Value
from engine.scalar_nn import MLP


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
    page.load_example(example_id)
    page.set_all_collapsed(False)
    canvas, graph = page.canvas, page.graph
    while page.position < len(page.timeline):
        page.step(1)
    out, grads = _engine_grads(example_id)
    shown = {i: canvas.displayed(i) for i in range(len(graph))}
    for i, node in enumerate(graph.nodes):
        assert shown[i].value == number_text(node.data)
        if node.prim is None and node.name in grads:
            assert shown[i].grad == number_text(grads[node.name]), node.name
    assert shown[graph.index[id(graph.root)]].value == number_text(out.data)


def test_nothing_is_shown_before_the_first_step_and_values_come_before_gradients(page):
    page.load_example("add-mul")
    g = page.graph
    assert all(page.canvas.displayed(i).value is None for i in range(len(g)))
    page.set_position(len(g))
    assert all(page.canvas.displayed(i).value is not None for i in range(len(g)))
    assert all(page.canvas.displayed(i).grad is None for i in range(len(g)))


def test_stepping_back_restores_the_earlier_picture_exactly(page, qtbot):
    page.load_example("add-mul")
    k = len(page.graph) + 3  # mid-backward, where q's contributions add up
    page.set_position(k)
    before = page.canvas.grab().toImage()
    texts = [page.canvas.displayed(i) for i in range(len(page.graph))]
    while page.position < len(page.timeline):
        page.step(1)
    while page.position > k:
        page.step(-1)
    assert [page.canvas.displayed(i) for i in range(len(page.graph))] == texts
    assert page.canvas.grab().toImage() == before


def test_the_chain_rule_card_follows_the_current_edge(page):
    page.load_example("add-mul")
    page.set_position(len(page.graph) + 3)  # ∂f/∂q is complete
    lines = [text for _, text in page.canvas.explain_lines]
    assert lines[0] == "∂f/∂q = −4"
    assert "∂f/∂x ⟵ ∂f/∂q · ∂q/∂x = −4 × 1 = −4" in lines


def test_fan_out_sum_is_drawn_at_the_node(page):
    page.editor.edit.setPlainText("f = x * y + x")
    page.editor.commit()
    x = page.graph.index[id(page.graph.find("x"))]
    k = max(k for k in range(len(page.timeline) + 1) if page.timeline.state(k).current == x)
    page.set_position(k)
    assert page.canvas.displayed(x).sum == "1 + 1 = 2"


def test_forward_mode_shows_tangents(page):
    page.load_example("add-mul")
    page.set_mode("forward")
    page.set_position(len(page.graph))  # the end of the d/dx pass
    f = page.graph.index[id(page.graph.root)]
    assert page.canvas.displayed(f).tangent == "-4"


def test_collapsed_group_shows_its_output(page):
    page.load_example("rnn-unrolled")
    page.set_position(len(page.timeline))
    cell = page.groups[0]
    i = page.graph.index[cell.output]
    member = next(j for j, n in enumerate(page.graph.nodes) if id(n) in cell.members and j != i)
    assert page.canvas.displayed(i).grad is not None
    assert page.canvas.displayed(member) == type(page.canvas.displayed(member))()


def test_hover_text_has_full_numbers(page):
    page.load_example("sigmoid-neuron")
    page.set_position(len(page.timeline))
    f = page.graph.index[id(page.graph.root)]
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
    assert not image.isNull() and len(canvas.pos) == len(g)


def test_tensor_nodes_get_value_and_gradient_heatmaps(page):
    page.load_example("softmax-regression")
    page.set_position(len(page.timeline))
    w = page.graph.index[id(page.graph.find("W"))]
    assert page.canvas._tensor[page.view.owner[w]]
    image = page.canvas.heat("grad", w)
    assert (image.width(), image.height()) == (3, 3)


def test_heatmap_colours_say_the_sign():
    from widgets.heatmap import heatmap_rgb
    rgb = heatmap_rgb(np.array([[-2.0, 0.0, 2.0]]))
    assert rgb[0, 0, 2] > rgb[0, 0, 1]  # negative: purple (blue above green)
    assert rgb[0, 2, 0] > rgb[0, 2, 2]  # positive: orange (red above blue)
    assert tuple(rgb[0, 1]) == (247, 247, 247)
