"""``FlatOptimizer``: a base for methods that see all parameters as one vector (Newton, BFGS, CG)."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .line_search import strong_wolfe
from .optimizer import Closure, Optimizer, evaluate, read, read_grad


class FlatOptimizer(Optimizer):
    """One parameter group, read and written as a single flat float64 vector."""

    def __init__(self, params: Iterable, defaults: dict):
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__} doesn't support per-parameter options "
                             "(parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._shapes = [np.shape(p.data) for p in self._params]

    def to(self, device: str) -> "FlatOptimizer":
        """Nothing to move: the state is flat host vectors on any device."""
        return self

    def flat_params(self) -> np.ndarray:
        """All parameters concatenated into one vector (a copy)."""
        return np.concatenate([read(p).ravel() for p in self._params])

    def flat_grad(self) -> np.ndarray:
        """All gradients concatenated (zeros where a parameter has none)."""
        parts = []
        for p, shape in zip(self._params, self._shapes):
            g = read_grad(p)
            parts.append(np.zeros(int(np.prod(shape))) if g is None else g.ravel())
        return np.concatenate(parts)

    def set_flat(self, x: np.ndarray) -> None:
        """Write a flat vector back into the parameters."""
        offset = 0
        for p, shape in zip(self._params, self._shapes):
            n = int(np.prod(shape))
            p.data = x[offset:offset + n].reshape(shape)
            offset += n

    def loss_and_grad(self, closure: Closure) -> tuple[float, np.ndarray]:
        """Evaluate the closure at the current parameters: (loss, flat gradient)."""
        return float(evaluate(closure)), self.flat_grad()

    def directional_evaluate(self, closure: Closure, x: np.ndarray, t: float,
                             d: np.ndarray) -> tuple[float, np.ndarray]:
        """(loss, gradient) at ``x + t d``; the parameters are left at ``x``."""
        self.set_flat(x + t * d)
        loss, g = self.loss_and_grad(closure)
        self.set_flat(x)
        return loss, g

    def move(self, closure: Closure, t: float, d: np.ndarray, loss: float, g: np.ndarray,
             c2: float = 0.9) -> float:
        """Step to ``x + t d``, with t from a strong-Wolfe search when the group asks for one.

        Returns the step length taken.
        """
        group = self.param_groups[0]
        x = self.flat_params()
        if group.get("line_search_fn") == "strong_wolfe":
            _, _, t, _ = strong_wolfe(
                lambda x0, t0, d0: self.directional_evaluate(closure, x0, t0, d0),
                x, t, d, loss, g, float(g @ d), c2=c2, max_ls=group["max_eval"],
                tolerance_change=group["tolerance_change"])
        self.set_flat(x + t * d)
        return t


def first_step_length(g: np.ndarray, lr: float) -> float:
    """PyTorch's first L-BFGS step, min(1, 1/|g|₁)·lr: no larger than lr·g normalised."""
    return min(1.0, 1.0 / np.abs(g).sum()) * lr
