"""engine.optim against torch.optim, scipy and the textbook convergence facts."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from engine import Tensor, Value
from engine import optim
from engine.surfaces import BEALE, ROSENBROCK, SADDLE, run

FIRST_ORDER = [
    ("SGD", dict(lr=1e-3)),
    ("SGD", dict(lr=1e-3, momentum=0.9)),
    ("SGD", dict(lr=1e-3, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.5)),
    ("Adagrad", dict(lr=0.5, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.95, weight_decay=0.01)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
]


def torch_trajectory(torch, name, hp, surface, start, steps, **extra):
    """The same race with torch.optim on float64 tensors."""
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([w], **hp, **extra)
    points = [w.detach().numpy().copy()]

    def closure():
        opt.zero_grad()
        loss = surface.f(w[0], w[1])
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
        points.append(w.detach().numpy().copy())
    return np.array(points)


@pytest.mark.parametrize("surface", [ROSENBROCK, BEALE], ids=lambda s: s.name)
@pytest.mark.parametrize("name,hp", FIRST_ORDER, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FIRST_ORDER)])
def test_first_order_matches_torch(torch, name, hp, surface):
    ours = run(name, hp, surface, steps=50).points
    theirs = torch_trajectory(torch, name, hp, surface, surface.start, 50)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


def test_tensor_params_match_torch(torch):
    """Array parameters (a least-squares fit) step exactly as torch's."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(8, 3)), rng.normal(size=8)
    ours = Tensor(np.zeros(3), requires_grad=True)
    theirs = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt_ours = optim.Adam([ours], lr=0.1)
    opt_theirs = torch.optim.Adam([theirs], lr=0.1)
    ta, tb = torch.tensor(a), torch.tensor(b)
    for _ in range(20):
        opt_ours.zero_grad()
        ((Tensor(a) @ ours - b) ** 2).mean().backward()
        opt_ours.step()
        opt_theirs.zero_grad()
        ((ta @ theirs - tb) ** 2).mean().backward()
        opt_theirs.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
@pytest.mark.parametrize("surface", [ROSENBROCK, BEALE], ids=lambda s: s.name)
def test_lbfgs_matches_torch(torch, surface, line_search):
    hp = dict(lr=1.0 if line_search else 0.01, history_size=5, line_search_fn=line_search,
              max_iter=1, max_eval=25)
    ours = run("LBFGS", hp, surface, steps=30).points
    theirs = torch_trajectory(torch, "LBFGS", hp, surface, surface.start, 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


def test_lbfgs_full_step_matches_torch(torch):
    """torch's default: up to 20 iterations inside one step(closure)."""
    hp = dict(line_search_fn="strong_wolfe")
    x, y = Value(-1.2), Value(1.0)
    opt = optim.LBFGS([x, y], **hp)

    def closure():
        opt.zero_grad()
        loss = ROSENBROCK.f(x, y)
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    theirs = torch_trajectory(torch, "LBFGS", hp, ROSENBROCK, ROSENBROCK.start, 3)
    np.testing.assert_allclose([x.data, y.data], theirs[-1], rtol=1e-8)


def test_lbfgs_reaches_rosenbrock_minimum_like_scipy():
    ours = run("LBFGS", dict(line_search_fn="strong_wolfe", history_size=10), ROSENBROCK, steps=100)
    assert np.abs(ours.points[-1] - (1, 1)).max() < 1e-4
    scipy_optimize = pytest.importorskip("scipy.optimize")
    ref = scipy_optimize.minimize(lambda w: ROSENBROCK.f(w[0], w[1]), [-1.2, 1.0], method="L-BFGS-B")
    assert ref.nit <= 100
    np.testing.assert_allclose(ours.points[-1], ref.x, atol=1e-4)


def test_newton_converges_on_rosenbrock_fast():
    traj = run("Newton", {}, ROSENBROCK, steps=30)
    first = np.argmax(np.abs(traj.points - (1, 1)).max(axis=1) < 1e-8)
    assert 0 < first < 30


def test_newton_uses_engine_hessian():
    x, y = Value(-1.2), Value(1.0)
    opt = optim.Newton([x, y])

    def closure():
        opt.zero_grad()
        loss = ROSENBROCK.f(x, y)
        loss.backward()
        return loss

    opt.step(closure)
    h = opt.state[x]["hessian"]
    np.testing.assert_allclose(h, [[2 - 400 * (1 - 1.44) + 800 * 1.44, 480], [480, 200]])


def test_newton_on_saddle_plain_jumps_damped_escapes():
    plain = run("Newton", dict(ensure_descent=False), SADDLE, steps=3)
    np.testing.assert_allclose(plain.points[1], (0, 0), atol=1e-12)  # straight to the saddle
    damped = run("Newton", {}, SADDLE, steps=3)
    assert damped.losses[-1] < SADDLE.f(*SADDLE.start) - 0.1


def test_newton_on_tensor_params():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(10, 3)), rng.normal(size=10)
    w = Tensor(np.zeros(3), requires_grad=True)
    opt = optim.Newton([w])

    def closure():
        opt.zero_grad()
        loss = ((Tensor(a) @ w - b) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)  # one Newton step solves a least-squares problem exactly
    np.testing.assert_allclose(w.data, np.linalg.lstsq(a, b, rcond=None)[0], rtol=1e-9)


@pytest.mark.parametrize("name,hp", [("BFGS", {}), ("ConjugateGradient", dict(beta="PR")),
                                     ("ConjugateGradient", dict(beta="FR"))])
def test_quasi_newton_and_cg_converge_on_rosenbrock(name, hp):
    traj = run(name, hp, ROSENBROCK, steps=200 if hp.get("beta") == "FR" else 60)
    assert np.abs(traj.points[-1] - (1, 1)).max() < 1e-4


def test_cg_on_quadratic_finishes_in_n_steps():
    """Linear CG's promise: n exact line searches minimize an n-dim quadratic."""
    from engine.surfaces import CANYON
    traj = run("ConjugateGradient", {}, CANYON, steps=2)
    assert np.abs(traj.points[2]).max() < 1e-6


SCHEDULES = [("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.9)),
             ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01))]


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=[n for n, _ in SCHEDULES])
def test_schedulers_match_torch(torch, name, kw):
    w = Value(1.0)
    opt = optim.SGD([w], lr=0.5)
    sched = getattr(optim, name)(opt, **kw)
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    t_sched = getattr(torch.optim.lr_scheduler, name)(t_opt, **kw)
    ours, theirs = [], []
    for _ in range(25):
        ours.append(sched.get_last_lr()[0])
        theirs.append(t_sched.get_last_lr()[0])
        opt.step()
        sched.step()
        t_opt.step()
        t_sched.step()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert opt.param_groups[0]["lr"] == sched.get_last_lr()[0]


FIRST_ORDER_NAMES = ("SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW")
CLOSURE_METHODS = {"Newton": dict(lr=0.5), "BFGS": {}, "LBFGS": dict(line_search_fn="strong_wolfe"),
                   "ConjugateGradient": {}, "SGD": dict(momentum=0.9, nesterov=True)}


@settings(max_examples=25, deadline=None)
@given(a=st.floats(0.1, 10), b=st.floats(0.1, 10), c=st.floats(-0.9, 0.9),
       x0=st.floats(-3, 3), y0=st.floats(-3, 3))
def test_every_optimizer_decreases_a_convex_quadratic(a, b, c, x0, y0):
    """L = a x² + b y² + 2c·√(ab)·xy (positive definite): a small enough step always helps.

    Adaptive methods take steps of about lr per coordinate whatever the gradient, so
    "small enough" is lr ≪ |g|₁ / curvature; line-search methods pick their own step.
    """
    k = c * math.sqrt(a * b)
    g1 = abs(2 * a * x0 + 2 * k * y0) + abs(2 * b * y0 + 2 * k * x0)
    if g1 < 1e-3:  # already optimal to the closure methods' tolerances (gᵀd > -1e-9 stops them)
        return
    curvature = 2 * (max(a, b) + abs(k))  # bounds the Hessian's largest eigenvalue
    small = 0.01 * min(g1, 1.0) / curvature
    runs = [(n, dict(lr=small)) for n in FIRST_ORDER_NAMES] + list(CLOSURE_METHODS.items())
    for name, hp in runs:
        w = [Value(x0), Value(y0)]
        hp = dict(hp)
        if name == "SGD":
            hp["lr"] = small
        opt = optim.OPTIMIZERS[name](w, **hp)

        def loss_fn():
            return a * w[0] ** 2 + b * w[1] ** 2 + 2 * k * w[0] * w[1]

        def closure():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss

        before = loss_fn().data
        opt.step(closure)
        assert loss_fn().data < before, name


def test_param_groups_state_and_zero_grad():
    w, v = Value(1.0), Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": [v], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    (w * 2).backward()
    (v * 3).sum().backward()
    opt.step()
    assert w.data == pytest.approx(0.8) and np.allclose(v.data, -0.5)
    assert "momentum_buffer" in opt.state[w]
    opt.zero_grad()
    assert w.grad == 0.0 and v.grad is None


@pytest.mark.parametrize("name, hp", [("LBFGS", dict(line_search_fn="strong_wolfe")), ("BFGS", {})])
def test_a_line_search_with_lr_zero_stays_put_instead_of_dividing_by_zero(name, hp):
    """Found by the monkey (bench/monkey.py): lr = 0 in the MLP tab made the cubic's interval empty."""
    x, y = Value(-1.2), Value(1.0)
    opt = optim.OPTIMIZERS[name]([x, y], lr=0.0, **hp)

    def closure():
        opt.zero_grad()
        loss = ROSENBROCK.f(x, y)
        loss.backward()
        return loss

    for _ in range(2):
        opt.step(closure)
    assert (x.data, y.data) == (-1.2, 1.0)


def test_the_cubic_of_huge_slopes_overflows_like_floats_do_not_with_an_exception():
    from engine.optim.line_search import cubic_interpolate
    assert isinstance(cubic_interpolate(0.0, 0.0, 1e200, 1.0, 1.0, 1e200), float)  # was OverflowError
    assert cubic_interpolate(2.0, 0.0, -1.0, 2.0, 0.0, 1.0, bounds=(2.0, 4.0)) == 3.0


def test_adam_with_zero_eps_at_a_zero_gradient_gives_nan_quietly_as_torch():
    """0/0 in the update is torch's nan (the trainers then pause and say where), not a numpy warning."""
    import warnings

    from engine import Tensor, optim
    w = Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([w], lr=0.1, eps=0.0)
    w.grad = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert np.isnan(w.data).all()
