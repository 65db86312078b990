"""What the training lab draws for a fully connected network, computed on demand.

The decision boundary (or regression curve) on a grid with every hidden neuron's
own output for the thumbnails, the hidden layers' activation histograms, the
weights for edge colour and width, any neuron's formula with its actual numbers,
and the product matrix of a network of linear layers.  Each takes a
:class:`~engine.playground.trainer.Trainer`, runs in evaluation mode under its
lock, and returns NumPy copies, so it is safe while a background job trains.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tensor import Tensor
from .network import NOTATION, Activation, DenseBlock, DenseNet
from .notation import factor, number, subscript, superscript
from .trainer import Trainer

GRID_CHUNK = 2500
"""Grid points per forward pass.  Chunks keep each product in cache and below the size at
which a multi-threaded OpenBLAS splits ``x @ W.T`` across threads: on 2 shared cores that
split made a 100x100 grid 20 ms instead of 0.8 ms."""

BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
"""Activations with a fixed output range: their histograms keep fixed bins."""


@dataclass(frozen=True)
class GridView:
    """The network evaluated on a grid over the data.

    2-D inputs: ``xs`` (G,) and ``ys`` (G,), arrays (G, G) with row i at ys[i] and
    column j at xs[j].  1-D inputs (a regression curve): ``ys`` is None and the
    arrays are (G,).  ``prediction`` is P(class 1), the most likely class, or ŷ;
    ``probabilities`` (…, K) for classification, else None; ``hidden[l]`` holds the
    outputs of hidden layer l+1, shape (units, G, G) or (units, G).
    """

    xs: np.ndarray
    ys: np.ndarray | None
    prediction: np.ndarray
    probabilities: np.ndarray | None
    hidden: list[np.ndarray]


def data_extent(trainer: Trainer, margin: float = 0.1) -> tuple[tuple[float, float], ...]:
    """(low, high) of each input over train and test points, widened by ``margin`` of the span."""
    X = np.concatenate([trainer.train_data.X, trainer.test_data.X])
    low, high = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-9)
    return tuple((float(a), float(b)) for a, b in zip(low - pad, high + pad))


def grid_view(trainer: Trainer, resolution: int = 100,
              extent: tuple[tuple[float, float], ...] | None = None) -> GridView:
    """Prediction and every hidden neuron's output on a ``resolution``-point grid per axis."""
    _require_dense(trainer, "a decision-boundary grid")
    inputs = trainer.train_data.X.shape[1]
    if inputs not in (1, 2):
        raise ValueError(f"a grid needs 1 or 2 inputs, this network has {inputs}")
    extent = extent or data_extent(trainer)
    axes = [np.linspace(a, b, resolution) for a, b in extent]
    if inputs == 2:
        gx, gy = np.meshgrid(axes[0], axes[1])
        points, shape = np.c_[gx.ravel(), gy.ravel()], (resolution, resolution)
    else:
        points, shape = axes[0][:, None], (resolution,)
    with trainer.evaluating() as model:
        hidden = [np.empty((block.linear.out_features, len(points))) for block in model.blocks]
        outs = []
        for start in range(0, len(points), GRID_CHUNK):
            chunk = slice(start, start + GRID_CHUNK)
            outs.append(trainer.readout(model(Tensor(points[chunk])).data))
            for units, block in zip(hidden, model.blocks):
                units[:, chunk] = block.a.data.T
    out = np.concatenate(outs)
    hidden = [units.reshape((-1,) + shape) for units in hidden]
    if trainer.task.kind == "multiclass":
        probabilities = out.reshape(shape + (out.shape[1],))
        prediction = probabilities.argmax(axis=-1).astype(np.float64)
    else:
        prediction = out.reshape(shape)
        probabilities = (np.stack([1 - prediction, prediction], axis=-1)
                         if trainer.task.kind == "binary" else None)
    return GridView(axes[0], axes[1] if inputs == 2 else None, prediction, probabilities, hidden)


def _require_dense(trainer: Trainer, what: str) -> None:
    if not isinstance(trainer.model, DenseNet):
        raise ValueError(f"{what} needs a fully connected network; for a CNN use feature_maps "
                         "and explain_cell")


@dataclass(frozen=True)
class Histogram:
    """Counts of one hidden layer's outputs over the training set, in ``len(edges) - 1`` bins."""

    layer: str
    edges: np.ndarray
    counts: np.ndarray


def activation_histograms(trainer: Trainer, bins: int = 30) -> list[Histogram]:
    """Each hidden layer's outputs (all units; a CNN's activation stages too) on the training
    inputs; sigmoid and tanh layers without a residual keep their fixed range, others span
    what they output."""
    with trainer.evaluating() as model:
        trainer.predict(trainer.train_data.X)
        result = []
        for name, stage, out in zip(model.stage_names, model.stages, model.outputs):
            if isinstance(stage, DenseBlock):
                values, act = stage.a.data.ravel(), None if stage.residual else stage.act.name
            elif isinstance(stage, Activation):
                values, act = out.data.ravel(), stage.name
            else:
                continue
            values = values[np.isfinite(values)]  # (an exploding network's overflow is not binned)
            low, high = BOUNDED.get(act) or ((float(values.min()), float(values.max())) if values.size
                                             else (0.0, 1.0))
            if high <= low:
                low, high = low - 0.5, high + 0.5
            counts, edges = np.histogram(values, bins=bins, range=(low, high))
            result.append(Histogram(name, edges, counts))
        return result


@dataclass(frozen=True)
class LayerWeights:
    """One weighted layer's W (out, in, …) and b (out,) (zeros when it has none)."""

    layer: str
    weight: np.ndarray
    bias: np.ndarray


def weights(trainer: Trainer) -> list[LayerWeights]:
    """Host copies of every layer's weights, input to output (edge colour and width in the diagram)."""
    with trainer.lock:
        return [LayerWeights(name, np.array(layer.weight.data),
                             np.array(layer.bias.data) if layer.bias is not None
                             else np.zeros(layer.weight.shape[0]))
                for name, layer in trainer.layers]


# -- one neuron's formula ----------------------------------------------------------------------
@dataclass(frozen=True)
class NeuronFormula:
    """A neuron's computation at one input point, with its actual numbers.

    ``terms`` are (weight, input name, input value); z = Σ w·input + b; ``normalized``
    is batch norm's output (None without it); ``value`` the neuron's output (for the
    output layer: P(class 1), the class's logit, or ŷ).  ``text`` is the formula with the
    weights, e.g. "a⁽¹⁾₂ = tanh(0.31·x₁ − 1.2·x₂ + 0.05) = 0.72"; ``substituted`` the
    same with the input values put in.
    """

    name: str
    activation: str
    terms: tuple[tuple[float, str, float], ...]
    bias: float
    z: float
    normalized: float | None
    residual: tuple[str, float] | None
    value: float
    text: str
    substituted: str


def neuron_formula(trainer: Trainer, layer: int, unit: int, point, digits: int = 2) -> NeuronFormula:
    """The formula of unit ``unit`` (0-based) of hidden layer ``layer`` (1-based; one more
    than the number of hidden layers means the output layer) at input ``point``."""
    _require_dense(trainer, "a neuron formula")
    blocks = trainer.model.blocks
    if not 1 <= layer <= len(blocks) + 1:
        raise ValueError(f"layer must be 1..{len(blocks) + 1} ({len(blocks)} hidden layers, "
                         f"then the output layer), got {layer}")
    x = np.asarray(point, dtype=np.float64).reshape(1, -1)
    with trainer.evaluating():
        out = trainer.predict(x)
        inputs = x[0] if layer == 1 else blocks[layer - 2].a.data[0]
        names = ([f"x{subscript(j + 1)}" for j in range(len(inputs))] if layer == 1
                 else [f"a⁽{superscript(layer - 1)}⁾{subscript(j + 1)}" for j in range(len(inputs))])
        block = blocks[layer - 1] if layer <= len(blocks) else None
        linear = block.linear if block is not None else trainer.model.head
        if not 0 <= unit < linear.out_features:
            raise ValueError(f"unit must be 0..{linear.out_features - 1}, got {unit}")
        w = linear.weight.data[unit]
        b = float(linear.bias.data[unit]) if linear.bias is not None else 0.0
        z = float(w @ inputs + b)
        normalized, residual = None, None
        if block is None:  # the output layer: P(y=1) = σ(z), a class's logit, or ŷ
            name, act, value = {"binary": ("P(y=1)", "sigmoid", float(out[0])),
                                "multiclass": (f"z{subscript(unit + 1)}", "linear", z),
                                "regression": ("ŷ", "linear", z)}[trainer.task.kind]
        else:
            name, act = f"a⁽{superscript(layer)}⁾{subscript(unit + 1)}", block.act.name
            if block.norm is not None:
                normalized = float(block.z.data[0, unit])
            if block.residual:
                residual = (names[unit], float(inputs[unit]))
            value = float(block.a.data[0, unit])
    terms = tuple((float(wi), n, float(v)) for wi, n, v in zip(w, names, inputs))
    normed = normalized is not None
    text = _equation(name, act, _sum(terms, b, digits, False), normed,
                     residual[0] if residual else None, value, digits)
    substituted = _equation(name, act, _sum(terms, b, digits, True), normed,
                            factor(residual[1], digits) if residual else None, value, digits)
    return NeuronFormula(name, act, terms, b, z, normalized, residual, value, text, substituted)


def _equation(name: str, act: str, inner: str, normed: bool, residual: str | None,
              value: float, digits: int) -> str:
    if normed:
        inner = f"BN({inner})"
    f = NOTATION[act]
    body = f"{f}({inner})" if f else inner
    if residual is not None:
        body += f" + {residual}"
    return f"{name} = {body} = {number(value, digits)}"


def _sum(terms, bias: float, digits: int, substitute: bool) -> str:
    parts = []
    for k, (w, name, v) in enumerate(terms):
        shown = factor(v, digits) if substitute else name
        parts.append(_signed(w, digits, first=(k == 0)) + "·" + shown)
    parts.append(_signed(bias, digits, first=not parts))
    return "".join(parts)


def _signed(v: float, digits: int, first: bool) -> str:
    text = number(abs(v), digits)
    if first:
        return ("−" if v < 0 else "") + text
    return (" − " if v < 0 else " + ") + text


# -- linear collapse ---------------------------------------------------------------------------
def collapse_linear(trainer: Trainer) -> tuple[np.ndarray, np.ndarray]:
    """The single layer (W, b) equal to the whole network when every layer is linear:
    W = W_L ⋯ W₂W₁ and b = W_L(⋯(W₂b₁ + b₂)⋯) + b_L (batch norm in evaluation and
    residual additions are affine too, so they fold in).  ValueError otherwise."""
    with trainer.evaluating():
        W = np.eye(trainer.train_data.X.shape[1])
        b = np.zeros(W.shape[0])
        for name, block in zip(trainer.model.stage_names, trainer.model.stages):
            if not isinstance(block, DenseBlock):
                continue
            if block.act.name != "linear":
                raise ValueError(f"{name} applies {block.act.name}: only a network of linear "
                                 "layers collapses into one layer")
            A, c = block.linear.weight.data, _bias(block.linear)
            if block.norm is not None:
                n = block.norm
                scale = n.weight.data / np.sqrt(n.running_var + n.eps)
                A, c = scale[:, None] * A, scale * (c - n.running_mean) + n.bias.data
            if block.residual:
                A = A + np.eye(len(A))
            W, b = A @ W, A @ b + c
        head = trainer.model.head
        return head.weight.data @ W, head.weight.data @ b + _bias(head)


def _bias(linear) -> np.ndarray:
    return linear.bias.data if linear.bias is not None else np.zeros(linear.out_features)
