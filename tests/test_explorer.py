"""The explorer model (no Qt) and page: timelines, display derived from the step, errors, groups."""
import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app import examples
from app.explorer_model import (Timeline, TangentTimeline, chain_text, derivative_formula, make_timeline,
                                sum_text, view_graph)
from engine import Graph, Value
from engine.expr import parse


def _add_mul():
    return Graph(parse("q = x + y\nf = q * z").build({"x": -2, "y": 5, "z": -4}))


def test_reverse_timeline_reveals_values_then_gradients_of_the_lecture_circuit():
    g = _add_mul()
    t = Timeline(g)
    assert len(t) == 2 * len(g)
    st = t.state(len(g))  # forward done, no gradient yet
    assert st.value_shown.all() and not st.grad_shown.any()
    end = t.state(len(t))
    grads = {g.nodes[i].name: t.grads[i] for i in range(len(g)) if end.grad_shown[i]}
    assert grads == {"f": 1.0, "q": -4.0, "z": 3.0, "x": -4.0, "y": -4.0}


def test_state_is_a_function_of_the_step_only():
    t = Timeline(_add_mul())
    seen = [t.state(k) for k in range(len(t) + 1)]
    again = [t.state(k) for k in reversed(range(len(t) + 1))][::-1]
    for a, b in zip(seen, again):
        assert (a.value_shown == b.value_shown).all() and (a.grad_shown == b.grad_shown).all()
        assert a.current == b.current and a.caption == b.caption


def test_backward_step_explains_the_chain_rule_with_numbers():
    t = Timeline(_add_mul())
    q = next(k for k in range(len(t) + 1) if t.state(k).caption.endswith("∂f/∂q = -4"))
    lines = [text for _, text in t.explain(q)]
    assert "∂q/∂x = ∂(x + y)/∂x = 1" in lines
    assert any(line.endswith("= −4 × 1 = −4") for line in lines)


def test_fan_out_gradients_visibly_add_up():
    x = Value(3.0, name="x")
    f = x * x + x  # x feeds three consumers' arguments
    t = Timeline(Graph(f))
    k = max(k for k in range(len(t) + 1) if t.state(k).current == t.graph.index[id(x)])
    st = t.state(k)
    assert st.sum_text is not None and st.sum_text.endswith("= 7")


def test_sum_and_chain_texts_use_true_minus_signs():
    from engine import EdgeStep
    edges = [EdgeStep(0, 1, 0, -4.0, 1.0, -4.0), EdgeStep(0, 2, 0, 3.0, 1.0, 3.0)]
    assert sum_text(edges) == "−4 + 3 = −1"
    assert chain_text(edges[0]) == "−4 × 1 = −4"
    ones = EdgeStep(0, 1, 0, np.array([1.0, -2.0]), np.ones(2), np.array([1.0, -2.0]))
    assert chain_text(ones) == "[1, −2] ⊙ 1 = [1, −2]"


def test_local_derivative_formulas_follow_the_slides():
    g = _add_mul()
    f = g.root
    assert derivative_formula(f, 0) == "∂(q × z)/∂q = z"  # the arguments' own names
    assert derivative_formula(Value(1.0, name="s").exp(), 0) == "∂exp(s)/∂s = exp(s)"
    x = Value(2.0, name="x")
    assert derivative_formula(x * x, 1) == "∂(x × y)/∂y = x"  # the same name twice: the slides' letters
    a, b = Value(1.0, name="W_hh h1"), Value(2.0, name="b")
    assert derivative_formula(a / b, 1) == "∂(x ÷ y)/∂y = −x/y²"  # a name with spaces: letters too
    assert derivative_formula(Value(3.0, name="p") / (b + 1), 1) == "∂(p ÷ (+))/∂(+) = −p/(+)²"


def test_forward_mode_gives_one_pass_per_input_and_the_same_gradients():
    g = _add_mul()
    t = TangentTimeline(g)
    n = len(g)
    assert len(t) == 3 * n
    for p, name in enumerate(["x", "y", "z"]):
        st = t.state((p + 1) * n)
        assert st.wrt == name
        assert st.tangent[g.index[id(g.root)]] == {"x": -4.0, "y": -4.0, "z": 3.0}[name]


def test_gradient_graph_steps_through_a_second_derivative():
    x = Value(3.0, name="x")
    t = make_timeline(Graph(x * x * x), "grad-graph", "x")
    assert t.graph.root.data == pytest.approx(27.0)  # d(x³)/dx = 3x²
    end = t.state(len(t))
    i = next(i for i, n in enumerate(t.graph.nodes) if n is x)
    assert end.grad_shown[i] and t.grads[i] == pytest.approx(18.0)  # d²(x³)/dx² = 6x


@pytest.mark.parametrize("example_id", list(examples.EXAMPLES))
def test_every_example_builds_and_runs_in_every_mode(example_id):
    ex = examples.get(example_id)
    built = ex.build()
    g = Graph(built.output)
    for mode in ("reverse", "forward", "grad-graph"):
        t = make_timeline(g, mode)
        for k in (0, len(t) // 2, len(t)):
            assert t.explain(k)
    view = view_graph(g, built.groups, [gr.name for gr in built.groups])
    assert len(view) == len(g) - sum(len(gr.members) - 1 for gr in built.groups)


def test_sigmoid_neuron_matches_cs231n():
    t = Timeline(Graph(examples.get("sigmoid-neuron").build().output))
    grads = {n.name: t.grads[i] for i, n in enumerate(t.graph.nodes) if n.name and t.grads[i] is not None}
    assert t.graph.root.data == pytest.approx(0.7311, abs=1e-4)
    assert grads["w0"] == pytest.approx(-0.1966, abs=1e-4)
    assert grads["x0"] == pytest.approx(0.3932, abs=1e-4)
    assert grads["w2"] == pytest.approx(0.1966, abs=1e-4)


def test_unknown_example_names_the_choices():
    with pytest.raises(KeyError, match="add-mul"):
        examples.get("nope")


# -- the page (Qt, offscreen) -----------------------------------------------------------------
@pytest.fixture
def page(qtbot):
    from app.explorer import ExplorerPage
    p = ExplorerPage()
    qtbot.addWidget(p)
    p.resize(1000, 700)
    return p


def test_bad_expression_shows_an_error_and_keeps_the_last_graph(page):
    page.load_example("add-mul")
    graph = page.graph
    page.editor.edit.setPlainText("q = x +* y")
    page.editor.commit()
    assert page.graph is graph
    assert page.editor.last_error is not None and page.editor.error.isVisibleTo(page)
    assert page.editor.edit.extraSelections()
    page.editor.edit.setPlainText("f = (a - b) * a")
    page.editor.commit()
    assert page.graph is not graph and [x.name for x in page.graph.inputs] == ["a", "b"]
    assert not page.editor.error.isVisibleTo(page)


def test_editing_an_input_reruns_the_graph(page):
    page.load_example("add-mul")
    page.set_input("x", 1.0)
    assert page.graph.root.data == pytest.approx(-24.0)
    page.set_position(len(page.timeline))
    assert page.canvas.displayed(page.graph.index[id(page.graph.find("z"))]).grad == "6"


def test_jumps_go_to_pass_boundaries(page):
    page.load_example("add-mul")
    page.jump("end")
    assert page.position == len(page.graph)  # end of the forward pass
    page.jump("end")
    assert page.position == len(page.timeline)
    page.jump("start")
    assert page.position == len(page.graph)
    page.step(-1)
    assert page.position == len(page.graph) - 1


def test_double_click_toggles_a_group(page):
    page.load_example("rnn-unrolled")
    n_collapsed = len(page.view)
    cell = next(g for g in page.groups if g.name == "cell t=2")
    i = page.graph.index[cell.output]
    page.toggle_group_of(i)
    assert len(page.view) == n_collapsed + len(cell.members) - 1
    page.toggle_group_of(i)
    assert len(page.view) == n_collapsed


def test_modes_switch_from_the_page(page):
    page.load_example("sigmoid-neuron")
    for mode in ("forward", "grad-graph", "reverse"):
        page.set_mode(mode)
        page.set_position(len(page.timeline))
        assert page.timeline is not None and page.position == len(page.timeline)


def test_selected_node_shows_slide_and_pytorch_notation(page):
    page.load_example("add-mul")
    page.set_position(len(page.timeline))
    page.select_node(page.graph.index[id(page.graph.find("x"))])
    text = page.inspector.text().replace("&#8203;", "")  # zero-width spaces let code names wrap
    assert "∂f/∂x" in text and "x.grad" in text and "−4" in text


def test_inspector_values_are_compact_and_never_scroll_sideways(page):
    page.load_example("softmax-regression")
    page.set_position(len(page.timeline))
    page.select_node(page.graph.index[id(page.graph.find("p"))])
    text = page.inspector.text()
    assert "0.1542" in text and "0.154213" not in text  # 4 significant digits (rows, or min/max/mean)
    assert "∂((exp)&nbsp;÷&nbsp;(Σ))/∂(exp)&nbsp;= 1/(Σ)" in text  # the arguments' names, wrapping after "="
    page.select_node(page.graph.index[id(page.graph.root)])
    scroll = page.inspector.parentWidget().parentWidget()
    assert scroll.horizontalScrollBarPolicy() == Qt.ScrollBarAlwaysOff
    from app.value_format import value_lines
    assert value_lines(np.arange(20.0).reshape(4, 5)) == ["shape (4, 5), min 0, max 19, mean 9.5"]


def test_an_expression_the_engine_refuses_keeps_the_last_graph(page):
    page.load_example("add-mul")
    graph = page.graph
    page.editor.edit.setPlainText("f = x @ y")  # scalars have no matrix product
    page.editor.commit()
    assert page.graph is graph and "unsupported operand" in page.editor.last_error.message
    # a singularity is not a refusal: x / 0 is inf forward and backward (IEEE, as PyTorch)
    page.editor.edit.setPlainText("f = x / (y - y)")
    page.editor.commit()
    assert page.graph is not graph and math.isinf(page.graph.root.data)


def test_gradient_graph_without_inputs_falls_back_to_reverse_mode(page):
    page.set_mode("grad-graph")
    page.editor.edit.setPlainText("f = 2 * 3")
    page.editor.commit()
    assert page.mode == "reverse" and page.timeline.graph is page.graph


def test_a_program_can_bring_its_own_values_including_tensors(page):
    page.load_program(parse("f = sum(w * x)"), {"w": [1.0, 2.0], "x": [3.0, -1.0]})
    assert page.graph.root.data == pytest.approx(1.0)
    assert page.graph.find("w").shape == (2,)


def test_an_array_table_that_would_not_fit_the_panel_becomes_a_summary(qtbot):
    from PySide6.QtGui import QFont, QFontMetricsF

    from widgets.node_inspector import value_html
    fm = QFontMetricsF(QFont())
    m = np.array([[-0.002073, 0.02088, 0.09], [-0.3993, 0.1084, 0.3701]])
    assert "<table" in value_html(m, "#000", fm, 1000)
    narrow = value_html(m, "#000", fm, 60)
    assert "<table" not in narrow and "shape&nbsp;(2,&nbsp;3)" in narrow and "max&nbsp;0.3701" in narrow


def test_presenting_hides_the_editing_controls_and_brings_them_back(page):
    page.load_example("add-mul")
    editing = (page.editor, page.example_box, page.caption, page.controls, page.mode_box, page.collapse_box,
               page.inputs)
    page.set_presenting(True)
    page.set_mode("grad-graph")  # a mode change must not bring the input picker back
    assert not any(w.isVisibleTo(page) for w in (*editing, page.wrt_box))
    assert page.canvas.isVisibleTo(page) and page.layout().contentsMargins().left() == 0
    page.set_presenting(False)
    assert all(w.isVisibleTo(page) for w in (*editing, page.wrt_box))
