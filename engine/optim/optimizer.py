"""The ``Optimizer`` base class: PyTorch's ``param_groups``/``state``/``zero_grad``/``step`` API.

Parameters are engine ``Value``s (``.data`` a float) or ``Tensor``s (``.data`` an
array).  Optimizers read NumPy copies, do the arithmetic in NumPy and assign the
result back with ``p.data = new``, so one implementation serves both kinds.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from ..devices import DeviceData
from ..node import Node, enable_grad
from ..value import Value

Closure = Callable[[], Any]
"""Re-evaluates the loss: zero the grads, compute the loss, call ``backward()``, return it."""


def read(p: Node) -> np.ndarray:
    """A float64 NumPy copy of a parameter's data (0-d for a ``Value``)."""
    return np.array(p.data, dtype=np.float64)


def read_grad(p: Node) -> np.ndarray | None:
    """A float64 copy of the gradient, or None where no backward pass reached ``p``."""
    g = p.grad
    if g is None:
        return None
    return np.array(g.data if isinstance(g, Node) else g, dtype=np.float64)


def evaluate(closure: Closure) -> Any:
    """Run a closure with gradient recording on (as torch's ``enable_grad()(closure)``)."""
    with enable_grad():
        return closure()


class Optimizer:
    """Holds parameter groups (each with its own hyperparameters) and per-parameter state."""

    def __init__(self, params: Iterable, defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters; missing hyperparameters come from the defaults."""
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Node) else list(params)
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def params(self) -> list[Node]:
        """Every parameter of every group, in order."""
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear gradients before the next backward pass (they accumulate, as in PyTorch).

        Tensors get ``None`` (PyTorch's default); scalar Values get ``0.0``, their neutral grad.
        """
        for p in self.params():
            if isinstance(p, Value):
                p.grad = 0.0
            elif set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.data)

    def step(self, closure: Closure | None = None):
        """Take one optimization step; subclasses define it."""
        raise NotImplementedError

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


class ElementwiseOptimizer(Optimizer):
    """First-order methods: each parameter is updated from its own gradient and state."""

    def step(self, closure: Closure | None = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = evaluate(closure) if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p.data, DeviceData):  # on a GPU: updated there, in its dtype
                    g, w = p.grad, p.data             # (updates make new arrays, never in place)
                else:
                    g, w = read_grad(p), read(p)
                if g is None:
                    continue
                p.data = self.update(w, g, self.state[p], group)
        return loss

    def update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> np.ndarray:
        """The new parameter value from the old one, its gradient and its state."""
        raise NotImplementedError
