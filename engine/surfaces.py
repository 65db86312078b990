"""2-D test functions for optimizer races, written once for engine Values and NumPy grids.

``f(x, y)`` uses only arithmetic and :mod:`engine.prims.dispatch` functions, so the
same code gives a recorded graph (gradients and Hessians by autodiff) when called
on ``Value``s and a height map when called on arrays (contour plots).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import numpy as np

from .node import Node
from .optim import OPTIMIZERS
from .prims.dispatch import cos
from .value import Value

Window = tuple[float, float, float, float]
"""(x_min, x_max, y_min, y_max) of a plot."""


@dataclass(frozen=True)
class Surface:
    """A test function with what a plot and a race need to know about it."""

    name: str
    formula: str
    f: Callable[[Any, Any], Any]
    minima: tuple[tuple[float, float], ...]
    window: Window
    log_color: bool
    start: tuple[float, float]
    noise: float = 0.0
    """Standard deviation of the gradient noise; 0 for exact gradients."""
    description: str = field(default="", compare=False)

    def __call__(self, x, y):
        """The noise-free function value (Values in: a recorded graph)."""
        return self.f(x, y)

    def loss(self, x, y, draw: tuple[float, float] = (0.0, 0.0)):
        """A stochastic loss: f + a·x + b·y for a noise draw (a, b), so ∇ gets (a, b) added.

        Its expectation over zero-mean draws is f: a "minibatch" version of the surface.
        """
        a, b = draw
        if a == 0 and b == 0:
            return self.f(x, y)
        return self.f(x, y) + a * x + b * y

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs, ys, Z) on an n×n grid over the window, Z[i, j] = f(xs[i], ys[j])."""
        x0, x1, y0, y1 = self.window
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        with np.errstate(all="ignore"):
            z = self.f(xs[:, None], ys[None, :])
        return xs, ys, np.broadcast_to(z, (n, n)).astype(np.float64)

    @property
    def min_value(self) -> float | None:
        """f at the known global minimum, or None when f is unbounded below."""
        return float(self.f(*self.minima[0])) if self.minima else None


def _bowl(x, y): return x ** 2 + y ** 2
def _canyon(x, y): return 0.05 * x ** 2 + 2.5 * y ** 2
def _rosenbrock(x, y): return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2
def _himmelblau(x, y): return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2
def _saddle(x, y): return x ** 2 - y ** 2
def _monkey_saddle(x, y): return x ** 3 - 3 * x * y ** 2


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def _rastrigin(x, y):
    two_pi = 2 * math.pi
    return 20 + x ** 2 - 10 * cos(two_pi * x) + y ** 2 - 10 * cos(two_pi * y)


def noisy(surface: Surface, sigma: float) -> Surface:
    """The same surface with stochastic gradients of standard deviation ``sigma`` per coordinate."""
    return replace(surface, name=f"noisy {surface.name}", noise=sigma,
                   formula=f"{surface.formula} + ξ·w,  ξ ~ N(0, {sigma:g}²)",
                   description=f"{surface.description} Gradients carry seeded noise, as with minibatches.")


BOWL = Surface("bowl", "L = x² + y²", _bowl, ((0.0, 0.0),), (-2, 2, -2, 2), True, (-1.5, 1.6),
               description="Round and convex: every method gets there.")
CANYON = Surface("canyon", "L = 0.05·x² + 2.5·y²", _canyon, ((0.0, 0.0),), (-10, 10, -3, 3), True,
                 (-9.0, 2.0), description="Ill-conditioned (κ = 50): plain SGD zig-zags across the "
                 "valley, momentum rolls along it.")
ROSENBROCK = Surface("rosenbrock", "L = (1 − x)² + 100·(y − x²)²", _rosenbrock, ((1.0, 1.0),),
                     (-2, 2, -1, 3), True, (-1.2, 1.0),
                     description="A curved, flat-bottomed banana valley.")
BEALE = Surface("beale", "L = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²", _beale,
                ((3.0, 0.5),), (-1.0, 5.0, -2.5, 2.0), True, (0.7, 1.4),
                description="Flat plateaus and steep walls; the lecture's 'all together' race.")
HIMMELBLAU = Surface("himmelblau", "L = (x² + y − 11)² + (x + y² − 7)²", _himmelblau,
                     ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                      (3.584428, -1.848126)), (-5, 5, -5, 5), True, (-0.3, -0.9),
                     description="Four equal minima: where you start decides where you end.")
SADDLE = Surface("saddle", "L = x² − y²", _saddle, (), (-1.5, 1.5, -1.5, 1.5), False, (-1.4, 0.01),
                 description="A saddle point at 0: the gradient vanishes but it is no minimum.")
MONKEY_SADDLE = Surface("monkey saddle", "L = x³ − 3xy²", _monkey_saddle, (), (-1.5, 1.5, -1.5, 1.5),
                        False, (1.2, 0.05), description="A degenerate saddle: flat in every direction.")
RASTRIGIN = Surface("rastrigin", "L = 20 + Σ (w² − 10·cos 2πw)", _rastrigin, ((0.0, 0.0),),
                    (-5.12, 5.12, -5.12, 5.12), False, (3.2, 2.7),
                    description="A bowl covered in local minima.")
NOISY_CANYON = noisy(CANYON, 1.0)

SURFACES: dict[str, Surface] = {s.name: s for s in (
    BOWL, CANYON, ROSENBROCK, BEALE, HIMMELBLAU, SADDLE, MONKEY_SADDLE, RASTRIGIN, NOISY_CANYON)}
"""Every surface by name, in menu order."""


@dataclass
class Trajectory:
    """Where an optimizer went: points (N+1, 2) and the noise-free loss at each."""

    points: np.ndarray
    losses: np.ndarray
    diverged_at: int | None = None
    """First step whose point was non-finite or far outside the window; later rows are NaN."""


_FAILURES = (OverflowError, FloatingPointError, ZeroDivisionError, np.linalg.LinAlgError)


def run(optimizer_name: str, hyperparams: Mapping[str, Any], surface: Surface,
        start: tuple[float, float] | None = None, steps: int = 100, seed: int = 0) -> Trajectory:
    """Optimize ``surface`` from ``start`` for ``steps`` steps; gradients from the engine.

    Every optimizer gets the closure ``zero_grad; loss; backward`` (first-order ones
    just use its gradient); L-BFGS defaults to one iteration per step so that a step
    is one move on the plot.  Noise draws are seeded and fixed within a step.
    """
    x0, y0 = surface.start if start is None else start
    x, y = Value(x0, name="x"), Value(y0, name="y")
    hp = dict(hyperparams)
    if optimizer_name == "LBFGS":
        hp.setdefault("max_iter", 1)
        hp.setdefault("max_eval", 25)
    opt = OPTIMIZERS[optimizer_name]([x, y], **hp)
    rng = np.random.default_rng(seed)
    draw = [(0.0, 0.0)]

    def closure() -> Node:
        opt.zero_grad()
        loss = surface.loss(x, y, draw[0])
        loss.backward()
        return loss

    x_span = surface.window[1] - surface.window[0]
    y_span = surface.window[3] - surface.window[2]
    limit = 1e3 * max(x_span, y_span)
    points = np.full((steps + 1, 2), np.nan)
    points[0] = x0, y0
    diverged_at = None
    with np.errstate(all="ignore"):
        for i in range(1, steps + 1):
            if surface.noise:
                draw[0] = tuple(surface.noise * rng.standard_normal(2))
            try:
                opt.step(closure)
            except _FAILURES:
                diverged_at = i
                break
            p = (x.data, y.data)
            if np.all(np.isfinite(p)):
                points[i] = p  # kept even when far off: the path shows where it went
            if not (np.all(np.isfinite(p)) and max(abs(p[0]), abs(p[1])) < limit):
                diverged_at = i
                break
        losses = np.asarray(surface.f(points[:, 0], points[:, 1]), dtype=np.float64)
    return Trajectory(points, losses, diverged_at)
