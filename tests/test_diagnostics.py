"""engine.diagnostics: where a value or gradient stopped being finite, in words."""
import numpy as np
import pytest

from engine import Graph, Value
from engine.diagnostics import finite, gradient_notes, tangent_notes, value_notes
from engine.expr import parse


def _graph(source, **values):
    return Graph(parse(source).build(values))


@pytest.mark.parametrize("source, values, text", [
    ("1/x", {"x": 0.0}, "1/x at x = 0 divides by zero"),
    ("x/y", {"x": 0.0, "y": 0.0}, "x/y at x = 0, y = 0 is 0/0, undefined"),
    ("log(x)", {"x": -1.0}, "log(x) at x = -1 is undefined"),
    ("log(x)", {"x": 0.0}, "log(x) at x = 0 is -inf"),
    ("sqrt(x)", {"x": -4.0}, "sqrt(x) at x = -4 is undefined"),
    ("exp(x)", {"x": 1000.0}, "exp(x) at x = 1000 overflows to inf (beyond ±1.8e308)"),
    ("q = x - 1\nf = log(q)", {"x": 0.0}, "log(q) at q = -1 is undefined"),
    ("2 * log(x - y)", {"x": 1.0, "y": 1.0}, "log(x - y) at x = 1, y = 1 is -inf"),
    ("x + 1", {"x": float("inf")}, "the input x is inf"),
])
def test_value_notes_name_the_operation_and_its_arguments(source, values, text):
    assert [n.text for n in value_notes(_graph(source, **values))] == [text]


def test_only_the_node_where_it_began_is_noted_not_everything_downstream():
    g = _graph("f = exp(log(x) * 2) + 1", x=-1.0)
    notes = value_notes(g)
    assert len(notes) == 1 and g.nodes[notes[0].node].op == "log" and not finite(g.root.data)


def test_a_tensor_note_points_at_the_first_bad_element():
    g = _graph("f = log(W @ v)", W=np.eye(2), v=np.array([1.0, -1.0]))
    assert [n.text for n in value_notes(g)] == ["log(W @ v) at v[1] = -1 is undefined"]


def test_a_deep_graph_is_walked_without_recursion():
    g = _graph("f = log(" + " + ".join(["x"] * 200) + " - 200 * x)", x=1.0)
    (note,) = value_notes(g)
    assert note.text.startswith("log(") and note.text.endswith("is -inf") and "…" in note.text


def test_gradient_notes_say_which_local_derivative_and_which_inputs():
    g = _graph("f = exp(x) * 0 + y", x=1000.0, y=1.0)
    (note,) = gradient_notes(g, g.backward_trace())
    assert note.text == "∂exp(x)/∂x = inf at x = 1000" and note.inputs == ("x",)


def test_gradients_that_overflow_only_when_added_up_are_noted_at_the_sum():
    g = _graph("f = x * 1e308 + x * 1e308", x=1.0)
    notes = gradient_notes(g, g.backward_trace())
    assert [n.text for n in notes] == ["the gradients reaching x add up to inf"] and notes[0].inputs == ("x",)


def test_finite_graphs_have_no_notes():
    g = _graph("(x + y) * z", x=-2.0, y=5.0, z=-4.0)
    assert value_notes(g) == [] and gradient_notes(g, g.backward_trace()) == []
    assert tangent_notes(g, g.tangent_trace("x"), "x") == []


def test_tangent_notes_in_forward_mode():
    g = _graph("f = 3 * sqrt(x)", x=-4.0)
    assert [n.text for n in tangent_notes(g, g.tangent_trace("x"), "x")] == ["∂sqrt(x)/∂x = nan at x = -4"]


def test_finite_is_false_for_complex_values():
    assert finite(1.0) and finite(np.ones(3)) and not finite(np.inf) and not finite(1j) and not finite([1.0, np.nan])


def test_gradient_note_of_one_over_x_at_zero():
    x = Value(0.0, name="x")
    g = Graph(1 / x)
    assert [n.text for n in gradient_notes(g, g.backward_trace())] == ["∂(1/x)/∂x = -inf at x = 0"]
