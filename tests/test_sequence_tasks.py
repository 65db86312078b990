"""Sequence tasks: shapes, determinism and that every target means what its description says."""
import numpy as np
import pytest

from engine.sequence_tasks import TASKS, NextCharacter, make_task


@pytest.mark.parametrize("name", sorted(TASKS))
def test_batch_shapes_and_loss_kind(name):
    task = make_task(name, length=12)
    inputs, targets, loss = task.batch(5, np.random.default_rng(0))
    assert inputs.shape == (12, 5, task.input_size)
    assert loss == task.loss
    expected = {("last", "bce"): (5, 1), ("last", "mse"): (5, task.output_size),
                ("all", "mse"): (12, 5, task.output_size), ("all", "ce"): (12, 5)}
    assert targets.shape == expected[(task.readout, task.loss)]
    assert len(task.step_labels(inputs[:, 0])) == 12
    assert task.description and task.title


@pytest.mark.parametrize("name", sorted(TASKS))
def test_same_seed_same_data_other_seed_other_data(name):
    task = make_task(name, length=10)
    a, b, c = (task.batch(4, np.random.default_rng(s)) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert not np.array_equal(a.inputs, c.inputs)


def test_first_bit_target_is_the_first_input():
    inputs, targets, _ = make_task("first_bit", 25).batch(64, np.random.default_rng(3))
    assert set(np.unique(inputs)) == {-1.0, 1.0}
    np.testing.assert_array_equal(targets, (inputs[0] > 0).astype(float))


def test_adding_problem_marks_one_number_in_each_half_and_sums_them():
    t = 20
    inputs, targets, _ = make_task("adding", t).batch(50, np.random.default_rng(4))
    values, markers = inputs[..., 0], inputs[..., 1]
    assert np.all(markers[: t // 2].sum(axis=0) == 1) and np.all(markers[t // 2:].sum(axis=0) == 1)
    np.testing.assert_allclose(targets[:, 0], (values * markers).sum(axis=0))
    labels = make_task("adding", t).step_labels(inputs[:, 0])
    assert [i for i, s in enumerate(labels) if s.endswith("*")] == list(np.flatnonzero(markers[:, 0]))


def test_sine_target_is_the_next_input():
    inputs, targets, _ = make_task("sine", 15).batch(3, np.random.default_rng(5))
    np.testing.assert_allclose(targets[:-1], inputs[1:])


def test_next_character_targets_are_the_following_characters_of_the_text():
    task = make_task("next_char", 30)
    inputs, targets, _ = task.batch(4, np.random.default_rng(6))
    np.testing.assert_array_equal(inputs.argmax(-1)[1:], targets[:-1])
    window = "".join(task.step_labels(inputs[:, 2])).replace("␣", " ")
    assert window in task.text
    assert 2000 < len(task.text) < 10000 and task.text.isascii()
    assert task.output_size == task.input_size == len(task.alphabet)


def test_copy_target_is_the_symbol_three_steps_earlier_and_blank_before():
    task = make_task("copy", 16)
    inputs, targets, _ = task.batch(8, np.random.default_rng(7))
    assert task.delay == 3 and task.output_size == len(task.symbols) + 1
    ids = inputs.argmax(-1)
    np.testing.assert_array_equal(inputs.sum(-1), 1.0)
    np.testing.assert_array_equal(targets[3:], ids[:-3])
    assert np.all(targets[:3] == len(task.symbols))
    assert "".join(task.step_labels(inputs[:, 0])) == "".join(task.symbols[i] for i in ids[:, 0])


def test_parentheses_target_is_the_nesting_depth_of_a_valid_prefix():
    task = make_task("parentheses", 40)
    inputs, targets, _ = task.batch(64, np.random.default_rng(8))
    steps = np.where(inputs[..., 0] > 0.5, 1, -1)  # '(' is column 0
    np.testing.assert_array_equal(targets, np.cumsum(steps, axis=0))
    assert targets.min() == 0 and targets.max() == task.max_depth == task.output_size - 1
    labels = task.step_labels(inputs[:, 0])
    assert set(labels) <= {"(", ")"} and labels[0] == "("
    assert [labels[:t + 1].count("(") - labels[:t + 1].count(")") for t in range(40)] == list(targets[:, 0])


def test_unknown_task_names_the_choices():
    with pytest.raises(KeyError, match="first_bit"):
        make_task("parity")
    assert isinstance(make_task("next_char"), NextCharacter)
