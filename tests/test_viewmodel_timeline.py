"""The explorer's timelines, without Qt: the display derived from the step, texts, modes, groups."""
import numpy as np
import pytest

from app import examples
from engine import Graph, Value
from engine.expr import parse
from viewmodel.groups import view_graph
from viewmodel.text import chain_text, derivative_formula, node_names, short_label, sum_text
from viewmodel.timeline import TangentTimeline, Timeline, make_timeline


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
    q = Value(3.0, name="p") / (b + 1)
    names = node_names(Graph(q).nodes)
    assert derivative_formula(q, 1, names) == "∂(p ÷ z1)/∂z1 = −p/z1²"  # an unnamed gate: the lecture's z1


def test_every_node_gets_a_name_never_an_op_symbol_and_no_two_alike():
    for ex in examples.EXAMPLES.values():
        timeline = make_timeline(Graph(ex.build().output), "reverse")
        labels = [short_label(n, timeline.names) for n in timeline.graph.nodes]
        assert len(set(labels)) == len(labels), ex.id
        assert not [s for s in labels if s.startswith("(")], ex.id
        lines = [text for k in range(len(timeline) + 1) for _, text in timeline.explain(k)]
        assert not [s for s in lines if "(+)" in s or "(×)" in s or "(−)" in s], ex.id
    sig = make_timeline(Graph(examples.EXAMPLES["sigmoid-neuron"].build().output), "reverse")
    assert {"1", "1′"} <= set(sig.names.values())  # two constants 1: told apart
    add_mul = make_timeline(Graph(examples.EXAMPLES["add-mul"].build().output), "reverse")
    chain = [text for k in range(len(add_mul) + 1) for _, text in add_mul.explain(k) if "⟵" in text]
    assert any(s.startswith("∂f/∂x ⟵ ∂f/∂q · ∂q/∂x") for s in chain), chain  # both ends named


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
