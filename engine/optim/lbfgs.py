"""Limited-memory BFGS, ``torch.optim.LBFGS`` ported to NumPy (same state, same stopping rules)."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .flat import FlatOptimizer, first_step_length
from .line_search import strong_wolfe
from .optimizer import Closure, evaluate


def two_loop_direction(g: np.ndarray, old_dirs: list, old_stps: list, ro: list,
                       h_diag: float) -> np.ndarray:
    r"""−H g for the inverse-Hessian estimate H built from the last (s, y) pairs (two-loop recursion)."""
    q = -g
    al = [0.0] * len(old_dirs)
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = float(old_stps[i] @ q) * ro[i]
        q = q - al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = float(old_dirs[i] @ r) * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r


class LBFGS(FlatOptimizer):
    r"""L-BFGS: estimate :math:`H^{-1}` from the last ``history_size`` steps, never store it.

    Each iteration: direction :math:`d = -H^{-1} g` (two-loop recursion over the stored
    pairs :math:`s = w_{k+1} - w_k,\ y = g_{k+1} - g_k`), then a step of length ``lr``
    (or a strong-Wolfe line search with ``line_search_fn="strong_wolfe"``).
    ``step(closure)`` runs up to ``max_iter`` iterations, as PyTorch's does; for one
    iteration per call (to animate it) pass ``max_iter=1`` and a ``max_eval`` for the search.
    """

    def __init__(self, params: Iterable, lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None):
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError("only 'strong_wolfe' is supported")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))

    def step(self, closure: Closure):
        """Up to ``max_iter`` L-BFGS iterations; returns the loss at the starting point."""
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate(closure)
        loss = float(orig_loss)
        flat_grad = self.flat_grad()
        current_evals = 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_flat_grad = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the curvature pair only if it is positive
                    if len(old_dirs) == group["history_size"]:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                d = two_loop_direction(flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = first_step_length(flat_grad, lr) if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:
                break

            if group["line_search_fn"] is not None:
                x_init = self.flat_params()
                loss, flat_grad, t, ls_evals = strong_wolfe(
                    lambda x, t_, d_: self.directional_evaluate(closure, x, t_, d_),
                    x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self.set_flat(x_init + t * d)
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                self.set_flat(self.flat_params() + t * d)
                ls_evals = 0
                opt_cond = False
                if n_iter != max_iter:
                    loss, flat_grad = self.loss_and_grad(closure)
                    opt_cond = np.abs(flat_grad).max() <= tol_grad
                    ls_evals = 1
            current_evals += ls_evals
            state["func_evals"] += ls_evals

            if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                    or np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change):
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
