"""engine.playground: the builder, the trainer (reset, NaN, cancellation) and the lab's views."""
import doctest
import json
import threading

import numpy as np
import pytest

import engine.playground as P
from engine import datasets, nn
from engine.nn import init
from engine.playground import (ConvSpec, DataSpec, DenseSpec, Experiment, NonFiniteError, TrainSpec,
                               Trainer)

XOR = DataSpec("xor", n=80, noise=0.1)


def trainer(network=DenseSpec(), data=XOR, training=TrainSpec(), dataset=None) -> Trainer:
    return Trainer(Experiment(data, network, training), dataset)


def test_the_package_example_runs():
    assert doctest.testmod(P).failed == 0


# -- specs and initialization ------------------------------------------------------------------
def test_experiment_round_trips_through_json():
    exp = Experiment(DataSpec("blobs", n=90, options={"classes": 3}, label_noise=0.1),
                     DenseSpec(hidden=(5, 3), activation=("relu", "tanh"), dropout=0.2),
                     TrainSpec("SGD", {"lr": 0.1, "momentum": 0.9}, l2=0.01))
    back = P.experiment_from_dict(json.loads(json.dumps(P.experiment_to_dict(exp))))
    assert back == exp
    conv = Experiment(DataSpec("digits", n=None), ConvSpec(convs=((4, 3), (8, 5))))
    assert P.experiment_from_dict(json.loads(json.dumps(P.experiment_to_dict(conv)))) == conv


def test_experiment_from_dict_names_unknown_fields():
    with pytest.raises(ValueError, match=r"unknown DenseSpec field\(s\) \['width'\]"):
        P.experiment_from_dict({"network": {"width": 3}})
    with pytest.raises(ValueError, match="network kind must be 'dense' or 'conv'"):
        P.experiment_from_dict({"network": {"kind": "rnn"}})


@pytest.mark.parametrize("scheme, check", [
    ("zeros", lambda w: np.all(w == 0)),
    ("constant", lambda w: np.all(w == 0.5)),
    ("normal", lambda w: abs(w.std() - 0.01) < 0.001 and abs(w.mean()) < 0.001),
    ("uniform", lambda w: w.min() >= -0.1 and w.max() <= 0.1 and w.max() > 0.099),
    ("xavier_uniform", lambda w: abs(w.max() - np.sqrt(6 / 600)) < 0.002),
    ("xavier_normal", lambda w: abs(w.std() - np.sqrt(2 / 600)) < 0.002),
    ("kaiming_uniform", lambda w: abs(w.max() - np.sqrt(6 / 200)) < 0.002),
    ("kaiming_normal", lambda w: abs(w.std() - np.sqrt(2 / 200)) < 0.003),
    ("pytorch", lambda w: abs(w.max() - np.sqrt(1 / 200)) < 0.001),
])
def test_initialize_by_name(scheme, check):
    w = nn.Parameter(np.empty((400, 200)))
    init.initialize_(w, scheme, nonlinearity="relu", generator=0)
    assert check(w.data)


def test_initialize_scale_and_unknown_scheme():
    w = nn.Parameter(np.empty((300, 300)))
    init.initialize_(w, "normal", scale=2.0, generator=0)
    assert abs(w.data.std() - 2.0) < 0.02
    with pytest.raises(ValueError, match="unknown initialization 'glorot'; choose one of zeros"):
        init.initialize_(w, "glorot")


# -- the builder -------------------------------------------------------------------------------
def test_builder_layers_activations_residual_batch_norm_dropout():
    t = trainer(DenseSpec(hidden=(2, 5, 5), activation=("relu", "selu", "softplus"), residual=True,
                          batch_norm=True, dropout=0.1))
    blocks = t.model.blocks
    assert [b.linear.weight.shape for b in blocks] == [(2, 2), (5, 2), (5, 5)]
    assert [b.act.name for b in blocks] == ["relu", "selu", "softplus"]
    assert [b.residual for b in blocks] == [True, False, True]       # only where widths agree
    assert all(isinstance(b.norm, nn.BatchNorm1d) and b.drop.p == 0.1 for b in blocks)
    assert t.model.head.weight.shape == (1, 5)
    assert [name for name, _ in t.layers] == ["hidden layer 1 (2→2, relu)", "hidden layer 2 (2→5, selu)",
                                              "hidden layer 3 (5→5, softplus)", "output layer (5→1)"]


@pytest.mark.parametrize("name, reference", [
    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("tanh", np.tanh), ("relu", lambda z: np.maximum(z, 0)),
    ("leaky_relu", lambda z: np.where(z > 0, z, 0.01 * z)), ("softplus", lambda z: np.log1p(np.exp(z))),
    ("selu", lambda z: 1.0507009873554805 * np.where(z > 0, z, 1.6732632423543772 * np.expm1(z))),
    ("linear", lambda z: z)])
def test_each_activation_computes_its_formula(name, reference):
    t = trainer(DenseSpec(hidden=(6,), activation=name))
    X = t.train_data.X
    block = t.model.blocks[0]
    t.predict(X)
    z = X @ block.linear.weight.data.T + block.linear.bias.data
    np.testing.assert_allclose(block.a.data, reference(z), rtol=1e-12, atol=1e-14)


def test_tasks_binary_multiclass_regression_and_images():
    assert trainer().task == P.Task("binary", 1, 2)
    blobs = trainer(data=DataSpec("blobs", n=60, options={"classes": 4}))
    assert blobs.task == P.Task("multiclass", 4, 4) and blobs.model.head.out_features == 4
    assert trainer(data=DataSpec("ripple", n=40)).task.kind == "regression"
    mlp_on_digits = trainer(DenseSpec(hidden=(16,)), DataSpec("digits", n=100))
    assert mlp_on_digits.train_data.X.shape[1] == 64 and mlp_on_digits.task.classes == 10
    with pytest.raises(ValueError, match="a convolutional network needs images, but 'xor' has 2 numbers"):
        trainer(ConvSpec())


def test_bad_specs_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="unknown activation 'swish'; choose one of sigmoid"):
        trainer(DenseSpec(hidden=(3,), activation="swish"))
    with pytest.raises(ValueError, match="2 hidden layers but 1 activations"):
        trainer(DenseSpec(hidden=(3, 3), activation=("tanh",)))
    with pytest.raises(ValueError, match="unknown optimizer 'Adamax'"):
        trainer(training=TrainSpec("Adamax"))
    with pytest.raises(ValueError, match="unknown data set 'iris'"):
        trainer(data=DataSpec("iris"))
    with pytest.raises(ValueError, match="kernel size 4 must be odd"):
        trainer(ConvSpec(convs=((4, 4),)), DataSpec("digits", n=50))
    with pytest.raises(ValueError, match="smaller than the 2×2 pooling window"):
        trainer(ConvSpec(convs=((2, 3),) * 4), DataSpec("digits", n=50))


@pytest.mark.torch
def test_forward_and_gradients_match_torch():
    torch = pytest.importorskip("torch")
    t = trainer(DenseSpec(hidden=(2, 2), activation="tanh", residual=True, batch_norm=True),
                training=TrainSpec("SGD", {"lr": 0.1}, batch_size=None, l2=0.01))
    X, y = t.train_data.X, t.train_data.y
    ours = t.model.blocks
    lin = [torch.nn.Linear(2, 2).double() for _ in ours] + [torch.nn.Linear(2, 1).double()]
    bns = [torch.nn.BatchNorm1d(2).double() for _ in ours]
    with torch.no_grad():
        for a, b in zip(lin, [b.linear for b in ours] + [t.model.head]):
            a.weight.copy_(torch.from_numpy(b.weight.data))
            a.bias.copy_(torch.from_numpy(b.bias.data))
    h = torch.from_numpy(X)
    for layer, bn in zip(lin[:-1], bns):
        h = torch.tanh(bn(layer(h))) + h
    logit = lin[-1](h).reshape(-1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, torch.from_numpy(y))
    loss = loss + 0.01 * sum((layer.weight ** 2).sum() for layer in lin)
    loss.backward()
    report = t.step()
    assert report.loss == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(report.grad_norms, [layer.weight.grad.norm().item() for layer in lin], rtol=1e-10)


# -- training --------------------------------------------------------------------------------
def test_reset_replays_exactly_and_redraw_draws_new_weights():
    t = trainer(DenseSpec(hidden=(4,), dropout=0.3))
    initial = [p.data.copy() for p in t.model.parameters()]
    first = [t.step().loss for _ in range(5)]
    assert t.steps_done == 5 and len(t.history.steps) == 5
    t.reset()
    assert t.steps_done == 0 and not t.history.steps
    for p, w in zip(t.model.parameters(), initial):
        np.testing.assert_array_equal(p.data, w)
    assert [t.step().loss for _ in range(5)] == first        # same batches, same dropout masks
    t.redraw()
    assert t.seed == 1 and not np.array_equal(next(t.model.parameters()).data, initial[0])


def test_batches_cover_the_training_set_once_per_pass():
    t = trainer(training=TrainSpec(batch_size=16))
    n = len(t.train_data)
    seen = [t._next_batch()[0] for _ in range(-(-n // 16))]
    assert sum(len(b) for b in seen) == n
    assert {tuple(r) for r in np.concatenate(seen)} == {tuple(r) for r in t.train_data.X}
    full = trainer(training=TrainSpec(batch_size=None))
    assert len(full._next_batch()[0]) == n


def test_l1_and_l2_enter_the_loss_on_the_weights_only():
    plain = trainer(training=TrainSpec(batch_size=None))
    both = trainer(training=TrainSpec(batch_size=None, l1=0.1, l2=0.2))
    weights = [layer.weight.data for _, layer in both.layers]
    penalty = 0.1 * sum(np.abs(w).sum() for w in weights) + 0.2 * sum((w ** 2).sum() for w in weights)
    assert both.step().loss == pytest.approx(plain.step().loss + penalty, rel=1e-12)


def test_evaluate_records_train_and_test_metrics():
    t = trainer()
    t.run(30, eval_every=10)
    steps, acc = t.history.curve("test_accuracy")
    assert steps.tolist() == [10, 20, 30] and np.all((0 <= acc) & (acc <= 1))
    assert t.history.gradient_norms().shape == (30, 2)
    assert t.history.layer_names == ["hidden layer 1 (2→4, tanh)", "output layer (4→1)"]
    t.reset()
    assert t.history.gradient_norms().shape == (0, 2) and t.history.curve("test_loss")[0].size == 0
    assert trainer(data=DataSpec("ripple", n=40)).evaluate().test_accuracy is None


def test_long_histories_are_thinned_to_the_same_points_as_they_grow():
    from engine.playground.trainer import kept
    assert kept(7, 10).tolist() == list(range(7))
    for n in (11, 1000, 1001, 4097):
        k = kept(n, 10)
        assert len(k) <= 11 and k[-1] == n - 1 and np.all(np.diff(k) > 0)
    assert set(kept(1000, 10)[:-1]) <= set(kept(1010, 10))  # (a power of two apart: no flicker)
    t = trainer()
    t.run(50, eval_every=1)
    norms, rows = t.history.gradient_norms(), kept(50, 8)
    np.testing.assert_array_equal(t.history.gradient_norms(8), norms[rows])
    steps, losses = t.history.curve("train_loss", 8)
    all_steps, all_losses = t.history.curve("train_loss")
    np.testing.assert_array_equal(steps, all_steps[rows])
    np.testing.assert_array_equal(losses, all_losses[rows])


def test_every_optimizer_trains_the_network():
    from engine.optim import OPTIMIZERS
    for name in OPTIMIZERS:
        hp = {"lr": 0.05} if name in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW") else {}
        t = trainer(DenseSpec(hidden=(3,)), training=TrainSpec(name, hp, batch_size=None))
        start = t.evaluate().train_loss
        t.run(10)
        assert t.evaluate().train_loss < start, name


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_in_a_layer_names_layer_and_step_and_keeps_the_weights():
    t = trainer(DenseSpec(hidden=(4, 4)))
    t.run(3)
    t.model.blocks[1].linear.weight.data[0, 0] = np.nan
    before = [p.data.copy() for p in t.model.parameters()]
    with pytest.raises(NonFiniteError, match=r"training step 3, hidden layer 2 \(4→4, tanh\): its output "
                                             r"\(forward pass\) is not finite") as info:
        t.step()
    assert (info.value.step, info.value.where) == (3, "hidden layer 2 (4→4, tanh)")
    assert t.steps_done == 3
    for p, b in zip(t.model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_failed_step_leaves_batch_norm_statistics_as_they_were():
    t = trainer(DenseSpec(hidden=(4, 4), batch_norm=True))
    t.run(2)
    t.model.blocks[0].linear.weight.data[1, 1] = np.inf
    stats = [b.copy() for _, b in t.model.named_buffers()]
    with pytest.raises(NonFiniteError, match="training step 2, hidden layer 1"):
        t.step()
    for (_, b), before in zip(t.model.named_buffers(), stats):
        np.testing.assert_array_equal(b, before)
    assert all(np.all(np.isfinite(b)) for _, b in t.model.named_buffers())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_targets_are_reported_as_the_loss():
    bad = datasets.Dataset("bad", np.ones((4, 2)), np.array([0.0, np.inf, 1.0, 2.0]), classification=False)
    with pytest.raises(NonFiniteError, match="training step 0, the loss: the loss value is not finite"):
        trainer(data=DataSpec(test_fraction=0.0), dataset=bad).step()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_an_update_that_overflows_is_undone():
    t = trainer(training=TrainSpec("SGD", {"lr": np.inf}, batch_size=None))
    before = [p.data.copy() for p in t.model.parameters()]
    with pytest.raises(NonFiniteError, match=r"training step 0, .*after the update \(undone\)"):
        t.step()
    for p, b in zip(t.model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


def test_run_stops_between_batches_when_asked():
    t = trainer()
    calls = []
    done = t.run(100, should_stop=lambda: len(calls) >= 7, on_step=calls.append)
    assert done == 7 == t.steps_done == len(calls)


def test_training_in_a_thread_cancels_and_views_read_meanwhile():
    t = trainer(DenseSpec(hidden=(8, 8)))
    stop, started = threading.Event(), threading.Event()
    result = {}
    worker = threading.Thread(target=lambda: result.update(done=t.run(
        10 ** 7, should_stop=stop.is_set, on_step=lambda r: started.set())))
    worker.start()
    assert started.wait(10)
    for _ in range(5):                      # reading while the job trains
        view = P.grid_view(t, 20)
        assert view.prediction.shape == (20, 20) and np.all(np.isfinite(view.prediction))
    stop.set()
    worker.join(10)
    assert not worker.is_alive() and 0 < result["done"] == t.steps_done < 10 ** 7
    assert t.model.training                 # the views gave training mode back


# -- views -------------------------------------------------------------------------------------
def test_grid_view_binary_with_neuron_thumbnails():
    t = trainer(DenseSpec(hidden=(3, 2)))
    t.run(20)
    view = P.grid_view(t, 30)
    assert view.xs.shape == view.ys.shape == (30,)
    assert view.prediction.shape == (30, 30) and view.probabilities.shape == (30, 30, 2)
    assert [h.shape for h in view.hidden] == [(3, 30, 30), (2, 30, 30)]
    i, j = 7, 21                            # row i is ys[i], column j is xs[j]
    point = np.array([[view.xs[j], view.ys[i]]])
    assert view.prediction[i, j] == pytest.approx(t.predict(point)[0], rel=1e-12)
    first = t.model.blocks[0].linear
    np.testing.assert_allclose(view.hidden[0][:, i, j], np.tanh(point @ first.weight.data.T + first.bias.data)[0])
    (x0, x1), (y0, y1) = P.data_extent(t)
    assert view.xs[0] == x0 and view.ys[-1] == y1


def test_grid_view_multiclass_and_regression_curve():
    blobs = trainer(data=DataSpec("blobs", n=90, options={"classes": 3}))
    view = P.grid_view(blobs, 12)
    assert view.probabilities.shape == (12, 12, 3)
    np.testing.assert_allclose(view.probabilities.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(view.prediction, view.probabilities.argmax(axis=-1))
    line = datasets.linear_regression(n=50, features=1)
    curve = P.grid_view(trainer(DenseSpec(hidden=(5,)), DataSpec(), dataset=line), 40)
    assert curve.ys is None and curve.prediction.shape == (40,) and curve.hidden[0].shape == (5, 40)
    assert curve.probabilities is None


def test_activation_histograms_count_every_unit_on_the_training_set():
    t = trainer(DenseSpec(hidden=(4, 3), activation=("tanh", "relu")))
    tanh, relu = P.activation_histograms(t, bins=10)
    n = len(t.train_data)
    assert tanh.counts.sum() == 4 * n and relu.counts.sum() == 3 * n
    assert (tanh.edges[0], tanh.edges[-1]) == (-1.0, 1.0) and len(tanh.edges) == 11
    assert relu.edges[0] == 0.0


def test_weights_are_copies_per_layer():
    t = trainer(DenseSpec(hidden=(3,)))
    w = P.weights(t)
    assert [(x.weight.shape, x.bias.shape) for x in w] == [((3, 2), (3,)), ((1, 3), (1,))]
    w[0].weight[:] = 99
    assert not np.any(t.model.blocks[0].linear.weight.data == 99)


def test_neuron_formula_with_its_actual_numbers():
    t = trainer(DenseSpec(hidden=(2,)))
    first = t.model.blocks[0].linear
    first.weight.data = np.array([[0.31, -1.2], [0.5, 0.5]])
    first.bias.data = np.array([0.05, 0.0])
    f = P.neuron_formula(t, 1, 0, (1.0, 0.25))
    expected = np.tanh(0.31 - 0.3 + 0.05)
    assert f.value == pytest.approx(expected) and f.z == pytest.approx(0.06)
    assert f.text == "a⁽¹⁾₁ = tanh(0.31·x₁ − 1.2·x₂ + 0.050) = 0.060"
    assert f.substituted == "a⁽¹⁾₁ = tanh(0.31·1.0 − 1.2·0.25 + 0.050) = 0.060"
    out = P.neuron_formula(t, 2, 0, (1.0, 0.25))
    assert out.text.startswith("P(y=1) = σ(") and "·a⁽¹⁾₁" in out.text
    assert out.value == pytest.approx(t.predict([[1.0, 0.25]])[0])
    with pytest.raises(ValueError, match=r"layer must be 1..2 \(1 hidden layers, then the output layer\)"):
        P.neuron_formula(t, 3, 0, (0, 0))
    with pytest.raises(ValueError, match="unit must be 0..1"):
        P.neuron_formula(t, 1, 2, (0, 0))


def test_neuron_formula_shows_batch_norm_and_the_residual_input():
    t = trainer(DenseSpec(hidden=(2,), residual=True, batch_norm=True))
    t.run(5)
    f = P.neuron_formula(t, 1, 1, (0.5, -0.5))
    assert f.text.startswith("a⁽¹⁾₂ = tanh(BN(") and f.text.split(" = ")[1].endswith(")) + x₂")
    assert f.value == pytest.approx(np.tanh(f.normalized) - 0.5)


def test_two_linear_layers_collapse_into_their_product_matrix():
    t = trainer(DenseSpec(hidden=(4, 3), activation="linear", residual=False))
    t.run(10)
    W, b = P.collapse_linear(t)
    w1, w2, w3 = (layer.weight.data for _, layer in t.layers)
    np.testing.assert_allclose(W, w3 @ w2 @ w1)
    X = t.test_data.X
    logit = np.log(t.predict(X) / (1 - t.predict(X)))
    np.testing.assert_allclose(logit, (X @ W.T + b).ravel(), atol=1e-9)
    with pytest.raises(ValueError, match=r"hidden layer 1 \(2→4, tanh\) applies tanh"):
        P.collapse_linear(trainer(DenseSpec(hidden=(4,))))


# -- CNN views -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cnn():
    t = Trainer(Experiment(DataSpec("digits", n=200, test_fraction=0.2),
                           ConvSpec(convs=((3, 3), (4, 3)), batch_norm=True),
                           TrainSpec("Adam", {"lr": 0.01}, batch_size=32)))
    t.run(5)
    return t


def test_kernels_and_feature_maps(cnn):
    assert [k.shape for _, k in P.kernels(cnn)] == [(3, 1, 3, 3), (4, 3, 3, 3)]
    maps = P.feature_maps(cnn, cnn.test_data.X[0])
    assert [(m.name.split(" (")[0], m.maps.shape) for m in maps] == [
        ("convolution 1", (3, 8, 8)), ("batch norm 1", (3, 8, 8)), ("relu 1", (3, 8, 8)),
        ("max-pool 1", (3, 4, 4)), ("convolution 2", (4, 4, 4)), ("batch norm 2", (4, 4, 4)),
        ("relu 2", (4, 4, 4)), ("max-pool 2", (4, 2, 2))]


@pytest.mark.parametrize("cell", [(0, 0, 0), (2, 3, 7), (1, 7, 7)])
def test_explain_a_convolution_cell_as_window_times_kernel_plus_bias(cnn, cell):
    image = cnn.test_data.X[3]
    e = P.explain_cell(cnn, 0, *cell, image)
    c, r, col = cell
    padded = np.pad(image[0], 1)
    conv = cnn.model.stages[0]
    expected = np.sum(padded[r:r + 3, col:col + 3] * conv.weight.data[c, 0]) + conv.bias.data[c]
    assert e.kind == "convolution" and e.products.shape == (1, 3, 3)
    assert e.products.sum() + e.bias == pytest.approx(expected) == pytest.approx(e.value)
    assert e.origin == (r - 1, col - 1)
    assert e.text.endswith(f"(bias) = {P.views.number(e.value)}") and e.text.count("×") == 9


def test_explain_pooling_activation_and_batch_norm_cells(cnn):
    image = cnn.test_data.X[3]
    maps = {m.stage: m.maps for m in P.feature_maps(cnn, image)}
    pool = P.explain_cell(cnn, 3, 1, 2, 1, image)
    np.testing.assert_array_equal(pool.window, maps[2][1, 4:6, 2:4])
    assert pool.value == pool.window.max() == pool.window[pool.winner]
    act = P.explain_cell(cnn, 2, 1, 2, 1, image)
    assert act.kind == "activation" and act.value == max(act.window[0, 0], 0.0)
    bn = P.explain_cell(cnn, 1, 1, 2, 1, image)
    assert bn.kind == "batch norm" and bn.window[0, 0] == maps[0][1, 2, 1]
    deep = P.explain_cell(cnn, 4, 3, 1, 2, image)
    assert deep.products.shape == (3, 3, 3)
    assert deep.products.sum() + deep.bias == pytest.approx(deep.value)


def test_cnn_histograms_cover_its_activation_stages_and_dense_views_refuse_it(cnn):
    hists = P.activation_histograms(cnn, bins=5)
    assert [h.layer for h in hists] == ["relu 1", "relu 2"]
    assert hists[0].counts.sum() == len(cnn.train_data) * 3 * 8 * 8
    with pytest.raises(ValueError, match="a decision-boundary grid needs a fully connected network"):
        P.grid_view(cnn)
    with pytest.raises(ValueError, match="a neuron formula needs a fully connected network"):
        P.neuron_formula(cnn, 1, 0, np.zeros(64))


def test_explain_cell_refuses_stages_without_maps_and_cells_outside(cnn):
    image = cnn.test_data.X[0]
    with pytest.raises(ValueError, match=r"stage 8 has no feature maps; stages with maps: \[0, 1, 2"):
        P.explain_cell(cnn, 8, 0, 0, 0, image)
    with pytest.raises(ValueError, match=r"cell \(0, 4, 0\) is outside the \(3, 4, 4\) feature maps"):
        P.explain_cell(cnn, 3, 0, 4, 0, image)
    with pytest.raises(ValueError, match=r"the image has shape \(8, 8\), the network takes \(1, 8, 8\)"):
        P.feature_maps(cnn, image[0])
