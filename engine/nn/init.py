"""In-place weight initializers with PyTorch's names and formulas (``torch.nn.init``).

Each takes an optional ``generator`` (a seed or ``np.random.Generator``) so an
experiment can be replayed exactly.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .module import as_generator

_GAINS = {"linear": 1.0, "conv2d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 0.75}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended std scale for a nonlinearity (leaky_relu uses its slope ``param``)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    try:
        return _GAINS[nonlinearity]
    except KeyError:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}") from None


def fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(inputs, outputs) per unit: shape[1]·receptive field and shape[0]·receptive field."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fan in/out needs at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor: Tensor, values) -> Tensor:
    tensor.data[...] = values
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(tensor, 1.0)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Draw from N(mean, std²)."""
    return _fill(tensor, as_generator(generator).normal(mean, std, tensor.shape))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Draw from U(a, b)."""
    return _fill(tensor, as_generator(generator).uniform(a, b, tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: U(-a, a), a = gain·√(6 / (fan_in + fan_out)), keeps variance across layers."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: N(0, std²), std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He: U(-b, b), b = gain·√(3 / fan), for ReLU-family networks."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He: N(0, std²), std = gain / √fan."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def default_uniform_(tensor: Tensor, fan_in: int, generator=None) -> Tensor:
    """PyTorch's default for Linear, Conv and RNN layers: U(-1/√fan_in, 1/√fan_in)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(tensor, -bound, bound, generator)


SCHEMES = ("zeros", "constant", "normal", "uniform", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "pytorch")
"""Initializations by name, as a training lab's menu lists them (see :func:`initialize_`)."""

_SCALE_DEFAULTS = {"constant": 0.5, "normal": 0.01, "uniform": 0.1}


def initialize_(tensor: Tensor, scheme: str, scale: float | None = None,
                nonlinearity: str = "linear", generator=None) -> Tensor:
    """Fill a weight by scheme name: the one entry point for UIs and experiment files.

    "zeros"; "constant" (all ``scale``, default 0.5); "normal" N(0, scale²) (std default
    0.01); "uniform" U(-scale, scale) (default 0.1); "xavier_uniform"/"xavier_normal"
    with gain ``scale`` (default 1, Glorot's choice); "kaiming_uniform"/"kaiming_normal"
    for ``nonlinearity`` (fan_in, gain × ``scale``); "pytorch" the default of Linear and
    Conv layers, U(±1/√fan_in).
    """
    if scheme in ("zeros", "constant", "normal", "uniform"):
        s = _SCALE_DEFAULTS.get(scheme, 0.0) if scale is None else scale
        if scheme == "zeros":
            return zeros_(tensor)
        if scheme == "constant":
            return constant_(tensor, s)
        if scheme == "normal":
            return normal_(tensor, 0.0, s, generator)
        return uniform_(tensor, -s, s, generator)
    factor = 1.0 if scale is None else scale
    if scheme == "xavier_uniform":
        return xavier_uniform_(tensor, factor, generator)
    if scheme == "xavier_normal":
        return xavier_normal_(tensor, factor, generator)
    if scheme in ("kaiming_uniform", "kaiming_normal"):
        fill = kaiming_uniform_ if scheme == "kaiming_uniform" else kaiming_normal_
        fill(tensor, 0.01 if nonlinearity == "leaky_relu" else 0.0, "fan_in", nonlinearity, generator)
        tensor.data *= factor
        return tensor
    if scheme == "pytorch":
        return default_uniform_(tensor, fan_in_and_fan_out(tensor)[0], generator)
    raise ValueError(f"unknown initialization {scheme!r}; choose one of {', '.join(SCHEMES)}")
