"""Stochastic gradient descent, with momentum and Nesterov momentum (``torch.optim.SGD``)."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .optimizer import ElementwiseOptimizer


class SGD(ElementwiseOptimizer):
    r"""Gradient descent, optionally with (Nesterov) momentum and weight decay.

    Lecture: :math:`w_{i+1} \leftarrow w_i - \alpha \frac{\partial L}{\partial w}`; α is ``lr``.

    With momentum the lecture writes :math:`v_{i+1} = \alpha g + \mu v_i,\ w_{i+1} = w_i - v_{i+1}`
    and PyTorch writes :math:`b_{i+1} = \mu b_i + g,\ w_{i+1} = w_i - \alpha b_{i+1}`.
    They are the same update: with :math:`v_i = \alpha b_i` (constant α) the lecture's
    line is α times PyTorch's, so the steps :math:`v_{i+1} = \alpha b_{i+1}` coincide.
    (PyTorch's ``dampening`` τ scales the new gradient by 1-τ after the first step.)

    Nesterov evaluates the step at the look-ahead point; PyTorch's form uses
    :math:`g + \mu b_{i+1}` as the direction, which is that update rewritten in the
    look-ahead variable.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"invalid SGD hyperparameters lr={lr}, momentum={momentum}, "
                             f"weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """w -= lr * direction, the direction being g, the momentum buffer or Nesterov's look-ahead."""
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.copy(g)  # an array (0-d too; on the GPU there), updated in place
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        w -= group["lr"] * g
