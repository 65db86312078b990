"""The training lab's networks, built from a spec: fully connected or a small CNN.

Both are :class:`engine.nn.Module`s made of named *stages* (a dense layer, a
convolution, a pooling, …).  Every forward pass keeps each stage's output, so the
trainer can say in which layer a NaN first appeared and the views can show what
each layer computed, without a second forward pass.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .. import functional as F
from .. import nn
from ..nn import init
from .spec import ConvSpec, DenseSpec

LEAKY_SLOPE = 0.01

ACTIVATIONS: dict[str, Callable] = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, LEAKY_SLOPE), "softplus": F.softplus,
    "selu": F.selu, "linear": lambda z: z}
"""Each activation name's function (Tensors are recorded, arrays computed); "linear" is none."""

ACTIVATION_NAMES = tuple(ACTIVATIONS)

NOTATION = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "LeakyReLU",
            "softplus": "softplus", "selu": "SELU", "linear": ""}
"""How the lecture writes each activation in a formula ("" for none)."""

_GAIN_NAMES = {"softplus": "relu", "linear": "linear"}
"""calculate_gain's name for each activation (softplus is a smooth ReLU)."""


def check_activation(name: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_NAMES)}")
    return name


class Activation(nn.Module):
    """One of :data:`ACTIVATIONS` as a layer."""

    def __init__(self, name: str):
        super().__init__()
        self.name = check_activation(name)

    def forward(self, x):
        return ACTIVATIONS[self.name](x)

    def extra_repr(self) -> str:
        return self.name


def initialize(layer: nn.Module, scheme: str, scale: float | None, activation: str,
               rng: np.random.Generator) -> None:
    """Set a Linear or Conv2d layer's weight by ``scheme`` and its bias to match.

    Biases start at 0, except with "constant" (every parameter the same number, the
    symmetric start) and "pytorch" (its own U(±1/√fan_in)).
    """
    init.initialize_(layer.weight, scheme, scale, _GAIN_NAMES.get(activation, activation), rng)
    if layer.bias is None:
        return
    if scheme == "constant":
        init.initialize_(layer.bias, "constant", scale)
    elif scheme == "pytorch":
        init.default_uniform_(layer.bias, init.fan_in_and_fan_out(layer.weight)[0], rng)
    else:
        init.zeros_(layer.bias)


class DenseBlock(nn.Module):
    """One hidden layer: z = W a + b, then batch norm (optional), a = f(z) (+ the input if
    residual), then dropout (optional).  Keeps ``z`` and ``a`` of the last forward pass."""

    def __init__(self, fan_in: int, width: int, activation: str, *, batch_norm: bool,
                 dropout: float, residual: bool, rng: np.random.Generator):
        super().__init__()
        self.linear = nn.Linear(fan_in, width, seed=rng)
        self.norm = nn.BatchNorm1d(width) if batch_norm else None
        self.act = Activation(activation)
        self.drop = nn.Dropout(dropout, seed=rng) if dropout > 0 else None
        self.residual = residual and fan_in == width
        self.z = self.a = None

    def forward(self, x):
        z = self.linear(x)
        if self.norm is not None:
            z = self.norm(z)
        a = self.act(z)
        if self.residual:
            a = a + x
        self.z, self.a = z, a
        return self.drop(a) if self.drop is not None else a


class StagedNet(nn.Module):
    """Named stages applied in order; ``outputs`` holds each stage's output of the last pass."""

    def __init__(self, stages: Sequence[tuple[str, nn.Module]]):
        super().__init__()
        self.stage_names = [name for name, _ in stages]
        for k, (_, module) in enumerate(stages):
            setattr(self, str(k), module)
        self.outputs: list = []

    @property
    def stages(self) -> list[nn.Module]:
        return list(self._modules.values())

    def forward(self, x):
        self.outputs = []
        for stage in self._modules.values():
            x = stage(x)
            self.outputs.append(x)
        return x

    @property
    def blocks(self) -> list[DenseBlock]:
        """The hidden dense layers, input to output."""
        return [s for s in self.stages if isinstance(s, DenseBlock)]

    @property
    def head(self) -> nn.Linear:
        """The output layer (logits, or the prediction for regression)."""
        return self.stages[-1]

    def weighted(self) -> list[tuple[str, nn.Module]]:
        """(stage name, layer) of every stage with a weight matrix or kernel, input to output."""
        return [(name, _weighted(stage)) for name, stage in zip(self.stage_names, self.stages)
                if _weighted(stage) is not None]


def _weighted(stage: nn.Module) -> nn.Module | None:
    if isinstance(stage, DenseBlock):
        return stage.linear
    return stage if isinstance(stage, (nn.Linear, nn.Conv2d)) else None


class DenseNet(StagedNet):
    """Hidden :class:`DenseBlock`s and a linear output layer, built from a :class:`DenseSpec`,
    for inputs of shape (N, ``inputs``) (the trainer flattens images first)."""

    def __init__(self, spec: DenseSpec, inputs: int, outputs: int, seed: int):
        activations = spec.activations()
        if len(activations) != len(spec.hidden):
            raise ValueError(f"{len(spec.hidden)} hidden layers but {len(activations)} activations")
        if any(w < 1 for w in spec.hidden):
            raise ValueError(f"every hidden layer needs at least one unit, got widths {spec.hidden}")
        rng = np.random.default_rng(seed)
        for act in activations:
            check_activation(act)
        super().__init__(dense_stages(spec, inputs, activations, outputs, "hidden layer",
                                      spec.residual, rng))
        self.spec = spec


class ConvNet(StagedNet):
    """Convolution, batch norm, activation and max-pool stages, then dense layers and the
    output layer, built from a :class:`ConvSpec` for images of shape (C, H, W)."""

    def __init__(self, spec: ConvSpec, image_shape: tuple[int, int, int], outputs: int, seed: int):
        check_activation(spec.activation)
        rng = np.random.default_rng(seed)
        channels, h, w = image_shape
        stages: list[tuple[str, nn.Module]] = []
        for k, (out_channels, size) in enumerate(spec.convs, start=1):
            if size % 2 == 0:
                raise ValueError(f"convolution {k}: kernel size {size} must be odd to keep the "
                                 "image size (padding on both sides)")
            conv = nn.Conv2d(channels, out_channels, size, padding=size // 2, seed=rng)
            initialize(conv, spec.init, spec.init_scale, spec.activation, rng)
            stages.append((f"convolution {k} ({out_channels} kernels {size}×{size})", conv))
            if spec.batch_norm:
                stages.append((f"batch norm {k}", nn.BatchNorm2d(out_channels)))
            stages.append((f"{spec.activation} {k}", Activation(spec.activation)))
            if spec.pool > 1:
                if h < spec.pool or w < spec.pool:
                    raise ValueError(f"pooling {k}: a {h}×{w} feature map is smaller than the "
                                     f"{spec.pool}×{spec.pool} pooling window; use fewer convolutions")
                stages.append((f"max-pool {k} ({spec.pool}×{spec.pool})", nn.MaxPool2d(spec.pool)))
                h, w = h // spec.pool, w // spec.pool
            channels = out_channels
        stages.append(("flatten", nn.Flatten()))
        stages += dense_stages(spec, channels * h * w, (spec.activation,) * len(spec.hidden),
                               outputs, "dense layer", False, rng)
        super().__init__(stages)
        self.spec = spec


def dense_stages(spec: DenseSpec | ConvSpec, fan_in: int, activations: Sequence[str], outputs: int,
                 label: str, residual: bool, rng: np.random.Generator) -> list[tuple[str, nn.Module]]:
    """Named :class:`DenseBlock`s of ``spec.hidden`` widths, then the linear output layer."""
    stages: list[tuple[str, nn.Module]] = []
    for k, (width, act) in enumerate(zip(spec.hidden, activations), start=1):
        block = DenseBlock(fan_in, width, act, batch_norm=spec.batch_norm, dropout=spec.dropout,
                           residual=residual, rng=rng)
        initialize(block.linear, spec.init, spec.init_scale, act, rng)
        stages.append((f"{label} {k} ({fan_in}→{width}, {act})", block))
        fan_in = width
    head = nn.Linear(fan_in, outputs, seed=rng)
    initialize(head, spec.init, spec.init_scale, "linear", rng)
    stages.append((f"output layer ({fan_in}→{outputs})", head))
    return stages
