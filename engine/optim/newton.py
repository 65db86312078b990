"""Newton-Raphson with the exact Hessian from the engine's double backward, damped when needed."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..autodiff import grad
from ..node import Node, enable_grad
from .flat import FlatOptimizer
from .optimizer import Closure, evaluate


def flat_hessian(loss: Node, params: list[Node]) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, Hessian) of ``loss`` w.r.t. ``params``, flattened; Hessian rows by double backward."""
    with enable_grad():
        firsts = grad(loss, params, create_graph=True)
    sizes = [int(np.size(p.data)) for p in params]
    g = np.concatenate([np.ravel(gi.data if isinstance(gi, Node) else gi) for gi in firsts])
    rows = []
    for gi, size in zip(firsts, sizes):
        for k in range(size):
            if not (isinstance(gi, Node) and gi.requires_grad):  # gradient is constant here
                rows.append(np.zeros(g.size))
                continue
            seed = None if gi.shape == () else np.eye(1, size, k).reshape(gi.shape)
            second = grad(gi, params, grad_output=seed)
            rows.append(np.concatenate([np.ravel(np.asarray(h, dtype=np.float64)) for h in second]))
    h = np.array(rows)
    return g, (h + h.T) / 2


class Newton(FlatOptimizer):
    r"""Newton-Raphson: :math:`w_{i+1} \leftarrow w_i - \alpha (H_L + \lambda I)^{-1} \frac{\partial L}{\partial w}`.

    α is ``lr``; H is the exact Hessian (double backward, so the closure must return the
    loss node it built).  With ``damping`` λ > 0 the step is Levenberg-damped.  Where
    :math:`H + \lambda I` is not positive definite (a saddle, a concave region) plain
    Newton walks *towards* the stationary point (the lecture's "any drawbacks?");
    with ``ensure_descent`` λ grows by :math:`2|\lambda_{min}|` so every curvature is
    positive and the step goes downhill.  The Hessian, the eigenvalues and λ used
    are kept in ``state`` for the UI.  Costs O(n) backward passes and an O(n³)
    solve per step: meant for small problems.
    """

    def __init__(self, params: Iterable, lr: float = 1.0, damping: float = 0.0,
                 ensure_descent: bool = True, tolerance_grad: float = 1e-10):
        if damping < 0:
            raise ValueError(f"damping must be >= 0, got {damping}")
        super().__init__(params, dict(lr=lr, damping=damping, ensure_descent=ensure_descent,
                                      tolerance_grad=tolerance_grad))

    def step(self, closure: Closure):
        """One (damped) Newton step; returns the loss before it."""
        group = self.param_groups[0]
        loss = evaluate(closure)
        if not isinstance(loss, Node):
            raise TypeError("Newton needs the closure to return the loss node (to differentiate twice)")
        g, h = flat_hessian(loss, self._params)
        state = self.state[self._params[0]]
        if np.abs(g).max() <= group["tolerance_grad"]:
            return loss
        eigenvalues, vectors = np.linalg.eigh(h)
        lam = group["damping"]
        if group["ensure_descent"] and eigenvalues.min() + lam <= 0:
            lam += 2 * abs(eigenvalues.min())
        curvature = eigenvalues + lam
        curvature = np.where(np.abs(curvature) > 1e-12, curvature, 1.0)  # flat: a gradient step
        d = -vectors @ ((vectors.T @ g) / curvature)
        self.set_flat(self.flat_params() + group["lr"] * d)
        state.update(hessian=h, eigenvalues=eigenvalues, damping_used=lam)
        return loss
