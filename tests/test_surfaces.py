"""Test surfaces: one formula for Values and grids, known minima, races, toy data."""
import numpy as np
import pytest

from engine import Value, grad, hessian
from engine.surfaces import BEALE, CANYON, NOISY_CANYON, SADDLE, SURFACES, run


@pytest.mark.parametrize("surface", SURFACES.values(), ids=lambda s: s.name)
def test_value_and_grid_agree(surface):
    xs, ys, z = surface.grid(40)
    assert z.shape == (40, 40) and np.all(np.isfinite(z))
    i, j = 7, 29
    assert surface(Value(xs[i]), Value(ys[j])).data == pytest.approx(z[i, j], rel=1e-12)


@pytest.mark.parametrize("surface", [s for s in SURFACES.values() if s.minima], ids=lambda s: s.name)
def test_known_minima_are_minima(surface):
    for mx, my in surface.minima:
        x, y = Value(mx), Value(my)
        g = grad(surface(x, y), [x, y])
        assert np.abs(g).max() < 1e-3 * max(1.0, abs(surface.f(mx + 1, my + 1)))
        assert np.all(np.linalg.eigvalsh(hessian(surface.f, (mx, my))) > 0)
    x0, x1, y0, y1 = surface.window
    assert all(x0 <= mx <= x1 and y0 <= my <= y1 for mx, my in surface.minima)


def test_saddle_hessian_is_indefinite():
    assert sorted(np.linalg.eigvalsh(hessian(SADDLE.f, (0.0, 0.0)))) == pytest.approx([-2, 2])


def test_run_shapes_and_losses():
    traj = run("Adam", dict(lr=0.1), BEALE, steps=25)
    assert traj.points.shape == (26, 2) and traj.losses.shape == (26,)
    assert traj.losses[0] == pytest.approx(BEALE.f(*BEALE.start))
    assert traj.losses[-1] < traj.losses[0] and traj.diverged_at is None


def test_divergence_is_marked_not_raised():
    traj = run("SGD", dict(lr=1.5), CANYON, steps=400)
    assert traj.diverged_at is not None
    assert np.all(np.isnan(traj.points[traj.diverged_at + 1:]))
    assert np.all(np.isfinite(traj.points[:traj.diverged_at]))


def test_noisy_surface_is_seeded_and_stochastic():
    a = run("SGD", dict(lr=0.1), NOISY_CANYON, steps=20, seed=3)
    b = run("SGD", dict(lr=0.1), NOISY_CANYON, steps=20, seed=3)
    c = run("SGD", dict(lr=0.1), CANYON, steps=20)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)
    np.testing.assert_allclose(a.losses, CANYON.f(a.points[:, 0], a.points[:, 1]))
