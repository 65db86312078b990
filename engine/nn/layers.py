"""Feed-forward layers: Linear, Embedding, Conv2d, pooling, normalization, dropout, activations."""
from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np

from .. import functional as F
from ..prims.conv import _pair
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, as_generator


class Linear(Module):
    """y = x Wᵀ + b with W shaped (out_features, in_features), PyTorch's default init."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, seed=None,
                 dtype=None):
        super().__init__()
        rng = as_generator(seed)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features)))
        init.default_uniform_(self.weight, in_features, rng)
        self.bias = None
        if bias:
            self.bias = Parameter(np.empty(out_features))
            init.default_uniform_(self.bias, in_features, rng)
        if dtype is not None:
            self.to(dtype)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: token ids of any shape S give rows of ``weight`` (num_embeddings,
    embedding_dim), shaped S + (embedding_dim,); PyTorch's N(0, 1) init.

    The row ``padding_idx`` starts at zero and receives no gradient, as in PyTorch, so a
    padding token stays a zero vector.  The gradient of a lookup is a scatter-add into the
    looked-up rows (repeated ids add up).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 *, seed=None, dtype=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx must be within num_embeddings ({num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = (
            num_embeddings, embedding_dim, padding_idx)
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim)))
        init.normal_(self.weight, generator=as_generator(seed))
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0.0
        if dtype is not None:
            self.to(dtype)

    def forward(self, ids):
        ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
        integral = ids.dtype.kind in "iu" or (ids.dtype.kind == "f" and np.all(ids == np.round(ids)))
        if not integral:
            raise TypeError(f"Embedding takes integer token ids, got {ids.dtype} values")
        ids = ids.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            bad = ids.min() if ids.min() < 0 else ids.max()
            raise IndexError(f"token id {bad} is out of range for an Embedding of "
                             f"{self.num_embeddings} rows")
        rows = self.weight[ids]
        if self.padding_idx is None:
            return rows
        keep = (ids != self.padding_idx)[..., None]
        return F.where(keep, rows, rows.detach())  # same values; no gradient into the padding row

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class Sequential(Module):
    """Modules applied in order; indexable and iterable like a list."""

    def __init__(self, *modules: Module):
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


def _elementwise_module(name: str, fn: Callable, doc: str) -> type:
    """A parameterless Module class whose forward applies ``fn``."""
    return type(name, (Module,), {"forward": lambda self, x: fn(x), "__doc__": doc})


ReLU = _elementwise_module("ReLU", F.relu, "max(0, x) as a layer.")
Tanh = _elementwise_module("Tanh", F.tanh, "tanh(x) as a layer.")
Sigmoid = _elementwise_module("Sigmoid", F.sigmoid, "σ(x) = 1 / (1 + e^-x) as a layer.")
SELU = _elementwise_module("SELU", F.selu, "Scaled ELU as a layer.")
Identity = _elementwise_module("Identity", lambda x: x, "Passes its input through.")


class LeakyReLU(Module):
    """x for x > 0 else negative_slope · x, as a layer."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x for x > 0 else alpha (e^x - 1), as a layer."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


ACTIVATIONS: dict[str, type] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "selu": SELU,
                                "leaky_relu": LeakyReLU, "elu": ELU, "identity": Identity}


class MLP(Sequential):
    """Linear layers of the given sizes with an activation between them (none after the last)."""

    def __init__(self, sizes: Sequence[int], activation: str | type = "relu", *, seed=None,
                 dtype=None):
        if len(sizes) < 2:
            raise ValueError(f"an MLP needs at least input and output sizes, got {list(sizes)}")
        act = ACTIVATIONS[activation] if isinstance(activation, str) else activation
        rng = as_generator(seed)
        layers: list[Module] = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(a, b, seed=rng, dtype=dtype))
            if k < len(sizes) - 2:
                layers.append(act())
        super().__init__(*layers)
        self.sizes = list(sizes)


def _check_groups(layer: str, in_channels: int, out_channels: int, groups: int) -> None:
    """Both channel counts must split into ``groups`` equal parts, as PyTorch requires."""
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{layer}: in_channels {in_channels} and out_channels {out_channels} "
                         f"must be divisible by groups {groups}")


def _init_conv(layer: Module, weight_shape: tuple, fan_in: int, bias_size: int | None, rng, dtype) -> None:
    """A convolution's weight and bias (None: no bias) with PyTorch's default init from ``fan_in``."""
    layer.weight = Parameter(np.empty(weight_shape))
    init.default_uniform_(layer.weight, fan_in, rng)
    layer.bias = None
    if bias_size is not None:
        layer.bias = Parameter(np.empty(bias_size))
        init.default_uniform_(layer.bias, fan_in, rng)
    if dtype is not None:
        layer.to(dtype)


class Conv2d(Module):
    """2-D cross-correlation layer, weight (out, in/groups, kh, kw), PyTorch's default init."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, *, seed=None, dtype=None):
        super().__init__()
        _check_groups("Conv2d", in_channels, out_channels, groups)
        rng = as_generator(seed)
        kh, kw = _pair(kernel_size, "kernel_size")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.dilation = (kh, kw), stride, padding, dilation
        _init_conv(self, (out_channels, in_channels // groups, kh, kw), in_channels // groups * kh * kw,
                   out_channels if bias else None, rng, dtype)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        groups = f", groups={self.groups}" if self.groups != 1 else ""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}{groups}")


class ConvTranspose2d(Module):
    """The adjoint of Conv2d (upsampling), weight (in, out/groups, kh, kw), PyTorch's init."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1, *, seed=None,
                 dtype=None):
        super().__init__()
        _check_groups("ConvTranspose2d", in_channels, out_channels, groups)
        rng = as_generator(seed)
        kh, kw = _pair(kernel_size, "kernel_size")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding = (kh, kw), stride, padding
        self.output_padding, self.dilation = output_padding, dilation
        # torch computes fan_in from weight.shape[1:]: out_channels // groups * kh * kw
        _init_conv(self, (in_channels, out_channels // groups, kh, kw), out_channels // groups * kh * kw,
                   out_channels if bias else None, rng, dtype)

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, output_padding={self.output_padding}")


class MaxPool2d(Module):
    """Largest value of each window."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean of each window."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}, count_include_pad={self.count_include_pad}")


class Flatten(Module):
    """Merge axes start_dim..end_dim (default: all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)


class Dropout(Module):
    """Inverted dropout while training (see :func:`engine.functional.dropout`); identity in eval."""

    def __init__(self, p: float = 0.5, *, seed=None):
        super().__init__()
        self.p = p
        self.generator = as_generator(seed)

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalization over (N, C) or (N, C, L) with running statistics, as PyTorch."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, *, dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features)) if affine else None
        self.bias = Parameter(np.zeros(num_features)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features))
        self.register_buffer("running_var", np.ones(num_features))
        if dtype is not None:
            self.to(dtype)

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training, self.momentum, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm2d(BatchNorm1d):
    """Batch normalization of (N, C, H, W) images per channel."""


class LayerNorm(Module):
    """Normalize each sample over its last axes, then scale and shift elementwise."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, *,
                 dtype=None):
        super().__init__()
        shape = (normalized_shape,) if np.ndim(normalized_shape) == 0 else tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.weight = Parameter(np.ones(shape)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape)) if elementwise_affine else None
        if dtype is not None:
            self.to(dtype)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"
