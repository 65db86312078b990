"""Each built-in scenario shows, numerically and seeded, the effect its lecture claims."""
import json

import numpy as np
import pytest

from engine.playground import (SCENARIOS, NonFiniteError, experiment_from_dict, grid_view,
                               run_scenario)

_results = {}


def result(scenario_id: str, steps: int | None = None):
    """Each scenario is trained once per test session (the CNN's is the costly one)."""
    key = (scenario_id, steps)
    if key not in _results:
        _results[key] = run_scenario(scenario_id, steps=steps)
    return _results[key]


def test_the_lecture_scenarios_are_all_there_and_describable_as_json():
    assert [s.title for s in SCENARIOS.values()] == [
        "A linear model cannot solve XOR", "Two linear layers are one linear layer",
        "Zero initialization never breaks symmetry",
        "Deep sigmoid nets vanish, ReLU and batch norm rescue them", "Bad scaling explodes",
        "Dropout and L2 against overfitting on a small noisy set", "Batch norm speeds up a deep net",
        "A CNN on digits"]
    for scenario in SCENARIOS.values():
        d = json.loads(json.dumps(scenario.to_dict()))
        assert d["id"] == scenario.id
        assert [experiment_from_dict(v["experiment"]) for v in d["variants"]] == [
            v.experiment for v in scenario.variants]


def test_a_linear_model_cannot_solve_xor_but_a_2_layer_mlp_can():
    r = result("xor-linear")
    assert r.numbers["linear train accuracy"] <= 0.75 and r.numbers["linear test accuracy"] <= 0.75
    assert r.numbers["MLP train accuracy"] == r.numbers["MLP test accuracy"] == 1.0
    assert r.holds


def test_two_linear_layers_are_their_product_matrix():
    r = result("linear-collapse")
    deep = r.trainers["two linear layers"]
    (_, w1), (_, w2) = deep.layers
    np.testing.assert_allclose(r.arrays["W2W1"], w2.weight.data @ w1.weight.data)
    np.testing.assert_allclose(r.arrays["b"], w2.weight.data @ w1.bias.data + w2.bias.data)
    assert r.numbers["largest |network − W₂W₁x − b|"] < 1e-12
    assert r.numbers["two linear layers test accuracy"] <= 0.75 and r.holds


def test_zero_initialization_leaves_every_unit_of_a_layer_identical():
    r = result("zero-init")
    zeros = r.trainers["zero initialization"]
    for block in zeros.model.blocks:
        rows = np.c_[block.linear.weight.data, block.linear.bias.data]
        np.testing.assert_array_equal(rows, np.broadcast_to(rows[0], rows.shape))
    assert r.numbers["zeros: largest weight after training"] > 0.1      # they moved, together
    for thumbnails in grid_view(zeros, 16).hidden:                       # and look the same
        np.testing.assert_array_equal(thumbnails, np.broadcast_to(thumbnails[0], thumbnails.shape))
    assert r.numbers["Xavier: smallest difference between units of a layer"] > 0.1
    assert r.numbers["Xavier test accuracy"] > r.numbers["zeros test accuracy"] and r.holds


def test_deep_sigmoid_gradients_vanish_and_batch_norm_narrows_the_gap():
    r = result("vanishing", steps=1)              # the claim is about the gradient at the start
    norms = r.arrays["sigmoid"]
    assert len(norms) == 20                       # 19 hidden layers and the output layer
    assert norms[-1] / norms[0] >= 100
    assert r.numbers["sigmoid: last ÷ first layer gradient"] >= 100
    assert r.numbers["batch norm narrows the gap by"] >= 10
    assert r.numbers["ReLU: last ÷ first layer gradient"] < 100 and r.holds


def test_bad_scaling_explodes_and_names_the_layer_and_step():
    r = result("exploding")
    error = r.failures["weights N(0, 1)"]
    assert isinstance(error, NonFiniteError) and "Kaiming" not in r.failures
    assert error.where.startswith(("hidden layer", "output layer")) and 0 < error.step < 20
    assert str(error).startswith(f"training step {error.step}, {error.where}: ")
    bad = r.trainers["weights N(0, 1)"]
    assert bad.steps_done == error.step                     # stopped before the failing update
    assert all(np.all(np.isfinite(p.data)) for p in bad.model.parameters())
    assert r.numbers["largest gradient norm, N(0, 1) ÷ Kaiming"] >= 100 and r.holds


def test_dropout_and_l2_beat_no_regularization_on_the_test_set():
    r = result("overfitting", steps=300)          # it has overfitted by then (500 in the lab)
    plain = r.numbers["no regularization: test loss"]
    assert r.numbers["L2 (λ = 0.003): test loss"] < plain
    assert r.numbers["dropout (p = 0.3): test loss"] < plain
    assert r.numbers["no regularization: train loss"] < r.numbers["L2 (λ = 0.003): train loss"]  # memorised
    assert r.holds


def test_batch_norm_speeds_up_a_deep_sigmoid_net():
    r = result("batch-norm", steps=100)           # a clear lead already (200 in the lab)
    assert r.numbers["train loss with batch norm"] < 0.5 * r.numbers["train loss without batch norm"]
    assert r.numbers["train accuracy with batch norm"] > 0.85 and r.holds


def test_the_cnn_reads_digits_within_two_epochs():
    r = result("cnn-digits")
    cnn = r.trainers["CNN"]
    assert cnn.steps_done == 90 and len(cnn.train_data) == 1438   # 2 passes of batches of 32
    assert r.numbers["test accuracy"] >= 0.9 and r.holds


def test_run_scenario_stops_when_cancelled():
    rounds = []
    r = run_scenario("xor-linear", should_stop=lambda: len(rounds) >= 4, on_round=rounds.append)
    assert [t.steps_done for t in r.trainers.values()] == [4, 4]
    assert all(set(reports) == {"linear model", "2-layer MLP"} for reports in rounds)
