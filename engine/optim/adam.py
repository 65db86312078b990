"""Adam and AdamW: RMSprop's step scaling plus momentum, with bias correction (``torch.optim``)."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from .optimizer import ElementwiseOptimizer


class Adam(ElementwiseOptimizer):
    r"""Adaptive moment estimation: "RMSprop + momentum" in the lecture's words.

    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g`, :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g^2`,
    :math:`w_t = w_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)` with the bias-corrected
    :math:`\hat m_t = m_t / (1-\beta_1^t)`, :math:`\hat v_t = v_t / (1-\beta_2^t)`.
    ``amsgrad`` divides by the running maximum of :math:`v_t` instead; ``weight_decay``
    adds :math:`\lambda w` to the gradient (L2 regularisation; see :class:`AdamW`).
    """

    decoupled = False

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False):
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (β₁, β₂), got {tuple(betas)}")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """w -= lr * m_hat / (sqrt(v_hat) + eps), after (decoupled or L2) weight decay."""
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(w)
            state["exp_avg_sq"] = np.zeros_like(w)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(w)
        state["step"] += 1
        lr, wd = group["lr"], group["weight_decay"]
        if wd and self.decoupled:
            w *= 1 - lr * wd
        elif wd:
            g = g + wd * w
        beta1, beta2 = group["betas"]
        m, second = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (g - m)
        second *= beta2
        second += (1 - beta2) * g * g
        if group["amsgrad"]:
            second = np.maximum(state["max_exp_avg_sq"], second, out=state["max_exp_avg_sq"])
        step = state["step"]
        with np.errstate(divide="ignore", invalid="ignore"):  # eps = 0 at a zero gradient: nan, as torch;
            denom = np.sqrt(second)                            # the trainers stop and say where
            denom /= math.sqrt(1 - beta2 ** step)
            denom += group["eps"]
            move = lr / (1 - beta1 ** step) * m
            move /= denom
        w -= move


class AdamW(Adam):
    r"""Adam with decoupled weight decay: :math:`w \leftarrow w(1 - \eta\lambda)` before the Adam step.

    Unlike L2 in :class:`Adam`, the decay is not rescaled by :math:`1/\sqrt{\hat v}`.
    """

    decoupled = True

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
