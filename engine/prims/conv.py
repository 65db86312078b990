"""Convolution and pooling as unfold-then-reduce, on two adjoint primitives.

``im2col`` copies every (kh, kw) window of a padded (N, C, H, W) image into a
column; a convolution is then one matrix product with the flattened kernels,
and pooling a max or mean over each column.  ``col2im`` (overlapping windows
add) is the VJP of ``im2col`` and vice versa, so every gradient here can be
differentiated again.  The loops are Numba kernels (:mod:`engine.kernels.conv`).
"""
from __future__ import annotations

import numpy as np

from ..kernels import conv as K
from ..registry import register
from . import core as C
from .dispatch import call
from .shape import max as amax


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a sliding window (PyTorch's formula, floor mode)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _geometry(shape, kernel, stride, padding, dilation):
    _, _, h, w = shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    return out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)


def _im2col_forward(x, kernel, stride, padding, dilation, pad_value):
    (ph, pw) = padding
    oh, ow = _geometry(x.shape, kernel, stride, padding, dilation)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"input {x.shape[2:]} is smaller than the window {kernel} (dilation {dilation})")
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value) if ph or pw else x
    return K.im2col(np.ascontiguousarray(xp), *kernel, *stride, *dilation, oh, ow)


def _col2im_forward(cols, shape, kernel, stride, padding, dilation):
    n, c, h, w = shape
    (ph, pw) = padding
    oh, ow = _geometry(shape, kernel, stride, padding, dilation)
    xp = K.col2im(np.ascontiguousarray(cols), c, h + 2 * ph, w + 2 * pw, *kernel, *stride,
                  *dilation, oh, ow)
    return xp[:, :, ph:ph + h, pw:pw + w]


IM2COL = register(
    "im2col", "unfold", _im2col_forward,
    (lambda g, out, x, **p: col2im(g, x.shape, p),),
    (lambda t, out, x, **p: im2col(t, p),))
COL2IM = register(
    "col2im", "fold", _col2im_forward,
    (lambda g, out, cols, shape, **p: im2col(g, dict(p, pad_value=0.0)),),
    (lambda t, out, cols, shape, **p: col2im(t, shape, p),))


def im2col(x, geometry: dict):
    """(N, C, H, W) → (N, C·kh·kw, OH·OW) columns of windows (``torch.nn.functional.unfold``)."""
    return call("im2col", x, **geometry)


def col2im(cols, shape, geometry: dict):
    """Columns back to an (N, C, H, W) image, overlaps summed (``torch.nn.functional.fold``)."""
    p = {k: v for k, v in geometry.items() if k != "pad_value"}
    return call("col2im", cols, shape=tuple(shape), **p)


def _geometry_params(kernel, stride, padding, dilation, pad_value=0.0) -> dict:
    return dict(kernel=_pair(kernel), stride=_pair(stride), padding=_pair(padding),
                dilation=_pair(dilation), pad_value=pad_value)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation as PyTorch: x (N, C, H, W), weight (O, C, kh, kw) → (N, O, OH, OW)."""
    n, c, h, w = x.shape
    o, c_w, kh, kw = weight.shape
    if c != c_w:
        raise ValueError(f"conv2d: input has {c} channels but the weight expects {c_w}")
    geo = _geometry_params((kh, kw), stride, padding, dilation)
    oh, ow = _geometry(x.shape, geo["kernel"], geo["stride"], geo["padding"], geo["dilation"])
    cols = im2col(x, geo)                                   # (N, C·kh·kw, L)
    out = C.matmul(C.reshape(weight, (o, c * kh * kw)), cols)  # (N, O, L)
    if bias is not None:
        out = out + C.reshape(bias, (o, 1))
    return C.reshape(out, (n, o, oh, ow))


def _pool_columns(x, kernel_size, stride, padding, pad_value):
    n, c, h, w = x.shape
    stride = kernel_size if stride is None else stride
    geo = _geometry_params(kernel_size, stride, padding, 1, pad_value)
    oh, ow = _geometry(x.shape, geo["kernel"], geo["stride"], geo["padding"], geo["dilation"])
    cols = im2col(C.reshape(x, (n * c, 1, h, w)), geo)     # (N·C, kh·kw, L)
    return cols, (n, c, oh, ow)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Largest value of each window (padding counts as -inf, as PyTorch)."""
    cols, shape = _pool_columns(x, kernel_size, stride, padding, -np.inf)
    return C.reshape(amax(cols, 1), shape)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean of each window (zero padding counted, PyTorch's ``count_include_pad=True``)."""
    cols, shape = _pool_columns(x, kernel_size, stride, padding, 0.0)
    return C.reshape(C.mean(cols, 1), shape)
