"""Train a one-hidden-layer network on a 2-D toy set with any optimizer: the loss per step.

The network is written with engine Tensors (``tanh(X W₁ + b₁) W₂ + b₂``), full
batch and seeded, so every optimizer starts from the same weights and sees the
same data: differences in the curves are the optimizers'.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ..tensor import Tensor
from ..toy_data import Dataset
from . import OPTIMIZERS


def init_mlp(hidden: int, seed: int = 0) -> list[Tensor]:
    """Parameters [W₁ (2, h), b₁ (h,), W₂ (h, 1), b₂ (1,)], Xavier-uniform weights, zero biases."""
    rng = np.random.default_rng(seed)

    def xavier(n_in: int, n_out: int) -> Tensor:
        bound = np.sqrt(6.0 / (n_in + n_out))
        return Tensor(rng.uniform(-bound, bound, (n_in, n_out)), requires_grad=True)

    return [xavier(2, hidden), Tensor(np.zeros(hidden), requires_grad=True),
            xavier(hidden, 1), Tensor(np.zeros(1), requires_grad=True)]


def mlp_loss(params: list[Tensor], data: Dataset) -> Tensor:
    """Mean binary cross-entropy (from logits) for classification, mean squared error otherwise."""
    w1, b1, w2, b2 = params
    z = ((Tensor(data.X) @ w1 + b1).tanh() @ w2 + b2).reshape(-1)
    y = Tensor(data.y)
    if data.classification:
        return (z.softplus() - y * z).mean()  # -[y log σ(z) + (1-y) log(1-σ(z))]
    return ((z - y) ** 2).mean()


def train_mlp(optimizer_name: str, hyperparams: Mapping[str, Any], data: Dataset, steps: int = 200,
              hidden: int = 8, seed: int = 0,
              should_stop: Callable[[], bool] = lambda: False) -> np.ndarray:
    """Losses (steps+1,) of training from the same seeded start; NaN after a divergence or a stop."""
    params = init_mlp(hidden, seed)
    hp = dict(hyperparams)
    if optimizer_name == "LBFGS":
        hp.setdefault("max_iter", 1)
        hp.setdefault("max_eval", 25)
    opt = OPTIMIZERS[optimizer_name](params, **hp)

    def closure() -> Tensor:
        opt.zero_grad()
        loss = mlp_loss(params, data)
        loss.backward()
        return loss

    losses = np.full(steps + 1, np.nan)
    with np.errstate(all="ignore"):
        for i in range(steps + 1):
            if should_stop():
                break
            loss = float(mlp_loss(params, data).data)
            if not np.isfinite(loss):
                break
            losses[i] = loss
            if i < steps:
                try:
                    opt.step(closure)
                except (np.linalg.LinAlgError, FloatingPointError, OverflowError):
                    break
    return losses
