"""What every generative trainer shares: cancellable stepping, the history and the NaN checks."""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from .. import nn
from ..devices import parse
from ..nonfinite import NonFiniteError
from ..sequence_training import train_side_by_side


class SteppedTrainer:
    """A trainer is ``train_step()`` returning a report; this adds ``train``, ``steps_done``
    and ``history`` (every report so far, for the loss curves)."""

    def __init__(self) -> None:
        self.steps_done = 0
        self.history: list = []

    def train_step(self) -> Any:
        raise NotImplementedError

    def to(self, device: str) -> None:
        """Train on ``device``; a trainer without a CUDA path (this default) trains on the CPU only."""
        if parse(device) != "cpu":
            raise ValueError(f"{type(self).__name__} trains on the CPU only, not on {device!r}")

    def train(self, steps: int, on_step: Callable[[Any], None] | None = None,
              should_stop: Callable[[], bool] = lambda: False) -> int:
        """``steps`` updates, checking ``should_stop()`` before each (a background job's cancel);
        ``on_step`` gets each report.  Returns how many ran; NonFiniteError stops the run."""
        return train_side_by_side([self], steps, lambda reports: on_step and on_step(reports[0]),
                                  should_stop)

    def _finish(self, report: Any) -> Any:
        """Count the step and keep its report."""
        self.steps_done += 1
        self.history.append(report)
        return report

    def _check_finite(self, where: str, values: Mapping[str, float], module: nn.Module) -> None:
        """Before the update: NonFiniteError naming the first non-finite value or gradient."""
        for what, value in values.items():
            if not np.isfinite(value):
                raise NonFiniteError(self.steps_done, where, what)
        for name, p in module.named_parameters():
            if p.grad is not None and not np.all(np.isfinite(p.grad)):
                raise NonFiniteError(self.steps_done, where, f"the gradient of {name}")
