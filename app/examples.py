"""The built-in examples, one click each: the lecture's circuits, an MLP, softmax, an RNN.

Each example has an id (used by ``chainrule --example``), a title, a caption in
the lecture's words and a builder returning the output node plus the groups
that can be collapsed into boxes.  Examples written as an expression also
carry their ``source``, shown in the editor so the lecturer can change it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from viewmodel.groups import Group, group_between
from engine import Node, Tensor, Value
from engine.expr import parse
from engine.scalar_nn import MLP


@dataclass
class Built:
    """What a builder returns: the output node and its collapsible groups."""

    output: Node
    groups: list[Group] = field(default_factory=list)


@dataclass(frozen=True)
class Example:
    """One built-in example."""

    id: str
    title: str
    caption: str
    build: Callable[[], Built]
    source: str | None = None
    values: dict[str, float] | None = None
    collapsed: bool = False
    """Start with the groups collapsed into boxes (double-click one to open it)."""


def _from_source(source: str, values: dict[str, float]) -> Callable[[], Built]:
    return lambda: Built(parse(source).build(values))


def _mlp_logloss() -> Built:
    """A 2-2-1 tanh MLP on one input point with label 1: L = −log σ(s)."""
    x = [Value(1.0, name="x0", requires_grad=False), Value(-0.5, name="x1", requires_grad=False)]
    net = MLP(2, [2, 1], activation="tanh", seed=1)
    hidden = net.layers[0](x)
    s = net.layers[1](hidden)[0]
    s.name = "s"
    p = s.sigmoid()
    p.name = "p"
    loss = -p.log()
    loss.name = "L"
    groups = [group_between(f"neuron 1.{j + 1}", h, x) for j, h in enumerate(hidden)]
    groups.append(group_between("neuron 2.1", s, hidden))
    return Built(loss, groups)


def _softmax_regression() -> Built:
    """Logits x W + b, softmax written as exp / Σ exp, cross-entropy with a one-hot label."""
    x = Tensor([[1.0, -0.5, 2.0]], requires_grad=False, name="x")
    W = Tensor(np.array([[0.2, -0.4, 0.1], [0.5, 0.3, -0.2], [-0.3, 0.1, 0.4]]),
               requires_grad=True, name="W")
    b = Tensor([0.1, 0.0, -0.1], requires_grad=True, name="b")
    y = Tensor([[0.0, 0.0, 1.0]], name="y")
    s = x @ W + b
    s.name = "s"
    e = s.exp()
    p = e / e.sum(axis=1, keepdims=True)
    p.name = "p"
    loss = -(y * p.log()).sum()
    loss.name = "L"
    return Built(loss, [group_between("softmax", p, [s])])


def _rnn_unrolled() -> Built:
    """h_t = tanh(W_hh h_{t−1} + W_xh x_t) for t = 1..3 with shared weights; L = Σ h_3."""
    rng = np.random.default_rng(3)
    W_hh = Tensor(rng.normal(0, 0.6, (3, 3)), requires_grad=True, name="W_hh")
    W_xh = Tensor(rng.normal(0, 0.6, (3, 2)), requires_grad=True, name="W_xh")
    h = Tensor(np.zeros((3, 1)), name="h0")
    groups = []
    for t in range(1, 4):
        x = Tensor(rng.normal(0, 1, (2, 1)), name=f"x{t}")
        h_prev = h
        u, v = W_hh @ h_prev, W_xh @ x
        u.name, v.name = f"W_hh h{t - 1}", f"W_xh x{t}"
        a = u + v
        a.name = f"a{t}"
        h = a.tanh()
        h.name = f"h{t}"
        groups.append(group_between(f"cell t={t}", h, [h_prev, x, W_hh, W_xh]))
    loss = h.sum()
    loss.name = "L"
    return Built(loss, groups)


_ADD_MUL = "q = x + y\nf = q * z"
_SIGMOID = "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
_SIGMOID_VALUES = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}

EXAMPLES: dict[str, Example] = {e.id: e for e in [
    Example("add-mul", "f = (x + y) z",
            "The lecture's first circuit: q = x + y, f = q z. Backprop gives "
            "∂f/∂z = q = 3 and ∂f/∂x = ∂f/∂q · ∂q/∂x = −4 · 1.",
            _from_source(_ADD_MUL, {"x": -2.0, "y": 5.0, "z": -4.0}), _ADD_MUL,
            {"x": -2.0, "y": 5.0, "z": -4.0}),
    Example("sigmoid-neuron", "Sigmoid neuron, gate by gate",
            "f(w, x) = 1 / (1 + e^−(w0 x0 + w1 x1 + w2)) broken into ×, +, −, exp, +1 and 1/x "
            "gates; each gate multiplies the upstream gradient by its local derivative.",
            _from_source(_SIGMOID, _SIGMOID_VALUES), _SIGMOID, _SIGMOID_VALUES),
    Example("mlp-logloss", "2-layer MLP with log-loss",
            "A tiny tanh network on one point, L = −log σ(s): every weight is a Value and "
            "gets its gradient from one backward pass.", _mlp_logloss),
    Example("softmax-regression", "Softmax regression (tensors)",
            "Logits s = xW + b, p = exp(s) / Σ exp(s), L = −Σ y log p: the same chain rule "
            "on whole matrices; heatmaps show values (top) and gradients (bottom).",
            _softmax_regression),
    Example("rnn-unrolled", "RNN unrolled over 3 steps",
            "h_t = tanh(W_hh h_{t−1} + W_xh x_t): the same weights in every cell, so their "
            "gradients add up over time (backprop through time). Double-click a cell to open it.",
            _rnn_unrolled, collapsed=True),
]}
"""Every built-in example by id, in menu order."""


def get(example_id: str) -> Example:
    """The example with this id, or a KeyError listing the ids there are."""
    try:
        return EXAMPLES[example_id]
    except KeyError:
        raise KeyError(f"no example {example_id!r}; choose one of: {', '.join(EXAMPLES)}") from None
