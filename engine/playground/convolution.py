"""What the training lab draws for a CNN: kernels, feature maps, and how one cell was made.

As CNN Explainer does, but for any network the builder makes: pick a stage's
feature-map cell and :func:`explain_cell` returns the input window, the kernel,
their element-wise products and the bias that sum to it (a convolution), the
window and the winner (a max-pool), or the one input and the function (an
activation or batch norm), all as numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from .network import NOTATION, Activation, ConvNet
from .trainer import Trainer
from .notation import factor, number


@dataclass(frozen=True)
class FeatureMap:
    """One stage's output for one image: ``maps`` (channels, H, W)."""

    stage: int
    name: str
    maps: np.ndarray


def kernels(trainer: Trainer) -> list[tuple[str, np.ndarray]]:
    """(stage name, weights (out, in, kh, kw)) of every convolution, host copies, input to output."""
    with trainer.lock:
        return [(name, np.array(layer.weight.data)) for name, layer in trainer.layers
                if isinstance(layer, nn.Conv2d)]


def feature_maps(trainer: Trainer, image: np.ndarray) -> list[FeatureMap]:
    """The outputs of every stage before ``flatten`` for one image (C, H, W), in order."""
    x = _batch_of_one(trainer, image)
    with trainer.evaluating() as model:
        model(x)
        return [FeatureMap(k, name, out.data[0].copy())
                for k, (name, out) in enumerate(zip(model.stage_names, model.outputs))
                if out.data.ndim == 4]


@dataclass(frozen=True)
class CellExplanation:
    """How cell (channel, row, col) of stage ``stage`` was computed from that stage's input.

    kind "convolution": ``window`` (C_in, kh, kw) of the (zero-padded) input, ``kernel``
    the same shape, ``products`` = window × kernel, value = Σ products + ``bias``;
    ``origin`` is the window's top-left (row, col) in the unpadded input (may be negative).
    kind "max-pool": ``window`` (kh, kw) of one channel, ``winner`` its position.
    kind "activation" / "batch norm": ``window`` the one input value (1, 1).
    ``text`` writes the sum out with its numbers.
    """

    stage: int
    name: str
    kind: str
    channel: int
    row: int
    col: int
    window: np.ndarray
    kernel: np.ndarray | None
    products: np.ndarray | None
    bias: float
    value: float
    origin: tuple[int, int]
    winner: tuple[int, int] | None
    text: str


def explain_cell(trainer: Trainer, stage: int, channel: int, row: int, col: int,
                 image: np.ndarray, digits: int = 2) -> CellExplanation:
    """Explain one cell of stage ``stage``'s output (an index into the network's stages)
    for one image (C, H, W); ValueError for a stage that has no feature maps."""
    x = _batch_of_one(trainer, image)
    with trainer.evaluating() as model:
        model(x)
        stages, outputs = model.stages, model.outputs
        if not 0 <= stage < len(stages) or outputs[stage].data.ndim != 4:
            maps = [k for k, out in enumerate(outputs) if out.data.ndim == 4]
            raise ValueError(f"stage {stage} has no feature maps; stages with maps: {maps}")
        out = outputs[stage].data[0]
        if not (0 <= channel < out.shape[0] and 0 <= row < out.shape[1] and 0 <= col < out.shape[2]):
            raise ValueError(f"cell ({channel}, {row}, {col}) is outside the {out.shape} feature maps "
                             f"of {model.stage_names[stage]}")
        source = (x if stage == 0 else outputs[stage - 1].data)[0]
        layer, name, value = stages[stage], model.stage_names[stage], float(out[channel, row, col])
        cell = dict(stage=stage, name=name, channel=channel, row=row, col=col, value=value)
        if isinstance(layer, nn.Conv2d):
            return _convolution(layer, source, cell, digits)
        if isinstance(layer, nn.MaxPool2d):
            return _max_pool(layer, source, cell, digits)
        one = np.array([[source[channel, row, col]]])
        if isinstance(layer, Activation):
            f = NOTATION[layer.name]
            text = f"{f}({number(one[0, 0], digits)}) = {number(value, digits)}"
            return CellExplanation(kind="activation", window=one, kernel=None, products=None,
                                   bias=0.0, origin=(row, col), winner=None, text=text, **cell)
        n = layer
        mean, var = float(n.running_mean[channel]), float(n.running_var[channel])
        gamma, beta = float(n.weight.data[channel]), float(n.bias.data[channel])
        text = (f"{factor(gamma, digits)}·({number(one[0, 0], digits)} − {factor(mean, digits)}) / "
                f"√({number(var, digits)} + ε) + {factor(beta, digits)} = {number(value, digits)}")
        return CellExplanation(kind="batch norm", window=one, kernel=None, products=None, bias=beta,
                               origin=(row, col), winner=None, text=text, **cell)


def _convolution(conv: nn.Conv2d, source: np.ndarray, cell: dict, digits: int) -> CellExplanation:
    (sh, sw), (ph, pw), (dh, dw) = _pair(conv.stride), _pair(conv.padding), _pair(conv.dilation)
    kh, kw = conv.kernel_size
    padded = np.pad(source, ((0, 0), (ph, ph), (pw, pw)))
    top, left = cell["row"] * sh, cell["col"] * sw
    window = padded[:, top:top + dh * (kh - 1) + 1:dh, left:left + dw * (kw - 1) + 1:dw].copy()
    kernel = conv.weight.data[cell["channel"]].copy()
    products = window * kernel
    bias = float(conv.bias.data[cell["channel"]]) if conv.bias is not None else 0.0
    terms = " + ".join(f"{factor(a, digits)}×{factor(k, digits)}"
                       for a, k in zip(window.ravel(), kernel.ravel()))
    text = f"{terms} + {number(bias, digits)} (bias) = {number(cell['value'], digits)}"
    return CellExplanation(kind="convolution", window=window, kernel=kernel, products=products,
                           bias=bias, origin=(top - ph, left - pw), winner=None, text=text, **cell)


def _max_pool(pool: nn.MaxPool2d, source: np.ndarray, cell: dict, digits: int) -> CellExplanation:
    kh, kw = _pair(pool.kernel_size)
    sh, sw = _pair(pool.stride if pool.stride is not None else pool.kernel_size)
    ph, pw = _pair(pool.padding)
    padded = np.pad(source[cell["channel"]], ((ph, ph), (pw, pw)), constant_values=-np.inf)
    top, left = cell["row"] * sh, cell["col"] * sw
    window = padded[top:top + kh, left:left + kw].copy()
    winner = tuple(int(i) for i in np.unravel_index(np.argmax(window), window.shape))
    text = (f"max({', '.join(number(v, digits) for v in window.ravel())}) = "
            f"{number(cell['value'], digits)}")
    return CellExplanation(kind="max-pool", window=window, kernel=None, products=None, bias=0.0,
                           origin=(top - ph, left - pw), winner=winner, text=text, **cell)


def _batch_of_one(trainer: Trainer, image: np.ndarray) -> np.ndarray:
    if not isinstance(trainer.model, ConvNet):
        raise ValueError("feature maps need a convolutional network (ConvSpec) on images")
    x = np.asarray(image, dtype=np.float64)
    if x.shape != tuple(trainer.image_shape):
        raise ValueError(f"the image has shape {x.shape}, the network takes {tuple(trainer.image_shape)}")
    return x[None]



def _pair(v) -> tuple[int, int]:
    return (v, v) if np.ndim(v) == 0 else tuple(v)
