"""The explorer's state without Qt: what is shown follows its methods, and views hear of every change."""
import numpy as np
import pytest

from app import examples
from viewmodel import timeline as timeline_module
from viewmodel.explorer_state import ExplorerState, unrolled_steps


@pytest.fixture
def state():
    return ExplorerState(examples.get)


def _record(state):
    """Every event the state emits, in order, as (name, args)."""
    seen = []
    for event in state.events:
        event.connect(lambda *args, name=event.name: seen.append((name, args)))
    return seen


def test_loading_an_example_notifies_graph_timeline_and_position_in_order(state):
    seen = _record(state)
    state.load_example("add-mul")
    names = [name for name, _ in seen]
    assert names == ["text", "graph", "timeline", "position"]
    assert seen[0][1] == ("q = x + y\nf = q * z",)
    assert seen[-1][1][0] is state.display and state.display.position == 0
    assert (state.example_id, state.source, state.values) == ("add-mul", "q = x + y\nf = q * z",
                                                               {"x": -2.0, "y": 5.0, "z": -4.0})


def test_a_scene_load_builds_its_timeline_once(state, monkeypatch):
    built = []
    original = timeline_module.make_timeline
    monkeypatch.setattr("viewmodel.explorer_state.make_timeline",
                        lambda *args, **kw: built.append(args[1]) or original(*args, **kw))
    state.load_example("sigmoid-neuron", mode="forward")
    assert built == ["forward"] and state.mode == "forward"
    assert state.load_source("f = x * y", {"x": 2.0, "y": 3.0}, mode="grad-graph")
    assert built == ["forward", "grad-graph"]


def test_bad_expression_keeps_the_last_good_program_apart_from_the_draft(state):
    state.load_example("add-mul")
    graph = state.graph
    errors = []
    state.events.error.connect(errors.append)
    assert not state.load_source("q = x +* y")
    assert state.graph is graph and state.draft == "q = x +* y" and "syntax" in str(state.error)
    assert state.source == "q = x + y\nf = q * z" and state.example_id == "add-mul", "what a save would hold"
    assert not state.load_source("f = x @ y")  # scalars have no matrix product
    assert state.graph is graph and "unsupported operand" in state.error.message
    assert state.load_source("f = (a - b) * a")
    assert state.graph is not graph and [x.name for x in state.graph.inputs] == ["a", "b"]
    assert state.draft is None and state.error is None and errors[-1] is None


def test_editing_an_input_reruns_the_graph_at_the_same_step(state):
    state.load_example("add-mul")
    state.set_position(4)
    state.set_input("x", 1.0)
    assert state.graph.root.data == pytest.approx(-24.0) and state.values["x"] == 1.0
    assert state.position == 4
    state.set_position(len(state.timeline))
    z = state.graph.index[id(state.graph.find("z"))]
    assert state.timeline.grads[z] == pytest.approx(6.0)


def test_jumps_go_to_pass_boundaries(state):
    state.load_example("add-mul")
    state.jump("end")
    assert state.position == len(state.graph)  # end of the forward pass
    state.jump("end")
    assert state.position == len(state.timeline) and state.at_end
    state.jump("start")
    assert state.position == len(state.graph)
    state.step(-1)
    assert state.position == len(state.graph) - 1


def test_toggling_a_group_collapses_and_expands_it(state):
    state.load_example("rnn-unrolled")
    n_collapsed = len(state.view)
    cell = next(g for g in state.groups if g.name == "cell t=2")
    i = state.graph.index[cell.output]
    state.toggle_group_of(i)
    assert len(state.view) == n_collapsed + len(cell.members) - 1
    state.toggle_group_of(i)
    assert len(state.view) == n_collapsed
    state.set_all_collapsed(False)
    assert len(state.view) == len(state.graph) and not state.collapse_groups


def test_modes_switch_and_start_again_at_step_zero(state):
    state.load_example("sigmoid-neuron")
    for mode in ("forward", "grad-graph", "reverse"):
        state.set_position(3)
        state.set_mode(mode)
        assert state.position == 0 and state.mode == mode
        state.set_position(len(state.timeline))
        assert state.timeline is not None and state.position == len(state.timeline)
    with pytest.raises(ValueError, match="mode must be one of"):
        state.set_mode("sideways")


def test_gradient_graph_without_inputs_falls_back_to_reverse_mode(state):
    state.set_mode("grad-graph")
    assert state.load_source("f = 2 * 3")
    assert state.mode == "reverse" and state.timeline.graph is state.graph


def test_a_program_can_bring_its_own_values_including_tensors(state):
    assert state.load_source("f = sum(w * x)", {"w": [1.0, 2.0], "x": [3.0, -1.0]})
    assert state.graph.root.data == pytest.approx(1.0)
    assert state.graph.find("w").shape == (2,)
    assert set(state.values) == {"w", "x"}


def test_selection_pins_a_node_and_minus_one_follows_the_step_again(state):
    state.load_example("add-mul")
    state.set_position(3)
    picked = []
    state.events.selection.connect(picked.append)
    state.select_node(0)
    assert state.inspected() == 0 and picked == [0]
    state.select_node(-1)
    assert state.inspected() == state.display.current and picked == [0, None]


def test_unknown_example_is_a_key_error_naming_the_choices(state):
    with pytest.raises(KeyError, match="add-mul"):
        state.load_example("nope")


def test_an_unrolled_network_reports_its_time_steps_and_finds_a_cell(state):
    source = "h1 = tanh(W @ x1 + b)\nh2 = tanh(W @ x2 + W @ h1 + b)\nL = sum(h2)"
    values = {"W": np.eye(2) * 0.5, "b": np.zeros((2, 1)), "x1": np.ones((2, 1)), "x2": np.ones((2, 1))}
    assert state.load_source(source, values, unrolled=True)
    steps = unrolled_steps(state.graph)
    names = {n.name: steps[i] for i, n in enumerate(state.graph.nodes) if n.name}
    assert names["h1"] == 1 and names["x2"] == 2 and names["W"] == -1 and names["L"] == -1
    heard, focused = [], []
    state.events.time_step.connect(heard.append)
    state.events.focus.connect(focused.append)
    h1 = state.graph.index[id(state.graph.find("h1"))]
    state.set_position(next(k for k in range(len(state.timeline)) if state.timeline.state(k).current == h1))
    assert heard[-1] == 1
    state.show_time_step(2)
    assert focused and state.time_steps[focused[-1]] == 2 and state.selected == focused[-1]
    assert state.load_source("f = x * y")
    assert state.time_steps is None  # another graph: no longer an unrolled network
