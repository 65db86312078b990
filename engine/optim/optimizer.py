"""The ``Optimizer`` base class: PyTorch's ``param_groups``/``state``/``zero_grad``/``step`` API.

Parameters are engine ``Value``s (``.data`` a float) or ``Tensor``s (``.data`` an
array).  First-order optimizers update a Tensor's own array in place, in its dtype
(float32 stays float32, and their state has that dtype too); a Value, or a 0-d Tensor
living on a compiled tape, is updated on a 0-d copy that is written back through
``p.data``, so one implementation serves both kinds.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from ..devices import DeviceData, move
from ..node import Node, enable_grad
from ..value import Value

Closure = Callable[[], Any]
"""Re-evaluates the loss: zero the grads, compute the loss, call ``backward()``, return it."""


def read(p: Node) -> np.ndarray:
    """A float64 NumPy copy of a parameter's data (0-d for a ``Value``), for the methods
    that see all parameters as one vector (:mod:`engine.optim.flat`)."""
    return np.array(p.data, dtype=np.float64)


def read_grad(p: Node) -> np.ndarray | None:
    """A float64 copy of the gradient, or None where no backward pass reached ``p``."""
    g = p.grad
    if g is None:
        return None
    return np.array(g.data if isinstance(g, Node) else g, dtype=np.float64)


def writable(p: Node) -> tuple[np.ndarray, bool]:
    """The array an update may change in place, and whether it must be written back.

    A Tensor's own array is updated where it lies (no copy through the ``.data``
    setter); a Value's float or a tape-held number is updated on a 0-d copy.
    """
    data = p._data
    if p._tape is None and isinstance(data, np.ndarray) and data.flags.writeable:
        return data, False
    return np.array(p.data, dtype=data.dtype if isinstance(data, np.ndarray) else np.float64), True


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

    def to(self, device: str) -> "Optimizer":
        """Move the per-parameter state (moments, accumulators) to ``device``, after the
        model was moved there (``model.to(device)``); returns self."""
        for state in self.state.values():
            for key, value in state.items():
                if hasattr(value, "shape"):
                    state[key] = move(value, device)
        return self

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
                g = p.grad
                if g is None:
                    continue
                if isinstance(p.data, DeviceData):  # on a GPU: updated there, in place
                    self.update(p.data, g, self.state[p], group)
                    continue
                w, copied = writable(p)
                g = np.asarray(g.data if isinstance(g, Node) else g, dtype=w.dtype)
                self.update(w, g, self.state[p], group)
                if copied:
                    p.data = w
        return loss

    def update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        """Move ``w`` in place by its gradient ``g`` (read only) and its state (same dtype)."""
        raise NotImplementedError
