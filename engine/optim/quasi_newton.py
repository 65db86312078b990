"""BFGS and nonlinear conjugate gradients: curvature from gradients alone, one iteration per step."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .flat import FlatOptimizer, first_step_length
from .optimizer import Closure


class BFGS(FlatOptimizer):
    r"""BFGS: keep a dense estimate :math:`H_k \approx (\nabla^2 L)^{-1}` and step along :math:`-H_k g`.

    After a step :math:`s = w_{k+1}-w_k` with gradient change :math:`y = g_{k+1}-g_k`,
    :math:`H_{k+1} = (I-\rho s y^\top) H_k (I-\rho y s^\top) + \rho s s^\top`, :math:`\rho = 1/y^\top s`
    (skipped unless :math:`y^\top s > 0`).  Before the first update H is rescaled to
    :math:`(y^\top s / y^\top y) I`.  Newton-Raphson's :math:`w - \alpha H^{-1} g` without a Hessian.
    The line search is strong Wolfe by default (pass ``line_search_fn=None`` for fixed steps of ``lr``).
    """

    def __init__(self, params: Iterable, lr: float = 1.0, line_search_fn: str | None = "strong_wolfe",
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, max_eval: int = 25):
        super().__init__(params, dict(lr=lr, line_search_fn=line_search_fn,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, max_eval=max_eval))

    def step(self, closure: Closure):
        """One BFGS iteration; returns the loss before it."""
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        loss, g = self.loss_and_grad(closure)
        if np.abs(g).max() <= group["tolerance_grad"]:
            return loss
        n = g.size
        if "s" in state:
            self._update_inverse_hessian(state, state["s"], g - state["prev_grad"])
        h = state.setdefault("H", np.eye(n))
        d = -h @ g
        if g @ d > -group["tolerance_change"]:  # not a descent direction: forget the curvature
            state["H"] = np.eye(n)
            d = -g
        t = first_step_length(g, group["lr"]) if "s" not in state else group["lr"]
        t = self.move(closure, t, d, loss, g)
        state.update(s=t * d, prev_grad=g)
        return loss

    @staticmethod
    def _update_inverse_hessian(state: dict, s: np.ndarray, y: np.ndarray) -> None:
        ys = float(y @ s)
        if ys <= 1e-10:
            return
        if not state.get("updated"):
            state["H"] = np.eye(s.size) * ys / float(y @ y)
            state["updated"] = True
        rho = 1.0 / ys
        v = np.eye(s.size) - rho * np.outer(s, y)
        state["H"] = v @ state["H"] @ v.T + rho * np.outer(s, s)


class ConjugateGradient(FlatOptimizer):
    r"""Nonlinear conjugate gradients: :math:`d_k = -g_k + \beta_k d_{k-1}`, then a line search.

    ``beta="FR"`` (Fletcher-Reeves) :math:`\beta = \frac{g_k^\top g_k}{g_{k-1}^\top g_{k-1}}`;
    ``beta="PR"`` (Polak-Ribière, clipped at 0, "PR+") :math:`\beta = \max\!\big(0, \frac{g_k^\top (g_k - g_{k-1})}{g_{k-1}^\top g_{k-1}}\big)`.
    On a quadratic with exact line searches both are linear CG (n steps to the minimum).
    Restarts with :math:`d = -g` every ``restart`` iterations (default: the number of
    parameters) or when :math:`d` is not a descent direction.  The strong-Wolfe search
    uses c2 = 0.1, as conjugate gradients need a near-exact search.
    """

    def __init__(self, params: Iterable, lr: float = 1.0, beta: str = "PR",
                 line_search_fn: str | None = "strong_wolfe", restart: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, max_eval: int = 25):
        if beta not in ("FR", "PR"):
            raise ValueError(f"beta must be 'FR' or 'PR', got {beta!r}")
        super().__init__(params, dict(lr=lr, beta=beta, line_search_fn=line_search_fn,
                                      restart=restart, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, max_eval=max_eval))

    def step(self, closure: Closure):
        """One conjugate-gradient iteration; returns the loss before it."""
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        loss, g = self.loss_and_grad(closure)
        if np.abs(g).max() <= group["tolerance_grad"]:
            return loss
        n_iter = state.get("n_iter", 0)
        restart = group["restart"] or g.size
        if n_iter == 0:
            d, t = -g, first_step_length(g, group["lr"])
        else:
            prev_g, prev_d = state["prev_grad"], state["d"]
            beta = (g @ g if group["beta"] == "FR" else max(0.0, g @ (g - prev_g))) / (prev_g @ prev_g)
            d = -g + (0.0 if n_iter % restart == 0 else beta) * prev_d
            if g @ d >= 0:
                d = -g
            t = group["lr"]
            if group["line_search_fn"] is not None:  # Nocedal & Wright (3.60): same first-order change
                t = state["t"] * float(prev_g @ prev_d) / float(g @ d)
        t = self.move(closure, t, d, loss, g, c2=0.1)
        state.update(n_iter=n_iter + 1, prev_grad=g, d=d, t=t)
        return loss
