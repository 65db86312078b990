"""engine.generative.rbm: contrastive divergence against the exact log-likelihood gradient of an
RBM small enough to enumerate, training on bars-and-stripes, Gibbs chains and the DBN."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Tensor, gradcheck
from engine.generative.rbm import (RBM, DBNConfig, DBNTrainer, RBMConfig, RBMTrainer, all_states,
                                   cd_loss, free_energy, log_likelihood)
from engine.datasets import load_digits
from engine.generative.rbm_data import bars_and_stripes, binarized_digits
from engine.generative.scenarios import SCENARIOS
from engine.nonfinite import NonFiniteError

N_VISIBLE, N_HIDDEN = 6, 4  # 10 units: 2^10 joint states, enumerable


@pytest.fixture
def small():
    """A small RBM with weights big enough that its distribution is far from uniform, and data."""
    rng = np.random.default_rng(0)
    rbm = RBM(N_VISIBLE, N_HIDDEN, seed=1)
    rbm.W.data = rng.normal(0.0, 1.0, (N_VISIBLE, N_HIDDEN))
    rbm.b.data = rng.normal(0.0, 0.5, N_VISIBLE)
    rbm.c.data = rng.normal(0.0, 0.5, N_HIDDEN)
    data = (rng.random((5, N_VISIBLE)) < 0.5).astype(float)
    return rbm, data


def energy(W, b, c, v, h):
    """E(v, h) = −bᵀv − cᵀh − vᵀWh, the deck's formula, for every pair of rows."""
    return -(v @ b)[:, None] - (h @ c)[None, :] - v @ W @ h.T


def test_free_energy_and_likelihood_match_brute_force_over_v_and_h(small):
    rbm, data = small
    W, b, c = rbm.W.data, rbm.b.data, rbm.c.data
    vs, hs = all_states(N_VISIBLE), all_states(N_HIDDEN)
    joint = np.exp(-energy(W, b, c, vs, hs))           # unnormalised P(v, h)
    np.testing.assert_allclose(free_energy(W, b, c, vs), -np.log(joint.sum(axis=1)), atol=1e-12)
    p_v = joint.sum(axis=1) / joint.sum()
    rows = [int("".join(str(int(x)) for x in v), 2) for v in data]  # counting order
    expected = np.mean(np.log(p_v[rows]))
    assert log_likelihood(W, b, c, data).item() == pytest.approx(expected, abs=1e-12)
    # the mirror formula (summing over the smaller hidden layer) gives the same number
    wide = RBM(N_HIDDEN, N_VISIBLE)
    wide.W.data, wide.b.data, wide.c.data = W.T.copy(), c.copy(), b.copy()
    h_rows = (np.random.default_rng(2).random((3, N_HIDDEN)) < 0.5).astype(float)
    p_h = joint.sum(axis=0) / joint.sum()
    idx = [int("".join(str(int(x)) for x in h), 2) for h in h_rows]
    assert wide.log_likelihood(h_rows).item() == pytest.approx(np.mean(np.log(p_h[idx])), abs=1e-12)


def test_exact_gradient_matches_finite_differences_of_the_exact_log_likelihood(small):
    rbm, data = small
    assert gradcheck(lambda W, b, c: log_likelihood(W, b, c, data),
                     [rbm.W.data, rbm.b.data, rbm.c.data], atol=1e-7, rtol=1e-5)


def exact_gradient(rbm, data):
    """∂(mean log P(data))/∂(W, b, c) from the enumerated likelihood's backward pass."""
    rbm.zero_grad()
    rbm.log_likelihood(data).backward()
    return [p.grad.copy() for p in (rbm.W, rbm.b, rbm.c)]


def expected_cd_gradient(rbm, data, k):
    """E[CD-k estimate], exactly: the Gibbs chain's distribution over all 2^6 visible states after
    k steps from the data (transition matrix T = P(h|v) P(v'|h)), pushed through −∂F/∂θ."""
    vs, hs = all_states(N_VISIBLE), all_states(N_HIDDEN)

    def bern(p, x):  # P(x | p) for every row of p and every binary vector x
        return np.prod(np.where(x[None, :, :] == 1, p[:, None, :], 1 - p[:, None, :]), axis=2)
    T = bern(rbm.hidden_probs(vs), hs) @ bern(rbm.visible_probs(hs), vs)
    rows = [int("".join(str(int(x)) for x in v), 2) for v in data]
    start = np.bincount(rows, minlength=len(vs)) / len(rows)
    after = start @ np.linalg.matrix_power(T, k)
    rbm.zero_grad()
    energies = rbm.free_energy(vs)
    (-((energies * start).sum() - (energies * after).sum())).backward()
    return [p.grad.copy() for p in (rbm.W, rbm.b, rbm.c)]


def relative_error(a, b):
    return np.sqrt(sum(np.sum((x - y) ** 2) for x, y in zip(a, b))) / np.sqrt(sum(np.sum(y ** 2) for y in b))


def test_cd_expectation_converges_to_the_exact_gradient_as_k_grows(small):
    """CD-1 is biased; its bias shrinks with k, and CD-100 equals the exact gradient."""
    rbm, data = small
    exact = exact_gradient(rbm, data)
    errors = [relative_error(expected_cd_gradient(rbm, data, k), exact) for k in (1, 3, 10, 100)]
    assert errors[0] > 0.05  # the test can tell CD-1 from the truth
    assert errors[0] > errors[1] > errors[2] > errors[3]
    assert errors[3] < 1e-6, errors


@pytest.mark.parametrize("k", [1, 30])
def test_sampled_cd_estimate_has_the_expected_mean(small, k):
    """The trainer's own estimate (Gibbs samples, then the backward pass of cd_loss), averaged over
    many chains, matches E[CD-k] within 5 standard errors; for k = 30 that is the exact gradient."""
    rbm, data = small
    chains = 4000
    positive = np.repeat(data, chains, axis=0)
    negative = rbm.sample_after(positive, k, np.random.default_rng(3))
    rbm.zero_grad()
    (-cd_loss(rbm, positive, negative)).backward()
    sampled = [p.grad for p in (rbm.W, rbm.b, rbm.c)]
    target = expected_cd_gradient(rbm, data, k) if k == 1 else exact_gradient(rbm, data)
    tolerance = 5 * 0.5 / np.sqrt(len(positive))  # each term of the mean lies in [-1, 1]
    for s, t in zip(sampled, target):
        np.testing.assert_allclose(s, t, atol=tolerance)


def test_reconstruction_error_falls_by_half_on_bars_and_stripes():
    scenario = SCENARIOS["rbm-bars"]
    trainer = scenario.trainers()[0]
    before = trainer.reconstruction_error()
    ll_before = trainer.log_likelihood()
    trainer.train(500)
    after = trainer.reconstruction_error()
    assert after <= 0.5 * before, (before, after)
    assert trainer.log_likelihood() > ll_before + 2.0
    assert trainer.history[-1].free_energy < trainer.history[0].free_energy


def test_persistent_cd_keeps_its_chains_between_updates():
    trainer = RBMTrainer(RBMConfig(persistent=True, k=2, seed=0))
    trainer.train_step()
    kept = trainer.chains.copy()
    start = []
    original = trainer.rbm.sample_after
    trainer.rbm.sample_after = lambda v, k, rng: start.append(v.copy()) or original(v, k, rng)
    trainer.train_step()
    np.testing.assert_array_equal(start[0], kept)
    assert not np.array_equal(trainer.chains, kept)


def test_views_filters_reconstructions_and_gibbs_chain():
    trainer = RBMTrainer(RBMConfig(n_hidden=6, seed=0))
    trainer.train(5)
    filters = trainer.filters()
    assert filters.shape == (6, 4, 4)
    np.testing.assert_array_equal(filters[2].ravel(), trainer.rbm.W.data[:, 2])
    inputs, recon = trainer.reconstructions(4)
    assert inputs.shape == recon.shape == (4, 4, 4) and np.all((recon > 0) & (recon < 1))
    chain = trainer.gibbs_chain(steps=5, chains=3, start="random", seed=1)
    assert len(chain) == 6
    assert chain[0].v.shape == (3, 4, 4) and chain[0].h.shape == (3, 6)
    for step in chain:
        assert set(np.unique(step.v)) <= {0.0, 1.0} and set(np.unique(step.h)) <= {0.0, 1.0}
    # each h is drawn from P(h | the v of its step), each v from P(v | the previous step's h)
    np.testing.assert_allclose(chain[3].h_prob, trainer.rbm.hidden_probs(chain[3].v.reshape(3, -1)))
    np.testing.assert_allclose(chain[3].v_prob.reshape(3, -1), trainer.rbm.visible_probs(chain[2].h))
    with pytest.raises(ValueError, match="start must be 'data' or 'random'"):
        trainer.gibbs_chain(start="zeros")


def test_bars_and_stripes_are_every_pattern_once():
    images = bars_and_stripes(4)
    assert images.shape == (30, 4, 4)
    assert len({im.tobytes() for im in images}) == 30
    for im in images:
        rows_uniform = all(len(set(r)) == 1 for r in im)
        cols_uniform = all(len(set(c)) == 1 for c in im.T)
        assert rows_uniform or cols_uniform


def test_binarised_digits_come_from_the_shared_loader():
    images = binarized_digits()
    grey, _ = load_digits()
    assert images.shape == (len(grey), 8, 8) and set(np.unique(images)) == {0.0, 1.0}
    np.testing.assert_array_equal(images, grey[:, 0] > 0.5)
    scenario = SCENARIOS["rbm-digits"]
    trainer = scenario.trainers()[0]
    before = trainer.reconstruction_error()
    trainer.train(scenario.steps)
    assert trainer.reconstruction_error() < before / 3
    assert trainer.filters().shape == (32, 8, 8)


def test_dbn_trains_greedily_layer_by_layer():
    scenario = SCENARIOS["dbn-bars"]
    dbn = scenario.trainers()[0]
    reports = []
    dbn.train(scenario.steps, on_step=reports.append)
    per_layer = dbn.config.steps_per_layer
    assert [r.layer for r in reports] == [0] * per_layer + [1] * per_layer
    assert len(dbn.rbms) == 2 and dbn.done
    lower, upper = dbn.trainers
    assert upper.data.shape == (30, 16)
    np.testing.assert_allclose(upper.data, lower.rbm.hidden_probs(lower.data))  # the frozen code
    for layer in (0, 1):
        errors = [r.report.reconstruction_error for r in reports if r.layer == layer]
        assert np.mean(errors[-50:]) <= 0.5 * np.mean(errors[:50]), layer
    assert dbn.reconstruction_error() < 0.1
    samples = dbn.sample(n=5, gibbs_steps=50)
    assert samples.shape == (5, 4, 4) and np.all((samples >= 0) & (samples <= 1))
    assert dbn.filters(1).shape == (12, 4, 4)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN arithmetic is the point here
def test_nan_in_training_names_the_step_and_the_model():
    trainer = RBMTrainer(RBMConfig(seed=0))
    trainer.train(3)
    trainer.rbm.W.data[0, 0] = np.nan
    before = trainer.rbm.c.data.copy()
    with pytest.raises(NonFiniteError, match="training step 3, RBM: the free energy is not finite"):
        trainer.train_step()
    np.testing.assert_array_equal(trainer.rbm.c.data, before)
    dbn = DBNTrainer(DBNConfig(layers=(4, 3), steps_per_layer=2))
    dbn.train(3)
    dbn.rbms[1].W.data[0, 0] = np.inf
    with pytest.raises(NonFiniteError, match="training step 1, DBN layer 2"):
        dbn.train_step()


def test_training_stops_when_asked_between_steps():
    trainer = RBMTrainer(RBMConfig(seed=0))
    seen = []
    assert trainer.train(100, on_step=seen.append, should_stop=lambda: len(seen) >= 2) == 2


def test_config_errors_are_clear():
    with pytest.raises(ValueError, match="no RBM data set 'mnist'"):
        RBMConfig(data="mnist")
    with pytest.raises(ValueError, match="k >= 1"):
        RBMConfig(k=0)
    with pytest.raises(ValueError, match="at most 2\\^20"):
        log_likelihood(Tensor(np.zeros((21, 21))), np.zeros(21), np.zeros(21), np.zeros((1, 21)))
