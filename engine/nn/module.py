"""``Module`` and ``Parameter``: PyTorch's container protocol on Chainrule tensors."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, Mapping

import numpy as np

from ..devices import is_device_name, move
from ..tensor import Tensor


_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Parameter(Tensor):
    """A Tensor a Module trains: ``requires_grad=True`` and listed by ``parameters()``."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None):
        super().__init__(data.data if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad, name=name)

    def __repr__(self) -> str:
        return f"Parameter(shape={list(self.shape)})"


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A NumPy Generator from a seed, an existing Generator, or fresh entropy."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class Module:
    """Base class of layers: registers parameters, buffers and sub-modules by attribute.

    Subclasses set attributes in ``__init__`` and implement ``forward``; calling the
    module runs ``forward``.  ``training`` switches layers such as Dropout and
    BatchNorm between their training and evaluation behaviour.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() before assigning attributes of a Module")
        if name in self._buffers and isinstance(value, np.ndarray):
            self._buffers[name] = value  # replacing a buffer keeps it in the state
            return
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            if value.name is None:
                value.name = name  # graph drawings label the node "weight", "bias", ...
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """A state array that is saved in ``state_dict`` but not trained (e.g. running mean)."""
        self.__dict__.pop(name, None)
        self._buffers[name] = np.asarray(value)

    # -- running ---------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def train(self, mode: bool = True) -> "Module":
        """Set training mode here and in every sub-module; returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode (Dropout off, BatchNorm uses running statistics)."""
        return self.train(False)

    def to(self, device=None, dtype=None) -> "Module":
        """Move every parameter, its gradient and every buffer to ``device`` ("cpu" or
        "cuda") and/or cast the floating ones to ``dtype`` (float32 or float64), in place
        (optimizers keep holding the same parameters); ``model.to(np.float32)`` only casts
        and ``model.to("cuda", np.float32)`` does both, as PyTorch's; returns self."""
        if device is not None and not is_device_name(device):
            device, dtype = None, device  # model.to(np.float32), model.to("float32")
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype not in _FLOAT_DTYPES:
                raise TypeError(f"a Module computes in float32 or float64, not {dtype}")
        for p in self.parameters():
            p._data = move(p.data, device, dtype)  # not p.data =, which keeps the old dtype
            if p.grad is not None:
                p.grad = move(p.grad, device, dtype)
        for m in self.modules():
            for name, b in m._buffers.items():
                m._buffers[name] = move(b, device, dtype if b.dtype.kind == "f" else None)
        return self

    def float(self) -> "Module":
        """Every parameter and buffer in float32 (PyTorch's default dtype); returns self."""
        return self.to(np.float32)

    def double(self) -> "Module":
        """Every parameter and buffer in float64 (Chainrule's default); returns self."""
        return self.to(np.float64)

    def zero_grad(self) -> None:
        """Forget accumulated gradients (set to None, as PyTorch's default)."""
        for p in self.parameters():
            p.grad = None

    # -- walking the tree ------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        yield from self._modules.items()

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, each parameter once."""
        seen: set[int] = set()
        for mod_name, m in self.named_modules(prefix):
            for name, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for mod_name, m in self.named_modules():
            for name, b in m._buffers.items():
                yield (f"{mod_name}.{name}" if mod_name else name), b

    # -- saving and loading ---------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and buffer by dotted name."""
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for name, p in self.named_parameters():
            out[name] = p.data.copy()
        for name, b in self.named_buffers():
            out[name] = np.array(b, copy=True)
        return out

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays into parameters and buffers in place.

        Raises KeyError naming missing and unexpected keys (when ``strict``) and
        ValueError naming both shapes on a shape mismatch; nothing is changed then.
        """
        targets = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        expected = set(targets) | set(buffers)
        missing = sorted(expected - set(state))
        unexpected = sorted(set(state) - expected)
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        updates = []
        for key, value in state.items():
            if key not in expected:
                continue
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            current = targets[key].data if key in targets else buffers[key]
            if value.shape != current.shape:
                raise ValueError(f"load_state_dict: {key!r} has shape {value.shape} in the state "
                                 f"but {current.shape} in the model")
            updates.append((current, value))
        for current, value in updates:
            current[...] = value

    # -- text -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown inside the parentheses of ``repr``."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
