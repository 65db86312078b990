"""Neurons, layers and MLPs of scalar ``Value``s, micrograd-style, for graphs you can see."""
from __future__ import annotations

import random
from typing import Sequence

from .value import Value

_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


class Neuron:
    """act(w · x + b) with one ``Value`` per weight."""

    def __init__(self, nin: int, activation: str = "relu", rng: random.Random | None = None,
                 name: str = "n"):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
        rng = rng or random.Random(0)
        self.w = [Value(rng.uniform(-1, 1), name=f"{name}.w{i}") for i in range(nin)]
        self.b = Value(0.0, name=f"{name}.b")
        self.activation = activation

    def __call__(self, x: Sequence) -> Value:
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act if self.activation == "linear" else getattr(act, self.activation)()

    def parameters(self) -> list[Value]:
        return self.w + [self.b]


class Layer:
    """``nout`` neurons reading the same inputs."""

    def __init__(self, nin: int, nout: int, activation: str = "relu",
                 rng: random.Random | None = None, name: str = "L"):
        rng = rng or random.Random(0)
        self.neurons = [Neuron(nin, activation, rng, f"{name}.{j}") for j in range(nout)]

    def __call__(self, x: Sequence) -> list[Value]:
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    """Layers of neurons; the last layer is linear, as in micrograd."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", seed: int = 0):
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             activation if i < len(nouts) - 1 else "linear", rng, f"L{i + 1}")
                       for i in range(len(nouts))]

    def __call__(self, x: Sequence):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0
