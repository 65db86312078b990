"""The training lab's Qt-free state: play, pause, step, reset to the same weights, NaN pauses, CSV refusals, frames."""
import threading

import numpy as np
import pytest

from engine.playground import DataSpec, DenseSpec, Experiment, TrainSpec
from engine.playground.notation import number
from viewmodel.jobs import running_jobs
from viewmodel.training_lab import CUSTOM, TrainingLabState, data_spec, grid_resolution, hyperparameters

NET = Experiment(DataSpec("xor", n=500, noise=0.1), DenseSpec(hidden=(8, 8), activation="tanh"),
                 TrainSpec("Adam", {"lr": 0.03}, batch_size=10))


def deliver(state, job):
    """What a JobWatcher does on the GUI thread, once the job has ended."""
    job.wait(30)
    news = job.take()
    state.receive(job, news.posted)
    state.finished(job, news.outcome)


@pytest.fixture
def state():
    s = TrainingLabState(NET)
    s.statuses = []
    s.events.job.connect(lambda job: job.start())
    s.events.status.connect(lambda text, kind: s.statuses.append((kind, text)))
    yield s
    s.shutdown()


def snapshot(state):
    return [p.data.copy() for t in state.trainers.values() for p in t.model.parameters()]


def test_step_trains_one_batch_and_reset_returns_to_identical_weights(state):
    start = snapshot(state)
    for _ in range(3):
        deliver(state, state.step_once())
    assert state.rounds == 3 and state.trainer.steps_done == 3 and not state.running
    assert any(not np.array_equal(a, b) for a, b in zip(start, snapshot(state)))
    state.reset()
    assert state.rounds == 0 and all(np.array_equal(a, b) for a, b in zip(start, snapshot(state)))
    state.redraw()
    assert any(not np.array_equal(a, b) for a, b in zip(start, snapshot(state)))


def test_with_a_window_a_frame_is_computed_once_the_last_was_taken_and_training_waits_while_it_draws(state):
    state.wait_for_drawing = True
    state.speed = None
    job = state.play()
    while state.rounds < 200:  # the window has not taken the first frame: no second one is computed
        job.wait(0.01)
    assert sum(kind == "frame" for kind, *_ in job.take().posted) == 1
    state.receive(job, [("frame", state.compute_frame())])  # taken: the window draws it
    rounds = state.rounds
    job.wait(0.05)
    assert state.rounds <= rounds + 1  # (at most the round under way) until it is drawn
    state.frame_drawn()
    while not job.take().posted:
        job.wait(0.01)
    assert state.rounds > rounds + 1
    state.pause()
    assert not state.running


def test_play_runs_in_a_thread_until_paused_and_leaves_none_behind(state):
    state.speed = None
    job = state.play()
    assert state.running and job.running
    while state.rounds < 20:
        job.wait(0.01)
    state.pause()
    assert not state.running and job.finished and job not in running_jobs()
    assert state.frame.round == state.rounds >= 20
    assert not [t for t in threading.enumerate() if t.name == "job: training lab"]


def test_a_frame_holds_the_views_arrays_in_their_shapes(state):
    deliver(state, state.step_once())
    f = state.frame
    assert f.grid.prediction.shape == (100, 100) and f.grid.probabilities.shape == (100, 100, 2)
    assert [t.shape for t in f.thumbnails] == [(8, 25, 25), (8, 25, 25)]
    assert f.grad_norms.shape == (1, 3) and len(f.layer_names) == 3
    assert [w.weight.shape for w in f.weights] == [(8, 2), (8, 8), (1, 8)]
    assert len(f.histograms) == 2 and f.curves[CUSTOM]["test_accuracy"][0].tolist() == [0, 1]
    assert f.train[0].shape == (250, 2) and f.test[0].shape == (250, 2)
    assert grid_resolution(16) == 100 and grid_resolution(152) == 40


def test_regression_shows_the_closed_form_beside_gradient_descent(state):
    assert state.set_experiment(Experiment(data_spec("linear", n=60), DenseSpec(hidden=(), activation="linear")))
    f = state.frame
    assert f.task == "regression" and f.grid.ys is None and f.grid.prediction.shape == (100,)
    w, b = f.closed_form
    assert abs(w[0] - 1.0) < 0.1 and abs(b - 0.3) < 0.1


def test_nan_pauses_naming_network_layer_and_step_then_the_rest_trains_on(state):
    state.load_scenario("exploding")
    deliver(state, state.play(until=50))
    kind, text = state.statuses[-1]
    assert kind == "paused" and "weights N(0, 1)" in text and "training step" in text and "layer" in text
    assert list(state.failures) == ["weights N(0, 1)"]
    bad = state.trainers["weights N(0, 1)"]
    assert all(np.isfinite(p.data).all() for p in bad.model.parameters())
    deliver(state, state.play(until=50))  # the budget: Kaiming trains on alone, then the claim is measured
    assert state.trainers["Kaiming"].steps_done == 50 and bad.steps_done < 50
    assert state.statuses[-1][0] == "done" and state.statuses[-1][1].startswith("✓")


def test_a_malformed_csv_is_refused_with_line_and_reason_and_nothing_changes(state, tmp_path):
    before = state.trainer
    bad = tmp_path / "points.csv"
    bad.write_text("x1,x2,label\n0.1,0.2,0\n0.3,abc,1\n", encoding="utf-8")
    assert not state.load_csv(str(bad))
    kind, text = state.statuses[-1]
    assert kind == "error" and "points.csv, line 3" in text and "not a number" in text
    assert state.trainer is before
    good = tmp_path / "mine.csv"
    good.write_text("\n".join(f"{x:.2f},{y:.2f},{int(x * y > 0)}" for x, y in
                              np.random.default_rng(0).uniform(-1, 1, (40, 2))), encoding="utf-8")
    assert state.load_csv(str(good))
    assert state.frame.grid.prediction.shape == (100, 100) and len(state.trainer.train_data) == 20
    deliver(state, state.step_once())
    state.reset()  # the file's data stays through a reset
    assert len(state.trainer.train_data) == 20


def test_a_network_the_engine_refuses_keeps_the_old_one_and_says_why(state):
    before = state.trainer
    assert not state.set_experiment(Experiment(NET.data, DenseSpec(hidden=(4,), activation="swish")))
    assert state.trainer is before and "unknown activation 'swish'" in state.statuses[-1][1]
    assert state.set_experiment(Experiment(NET.data, DenseSpec(hidden=(300, 3, 3, 3, 3, 3, 3, 3))))  # no cap
    assert state.frame.grad_norms.shape == (0, 9)


def test_betas_that_are_not_a_pair_are_refused_with_a_message(state):
    """The builder's betas field typed as one number made Adam raise IndexError (found by the monkey)."""
    before = state.trainer.optimizer
    state.set_training(TrainSpec("Adam", {"lr": 0.03, "betas": (0.5,)}, batch_size=10))
    assert state.trainer.optimizer is before
    assert state.statuses[-1][0] == "error" and "betas must be a pair (β₁, β₂), got (0.5,)" in state.statuses[-1][1]


def test_hyperparameters_are_read_from_the_optimizer(state):
    assert hyperparameters("Adam") == {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08,
                                       "weight_decay": 0.0, "amsgrad": False}
    assert "momentum" in hyperparameters("SGD") and "nesterov" in hyperparameters("SGD")
    with pytest.raises(ValueError, match="unknown optimizer 'Adamm'"):
        hyperparameters("Adamm")


def test_hover_texts_have_the_numbers(state):
    text = state.formula(1, 0, (0.5, -0.5))
    first, second = text.split("\n")
    assert first.startswith("a⁽¹⁾₁ = tanh(") and "x₁" in first and "0.5" in second
    w = state.trainer.layers[0][1].weight.data[2, 1]
    assert state.weight_text(0, 2, 1).startswith(f"w⁽¹⁾₃,₂ = {number(w, 3)}  (")
    assert "input 2 → unit 3" in state.weight_text(0, 2, 1)
