"""engine.generative.gan: the ring is covered on the default settings and collapses in the
collapse scenario; the lab's views (heatmap, arrows, warped grid) are what they claim."""
from __future__ import annotations

import numpy as np
import pytest

import engine.functional as F
from engine import Tensor
from engine.generative import gan_targets as targets
from engine.generative.gan import GANConfig, GANTrainer
from engine.generative.scenarios import SCENARIOS
from engine.nonfinite import NonFiniteError

FAIR = 1000 / 8


def trained(scenario_id: str) -> GANTrainer:
    scenario = SCENARIOS[scenario_id]
    trainer = scenario.trainers()[0]
    trainer.train(scenario.steps)
    return trainer


def test_default_ring_covers_all_eight_modes():
    """Covered: each of the 8 modes gets at least 5% of 1,000 samples (40% of its fair share)
    within 3σ of its centre, and no 3 modes are nearest to more than 60% of all samples."""
    cover = trained("gan-ring").coverage(1000)
    assert cover.counts.min() >= 0.4 * FAIR, cover.counts
    assert cover.modes_covered == 8
    assert cover.quality >= 0.6 and cover.concentration(3) <= 0.6, cover


def test_collapse_scenario_collapses_onto_at_most_three_modes():
    """Collapsed: at most 3 modes covered (each counted as above, >= 1/4 of the fair share) and
    at least 90% of all samples nearest to just 3 of the 8 centres."""
    cover = trained("gan-collapse").coverage(1000)
    assert cover.modes_covered <= 3, cover
    assert cover.concentration(3) >= 0.9, cover


def test_coverage_counts_a_known_sample():
    ring = targets.ring()
    rng = np.random.default_rng(0)
    even = ring.sample(8000, rng)
    cover = targets.mode_coverage(even, ring)
    assert cover.modes_covered == 8 and cover.quality == pytest.approx(1 - np.exp(-4.5), abs=0.005)  # 3σ in 2-D
    one = ring.centers[[2]] + 0.05 * rng.standard_normal((1000, 2))
    collapsed = targets.mode_coverage(one, ring)
    assert collapsed.modes_covered == 1 and collapsed.counts[2] == 1000
    assert collapsed.concentration(1) == 1.0
    with pytest.raises(ValueError, match="has no separate modes"):
        targets.mode_coverage(even, targets.two_moons())


def test_every_target_samples_points():
    rng = np.random.default_rng(0)
    for name in ("ring", "moons", "line"):
        pts = targets.TARGETS[name]().sample(50, rng)
        assert pts.shape == (50, 2) and np.all(np.isfinite(pts)) and np.abs(pts).max() < 3.0
    drawn = targets.point_set([[0.0, 1.0], [1.0, 0.0]], noise=0.0).sample(20, rng)
    assert {tuple(p) for p in drawn} <= {(0.0, 1.0), (1.0, 0.0)}
    with pytest.raises(ValueError, match=r"\(n, 2\) coordinates"):
        targets.point_set([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="finite"):
        targets.point_set([[np.nan, 0.0]])
    trainer = GANTrainer(GANConfig(target="points", points=((0.5, 0.5), (-1.0, 1.0))))
    assert trainer.train_step().d_loss is not None


@pytest.mark.parametrize("loss", ["non_saturating", "minimax"])
def test_point_gradients_are_the_derivative_of_each_points_generator_loss(loss):
    trainer = GANTrainer(GANConfig(generator_loss=loss, seed=4))
    trainer.train(20)
    x = np.random.default_rng(1).normal(size=(5, 2))
    grad = trainer.point_gradients(x)
    d_of = trainer.discriminate

    def per_point_loss(p):
        d = d_of(p)
        return -np.log(d) if loss == "non_saturating" else np.log(1.0 - d)
    for i in range(5):
        for j in range(2):
            step = np.zeros_like(x)
            step[i, j] = 1e-6
            numeric = (per_point_loss(x + step)[i] - per_point_loss(x - step)[i]) / 2e-6
            assert grad[i, j] == pytest.approx(numeric, rel=1e-4, abs=1e-8)
    assert all(p.grad is None for p in trainer.discriminator.parameters())


def test_minimax_gradient_vanishes_where_the_discriminator_is_sure():
    """log(1 − D(G(z))) is flat where D(G(z)) ≈ 0, −log D(G(z)) is not: why the non-saturating
    loss is used (the lecture's saturation argument)."""
    logits = Tensor(np.array([-8.0]), requires_grad=True)
    F.softplus(-logits).sum().backward()
    non_saturating = abs(logits.grad[0])
    logits.grad = None
    (-F.softplus(logits)).sum().backward()
    assert abs(logits.grad[0]) < 1e-3 < non_saturating


def test_frame_has_everything_the_lab_draws():
    trainer = GANTrainer(GANConfig(seed=0), view_points=64)
    trainer.train(5)
    frame = trainer.frame(resolution=16)
    assert frame.real.shape == frame.fake.shape == frame.gradient.shape == (64, 2)
    np.testing.assert_array_equal(frame.fake, trainer.generate(trainer.view_z))
    assert frame.heat.shape == (16, 16) and np.all((frame.heat > 0) & (frame.heat < 1))
    # heat[row, col] is D at (xs[col], ys[row])
    np.testing.assert_allclose(frame.heat[3, 5], trainer.discriminate(np.array([[frame.xs[5], frame.ys[3]]]))[0])
    assert frame.grid_lines.shape == (22, 41, 2)
    z = np.array([[np.linspace(-2.5, 2.5, 41)[7], -2.5]])  # line 0 of constant z2 = -2.5, point 7
    np.testing.assert_allclose(frame.grid_lines[0, 7], trainer.generate(z)[0])


def test_d_and_g_step_separately_and_k_steps_per_round():
    trainer = GANTrainer(GANConfig(d_steps=3, g_steps=1, seed=0))
    g_before = [p.data.copy() for p in trainer.generator.parameters()]
    d_before = [p.data.copy() for p in trainer.discriminator.parameters()]
    trainer.step_discriminator()
    assert all(np.array_equal(a, p.data) for a, p in zip(g_before, trainer.generator.parameters()))
    assert not all(np.array_equal(a, p.data) for a, p in zip(d_before, trainer.discriminator.parameters()))
    d_mid = [p.data.copy() for p in trainer.discriminator.parameters()]
    trainer.step_generator()
    assert all(np.array_equal(a, p.data) for a, p in zip(d_mid, trainer.discriminator.parameters()))
    report = trainer.train_step()
    assert trainer.opt_d.state[next(iter(trainer.discriminator.parameters()))]["step"] == 4
    assert trainer.opt_g.state[next(iter(trainer.generator.parameters()))]["step"] == 2
    assert 0 < report.d_real < 1 and 0 < report.d_fake < 1
    only_d = GANTrainer(GANConfig(g_steps=0)).train_step()
    assert only_d.g_loss is None and only_d.d_loss is not None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN arithmetic is the point here
def test_nan_in_training_names_the_step_and_the_model():
    trainer = GANTrainer(GANConfig(seed=0))
    trainer.train(2)
    trainer.generator[0].weight.data[0, 0] = np.nan
    with pytest.raises(NonFiniteError, match="training step 2, the discriminator: the loss is not finite"):
        trainer.train_step()
    trainer = GANTrainer(GANConfig(seed=0, d_steps=0))
    trainer.generator[0].weight.data[0, 0] = np.nan
    with pytest.raises(NonFiniteError, match="step 0, the generator"):
        trainer.train_step()


def test_training_stops_when_asked_between_steps():
    trainer = GANTrainer(GANConfig(seed=0))
    seen = []
    assert trainer.train(100, on_step=seen.append, should_stop=lambda: len(seen) >= 4) == 4
    assert trainer.steps_done == 4


def test_config_errors_are_clear():
    with pytest.raises(ValueError, match="generator_loss must be one of"):
        GANConfig(generator_loss="wasserstein")
    with pytest.raises(ValueError, match="no GAN target 'spiral'"):
        GANConfig(target="spiral")
    with pytest.raises(ValueError, match="give points exactly when"):
        GANConfig(target="points")
    with pytest.raises(ValueError, match="not both 0"):
        GANConfig(d_steps=0, g_steps=0)
