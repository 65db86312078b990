"""Train a one-hidden-layer network on a 2-D toy set with any optimizer: the loss per step.

The network is ``engine.nn.MLP([2, hidden, 1], "tanh")``, full batch and seeded,
so every optimizer starts from the same weights and sees the same data:
differences in the curves are the optimizers'.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from .. import functional as F
from ..nn import MLP
from ..tensor import Tensor
from ..datasets import Dataset
from . import OPTIMIZERS


def mlp_loss(model: MLP, data: Dataset, device: str = "cpu") -> Tensor:
    """Mean binary cross-entropy (from logits) for classification, mean squared error otherwise."""
    z = model(Tensor(data.X, device=device)).reshape(-1)
    y = Tensor(data.y, device=device)
    if data.classification:
        return F.binary_cross_entropy_with_logits(z, y)
    return F.mse_loss(z, y)


def train_mlp(optimizer_name: str, hyperparams: Mapping[str, Any], data: Dataset, steps: int = 200,
              hidden: int = 8, seed: int = 0,
              should_stop: Callable[[], bool] = lambda: False, device: str = "cpu") -> np.ndarray:
    """Losses (steps+1,) of training from the same seeded start; NaN after a divergence or a stop.
    ``device="cuda"`` trains on the GPU (the first-order optimizers update there)."""
    model = MLP([2, hidden, 1], activation="tanh", seed=seed).to(device)
    hp = dict(hyperparams)
    if optimizer_name == "LBFGS":
        hp.setdefault("max_iter", 1)
        hp.setdefault("max_eval", 25)
    opt = OPTIMIZERS[optimizer_name](model.parameters(), **hp)

    def closure() -> Tensor:
        opt.zero_grad()
        loss = mlp_loss(model, data, device)
        loss.backward()
        return loss

    losses = np.full(steps + 1, np.nan)
    with np.errstate(all="ignore"):
        for i in range(steps + 1):
            if should_stop():
                break
            loss = float(mlp_loss(model, data, device).data)
            if not np.isfinite(loss):
                break
            losses[i] = loss
            if i < steps:
                try:
                    opt.step(closure)
                except (np.linalg.LinAlgError, FloatingPointError, OverflowError):
                    break
    return losses
