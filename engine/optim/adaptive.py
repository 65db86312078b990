"""Per-parameter adaptive learning rates: Adagrad, RMSprop and Adadelta (as ``torch.optim``)."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .optimizer import ElementwiseOptimizer


class Adagrad(ElementwiseOptimizer):
    r"""Divide each parameter's step by the root of its summed squared gradients.

    Lecture: :math:`G_t = \sum_\tau g_\tau^2,\ w_{t+1} = w_t - \frac{\eta}{\sqrt{G_t + \epsilon}} g_t`.
    PyTorch (and this class) puts ε outside the root, :math:`\eta\, g / (\sqrt{G_t} + \epsilon)`,
    with ε = 1e-10: the same step wherever :math:`G_t \gg \epsilon`.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """w -= clr * g / (sqrt(G) + eps), clr = lr / (1 + (t-1) * lr_decay)."""
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(w, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g
        move = clr * g
        move /= np.sqrt(state["sum"]) + group["eps"]
        w -= move


class RMSprop(ElementwiseOptimizer):
    r"""Keep a moving average of squared gradients so every step has about the same size.

    Lecture: :math:`ms_{t+1} = \gamma\, ms_t + (1-\gamma) g^2,\ w_{t+1} = w_t - \frac{\eta}{\sqrt{ms + \epsilon}} g`;
    γ is PyTorch's ``alpha`` and ε sits outside the root (:math:`\sqrt{ms} + \epsilon`).
    ``centered`` divides by the variance estimate :math:`ms - \bar g^2` instead; ``momentum``
    accumulates the scaled steps in a buffer as SGD does.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """w -= lr * g / (sqrt(ms) + eps), through a momentum buffer when momentum > 0."""
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(w)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(w)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(w)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        alpha = group["alpha"]
        state["square_avg"] *= alpha
        state["square_avg"] += (1 - alpha) * g * g
        if group["centered"]:
            state["grad_avg"] += (1 - alpha) * (g - state["grad_avg"])
            avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + group["eps"]
        else:
            avg = np.sqrt(state["square_avg"]) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            w -= group["lr"] * buf
            return
        move = group["lr"] * g
        move /= avg
        w -= move


class Adadelta(ElementwiseOptimizer):
    r"""Adagrad with a window: moving averages of squared gradients *and* squared steps.

    :math:`E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) g^2`,
    :math:`\Delta w = \frac{\sqrt{E[\Delta w^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}} g`,
    :math:`E[\Delta w^2]_t = \rho E[\Delta w^2]_{t-1} + (1-\rho)\Delta w^2`,
    :math:`w_{t+1} = w_t - lr\cdot\Delta w` (Zeiler's method has lr = 1, PyTorch's default).
    The ratio of roots gives the step the units of w, so no learning rate is needed.
    """

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """w -= lr * RMS(previous steps) / RMS(gradients) * g."""
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(w)
            state["acc_delta"] = np.zeros_like(w)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        rho, eps = group["rho"], group["eps"]
        state["square_avg"] *= rho
        state["square_avg"] += (1 - rho) * g * g
        delta = np.sqrt(state["acc_delta"] + eps) / np.sqrt(state["square_avg"] + eps) * g
        state["acc_delta"] *= rho
        state["acc_delta"] += (1 - rho) * delta * delta
        w -= group["lr"] * delta
